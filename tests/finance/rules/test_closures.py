"""Rules evaluated as closures give rule-engine's answers, value for value and error for error.

The closures (`yangcheng.finance.rules._closures`) replace rule-engine's AST walk on the hot path.
They may decline a row (and rule-engine then decides), but when they answer, the answer must be
the one rule-engine gives. These tests hold them to that on every rule of the shipped flows and on
a grid of expressions covering each operator, over rows generated with edge values.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rule_engine
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_engine import ast as re_ast
from rule_engine import errors as re_errors

import yangcheng.finance
from yangcheng.finance.decision import WINDOWS_S, Flow
from yangcheng.finance.rules import (
    CompiledRule,
    RuleEvaluationError,
    TransactionSchema,
    compile_rule,
)
from yangcheng.finance.rules._checks import iter_nodes
from yangcheng.finance.rules._closures import translate
from yangcheng.finance.rules.compile import prepare_row
from yangcheng.finance.rules.schema import DECIMAL_CONTEXT

FLOW_FILES = sorted((Path(yangcheng.finance.__file__).parent / "flows").glob("*.yaml"))
UTC = dt.UTC
PLUS8 = dt.timezone(dt.timedelta(hours=8))

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the schema a flow's rules step sees ----------------------------------------------------------


def rules_step(spec: Mapping[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(fields, rules) of a flow's rules step: the schema plus what earlier steps add.

    The same fields `decision.Flow` accumulates: list flags, velocity features per entity and
    window, the model score and the scorecard points.
    """
    fields = {name: str(kind) for name, kind in spec["schema"].items()}
    for step in spec["steps"]:
        kind = step["type"]
        if kind == "rules":
            return fields, list(step["rules"])
        if kind == "lists":
            fields.update({f"list_{k}": "bool" for k in ("block", "allow", "watch")})
        elif kind == "velocity":
            fields.update(
                {
                    f"{entity}_{stat}_{window}s": "float"
                    for entity in step["entities"]
                    for window in WINDOWS_S
                    for stat in ("count", "sum")
                }
            )
        elif kind == "model":
            fields["model_score"] = "float"
        elif kind == "scorecard":
            fields["scorecard_points"] = "float"
        else:
            raise AssertionError(f"teach rules_step about {kind!r} steps")
    raise AssertionError("flow has no rules step")


def load_flow(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(spec, dict)
    return spec


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.stem)
def test_rules_step_schema_is_the_one_the_flow_builds(path: Path) -> None:
    spec = load_flow(path)
    fields, rules = rules_step(spec)
    assert rules, "a shipped flow without rules would test nothing"
    assert spec["steps"][-1]["type"] == "rules"  # so the flow's final fields are the step's
    features = {s["features"] for s in spec["steps"] if s["type"] == "model"}
    flow = Flow(
        spec,
        load_model=lambda name: object(),
        feature_builders={f: lambda row, feats: None for f in features},
    )
    assert {name: kind.value for name, kind in flow.fields.items()} == fields


# -- rows with edge values ------------------------------------------------------------------------


def _literals(expressions: Iterable[str], schema: TransactionSchema) -> list[Any]:
    found: list[Any] = []
    for expression in expressions:
        tree = rule_engine.Rule(expression, schema.context()).statement.expression
        found.extend(
            node.value
            for node in iter_nodes(tree)
            if isinstance(
                node,
                re_ast.FloatExpression | re_ast.StringExpression | re_ast.DatetimeExpression,
            )
        )
    return found


def _float_edges(literals: list[Any]) -> list[float]:
    edges = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e300, -1e300, 5e-324, 1.7976931348623157e308]
    for value in literals:
        if isinstance(value, decimal.Decimal) and abs(value) < 10**300:
            f = float(value)
            edges += [f, -f, f + 1, f - 1]
            edges += [math.nextafter(f, math.inf), math.nextafter(f, -math.inf)]
    return edges


def _int_edges(literals: list[Any]) -> list[int]:
    edges = [0, 1, -1, 2, 3, 7, 10**30, -(10**30), 2**64]
    for value in literals:
        if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
            edges += [int(value), int(value) + 1, int(value) - 1, -int(value)]
    return edges


def _str_edges(literals: list[Any]) -> list[str]:
    edges = ["", "a", "b", "ab", "ba", "x", "m", "zz", "CN", "HK", "ecom", "atm"]
    return edges + [v for v in literals if isinstance(v, str)]


