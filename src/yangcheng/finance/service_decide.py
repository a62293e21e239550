"""Decision capabilities: decide, manage flow releases, backtest, verify the audit log."""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yangcheng.config import Settings
from yangcheng.finance.audit import Head
from yangcheng.finance.decision import FlowError
from yangcheng.finance.engine import FinanceEngine, decision_dict
from yangcheng.finance.releases import Release, ReleaseError
from yangcheng.finance.rules import InvalidRule, RowError
from yangcheng.platform.catalog import (
    Caller,
    Capability,
    DatasetCard,
    DocumentPage,
    InvalidInput,
    ModelCard,
)

FLOW_NAME = r"^[a-z][a-z0-9_]{0,63}$"
_engines: dict[Path, FinanceEngine] = {}
_engines_lock = threading.Lock()
_home: Path | None = None


def configure(home: Path) -> None:
    """The platform's data folder (`YANGCHENG_HOME` unless the app was given another)."""
    global _home
    _home = Path(home)


def engine() -> FinanceEngine:
    """The engine of this installation's data folder, opened once per process."""
    folder = (_home or Settings().home) / "finance"
    with _engines_lock:
        eng = _engines.get(folder)
        if eng is None:
            eng = FinanceEngine(folder)
            eng.install_shipped_flows()
            _engines[folder] = eng
        return eng


# ---- finance.decide ---------------------------------------------------------------


class DecideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow: str = Field(pattern=FLOW_NAME, description="card_payment, consumer_credit, or yours.")
    transaction: dict[str, Any] = Field(description="Fields as the flow's schema declares them.")


class FiredRuleOut(BaseModel):
    step: str
    rule_id: str
    outcome: str
    severity: int
    description: str
    values: dict[str, Any]


class ReasonCode(BaseModel):
    feature: str
    contribution: float
    value: Any = None


class PartyHintOut(BaseModel):
    role: str
    label: str
    level: Literal["low", "medium", "high"]
    advice: str
    messages: list[str]


class DecideResponse(BaseModel):
    decision_id: str
    decision: Literal["approve", "review", "decline"]
    score: float | None = Field(description="Calibrated probability of fraud or default.")
    points: float | None = Field(description="Scorecard points, where the flow has a scorecard.")
    rules_fired: list[FiredRuleOut]
    list_hits: list[dict[str, Any]]
    reason_codes: list[ReasonCode]
    hints: list[PartyHintOut]
    features: dict[str, Any]
    flow: str
    version: int
    role: Literal["champion", "challenger"]
    shadow: dict[str, Any] | None
    latency_ms: float


def decide(req: DecideRequest) -> DecideResponse:
    eng = engine()
    try:
        record = eng.decide(req.flow, req.transaction)
    except RowError as exc:
        raise InvalidInput(f"transaction.{exc.field}", str(exc)) from exc
    except ReleaseError as exc:
        raise InvalidInput("flow", str(exc)) from exc
    return DecideResponse.model_validate(decision_dict(record))


CARD_EXAMPLE = {
    "ts": 1709913600.0,
    "card_id": "C000123",
    "device_id": "D009871",
    "account_id": "A000123",
    "merchant_id": "M00077",
    "mcc": 5732,
    "amount_cny": 12800.0,
    "country": "VN",
    "home_country": "CN",
    "channel": "ecom",
    "is_new_device": True,
}
LOAN_EXAMPLE = {
    "ts": 1709913600.0,
    "application_id": "L20240308001",
    "id_number": "11010519491231002X",
    "device_id": "LD000412",
    "age": 29,
    "income_cny": 96000.0,
    "employment_years": 0.3,
    "debt_to_income": 0.52,
    "credit_history_months": 4,
    "n_open_loans": 3,
    "n_inquiries_6m": 7,
    "loan_amount_cny": 200000.0,
    "term_months": 36,
    "purpose": "consumption",
    "housing": "rent",
    "channel": "app",
    "id_issued_days": 40,
    "is_new_device": True,
}

