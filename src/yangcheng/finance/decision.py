"""Decision flows: lists, velocity, rules, tables, scorecards and models in one graph.

A flow is a small declarative document (YAML or JSON) that names the
transaction's typed fields, the parties to warn, and an ordered list of steps.
Each step may read the request fields and whatever earlier steps produced
(velocity counts, ``model_score``, ``scorecard_points``, list flags), so a rule
that reads a field no earlier step provides fails when the flow is compiled,
not on live traffic. The outcome combines the steps as risk engines do: an
allow-list hit approves, a block-list hit or a declining rule declines, the
score decides between the thresholds, and a review anywhere asks a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from yangcheng.finance.rules import (
    DecisionTable,
    FieldType,
    InvalidRule,
    ListStore,
    RuleSet,
    Scorecard,
    TransactionSchema,
    VelocityStore,
)

Outcome = Literal["approve", "review", "decline"]
_RANK = {"approve": 0, "review": 1, "decline": 2}
_BY_RANK: tuple[Outcome, ...] = ("approve", "review", "decline")
Level = Literal["low", "medium", "high"]
_LEVELS: tuple[Level, ...] = ("low", "medium", "high")
WINDOWS_S = (60, 3600, 86400)


class FlowError(ValueError):
    """A flow document that cannot run; names the step and what is wrong."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class RiskModel(Protocol):
    feature_names_: list[str]

    def score_row(self, x: np.ndarray) -> float: ...

    def reason_codes(self, x: np.ndarray, top_k: int = 3) -> list[tuple[str, float]]: ...


ModelLoader = Callable[[str], RiskModel]
FeatureBuilder = Callable[[Mapping[str, Any], Mapping[str, float]], np.ndarray]


@dataclass
class Party:
    role: str
    label: str
    key: str
    tag: str
    reasons: dict[str, str] = field(default_factory=dict)
    advice: dict[str, str] = field(default_factory=dict)


@dataclass
class PartyHint:
    role: str
    label: str
    level: Level
    advice: str
    messages: list[str]


@dataclass
class FiredRule:
    step: str
    rule_id: str
    outcome: str
    severity: int
    description: str
    values: dict[str, Any]


@dataclass
class Decision:
    decision: Outcome
    score: float | None
    points: float | None
    rules_fired: list[FiredRule]
    list_hits: list[dict[str, Any]]
    reason_codes: list[dict[str, Any]]
    hints: list[PartyHint]
    features: dict[str, Any]
    flow: str
    version: int


@dataclass
class _State:
    """What the steps of one decision have produced so far."""

    row: dict[str, Any]
    fired: list[FiredRule] = field(default_factory=list)
    list_hits: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    party_tags: dict[str, list[str]] = field(default_factory=dict)
    explain: list[Callable[[], list[dict[str, Any]]]] = field(default_factory=list)


@dataclass
class Resources:
    """Stateful stores a flow reads; ``record`` is False for shadow runs and what-ifs."""

    velocity: VelocityStore
    lists: ListStore | None = None
    record: bool = True


class _Step:
    id: str
    adds: dict[str, FieldType] = {}

    def run(self, state: _State, res: Resources) -> None:
        raise NotImplementedError


class _ListsStep(_Step):
    def __init__(self, sid: str, spec: Mapping[str, Any], fields: Mapping[str, FieldType]) -> None:
        self.id = sid
        self.entities: dict[str, str] = dict(spec.get("entities") or {})
        if not self.entities:
            raise FlowError(sid, "lists step needs 'entities': {entity_type: field}")
        for entity, name in self.entities.items():
            if name not in fields:
                raise FlowError(sid, f"entity {entity!r} reads unknown field {name!r}")
        self.adds = {f"list_{k}": FieldType.BOOL for k in ("block", "allow", "watch")}

    def run(self, state: _State, res: Resources) -> None:
        flags = {"block": False, "allow": False, "watch": False}
        if res.lists is not None:
            values = {e: str(state.row[f]) for e, f in self.entities.items()}
            for hit in res.lists.check(values):
                flags[hit.list_kind] = True
                state.list_hits.append(
                    {"list": hit.list_kind, "entity": hit.entity_type, "reason": hit.reason}
                )
        for kind, flag in flags.items():
            state.row[f"list_{kind}"] = flag
        if flags["block"]:
            state.outcomes.append("decline")
        elif flags["watch"]:
            state.outcomes.append("review")