def _datetime_edges(literals: list[Any]) -> list[dt.datetime]:
    edges = [dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 1, 1)]
    for value in literals:
        if isinstance(value, dt.datetime):
            for step in (dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(hours=1)):
                edges += [value + step, value - step, (value + step).astimezone(PLUS8)]
    return edges


def row_strategy(
    schema: TransactionSchema, names: Iterable[str], literals: list[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "float": st.sampled_from(_float_edges(literals))
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.floats(min_value=-1e6, max_value=1e6).map(lambda f: round(f, 2)),
        "int": st.sampled_from(_int_edges(literals)) | st.integers(),
        "str": st.sampled_from(_str_edges(literals)) | st.text(max_size=4),
        "bool": st.booleans(),
        "datetime": st.sampled_from(_datetime_edges(literals))
        | st.datetimes(
            min_value=dt.datetime(2023, 6, 1),
            max_value=dt.datetime(2024, 12, 31),
            timezones=st.sampled_from([UTC, PLUS8]),
        ),
    }
    return st.fixed_dictionaries({name: kinds[schema.fields[name].value] for name in names})


# -- the equivalence check ------------------------------------------------------------------------

BAILED = object()


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: type[BaseException] | None = None
    message: str | None = None


def outcome(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=call())
    except Exception as error:
        message = getattr(error, "message", None) or getattr(error, "reason", None)
        return Outcome(error=type(error), message=message)


@dataclass(frozen=True)
class Case:
    """A rule compiled for the fast path, with the fully typed rule-engine rule as reference."""

    rule: CompiledRule
    reference: rule_engine.Rule
    may_bail: bool = False


def check(case: Case, row: Mapping[str, Any]) -> None:
    schema, rule = case.rule.schema, case.rule
    typed, engine = prepare_row(schema, row, rule.field_order)
    expected = outcome(lambda: bool(case.reference.evaluate(typed)))
    # compile.py evaluates an untyped twin of the rule; it must agree with the typed rule
    assert outcome(lambda: bool(rule._rule.evaluate(engine))) == expected, (rule, row)

    closure = rule._closure
    assert closure is not None, rule
    try:
        got = closure(engine)
    except Exception:
        got = BAILED
    if got is BAILED:
        # a prepared row only leaves the closures where rule-engine fails too
        assert case.may_bail or expected.error is not None, (rule, row, expected)
    else:
        assert type(got) is bool, (rule, row, got)
        assert Outcome(value=got) == expected, (rule, row, got, expected)

    public = outcome(lambda: rule.matches_prepared(engine))
    if expected.error is None:
        assert public == expected, (rule, row)
    elif issubclass(expected.error, re_errors.EngineError):
        assert public == Outcome(error=RuleEvaluationError, message=expected.message), (rule, row)
    else:
        assert public.error is expected.error, (rule, row)


# -- every rule of the shipped flows --------------------------------------------------------------


@dataclass(frozen=True)
class FlowCase:
    cases: tuple[Case, ...]
    rows: st.SearchStrategy[dict[str, Any]]


@functools.cache
def flow_case(path: Path) -> FlowCase:
    fields, rules = rules_step(load_flow(path))
    schema = TransactionSchema(fields)
    expressions = [str(r["expression"]) for r in rules]
    cases = tuple(
        Case(compile_rule(e, schema), rule_engine.Rule(e, schema.context())) for e in expressions
    )
    read = sorted(frozenset().union(*(c.rule.fields for c in cases)))
    return FlowCase(cases, row_strategy(schema, read, _literals(expressions, schema)))


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.stem)
def test_every_shipped_rule_is_translated(path: Path) -> None:
    untranslated = [c.rule.expression for c in flow_case(path).cases if c.rule._closure is None]
    assert untranslated == []


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.stem)
@EXAMPLES
@given(data=st.data())
def test_shipped_flow_rules_agree_with_rule_engine(path: Path, data: st.DataObject) -> None:
    case = flow_case(path)
    row = data.draw(case.rows)
    for rule_case in case.cases:
        check(rule_case, row)


# -- a grid of expressions covering every translated operator -------------------------------------

GRID_SCHEMA = TransactionSchema(
    {
        "a": "float",
        "b": "float",
        "n": "int",
        "m": "int",
        "s": "str",
        "t": "str",
        "flag": "bool",
        "other": "bool",
        "when": "datetime",
    }
)