DECIDE = Capability(
    name="finance.decide",
    version="1.0.0",
    group="finance",
    summary="Decide on a transaction: approve, review or decline, with reasons and party hints",
    description=(
        "Runs the active release of a decision flow: lists, velocity features, expert rules, "
        "scorecard and a calibrated LightGBM model. Returns the decision, the score, every "
        "rule that fired with the values it read, the model's top reason codes, and a risk "
        "hint for each party (payer and payee, or lender and borrower). Every decision is "
        "appended to a hash-chained audit log with card and ID numbers masked."
    ),
    request_model=DecideRequest,
    response_model=DecideResponse,
    handler=decide,
    card={
        "flows": ["card_payment", "consumer_credit"],
        "engines": ["rule-engine rules", "decision tables", "scorecards", "LightGBM + isotonic"],
        "benchmark": "yangcheng bench finance",
    },
    examples=(
        {"flow": "card_payment", "transaction": CARD_EXAMPLE},
        {"flow": "consumer_credit", "transaction": LOAN_EXAMPLE},
    ),
)


# ---- flow releases -----------------------------------------------------------------


class ReleaseOut(BaseModel):
    kind: str
    name: str
    version: int
    status: str
    content_hash: str
    created_by: str
    approved_by: str | None
    note: str


def _release_out(r: Release) -> ReleaseOut:
    return ReleaseOut(**{k: v for k, v in asdict(r).items() if k in ReleaseOut.model_fields})


class FlowSummary(BaseModel):
    name: str
    versions: list[ReleaseOut]
    active: int | None
    challenger: int | None
    challenger_share: float
    shadow: int | None


class FlowListRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, pattern=FLOW_NAME)


class FlowListResponse(BaseModel):
    flows: list[FlowSummary]


def list_flows(req: FlowListRequest) -> FlowListResponse:
    eng = engine()
    names = [req.name] if req.name else eng.releases.names("flow")
    out = []
    for name in names:
        history = eng.releases.history("flow", name)
        if not history:
            raise InvalidInput("name", f"no flow named {name!r}")
        active = eng.releases.active("flow", name)
        challenger = shadow = None
        share = 0.0
        if active is not None:
            routing = eng.releases.routing("flow", name)
            challenger = routing.challenger.version if routing.challenger else None
            shadow = routing.shadow.version if routing.shadow else None
            share = routing.challenger_share
        out.append(
            FlowSummary(
                name=name,
                versions=[_release_out(r) for r in history],
                active=active.version if active else None,
                challenger=challenger,
                challenger_share=share,
                shadow=shadow,
            )
        )
    return FlowListResponse(flows=out)


class FlowGetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=FLOW_NAME)
    version: int | None = Field(default=None, ge=1, le=1_000_000, description="Default: active.")


class FlowGetResponse(BaseModel):
    release: ReleaseOut
    content: dict[str, Any]


def get_flow(req: FlowGetRequest) -> FlowGetResponse:
    eng = engine()
    try:
        if req.version is None:
            release = eng.releases.active("flow", req.name)
            if release is None:
                raise ReleaseError(f"flow {req.name!r} has no active version")
        else:
            release = eng.releases.get("flow", req.name, req.version)
    except ReleaseError as exc:
        raise InvalidInput("name", str(exc)) from exc
    return FlowGetResponse(release=_release_out(release), content=release.content)


class SaveDraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=FLOW_NAME)
    content: dict[str, Any] = Field(description="The flow document (as in flows/*.yaml).")
    note: str = Field(default="", max_length=500)


def save_draft(req: SaveDraftRequest, caller: Caller) -> ReleaseOut:
    eng = engine()
    try:
        return _release_out(eng.save_draft("flow", req.name, req.content, caller.email, req.note))
    except FlowError as exc:
        raise InvalidInput(f"content.{exc.where}", exc.reason) from exc
    except (InvalidRule, ValueError) as exc:
        raise InvalidInput("content", str(exc)) from exc


class ReleaseActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=FLOW_NAME)
    action: Literal[
        "approve",
        "activate",
        "rollback",
        "shadow",
        "challenger",
        "clear_shadow",
        "clear_challenger",
    ]
    version: int | None = Field(default=None, ge=1, le=1_000_000)
    share: float = Field(default=0.0, ge=0.0, le=1.0, description="Challenger's traffic share.")