class _VelocityStep(_Step):
    def __init__(self, sid: str, spec: Mapping[str, Any], fields: Mapping[str, FieldType]) -> None:
        self.id = sid
        self.ts_field = str(spec.get("ts_field", "ts"))
        self.amount_field = str(spec.get("amount_field", "amount_cny"))
        self.entities = [str(e) for e in spec.get("entities") or []]
        for name in (self.ts_field, self.amount_field, *self.entities):
            if name not in fields:
                raise FlowError(sid, f"velocity reads unknown field {name!r}")
        if not self.entities:
            raise FlowError(sid, "velocity step needs 'entities': [field, ...]")
        self.adds = {
            f"{e}_{stat}_{w}s": FieldType.FLOAT
            for e in self.entities
            for w in WINDOWS_S
            for stat in ("count", "sum")
        }

    def run(self, state: _State, res: Resources) -> None:
        ts = float(state.row[self.ts_field])
        entities = {name: str(state.row[name]) for name in self.entities}
        if res.record:
            feats = res.velocity.observe_entities(entities, ts, float(state.row[self.amount_field]))
        else:
            feats = {
                f"{name}_{k}": v
                for name, key in entities.items()
                for k, v in res.velocity.peek(name, key, ts).items()
            }
        state.row.update(feats)


class _RulesStep(_Step):
    def __init__(self, sid: str, spec: Mapping[str, Any], schema: TransactionSchema) -> None:
        self.id = sid
        try:
            self.ruleset = RuleSet.from_dict(
                {"name": sid, "version": 1, "rules": list(spec.get("rules") or [])}, schema
            )
        except InvalidRule as exc:
            raise FlowError(sid, str(exc)) from exc
        except ValueError as exc:
            raise FlowError(sid, str(exc)) from exc
        self.ruleset_tags = {r.id: tuple(r.tags) for r in self.ruleset.rules}

    def run(self, state: _State, res: Resources) -> None:
        for hit in self.ruleset.evaluate(state.row):
            state.fired.append(
                FiredRule(
                    self.id,
                    hit.rule_id,
                    hit.outcome,
                    hit.severity,
                    hit.description,
                    dict(hit.values_read),
                )
            )
            if hit.outcome in _RANK:
                state.outcomes.append(hit.outcome)
            for tag in self.ruleset_tags.get(hit.rule_id, ()):
                state.party_tags.setdefault(tag, []).append(hit.description or hit.rule_id)


class _TableStep(_Step):
    def __init__(self, sid: str, spec: Mapping[str, Any], schema: TransactionSchema) -> None:
        self.id = sid
        try:
            self.table = DecisionTable.from_dict({"name": sid, **spec.get("table", {})}, schema)
        except (InvalidRule, ValueError) as exc:
            raise FlowError(sid, str(exc)) from exc

    def run(self, state: _State, res: Resources) -> None:
        for out in self.table.evaluate(state.row):
            outcome = str(out.get("outcome", ""))
            if outcome in _RANK:
                state.outcomes.append(outcome)
            state.fired.append(
                FiredRule(
                    self.id,
                    str(out.get("id", self.id)),
                    outcome,
                    int(out.get("severity", 0)),
                    str(out.get("reason", "")),
                    {n: state.row.get(n) for n in self.table.inputs},
                )
            )


class _ScorecardStep(_Step):
    def __init__(self, sid: str, spec: Mapping[str, Any], schema: TransactionSchema) -> None:
        self.id = sid
        try:
            self.card = Scorecard.from_dict(spec["scorecard"])
        except (KeyError, ValueError) as exc:
            raise FlowError(sid, f"bad scorecard: {exc}") from exc
        for attr in self.card.attributes:
            if attr.field not in schema.fields:
                raise FlowError(sid, f"scorecard reads unknown field {attr.field!r}")
        self.adds = {"scorecard_points": FieldType.FLOAT}

    def run(self, state: _State, res: Resources) -> None:
        result = self.card.score(state.row)
        state.row["scorecard_points"] = float(result.points)


