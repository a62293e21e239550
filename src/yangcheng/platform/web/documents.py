"""What the document pages show, computed from capability responses; no web here.

A scenario's `DocumentPage` names capabilities whose responses are plain JSON.
These helpers turn them into what a template can lay out without logic: the
versions of a document with their roles and applicable actions, the document
as editable YAML (and back), and a test report as headline figures and a
per-rule table.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from yangcheng.platform.web.forms import FieldError

# Which statuses each life-cycle action applies to; a row offers only those that can work.
ROW_ACTIONS: dict[str, tuple[str, ...]] = {
    "approve": ("draft",),
    "activate": ("approved", "retired"),
    "shadow": ("approved",),
    "challenger": ("approved",),
}
# Actions about a role rather than a status: offered on the row holding the role.
ROLE_ACTIONS: dict[str, str] = {
    "rollback": "active",
    "clear_shadow": "shadow",
    "clear_challenger": "challenger",
}
ACTION_LABELS = {
    "approve": "Approve",
    "activate": "Activate",
    "rollback": "Roll back",
    "shadow": "Run as shadow",
    "challenger": "Make challenger",
    "clear_shadow": "Stop shadow",
    "clear_challenger": "Stop challenger",
}
ACTION_CONFIRM = {
    "activate": "Activate this version? It will decide live traffic at once.",
    "rollback": "Roll back to the version that was active before this one?",
}

MAX_YAML_CHARS = 512 * 1024
MAX_NODES = 200_000


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Role:
    name: str  # active, challenger or shadow
    share: float | None = None

    @property
    def label(self) -> str:
        if self.share is not None:
            return f"{self.name} · {percent(self.share, 0)}"
        return self.name


@dataclass(frozen=True)
class VersionRow:
    version: int
    status: str
    author: str
    approver: str
    note: str
    roles: tuple[Role, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    name: str
    versions: tuple[VersionRow, ...]
    active: int | None
    challenger: int | None
    challenger_share: float
    shadow: int | None

    def row(self, version: int | None) -> VersionRow | None:
        return next((v for v in self.versions if v.version == version), None)

    @property
    def latest(self) -> VersionRow | None:
        return self.versions[-1] if self.versions else None

    @property
    def default_version(self) -> int | None:
        """What the document view opens on: the active version, else the latest."""
        if self.active is not None and self.row(self.active) is not None:
            return self.active
        return self.latest.version if self.latest else None

    @property
    def save_hint(self) -> str:
        latest = self.latest
        if latest is None:
            return "Saving creates version 1 as a draft."
        if latest.status == "draft":
            return f"v{latest.version} is still a draft: saving replaces it."
        return f"Saving creates draft v{latest.version + 1}."


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def documents_of(listing: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The documents in a list capability's response (``documents`` or ``flows``)."""
    for key in ("documents", "flows"):
        found = listing.get(key)
        if isinstance(found, list):
            return [d for d in found if isinstance(d, Mapping)]
    for found in listing.values():
        if isinstance(found, list) and all(isinstance(d, Mapping) for d in found):
            return list(found)
    return []


def document_from(raw: Mapping[str, Any], actions: Sequence[str]) -> Document:
    active = as_int(raw.get("active"))
    challenger = as_int(raw.get("challenger"))
    shadow = as_int(raw.get("shadow"))
    share_raw = raw.get("challenger_share")
    share = float(share_raw) if isinstance(share_raw, int | float) else 0.0
    rows = []
    versions = [v for v in raw.get("versions") or () if isinstance(v, Mapping)]
    # A rollback needs an earlier active version, which is retired now.
    can_roll_back = any(v.get("status") == "retired" for v in versions)
    for v in versions:
        if as_int(v.get("version")) is None:
            continue
        number = as_int(v.get("version"))
        assert number is not None
        status = _text(v.get("status")) or "unknown"
        roles = []
        if number == active:
            roles.append(Role("active"))
        if number == challenger:
            roles.append(Role("challenger", share))
        if number == shadow:
            roles.append(Role("shadow"))
        held = {r.name for r in roles}
        offered = tuple(
            a
            for a in actions
            if (a in ROW_ACTIONS and status in ROW_ACTIONS[a])
            or (a in ROLE_ACTIONS and ROLE_ACTIONS[a] in held)
            or (a not in ROW_ACTIONS and a not in ROLE_ACTIONS)
            if a != "rollback" or can_roll_back
        )
        # The status badge already says "active"; the role column names only the others.
        shown = tuple(r for r in roles if not (r.name == "active" and status == "active"))
        rows.append(
            VersionRow(
                version=number,
                status=status,
                author=_text(v.get("created_by") or v.get("author")),
                approver=_text(v.get("approved_by") or v.get("approver")),
                note=_text(v.get("note")),
                roles=shown,
                actions=offered,
            )
        )
    rows.sort(key=lambda r: r.version)
    return Document(
        name=_text(raw.get("name")),
        versions=tuple(rows),
        active=active,
        challenger=challenger,
        challenger_share=share,
        shadow=shadow,
    )


