"""The public catalog: capabilities, models, datasets and last benchmark results."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from yangcheng.platform.api.deps import PlatformDep
from yangcheng.platform.catalog import Capability, Registry
from yangcheng.platform.schemas import (
    BenchmarkInfo,
    CapabilityInfo,
    Catalog,
    DatasetInfo,
    ModelInfo,
)
from yangcheng.platform.state import Platform
from yangcheng.platform.store.models import BenchmarkRun

router = APIRouter(prefix="/v1", tags=["catalog"])


def capability_info(cap: Capability) -> CapabilityInfo:
    return CapabilityInfo(
        name=cap.name,
        version=cap.version,
        group=cap.group,
        summary=cap.summary,
        description=cap.description,
        card=cap.card,
        request_schema=cap.request_model.model_json_schema(),
        response_schema=cap.response_model.model_json_schema(),
        examples=list(cap.examples),
    )


def latest_benchmarks(platform: Platform) -> list[BenchmarkInfo]:
    """Newest run of each (scenario, name)."""
    with platform.db.session() as s:
        runs = s.scalars(select(BenchmarkRun).order_by(BenchmarkRun.created_at.desc())).all()
        seen: set[tuple[str, str]] = set()
        out = []
        for run in runs:
            if (run.scenario, run.name) in seen:
                continue
            seen.add((run.scenario, run.name))
            out.append(
                BenchmarkInfo(
                    scenario=run.scenario,
                    name=run.name,
                    metrics=run.metrics,
                    machine=run.machine,
                    revision=run.revision,
                    created_at=run.created_at,
                )
            )
        return out


def cached_info(platform: Platform, cap: Capability) -> CapabilityInfo:
    info: CapabilityInfo | None = platform.schema_cache.get(cap.name)
    if info is None:
        info = platform.schema_cache[cap.name] = capability_info(cap)
    return info


def build_catalog(platform: Platform) -> Catalog:
    registry: Registry = platform.registry
    return Catalog(
        capabilities=[cached_info(platform, c) for c in registry.capabilities.values()],
        models=[ModelInfo(**asdict(m)) for m in registry.models.values()],
        datasets=[DatasetInfo(**asdict(d)) for d in registry.datasets.values()],
        benchmarks=latest_benchmarks(platform),
    )


@router.get("/catalog", response_model=Catalog, summary="Everything the platform offers")
def get_catalog(platform: PlatformDep) -> Catalog:
    return build_catalog(platform)


@router.get(
    "/catalog/capabilities/{name}",
    response_model=CapabilityInfo,
    responses={404: {"description": "No such capability"}},
)
def get_capability(name: str, platform: PlatformDep) -> CapabilityInfo:
    cap = platform.registry.capabilities.get(name)
    if cap is None:
        raise HTTPException(404, f"no capability named {name!r}")
    return cached_info(platform, cap)