GRID = [
    # comparisons: numbers, strings, booleans, datetimes, null, literals on either side
    "a == b",
    "a != b",
    "a < b",
    "a <= b",
    "a > b",
    "a >= b",
    "a == 0",
    "a != 0.5",
    "a < -1",
    "a > 1e3",
    "a >= 5e-324",
    "n >= 3",
    "n == 3.0",
    "n == 0x10",
    "a == n",
    "0 < a",
    "s == t",
    "s != ''",
    "s < t",
    's >= "m"',
    '"x" == s',
    "flag == other",
    "flag != true",
    "flag == true",
    "flag < other",
    'when < d"2024-01-01"',
    'when >= d"2024-03-01T00:00:00+08:00"',
    'when == d"2024-01-01T00:00:00Z"',
    "a == null",
    "a != null",
    "a > 0 == (b > 0)",
    "[a, b] == [b, a]",
    "[s] == [t]",
    # logic, with rule-engine's short circuit
    "a > 0 and b > 0",
    "a > 0 or b > 0",
    "not flag",
    "not (a > b)",
    "flag",
    "flag and other",
    "flag or other",
    "flag and other or not flag",
    "a > 0 and b > 0 and n > 0 and m > 0",
    "a > 0 or b > 0 or n > 0 or m > 0 or flag",
    "not flag and b != 0 and a / b > 1",
    "flag or b == 0 or a / b > 1",
    "b != 0 and a / b > 1",
    "b == 0 or a / b > 1",
    # arithmetic in rule-engine's decimal context, unary minus, string and datetime arithmetic
    "a + b > 0",
    "a - b < 1",
    "a * b >= 100",
    "a / b > 1",
    "a // b == 0",
    "a % b == 0",
    "n % 7 == 3",
    "n ** 2 > 100",
    "a ** 2 > b",
    "a ** 0.5 > 1",
    "a * 2 > b",
    "2 * a > b",
    "a / 0.5 > b",
    "10 / a > b",
    "a / 3 * 3 == a",
    "a + b + n + m > 100",
    "a * b == b * a",
    "-a > b",
    "-n < 0",
    "-(a - b) <= 0",
    "s + t == 'ab'",
    "s + 'x' == t",
    'when - d"2024-01-01" > t"P1D"',
    'when + t"PT1H" > d"2024-06-01"',
    'when - t"P1D" < d"2024-01-01"',
    # membership in arrays, sets and strings
    "n in [1, 2, 3]",
    "s in ['a', 'b', '']",
    "a in [0, 0.5, 1e300]",
    "3 in [n, m]",
    "n in [a, b]",
    "s in [t, 'x']",
    "n in {1, 2, 3}",
    "not (s in ['x'])",
    "flag in [true]",
    "s in t",
    "'a' in s",
    # ternary, coalesce, regex, length
    "flag ? a > b : n < m",
    "(flag ? a : b) > 0",
    "(a > 0 ? s : t) == 'x'",
    "(flag ? s : 'zz') < t",
    "(a ?? b) > 0",
    "s =~ '^a'",
    "s =~~ 'b'",
    "s !~ 'a$'",
    "s !~~ 'ab'",
    "s.length > 2",
    "t.length == 0",
]
#: shapes the closures leave to rule-engine on every row: rule-engine orders arrays its own way
GRID_MAY_BAIL = ["[a, n] < [b, m]"]


@functools.cache
def grid_case() -> FlowCase:
    expressions = GRID + GRID_MAY_BAIL
    cases = tuple(
        Case(
            compile_rule(e, GRID_SCHEMA),
            rule_engine.Rule(e, GRID_SCHEMA.context()),
            may_bail=e in GRID_MAY_BAIL,
        )
        for e in expressions
    )
    literals = _literals(expressions, GRID_SCHEMA)
    return FlowCase(cases, row_strategy(GRID_SCHEMA, GRID_SCHEMA.fields, literals))


def test_every_grid_expression_is_translated() -> None:
    assert [c.rule.expression for c in grid_case().cases if c.rule._closure is None] == []


@EXAMPLES
@given(data=st.data())
def test_grid_expressions_agree_with_rule_engine(data: st.DataObject) -> None:
    case = grid_case()
    row = data.draw(case.rows)
    for rule_case in case.cases:
        check(rule_case, row)


