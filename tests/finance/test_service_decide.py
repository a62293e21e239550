"""Finance decisions and flow releases through the platform's HTTP API."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker, wait_for_job
from yangcheng.finance.engine import shipped_flow
from yangcheng.finance.service_decide import CARD_EXAMPLE

DECIDE = "/v1/capabilities/finance.decide:invoke"


@pytest.fixture(autouse=True)
def finance_home(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The finance engine keeps its files under YANGCHENG_HOME, one per test."""
    monkeypatch.setenv("YANGCHENG_HOME", str(settings.home))
    yield settings.home


def call(client: TestClient, key: str, name: str, body: dict[str, Any]) -> Any:
    return client.post(f"/v1/capabilities/{name}:invoke", json=body, headers={"X-API-Key": key})


def test_decide_a_card_payment(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("finance")
    r = call(client, key, "finance.decide", {"flow": "card_payment", "transaction": CARD_EXAMPLE})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["decision"] in ("review", "decline")  # new device abroad, large online order
    assert 0.0 <= d["score"] <= 1.0
    fired = {f["rule_id"]: f for f in d["rules_fired"]}
    assert fired["ato_new_device_abroad"]["values"]["country"] == "VN"
    assert {h["role"] for h in d["hints"]} == {"payer", "payee"}
    assert d["reason_codes"], "an adverse decision carries reason codes"
    assert d["version"] == 1 and d["role"] == "champion"


def test_a_transaction_missing_a_field_is_a_422_naming_it(
    client: TestClient, make_key: KeyMaker
) -> None:
    key = make_key("finance")
    tx = {k: v for k, v in CARD_EXAMPLE.items() if k != "amount_cny"}
    r = call(client, key, "finance.decide", {"flow": "card_payment", "transaction": tx})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "transaction", "amount_cny"]
    wrong = call(
        client,
        key,
        "finance.decide",
        {"flow": "card_payment", "transaction": {**CARD_EXAMPLE, "mcc": "5732"}},
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "mcc"
    unknown = call(client, key, "finance.decide", {"flow": "nope", "transaction": CARD_EXAMPLE})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "flow"]


def test_every_decision_is_audited_with_numbers_masked(
    client: TestClient, make_key: KeyMaker, finance_home: Path
) -> None:
    key = make_key("finance")
    pan = "6222020200112233446"
    body = {"flow": "card_payment", "transaction": {**CARD_EXAMPLE, "card_number": pan}}
    assert call(client, key, "finance.decide", body).status_code == 200
    verify = call(client, key, "finance.audit.verify", {}).json()
    assert verify["ok"] and verify["records"] == 1
    raw = b"".join(p.read_bytes() for p in (finance_home / "finance").glob("audit.db*"))
    assert pan.encode() not in raw and b"6222***********3446" in raw
    with sqlite3.connect(finance_home / "finance" / "audit.db") as conn:
        conn.execute("UPDATE audit SET payload = replace(payload, 'review', 'approve')")
        conn.execute("UPDATE audit SET payload = replace(payload, 'decline', 'approve')")
    broken = call(client, key, "finance.audit.verify", {}).json()
    assert not broken["ok"] and broken["first_bad_seq"] == 1


def test_flow_release_cycle_with_four_eyes_and_rollback(
    client: TestClient, make_key: KeyMaker
) -> None:
    ana = make_key("finance", email="ana@bank.example.cn")
    bo = make_key("finance", email="bo@bank.example.cn")
    spec = copy.deepcopy(shipped_flow("card_payment"))
    spec["decision"]["review"] = 0.05
    saved = call(client, ana, "finance.flows.save-draft", {"name": "card_payment", "content": spec})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2 and saved.json()["created_by"] == "ana@bank.example.cn"
    own = call(
        client,
        ana,
        "finance.flows.release",
        {"name": "card_payment", "action": "approve", "version": 2},
    )
    assert own.status_code == 422 and "four-eyes" in own.json()["detail"][0]["msg"]
    ok = call(
        client,
        bo,
        "finance.flows.release",
        {"name": "card_payment", "action": "approve", "version": 2},
    )
    assert ok.status_code == 200
    active = call(
        client,
        bo,
        "finance.flows.release",
        {"name": "card_payment", "action": "activate", "version": 2},
    )
    assert active.json()["active"] == 2
    d = call(
        client, ana, "finance.decide", {"flow": "card_payment", "transaction": CARD_EXAMPLE}
    ).json()
    assert d["version"] == 2
    back = call(client, bo, "finance.flows.release", {"name": "card_payment", "action": "rollback"})
    assert back.json()["active"] == 1
    got = call(client, ana, "finance.flows.get", {"name": "card_payment", "version": 2}).json()
    assert got["content"]["decision"]["review"] == 0.05 and got["release"]["status"] == "retired"


