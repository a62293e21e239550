"""The catalog publishes what scenarios register; invocation is typed end to end."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from tests.conftest import KeyMaker
from yangcheng.config import Settings
from yangcheng.platform import (
    Capability,
    DashboardPage,
    DatasetCard,
    DocumentPage,
    ModelCard,
    Registry,
    ReviewPage,
    create_app,
)
from yangcheng.platform.catalog import InvalidInput, UnknownCapability, discover
from yangcheng.platform.store import BenchmarkRun, upgrade


class Dose(BaseModel):
    dose_gy: float


class Fractions(BaseModel):
    per_fraction_gy: list[float]


def split_dose(req: Dose) -> Fractions:
    if req.dose_gy > 80:
        raise InvalidInput("dose_gy", "above 80 Gy is not a prescription this plan accepts")
    return Fractions(per_fraction_gy=[req.dose_gy / 5] * 5)


def test_discover_finds_installed_scenarios() -> None:
    registry = discover(fresh=True)
    assert "finance.identity.documents" in registry.capabilities
    with pytest.raises(UnknownCapability):
        registry.get("finance.nothing")


def test_capability_names_belong_to_their_group() -> None:
    with pytest.raises(ValueError, match="must start with"):
        Capability("finance.x", "1", "security", "s", Dose, Fractions, split_dose)
    with pytest.raises(ValueError, match="group must be"):
        Capability("weather.x", "1", "weather", "s", Dose, Fractions, split_dose)
    registry = Registry()
    cap = Capability("radiotherapy.split", "1", "radiotherapy", "s", Dose, Fractions, split_dose)
    registry.add_capability(cap)
    with pytest.raises(ValueError, match="twice"):
        registry.add_capability(cap)


@pytest.fixture
def custom_client(settings: Settings):
    registry = discover(fresh=True)
    extra = Registry()
    extra.capabilities.update(registry.capabilities)
    extra.add_capability(
        Capability(
            "radiotherapy.split",
            "0.1.0",
            "radiotherapy",
            "Split a dose into five fractions",
            Dose,
            Fractions,
            split_dose,
            card={"metrics": {"max_error_gy": 0.0}},
        )
    )
    extra.add_model(ModelCard("splitter", "0.1.0", "fractionation", "d", "Apache-2.0"))
    extra.add_dataset(DatasetCard("tg119", "1", "phantoms", "AAPM TG-119", "public", 5, seed=7))
    upgrade(settings.resolved_database_url)
    app = create_app(settings, registry=extra)
    with app.state.platform.db.session() as s:
        s.add(BenchmarkRun(scenario="radiotherapy", name="old", metrics={"x": 1.0}))
        s.add(BenchmarkRun(scenario="radiotherapy", name="old", metrics={"x": 2.0}))
    with TestClient(app) as c:
        yield c


def test_catalog_lists_capabilities_models_datasets_and_latest_benchmarks(custom_client) -> None:
    cat = custom_client.get("/v1/catalog").json()
    names = [c["name"] for c in cat["capabilities"]]
    assert {"finance.identity.documents", "radiotherapy.split"} <= set(names)
    split = next(c for c in cat["capabilities"] if c["name"] == "radiotherapy.split")
    assert split["request_schema"]["properties"]["dose_gy"]["type"] == "number"
    assert split["card"]["metrics"] == {"max_error_gy": 0.0}
    assert cat["models"][0]["name"] == "splitter"
    assert cat["datasets"][0]["seed"] == 7
    assert [b["metrics"] for b in cat["benchmarks"]] == [{"x": 2.0}]
    one = custom_client.get("/v1/catalog/capabilities/radiotherapy.split")
    assert one.status_code == 200 and one.json()["version"] == "0.1.0"
    assert custom_client.get("/v1/catalog/capabilities/none.such").status_code == 404


def test_each_capability_has_a_typed_route_in_openapi(custom_client) -> None:
    spec = custom_client.get("/openapi.json").json()
    op = spec["paths"]["/v1/capabilities/radiotherapy.split:invoke"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/Dose")
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Fractions"
    )


def test_invoke_validates_runs_and_maps_errors(custom_client) -> None:
    from yangcheng.platform import auth

    platform = custom_client.app.state.platform
    with platform.db.session() as s:
        raw, _ = auth.create_key(
            s, email="p@hospital.example.cn", organisation="H", scopes="radiotherapy"
        )
    h = {"X-API-Key": raw}
    url = "/v1/capabilities/radiotherapy.split:invoke"
    ok = custom_client.post(url, json={"dose_gy": 60}, headers=h)
    assert ok.status_code == 200 and ok.json() == {"per_fraction_gy": [12.0] * 5}
    typed = custom_client.post(url, json={"dose_gy": "lots"}, headers=h)
    assert typed.status_code == 422 and typed.json()["detail"][0]["loc"] == ["body", "dose_gy"]
    substance = custom_client.post(url, json={"dose_gy": 90}, headers=h)
    assert substance.status_code == 422
    assert substance.json()["detail"][0]["loc"] == ["body", "dose_gy"]
    assert "80 Gy" in substance.json()["detail"][0]["msg"]
    not_json = custom_client.post(
        url, content=b"{", headers={**h, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    unknown = custom_client.post("/v1/capabilities/radiotherapy.nothing:invoke", json={}, headers=h)
    assert unknown.status_code == 404


def test_finance_documents_capability_over_http(client: TestClient, make_key: KeyMaker) -> None:
    h = {"X-API-Key": make_key("finance")}
    url = "/v1/capabilities/finance.identity.documents:invoke"
    r = client.post(
        url, json={"resident_id": "11010519491231002X", "declared_sex": "male"}, headers=h
    )
    assert r.status_code == 200
    body = r.json()
    assert body["all_valid"] is False
    assert "declared sex male" in body["checks"][0]["failures"][0]
    empty = client.post(url, json={}, headers=h)
    assert empty.status_code == 422
    assert "at least one" in empty.json()["detail"][0]["msg"]
    extra = client.post(url, json={"mobile": "13800138000", "passport": "E1"}, headers=h)
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "passport"]


def test_api_docs_are_served_from_shipped_files(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn." not in html and "googleapis" not in html
        assert "/docs-static/" in html
    assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-static/redoc.standalone.js").status_code == 200


def test_a_capability_that_records_authorship_gets_the_caller(settings: Settings) -> None:
    from yangcheng.platform import auth
    from yangcheng.platform.catalog import Caller

    seen: list[Caller] = []

    def sign(req: Dose, caller: Caller) -> Fractions:
        seen.append(caller)
        return Fractions(per_fraction_gy=[req.dose_gy])

    registry = Registry()
    cap = Capability(
        "radiotherapy.sign",
        "1",
        "radiotherapy",
        "Sign a plan",
        Dose,
        Fractions,
        sign,
        needs_caller=True,
    )
    registry.add_capability(cap)
    with pytest.raises(InvalidInput, match="records who calls it"):
        cap.invoke({"dose_gy": 2.0})
    upgrade(settings.resolved_database_url)
    app = create_app(settings, registry=registry)
    with app.state.platform.db.session() as s:
        raw, _ = auth.create_key(
            s, email="physicist@hospital.example.cn", organisation="H", scopes="*"
        )
    with TestClient(app) as c:
        r = c.post(
            "/v1/capabilities/radiotherapy.sign:invoke",
            json={"dose_gy": 2},
            headers={"X-API-Key": raw},
        )
        assert r.status_code == 200
        job = c.post(
            "/v1/jobs",
            json={"capability": "radiotherapy.sign", "items": [{"dose_gy": 1}]},
            headers={"X-API-Key": raw},
        ).json()
        from tests.conftest import wait_for_job

        assert wait_for_job(c, job["id"], {"X-API-Key": raw})["state"] == "succeeded"
    assert [c.email for c in seen] == ["physicist@hospital.example.cn"] * 2
    assert seen[0].organisation == "H"


def test_console_pages_of_every_kind_share_one_set_of_slugs() -> None:
    registry = Registry()
    registry.add_dashboard(DashboardPage("line", "Line", "security", "", "security.line.status"))
    review = ReviewPage("line", "Review", "security", "", "security.q", "security.i", "security.v")
    with pytest.raises(ValueError, match="'line' registered twice"):
        registry.add_review_page(review)
    doc = DocumentPage("line", "Docs", "security", "", *(f"security.{c}" for c in "lgsa"))
    with pytest.raises(ValueError, match="'line' registered twice"):
        registry.add_page(doc)
    with pytest.raises(ValueError, match="not in group security"):
        registry.add_review_page(
            ReviewPage("bags", "Bags", "security", "", "security.q", "finance.i", "security.v")
        )
    with pytest.raises(ValueError, match="refresh_s"):
        registry.add_dashboard(DashboardPage("x", "X", "security", "", "security.s", refresh_s=0))
    with pytest.raises(ValueError, match="at least one verdict"):
        registry.add_review_page(
            ReviewPage("y", "Y", "security", "", "security.q", "security.i", "security.v", ())
        )
    assert list(registry.dashboards) == ["line"] and not registry.reviews and not registry.pages