GRID_ROW = {
    "a": 2.5,
    "b": 0.0,
    "n": 3,
    "m": -4,
    "s": "ab",
    "t": "",
    "flag": True,
    "other": False,
    "when": "2024-03-01T00:00:00+08:00",
}


@pytest.mark.parametrize("expression", GRID + GRID_MAY_BAIL)
def test_grid_expression_on_a_fixed_row(expression: str) -> None:
    """Each expression by name, on a row with a zero divisor, an empty string and a threshold."""
    check(
        Case(
            compile_rule(expression, GRID_SCHEMA),
            rule_engine.Rule(expression, GRID_SCHEMA.context()),
            may_bail=expression in GRID_MAY_BAIL,
        ),
        GRID_ROW,
    )


# -- untyped rules on values of every kind --------------------------------------------------------
#
# The typed compile rejects most mixed-type comparisons, so the flows never show the closures a
# boolean next to a number. `translate` must still be right there: untyped rules, mixed values.

UNTYPED = [
    "x == y",
    "x != y",
    "x == 1",
    "x != 1",
    "x == true",
    "x != true",
    "x == 'a'",
    "x != 'a'",
    "x == null",
    "null == x",
    "x > y",
    "x >= 1",
    "x < 'm'",
    "x <= y",
    "x in [1, 'a', true, null]",
    "x in [y, z]",
    "x in y",
    "x in {1, 2}",
    "x and y",
    "x or y",
    "x and y and z",
    "x or y or z",
    "x and y and z and x",
    "not x",
    "x ? y : z",
    "(x ?? y) == z",
    "x + y == z",
    "x - y",
    "x * y",
    "x / y",
    "x // y",
    "x % 2",
    "x ** y",
    "-x",
    "x =~ 'a'",
    "x !~~ 'b'",
    "x.length == 1",
    "[x, y] == [y, x]",
    "[x] == y",
]
UNTYPED_VALUES: list[Any] = [
    decimal.Decimal(0),
    decimal.Decimal(1),
    decimal.Decimal("1.0"),
    decimal.Decimal("-2.5"),
    decimal.Decimal("1E+30"),
    True,
    False,
    "",
    "a",
    "ab",
    "m",
    None,
    b"a",
    dt.datetime(2024, 1, 1, tzinfo=UTC),
    dt.timedelta(hours=1),
    (decimal.Decimal(1), "a"),
    (),
    {decimal.Decimal(1), decimal.Decimal(2)},
    # values prepare_row never produces: the closures must step aside for them
    1,
    1.0,
    dt.datetime(2024, 1, 1),
    [decimal.Decimal(1)],
    decimal.Decimal("NaN"),
]


@functools.cache
def untyped_rules() -> tuple[tuple[rule_engine.Rule, Callable[[Any], bool]], ...]:
    context = rule_engine.Context(default_timezone="utc", decimal_context=DECIMAL_CONTEXT)
    rules = []
    for expression in UNTYPED:
        rule = rule_engine.Rule(expression, context)
        closure = translate(rule.statement.expression, DECIMAL_CONTEXT)
        assert closure is not None, expression
        rules.append((rule, closure))
    return tuple(rules)


@EXAMPLES
@given(
    row=st.fixed_dictionaries({name: st.sampled_from(UNTYPED_VALUES) for name in ("x", "y", "z")})
)
def test_untyped_rules_on_mixed_values_agree_with_rule_engine(row: dict[str, Any]) -> None:
    for rule, closure in untyped_rules():
        expected = outcome(lambda rule=rule: bool(rule.evaluate(row)))
        try:
            got = closure(row)
        except Exception:
            continue  # the caller asks rule-engine
        assert type(got) is bool, (rule, row)
        assert Outcome(value=got) == expected, (rule, row)


# -- what the closures leave to rule-engine -------------------------------------------------------

UNSUPPORTED = [
    "s.as_upper == 'AB'",
    "s == s.as_lower",
    "$now > when",
    "[x for x in [a, b] if x > 0].length == 1",
    "s[0] == 'a'",
    "s[1:] == t",
    "n & 1 == 1",
]


@pytest.mark.parametrize("expression", UNSUPPORTED)
def test_unsupported_constructs_fall_back_to_rule_engine(expression: str) -> None:
    rule = compile_rule(expression, GRID_SCHEMA)
    assert rule._closure is None
    reference = rule_engine.Rule(expression, GRID_SCHEMA.context())
    for row in (GRID_ROW, {**GRID_ROW, "s": "AB", "n": 4, "t": "b", "a": -1.0}):
        assert rule.matches(row) == bool(reference.evaluate(GRID_SCHEMA.validate_row(row)))


