"""The QC checklist: which measured facts make a recording fail, as finance rules.

A bank's compliance team, not its engineers, decides what fails a dual recording (how much of
the script must be read, how long the face may leave the frame). Writing the checklist in the
same rule language as the risk flows means the team edits thresholds as reviewed data, a typo is
refused with its position when the checklist is loaded, and every failure names the values it
read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from yangcheng.finance.rules import RuleSet, RuleSetError, TransactionSchema

__all__ = [
    "Checklist",
    "ChecklistError",
    "RuleVerdict",
    "Verdict",
    "default_checklist",
    "load_checklist",
]

Verdict = Literal["pass", "review", "fail"]


class ChecklistError(ValueError):
    """A checklist document that cannot be used; the message names the rule or key."""


@dataclass(frozen=True)
class RuleVerdict:
    id: str
    description: str
    passed: bool
    outcome: str
    severity: int
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checklist:
    rules: RuleSet

    @property
    def name(self) -> str:
        return self.rules.name

    @property
    def version(self) -> str:
        return self.rules.version

    @property
    def metrics(self) -> frozenset[str]:
        return frozenset(self.rules.schema.fields)

    def evaluate(self, metrics: Mapping[str, Any]) -> tuple[Verdict, list[RuleVerdict]]:
        """Every rule with passed/failed; the verdict is 'fail' if a decline rule fired."""
        hits = {hit.rule_id: hit for hit in self.rules.evaluate(metrics)}
        verdicts = []
        for rule in self.rules.rules:
            hit = hits.get(rule.id)
            values = dict(hit.values_read) if hit else {}
            verdicts.append(
                RuleVerdict(
                    rule.id, rule.description, hit is None, rule.outcome, rule.severity, values
                )
            )
        outcomes = {hit.outcome for hit in hits.values()}
        verdict: Verdict = "fail" if "decline" in outcomes else "review" if outcomes else "pass"
        return verdict, verdicts


def load_checklist(document: Mapping[str, Any] | str | Path) -> Checklist:
    """A checklist from a parsed document, YAML text, or a YAML file path."""
    if isinstance(document, Path):
        document = document.read_text(encoding="utf-8")
    if isinstance(document, str):
        try:
            document = yaml.safe_load(document)
        except yaml.YAMLError as exc:
            raise ChecklistError(f"checklist is not valid YAML: {exc}") from None
    if not isinstance(document, Mapping):
        raise ChecklistError("a checklist is a mapping with name, version, schema and rules")
    try:
        schema = TransactionSchema.from_dict(document.get("schema") or {})
        return Checklist(RuleSet.from_dict(document, schema))
    except (RuleSetError, ValueError) as exc:
        raise ChecklistError(f"checklist: {exc}") from None


def default_checklist() -> Checklist:
    text = resources.files(__package__).joinpath("checklists/default.yaml").read_text("utf-8")
    return load_checklist(text)
