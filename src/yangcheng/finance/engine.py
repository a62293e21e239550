"""The finance decision service: released flows, shared stores, routing and audit.

One engine per data folder. It keeps velocity, lists, releases and the audit
log in SQLite files there, compiles each released flow version once, routes a
transaction to the champion or the challenger, runs the shadow beside it
without side effects, and appends every decision to the hash-chained log with
the versions that made it.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from yangcheng.finance.audit import AuditLog
from yangcheng.finance.decision import Decision, FeatureBuilder, Flow, FlowError, Resources
from yangcheng.finance.privacy import redact
from yangcheng.finance.releases import Kind, Release, ReleaseStore
from yangcheng.finance.rules import ListStore, VelocityStore

SHIPPED_FLOWS = ("card_payment", "consumer_credit")
SHIPPED_AUTHOR = "yangcheng:shipped"
SHIPPED_APPROVER = "yangcheng:release-review"


def shipped_flow(name: str) -> dict[str, Any]:
    text = resources.files("yangcheng.finance.flows").joinpath(f"{name}.yaml").read_text("utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    return spec


def feature_builders() -> dict[str, FeatureBuilder]:
    from yangcheng.finance.models.features import card_feature_row, loan_feature_row

    return {
        "card": card_feature_row,
        "loan": lambda txn, _velocity: loan_feature_row(txn),
    }


def load_model(name: str) -> Any:
    from yangcheng.finance.models import load_shipped

    return load_shipped(name)


@dataclass
class DecisionRecord:
    decision_id: str
    result: Decision
    role: str
    latency_ms: float
    shadow: dict[str, Any] | None


class FinanceEngine:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.salt = self._salt()
        self.velocity = VelocityStore(self.folder / "velocity.db", key_salt=self.salt)
        self.lists = ListStore(self.folder / "lists.db", self.salt)
        self.releases = ReleaseStore(self.folder / "releases.db")
        self.audit = AuditLog(self.folder / "audit.db")
        self._flows: dict[tuple[str, int], Flow] = {}
        self._lock = threading.Lock()
        self._builders = feature_builders()

    def _salt(self) -> bytes:
        """Per-installation secret for hashing card and ID numbers; made once, kept private."""
        path = self.folder / "salt"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        return path.read_bytes()

    def install_shipped_flows(self) -> list[Release]:
        """Release and activate the shipped flows where no version exists yet."""
        installed = []
        for name in SHIPPED_FLOWS:
            if self.releases.history("flow", name):
                continue
            spec = shipped_flow(name)
            self.compile(spec)
            draft = self.releases.save_draft("flow", name, spec, SHIPPED_AUTHOR, "shipped default")
            self.releases.approve("flow", name, draft.version, SHIPPED_APPROVER)
            installed.append(self.releases.activate("flow", name, draft.version, SHIPPED_AUTHOR))
        return installed

    def compile(self, spec: Mapping[str, Any], version: int = 0) -> Flow:
        """Raises FlowError (with the step and reason) for a flow that cannot run."""
        return Flow(spec, version=version, load_model=load_model, feature_builders=self._builders)

    def flow(self, release: Release) -> Flow:
        key = (release.name, release.version)
        with self._lock:
            flow = self._flows.get(key)
        if flow is None:
            flow = self.compile(release.content, release.version)
            with self._lock:
                self._flows[key] = flow
        return flow

    def save_draft(
        self, kind: Kind, name: str, content: dict[str, Any], author: str, note: str = ""
    ) -> Release:
        if kind == "flow":
            if content.get("name") != name:
                raise FlowError("name", f"the document's name must be {name!r}")
            self.compile(content)
        return self.releases.save_draft(kind, name, content, author, note)

    def decide(self, flow_name: str, transaction: Mapping[str, Any]) -> DecisionRecord:
        start = time.perf_counter()
        routing = self.releases.routing("flow", flow_name)
        champion_flow = self.flow(routing.champion)
        key = str(transaction.get(champion_flow.entity_key, "")) if champion_flow.entity_key else ""
        release = routing.pick(key)
        role = "challenger" if release is not routing.champion else "champion"
        flow = champion_flow if role == "champion" else self.flow(release)
        result = flow.decide(transaction, Resources(self.velocity, self.lists, record=True))
        shadow = None
        if routing.shadow is not None:
            shadow_result = self.flow(routing.shadow).decide(
                transaction, Resources(self.velocity, self.lists, record=False)
            )
            shadow = {
                "version": routing.shadow.version,
                "decision": shadow_result.decision,
                "score": shadow_result.score,
            }
        latency_ms = (time.perf_counter() - start) * 1000.0
        record = DecisionRecord(str(uuid.uuid4()), result, role, latency_ms, shadow)
        self.audit.append("decision", self._audit_payload(record, transaction))
        return record

    def _audit_payload(
        self, record: DecisionRecord, transaction: Mapping[str, Any]
    ) -> dict[str, Any]:
        r = record.result
        return {
            "decision_id": record.decision_id,
            "flow": r.flow,
            "version": r.version,
            "role": record.role,
            "decision": r.decision,
            "score": r.score,
            "points": r.points,
            "rules": [f.rule_id for f in r.rules_fired],
            "reasons": [c["feature"] for c in r.reason_codes],
            "shadow": record.shadow,
            "request": redact(dict(transaction), self.salt),
        }

    def close(self) -> None:
        self.velocity.close()
        self.lists.close()
        self.releases.close()
        self.audit.close()


def decision_dict(record: DecisionRecord) -> dict[str, Any]:
    out = asdict(record.result)
    out.update(
        decision_id=record.decision_id,
        role=record.role,
        latency_ms=record.latency_ms,
        shadow=record.shadow,
    )
    return out