def release_action(req: ReleaseActionRequest, caller: Caller) -> FlowSummary:
    rel = engine().releases
    try:
        if req.action == "rollback":
            rel.rollback("flow", req.name, caller.email)
        elif req.action in ("clear_shadow", "clear_challenger"):
            rel.clear_role(
                "flow", req.name, "shadow" if req.action == "clear_shadow" else "challenger"
            )
        else:
            if req.version is None:
                raise InvalidInput("version", f"{req.action} needs a version")
            if req.action == "approve":
                rel.approve("flow", req.name, req.version, caller.email)
            elif req.action == "activate":
                rel.activate("flow", req.name, req.version, caller.email)
            else:
                role: Literal["shadow", "challenger"] = (
                    "shadow" if req.action == "shadow" else "challenger"
                )
                rel.set_role("flow", req.name, role, req.version, req.share)
    except ReleaseError as exc:
        raise InvalidInput("action", str(exc)) from exc
    return list_flows(FlowListRequest(name=req.name)).flows[0]


# ---- backtest ----------------------------------------------------------------------


class BacktestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=FLOW_NAME)
    version: int | None = Field(default=None, ge=1, le=1_000_000, description="Default: latest.")
    records: int = Field(default=5000, ge=100, le=100_000, description="Synthetic history size.")
    seed: int = Field(default=7, ge=0, le=2**31 - 1)
    compare_with_active: bool = True


class RuleStatsOut(BaseModel):
    rule_id: str
    hits: int
    precision: float


class BacktestResponse(BaseModel):
    flow: str
    version: int
    dataset: str
    records: int
    positives: int
    flagged: int
    declined: int
    precision: float
    recall: float
    f1: float
    hit_rate: float
    approval_rate: float
    decline_recall: float
    score_auc: float | None
    baseline_version: int | None
    baseline_approval_rate: float | None
    approval_rate_change: float | None
    baseline_recall: float | None
    rules: list[RuleStatsOut]


def run_backtest(req: BacktestRequest) -> BacktestResponse:
    from yangcheng.finance.backtest import backtest
    from yangcheng.finance.history import labelled_history

    eng = engine()
    try:
        history = eng.releases.history("flow", req.name)
        if not history:
            raise ReleaseError(f"no flow named {req.name!r}")
        release = (
            history[-1] if req.version is None else eng.releases.get("flow", req.name, req.version)
        )
    except ReleaseError as exc:
        raise InvalidInput("name", str(exc)) from exc
    flow = eng.flow(release)
    try:
        dataset, rows, labels = labelled_history(flow.business, req.records, req.seed)
    except KeyError as exc:
        raise InvalidInput("name", f"no labelled history for business {flow.business!r}") from exc
    active = eng.releases.active("flow", req.name)
    baseline = eng.flow(active) if (req.compare_with_active and active is not None) else None
    report = backtest(flow, rows, labels, baseline=baseline)
    return BacktestResponse.model_validate({**asdict(report), "dataset": dataset})


# ---- audit -------------------------------------------------------------------------


class AuditVerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expected_count: int | None = Field(default=None, ge=0, le=10**12)
    expected_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class AuditVerifyResponse(BaseModel):
    ok: bool
    records: int
    first_bad_seq: int | None
    reason: str
    head_count: int
    head_hash: str


def verify_audit(req: AuditVerifyRequest) -> AuditVerifyResponse:
    log = engine().audit
    expected = None
    if req.expected_count is not None and req.expected_hash is not None:
        expected = Head(req.expected_count, req.expected_hash)
    elif (req.expected_count is None) != (req.expected_hash is None):
        raise InvalidInput(
            "expected_hash", "give both expected_count and expected_hash, or neither"
        )
    result = log.verify(expected)
    head = log.head()
    return AuditVerifyResponse(**asdict(result), head_count=head.count, head_hash=head.hash)


def _cap(
    name: str,
    summary: str,
    req: type[BaseModel],
    resp: type[BaseModel],
    handler: Any,
    *,
    needs_caller: bool = False,
    examples: tuple[dict[str, Any], ...] = (),
) -> Capability:
    return Capability(
        name=name,
        version="1.0.0",
        group="finance",
        summary=summary,
        request_model=req,
        response_model=resp,
        handler=handler,
        needs_caller=needs_caller,
        examples=examples,
    )