def action_message(action: str, version: int | None, doc: Document | None) -> str:
    """What a successful action did, said in words."""
    v = f"v{version}" if version is not None else "the version"
    if action == "approve":
        return f"{v} approved."
    if action == "activate":
        return f"{v} is now active."
    if action == "rollback":
        now = f"v{doc.active}" if doc is not None and doc.active is not None else "the previous"
        return f"Rolled back: {now} is active again."
    if action == "shadow":
        return f"{v} now runs in shadow beside the active version."
    if action == "challenger":
        if doc is not None and doc.challenger == version:
            return f"{v} is challenger for {percent(doc.challenger_share, 0)} of traffic."
        return f"{v} is challenger."
    if action == "clear_shadow":
        return "Shadow stopped."
    if action == "clear_challenger":
        return "Challenger stopped; the active version takes all traffic."
    return f"{action_label(action)}: done."


# --- YAML ---------------------------------------------------------------------------------


class _FlowMap(dict[str, Any]):
    """A short mapping inside a list (a rule, say): one line, as people write them."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent a list under its key, as the shipped documents are written.
        super().increase_indent(flow, False)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_leaf(value: Any) -> bool:
    return _is_scalar(value) or (isinstance(value, list) and all(_is_scalar(x) for x in value))


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> Any:
    flow = bool(data) and all(_is_scalar(x) for x in data) and len(data) <= 16
    items = [
        _FlowMap(x) if isinstance(x, dict) and x and all(_is_leaf(v) for v in x.values()) else x
        for x in data
    ]
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


def _represent_flow_map(dumper: yaml.SafeDumper, data: _FlowMap) -> Any:
    return dumper.represent_mapping("tag:yaml.org,2002:map", dict(data), flow_style=True)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_FlowMap, _represent_flow_map)


# Keys that say what a mapping is: shown first, whatever order the document came back in
# (a store that keeps JSON with sorted keys would otherwise put ``description`` first).
LEADING_KEYS = ("name", "id", "type", "kind", "title")


def _lead(value: Any) -> Any:
    if isinstance(value, dict):
        first = [k for k in LEADING_KEYS if k in value]
        keys = first + [k for k in value if k not in first]
        return {k: _lead(value[k]) for k in keys}
    if isinstance(value, list):
        return [_lead(x) for x in value]
    return value


def to_yaml(content: Any) -> str:
    """The document as YAML, identifying keys first; short list items stay on one line."""
    text: str = yaml.dump(
        _lead(content),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100_000,
    )
    return text


def _pad(before: str) -> str:
    """Blanks as wide as ``before`` in a monospace font (CJK characters take two cells)."""
    return "".join(
        "  " if unicodedata.east_asian_width(c) in ("W", "F") else "\t" if c == "\t" else " "
        for c in before
    )


@dataclass(frozen=True)
class YamlProblem:
    """Where the text stopped being YAML: 1-based line and column, and that line."""

    line: int
    column: int
    message: str
    excerpt: str

    @property
    def caret(self) -> str:
        return _pad(self.excerpt[: max(self.column - 1, 0)]) + "^"


def _non_json(value: Any, path: str, budget: list[int]) -> str | None:
    """Why ``value`` cannot be sent as JSON, naming where; None when it can."""
    budget[0] -= 1
    if budget[0] < 0:
        return f"the document is too large (over {MAX_NODES:,} values)"
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str):
                return f"{where}: keys must be text; quote {key!r}"
            found = _non_json(item, where, budget)
            if found:
                return found
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _non_json(item, f"{path}[{i}]", budget)
            if found:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path}: {value} is not a number JSON can carry"
    if _is_scalar(value):
        return None
    kind = type(value).__name__
    return f"{path}: a {kind} is not plain data; quote it to make it text"


def parse_yaml(text: str) -> tuple[dict[str, Any] | None, list[FieldError], YamlProblem | None]:
    """The document a developer typed, or why it is not one (line and column for syntax)."""
    if len(text) > MAX_YAML_CHARS:
        message = f"the document is too long ({len(text):,} characters; at most {MAX_YAML_CHARS:,})"
        return None, [FieldError("content", message)], None
    if not text.strip():
        return None, [FieldError("content", "the document is empty")], None
    try:
        content = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context and exc.context_mark is not None:
            start = exc.context_mark
            problem += f" ({exc.context} from line {start.line + 1}, column {start.column + 1})"
        if mark is None:
            return None, [FieldError("content", f"YAML syntax error: {problem}")], None
        line, column = mark.line + 1, mark.column + 1
        lines = text.splitlines()
        excerpt = lines[mark.line] if mark.line < len(lines) else ""
        message = f"YAML syntax error at line {line}, column {column}: {problem}"
        return (
            None,
            [FieldError("content", message)],
            YamlProblem(line, column, message, excerpt),
        )
    except yaml.YAMLError as exc:
        return None, [FieldError("content", f"YAML syntax error: {exc}")], None
    if not isinstance(content, dict):
        kind = "nothing" if content is None else f"a {type(content).__name__}"
        message = f"the document must be a YAML mapping (key: value lines), not {kind}"
        return None, [FieldError("content", message)], None
    found = _non_json(content, "", [MAX_NODES])
    if found:
        return None, [FieldError("content", found)], None
    return content, [], None


_RULE_AT = re.compile(r"rule '(?P<id>[^']+)' \((?P<expr>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\)")
_POSITION = re.compile(r"at position (?P<pos>\d+)")


@dataclass(frozen=True)
class Pointer:
    """A capability error that names a rule and a character: shown under its expression."""

    rule_id: str
    expression: str
    position: int | None
    line: int | None

    @property
    def caret(self) -> str:
        return _pad(self.expression[: self.position or 0]) + "^"


def _unrepr(quoted: str) -> str:
    """The expression inside Python's repr of it (how the message quotes it)."""
    try:
        value = ast.literal_eval(quoted)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return quoted[1:-1]
    return value if isinstance(value, str) else quoted[1:-1]