class _ModelStep(_Step):
    def __init__(
        self,
        sid: str,
        spec: Mapping[str, Any],
        load_model: ModelLoader,
        builders: Mapping[str, FeatureBuilder],
        fields: Mapping[str, FieldType],
    ) -> None:
        self.id = sid
        self.name = str(spec.get("model", ""))
        feature_set = str(spec.get("features", ""))
        if feature_set not in builders:
            raise FlowError(sid, f"features must be one of {', '.join(builders)}")
        self.build = builders[feature_set]
        try:
            self.model = load_model(self.name)
        except (FileNotFoundError, KeyError, ValueError) as exc:
            raise FlowError(sid, f"model {self.name!r} cannot be loaded: {exc}") from exc
        self.top_k = int(spec.get("reason_codes", 3))
        self.adds = {"model_score": FieldType.FLOAT}

    def run(self, state: _State, res: Resources) -> None:
        x = self.build(state.row, state.row)
        state.row["model_score"] = float(self.model.score_row(x))
        state.explain.append(lambda: self.reasons(x))

    def reasons(self, x: np.ndarray) -> list[dict[str, Any]]:
        """TreeSHAP reason codes: costly (~0.5 ms), so computed only for adverse decisions."""
        names = self.model.feature_names_
        return [
            {
                "feature": name,
                "contribution": round(float(contribution), 4),
                "value": _plain(x[names.index(name)]),
            }
            for name, contribution in self.model.reason_codes(x, self.top_k)
            if contribution > 0
        ]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


@dataclass
class Thresholds:
    score_field: str | None
    review: float | None
    decline: float | None
    higher_is_riskier: bool