def test_a_draft_with_a_bad_rule_is_refused_with_its_position(
    client: TestClient, make_key: KeyMaker
) -> None:
    key = make_key("finance")
    spec = copy.deepcopy(shipped_flow("card_payment"))
    rules = next(s for s in spec["steps"] if s["type"] == "rules")
    rules["rules"].append(
        {"id": "oops", "expression": "amount_cny > 'lots'", "outcome": "review", "severity": 10}
    )
    r = call(client, key, "finance.flows.save-draft", {"name": "card_payment", "content": spec})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"][:3] == ["body", "content", "rules"]
    assert "oops" in detail["msg"] and "position" in detail["msg"]
    flows = call(client, key, "finance.flows.list", {}).json()["flows"]
    card = next(f for f in flows if f["name"] == "card_payment")
    assert [v["version"] for v in card["versions"]] == [1]  # nothing half-saved


def test_batch_scoring_as_a_job(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("finance,jobs")
    items = [
        {
            "flow": "card_payment",
            "transaction": {
                **CARD_EXAMPLE,
                "ts": CARD_EXAMPLE["ts"] + i,
                "is_new_device": False,
                "country": "CN",
                "amount_cny": 88.0,
            },
        }
        for i in range(8)
    ]
    job = client.post(
        "/v1/jobs",
        json={"capability": "finance.decide", "items": items},
        headers={"X-API-Key": key},
    ).json()
    done = wait_for_job(client, job["id"], {"X-API-Key": key})
    assert done["state"] == "succeeded", done
    rows = client.get(f"/v1/jobs/{job['id']}/results", headers={"X-API-Key": key}).json()["rows"]
    counts = [r["output"]["features"]["card_id_count_60s"] for r in rows]
    assert counts[:6] == [0, 1, 2, 3, 4, 5]  # velocity accumulates across the batch


def test_backtest_reports_recall_precision_and_approval_change(
    client: TestClient, make_key: KeyMaker
) -> None:
    key = make_key("finance")
    r = call(
        client, key, "finance.flows.backtest", {"name": "card_payment", "records": 3000, "seed": 3}
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["records"] == 3000 and rep["positives"] > 0
    assert rep["recall"] > 0.5 and 0 < rep["hit_rate"] < 0.2
    assert rep["approval_rate_change"] == 0.0  # same version as the active one
    assert rep["rules"] and rep["score_auc"] > 0.8


def test_the_engine_uses_the_apps_data_folder_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yangcheng.config import Settings
    from yangcheng.platform import auth, create_app
    from yangcheng.platform.store import upgrade

    monkeypatch.setenv("YANGCHENG_HOME", str(tmp_path / "environment"))
    settings = Settings(home=tmp_path / "app", executor="thread")
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    with app.state.platform.db.session() as s:
        key, _ = auth.create_key(s, email="a@b.cn", organisation="B", scopes="finance")
    with TestClient(app) as c:
        assert (
            call(
                c, key, "finance.decide", {"flow": "card_payment", "transaction": CARD_EXAMPLE}
            ).status_code
            == 200
        )
    assert (tmp_path / "app" / "finance" / "audit.db").exists()
    assert not (tmp_path / "environment" / "finance").exists()


def test_flow_documents_keep_their_key_order_and_notes(
    client: TestClient, make_key: KeyMaker
) -> None:
    key = make_key("finance")
    spec = copy.deepcopy(shipped_flow("card_payment"))
    saved = call(
        client,
        key,
        "finance.flows.save-draft",
        {"name": "card_payment", "content": spec, "note": "lower review"},
    )
    assert saved.json()["note"] == "lower review"
    got = call(client, key, "finance.flows.get", {"name": "card_payment", "version": 2}).json()
    assert list(got["content"]) == list(spec)


def test_catalog_lists_the_shipped_models_with_their_metrics(client: TestClient) -> None:
    models = {m["name"]: m for m in client.get("/v1/catalog").json()["models"]}
    card = models["card_fraud_gbm"]
    assert card["metrics"]["held_out.roc_auc"] > 0.9
    assert "Apache-2.0" in card["licence"] and card["training_data"] and card["limitations"]