def pointer_for(message: str, text: str) -> Pointer | None:
    """Best effort: find "rule 'id' ('expr') at position N" and the line declaring that id."""
    found = _RULE_AT.search(message)
    if found is None:
        return None
    rule_id = found["id"]
    at = _POSITION.search(message, found.end())
    declares = re.compile(r"\bid:\s*['\"]?" + re.escape(rule_id) + r"['\"]?\s*(?:[,}#]|$)")
    line = next(
        (i for i, row in enumerate(text.splitlines(), start=1) if declares.search(row)), None
    )
    return Pointer(rule_id, _unrepr(found["expr"]), int(at["pos"]) if at else None, line)


# --- test reports -------------------------------------------------------------------------


def percent(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str
    note: str = ""
    tone: str = ""  # "up", "down" or "" for the note


@dataclass(frozen=True)
class RuleBar:
    rule_id: str
    hits: int
    precision: float | None
    width: float

    @property
    def band(self) -> str:
        """How often a hit was a true case: colours the bar."""
        if self.precision is None:
            return "none"
        return "high" if self.precision >= 0.5 else "mid" if self.precision >= 0.2 else "low"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Report:
    figures: tuple[Figure, ...]
    facts: tuple[Fact, ...]
    rules: tuple[RuleBar, ...]
    has_rules: bool
    raw: Mapping[str, Any]


RATES = ("recall", "precision", "hit_rate", "approval_rate", "decline_recall")
HEADLINE = (
    ("recall", "Recall", "of the known bad cases flagged"),
    ("precision", "Precision", "of flagged cases truly bad"),
    ("f1", "F1", "balance of recall and precision"),
    ("hit_rate", "Hit rate", "of all cases flagged"),
    ("approval_rate", "Approval rate", ""),
    ("score_auc", "Score AUC", "ranking quality of the score"),
)
BAR_WIDTH = 160.0


def _is_rate(key: str) -> bool:
    return key in RATES or key.endswith("_rate") or key.endswith("_recall")


def _show(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and _is_rate(key):
        return percent(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _approval_note(data: Mapping[str, Any]) -> tuple[str, str]:
    change = _num(data.get("approval_rate_change"))
    base = data.get("baseline_version")
    if change is None:
        return "of all cases approved", ""
    against = f"active v{base}" if base is not None else "the active version"
    points = 100 * change
    if abs(points) < 0.05:
        return f"no change vs {against}", ""
    return f"{points:+.1f} pp vs {against}", "up" if points > 0 else "down"


def report_from(data: Mapping[str, Any]) -> Report:
    """Headline figures as cards, other numbers as facts, rules as a sorted bar table."""
    figures = []
    for key, label, note in HEADLINE:
        if key not in data:
            continue
        tone = ""
        if key == "approval_rate":
            note, tone = _approval_note(data)
        elif key == "recall" and _num(data.get("baseline_recall")) is not None:
            base = data.get("baseline_version")
            note = f"active v{base}: {percent(float(data['baseline_recall']))}"
        elif key == "score_auc" and data.get(key) is None:
            note = "no score in this version"
        figures.append(Figure(key, label, _show(key, data.get(key)), note, tone))
    used = {k for k, _, _ in HEADLINE} | {
        "rules",
        "approval_rate_change",
        "baseline_recall",
        "baseline_approval_rate",
    }
    facts = tuple(
        Fact(key.replace("_", " ").capitalize(), _show(key, value))
        for key, value in data.items()
        if key not in used and (value is None or _is_scalar(value))
    )
    bars: list[RuleBar] = []
    raw_rules = data.get("rules")
    has_rules = isinstance(raw_rules, list)
    if isinstance(raw_rules, list):
        stats = [
            (
                str(r.get("rule_id", r.get("id", "?"))),
                as_int(r.get("hits")) or 0,
                _num(r.get("precision")),
            )
            for r in raw_rules
            if isinstance(r, Mapping)
        ]
        stats.sort(key=lambda s: (-s[1], s[0]))
        top = max((hits for _, hits, _ in stats), default=0)
        bars = [
            RuleBar(rule, hits, precision, round(BAR_WIDTH * hits / top, 1) if top else 0.0)
            for rule, hits, precision in stats
        ]
    return Report(tuple(figures), facts, tuple(bars), has_rules, data)