class Flow:
    """A compiled flow; build once per released version, call `decide` per transaction."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        *,
        version: int = 0,
        load_model: ModelLoader | None = None,
        feature_builders: Mapping[str, FeatureBuilder] | None = None,
    ) -> None:
        self.spec = dict(spec)
        self.name = str(spec.get("name") or "")
        if not self.name:
            raise FlowError("flow", "needs a 'name'")
        self.version = version
        self.business = str(spec.get("business", ""))
        try:
            self.schema = TransactionSchema(dict(spec.get("schema") or {}))
        except ValueError as exc:
            raise FlowError("schema", str(exc)) from exc
        if not self.schema.fields:
            raise FlowError("schema", "declare the transaction's fields and types")
        self.entity_key = str(spec.get("entity_key", ""))
        if self.entity_key and self.entity_key not in self.schema.fields:
            raise FlowError("entity_key", f"unknown field {self.entity_key!r}")
        self.parties = self._parties(spec.get("parties") or {})
        fields: dict[str, FieldType] = dict(self.schema.fields)
        self.steps: list[_Step] = []
        seen: set[str] = set()
        for i, step_spec in enumerate(spec.get("steps") or []):
            sid = str(step_spec.get("id") or f"step{i + 1}")
            if sid in seen:
                raise FlowError(sid, "duplicate step id")
            seen.add(sid)
            step = self._step(sid, step_spec, fields, load_model, feature_builders or {})
            fields.update(step.adds)
            self.steps.append(step)
        self.fields = fields
        self.thresholds = self._thresholds(spec.get("decision") or {}, fields)

    def _parties(self, spec: Mapping[str, Any]) -> list[Party]:
        parties = []
        for role, p in spec.items():
            key = str(p.get("key", ""))
            if key not in self.schema.fields:
                raise FlowError(f"parties.{role}", f"key {key!r} is not a field")
            parties.append(
                Party(
                    role,
                    str(p.get("label", role)),
                    key,
                    str(p.get("tag", role)),
                    dict(p.get("reasons") or {}),
                    dict(p.get("advice") or {}),
                )
            )
        if not parties:
            raise FlowError("parties", "name at least one party to give a risk hint to")
        return parties

    def _step(
        self,
        sid: str,
        spec: Mapping[str, Any],
        fields: Mapping[str, FieldType],
        load_model: ModelLoader | None,
        builders: Mapping[str, FeatureBuilder],
    ) -> _Step:
        kind = spec.get("type")
        schema = TransactionSchema(dict(fields))
        if kind == "lists":
            return _ListsStep(sid, spec, fields)
        if kind == "velocity":
            return _VelocityStep(sid, spec, fields)
        if kind == "rules":
            return _RulesStep(sid, spec, schema)
        if kind == "decision_table":
            return _TableStep(sid, spec, schema)
        if kind == "scorecard":
            return _ScorecardStep(sid, spec, schema)
        if kind == "model":
            if load_model is None:
                raise FlowError(sid, "no model loader given")
            return _ModelStep(sid, spec, load_model, builders, fields)
        raise FlowError(
            sid,
            f"unknown step type {kind!r}; use lists, velocity, rules, decision_table, "
            "scorecard or model",
        )

    @staticmethod
    def _thresholds(spec: Mapping[str, Any], fields: Mapping[str, FieldType]) -> Thresholds:
        score_field = spec.get("score")
        if score_field is not None and score_field not in fields:
            raise FlowError("decision.score", f"no step provides {score_field!r}")
        review, decline = spec.get("review"), spec.get("decline")
        higher = spec.get("risk", "higher") == "higher"
        if review is not None and decline is not None:
            ordered = review <= decline if higher else review >= decline
            if not ordered:
                raise FlowError("decision", "review threshold must come before decline")
        return Thresholds(score_field, review, decline, higher)

    def _score_outcome(self, value: float) -> Outcome:
        t = self.thresholds

        def past(limit: float | None) -> bool:
            if limit is None:
                return False
            return value >= limit if t.higher_is_riskier else value <= limit

        if past(t.decline):
            return "decline"
        if past(t.review):
            return "review"
        return "approve"

    def decide(self, transaction: Mapping[str, Any], resources: Resources) -> Decision:
        """Raises rules.RowError (with `.field`) when the transaction lacks or mistypes a field."""
        state = _State(self.schema.validate_row(transaction))
        for step in self.steps:
            step.run(state, resources)
        row = state.row
        score = None
        if self.thresholds.score_field is not None:
            score = float(row[self.thresholds.score_field])
            state.outcomes.append(self._score_outcome(score))
        if any(h["list"] == "allow" for h in state.list_hits) and not any(
            h["list"] == "block" for h in state.list_hits
        ):
            decision: Outcome = "approve"
        else:
            decision = _BY_RANK[max((_RANK[o] for o in state.outcomes), default=0)]
        if decision != "approve":
            # Reason codes explain adverse decisions (as adverse-action notices do);
            # an approval needs none, and skipping them keeps the common path fast.
            for explain in state.explain:
                state.reasons.extend(explain())
        features = {k: _plain(v) for k, v in row.items() if k not in self.schema.fields}
        return Decision(
            decision=decision,
            score=score if self.thresholds.score_field == "model_score" else row.get("model_score"),
            points=row.get("scorecard_points"),
            rules_fired=state.fired,
            list_hits=state.list_hits,
            reason_codes=state.reasons,
            hints=[self._hint(p, decision, state) for p in self.parties],
            features=features,
            flow=self.name,
            version=self.version,
        )

    def _hint(self, party: Party, decision: Outcome, state: _State) -> PartyHint:
        messages = list(dict.fromkeys(state.party_tags.get(party.tag, [])))
        for reason in state.reasons:
            text = party.reasons.get(reason["feature"])
            if text and text not in messages:
                messages.append(text)
        severities = [f.severity for f in state.fired if party.tag in self._tags_of(f)]
        level_rank = _RANK[decision]
        if severities:
            level_rank = max(level_rank, 2 if max(severities) >= 70 else 1)
        level = _LEVELS[level_rank]
        advice = party.advice.get(decision, "")
        return PartyHint(party.role, party.label, level, advice, messages)

    def _tags_of(self, fired: FiredRule) -> tuple[str, ...]:
        for step in self.steps:
            if isinstance(step, _RulesStep) and step.id == fired.step:
                return step.ruleset_tags.get(fired.rule_id, ())
        return ()