def test_a_failing_row_raises_rule_engines_error() -> None:
    rule = compile_rule("a / b > 1", GRID_SCHEMA)
    with pytest.raises(RuleEvaluationError) as caught:
        rule.matches({**GRID_ROW, "b": 0})
    assert caught.value.reason == "arithmetic error: division by zero"
    rule = compile_rule("a ** 0.5 > 1", GRID_SCHEMA)
    with pytest.raises(RuleEvaluationError, match="arithmetic error"):
        rule.matches({**GRID_ROW, "a": -4.0})
    rule = compile_rule("a > 1", GRID_SCHEMA)
    with pytest.raises(RuleEvaluationError, match="a"):
        rule.matches_prepared({"b": decimal.Decimal(1)})


@pytest.mark.parametrize(
    ("expression", "engine_row"),
    [
        # values prepare_row never produces: rule-engine coerces them, the closures step aside
        ("a == 1.5", {"a": 1.5}),
        ("a == 2", {"a": 2}),
        ("n in [1, 2]", {"n": 2}),
        ("s == 'x'", {"s": "x"}),
        ('when == d"2024-01-01"', {"when": dt.datetime(2024, 1, 1)}),
        ("a > 1", {"a": 3.0}),
        ("a > b", {"a": 2, "b": decimal.Decimal(1)}),
        ("a + b > 1", {"a": 1.0, "b": 1}),
        ("a == b", {"a": [1, 2], "b": (decimal.Decimal(1), decimal.Decimal(2))}),
    ],
)
def test_unprepared_values_get_rule_engines_answer(
    expression: str, engine_row: dict[str, Any]
) -> None:
    rule = compile_rule(expression, GRID_SCHEMA)
    assert rule._closure is not None
    assert rule.matches_prepared(engine_row) is bool(rule._rule.evaluate(engine_row)) is True


@pytest.mark.parametrize("expression", ["a > 1", "a == 1", "a in [1, 2]", "a + 1 > 0"])
def test_non_finite_decimals_get_rule_engines_answer(expression: str) -> None:
    rule = compile_rule(expression, GRID_SCHEMA)
    for special in ("NaN", "sNaN", "Infinity", "-Infinity"):
        row = {"a": decimal.Decimal(special)}
        expected = outcome(lambda r=row: bool(rule._rule.evaluate(r)))
        got = outcome(lambda r=row: rule.matches_prepared(r))
        if expected.error is not None and issubclass(expected.error, re_errors.EngineError):
            assert got.error is RuleEvaluationError
        else:
            assert got == expected, special


def test_arithmetic_uses_the_rule_context_not_the_threads() -> None:
    row = {**GRID_ROW, "a": 1.111, "b": 1.111}
    exact = compile_rule("a * b == 1.234321", GRID_SCHEMA)
    inexact = compile_rule("a / 3 > 0", GRID_SCHEMA)
    with decimal.localcontext(decimal.Context(prec=2, traps=[])) as thread:
        assert exact.matches(row)
        assert inexact.matches(row)
        # rule-engine evaluates in a copy of its context: the caller's flags stay clear
        assert not thread.flags[decimal.Inexact]
        assert not thread.flags[decimal.Rounded]
    assert not DECIMAL_CONTEXT.flags[decimal.Inexact]


def test_translate_declines_arithmetic_without_trapping_contexts() -> None:
    tree = rule_engine.Rule("a * 2 > 1").statement.expression
    assert translate(tree, DECIMAL_CONTEXT) is not None
    assert translate(tree, decimal.Context(traps=[])) is None
    comparison = rule_engine.Rule("a > 1").statement.expression
    assert translate(comparison, decimal.Context(traps=[])) is not None


def test_closures_return_plain_bools() -> None:
    _, engine = prepare_row(GRID_SCHEMA, GRID_ROW)
    for expression in ["flag", "a", "s", "flag ? s : t", "(a ?? b)", "a + b"]:
        tree = rule_engine.Rule(expression).statement.expression
        closure = translate(tree, DECIMAL_CONTEXT)
        assert closure is not None
        assert closure(engine) is bool(rule_engine.Rule(expression).evaluate(engine))