CAPABILITIES = (
    DECIDE,
    _cap(
        "finance.flows.list",
        "Decision flows and their versions",
        FlowListRequest,
        FlowListResponse,
        list_flows,
        examples=({},),
    ),
    _cap(
        "finance.flows.get",
        "A flow document (active or a given version)",
        FlowGetRequest,
        FlowGetResponse,
        get_flow,
        examples=({"name": "card_payment"},),
    ),
    _cap(
        "finance.flows.save-draft",
        "Save a flow draft; rules are compiled and checked now",
        SaveDraftRequest,
        ReleaseOut,
        save_draft,
        needs_caller=True,
    ),
    _cap(
        "finance.flows.release",
        "Approve (four-eyes), activate, roll back, shadow or challenge",
        ReleaseActionRequest,
        FlowSummary,
        release_action,
        needs_caller=True,
        examples=({"name": "card_payment", "action": "rollback"},),
    ),
    _cap(
        "finance.flows.backtest",
        "Backtest a flow version on labelled history",
        BacktestRequest,
        BacktestResponse,
        run_backtest,
        examples=({"name": "card_payment", "records": 5000, "seed": 7},),
    ),
    _cap(
        "finance.audit.verify",
        "Verify the hash chain of the decision log",
        AuditVerifyRequest,
        AuditVerifyResponse,
        verify_audit,
        examples=({},),
    ),
)


def model_cards() -> list[ModelCard]:
    """The shipped models' own cards, flattened into the catalog's shape."""
    from yangcheng.finance.models import SHIPPED, shipped_card

    cards = []
    for name in SHIPPED:
        c = shipped_card(name)
        data = c.get("training_data") or {}
        metrics = {
            f"{split}.{key}": float(value)
            for split, values in (c.get("metrics") or {}).items()
            if isinstance(values, dict)
            for key, value in values.items()
            if isinstance(value, int | float) and key not in ("n", "positives")
        }
        limitations = c.get("limitations") or []
        cards.append(
            ModelCard(
                name=name,
                version=str(c.get("version", "1")),
                task=str(c.get("task", "")),
                description=f"{(c.get('model') or {}).get('class', 'model')}, shipped",
                licence=f"Apache-2.0; trained on data under: {data.get('licence', 'unknown')}",
                training_data=" ".join(
                    str(data.get(k, "")) for k in ("description", "source", "split") if data.get(k)
                ),
                metrics=metrics,
                limitations=" ".join(limitations)
                if isinstance(limitations, list)
                else str(limitations),
                artifact=f"yangcheng/finance/models/artifacts/{name}",
            )
        )
    return cards


DATASETS = (
    DatasetCard(
        "finance-synthetic-card-payments",
        "1",
        "Card payments with card testing, account takeover, velocity bursts and merchant collusion",
        "yangcheng.finance.data generator",
        "Apache-2.0 (generated)",
        200_000,
        seed=7,
        generator="generate_card_transactions",
    ),
    DatasetCard(
        "finance-synthetic-loan-applications",
        "1",
        "Consumer loan applications with first-party default",
        "yangcheng.finance.data generator",
        "Apache-2.0 (generated)",
        100_000,
        seed=11,
        generator="generate_loan_applications",
    ),
    DatasetCard(
        "ulb-credit-card-fraud-sample",
        "1",
        "ULB credit-card fraud, all 492 frauds and 1,230 normal transactions (rebalanced)",
        "ULB Machine Learning Group, Dal Pozzolo et al. 2015",
        "ODbL",
        1722,
    ),
    DatasetCard(
        "uci-taiwan-default",
        "1",
        "Default of credit card clients, Taiwan 2005",
        "UCI Machine Learning Repository, Yeh & Lien 2009",
        "CC BY 4.0",
        30_000,
    ),
)


FLOWS_PAGE = DocumentPage(
    slug="finance-flows",
    title="Decision flows",
    group="finance",
    description="Rules, lists, velocity, scorecard and model as one released flow: edit a "
    "draft, backtest it on labelled history, approve (a second person), activate, roll back.",
    list_capability="finance.flows.list",
    get_capability="finance.flows.get",
    save_capability="finance.flows.save-draft",
    action_capability="finance.flows.release",
    test_capability="finance.flows.backtest",
    actions=(
        "approve",
        "activate",
        "rollback",
        "shadow",
        "challenger",
        "clear_shadow",
        "clear_challenger",
    ),
)
