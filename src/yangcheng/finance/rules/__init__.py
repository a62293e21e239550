"""Expert rules for transaction risk: typed rules, rule sets, decision tables, scorecards,
entity lists and velocity features.

Rules use the `rule-engine` expression language (compiled and type-checked, never `eval`), so an
analyst's rule is data that can be reviewed, versioned and rejected with a position before it
reaches traffic.
"""

from __future__ import annotations

from .compile import CompiledRule, InvalidRule, RuleEvaluationError, compile_rule
from .lists import ENTITY_TYPES, HASHED_ENTITY_TYPES, ListHit, ListKind, ListStore, mask
from .ruleset import Outcome, Rule, RuleHit, RuleSet, RuleSetError
from .schema import FieldType, MissingField, RowError, TransactionSchema, WrongType
from .scorecard import Attribute, Bin, Contribution, Scorecard, ScorecardError, ScoreResult
from .table import DecisionTable, HitPolicy, TableCellError, TableRow
from .velocity import DEFAULT_WINDOWS_S, VelocityStore

__all__ = [
    "DEFAULT_WINDOWS_S",
    "ENTITY_TYPES",
    "HASHED_ENTITY_TYPES",
    "Attribute",
    "Bin",
    "CompiledRule",
    "Contribution",
    "DecisionTable",
    "FieldType",
    "HitPolicy",
    "InvalidRule",
    "ListHit",
    "ListKind",
    "ListStore",
    "MissingField",
    "Outcome",
    "RowError",
    "Rule",
    "RuleEvaluationError",
    "RuleHit",
    "RuleSet",
    "RuleSetError",
    "ScoreResult",
    "Scorecard",
    "ScorecardError",
    "TableCellError",
    "TableRow",
    "TransactionSchema",
    "VelocityStore",
    "WrongType",
    "compile_rule",
    "mask",
]
