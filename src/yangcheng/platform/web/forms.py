"""HTML forms generated from a capability's request JSON schema, and back again.

Capabilities are added by scenarios the console knows nothing about, so the
"try it" form cannot be hand-written: it is derived from the same schema the
API publishes. Anything the form cannot express well (arrays, nested objects,
unions) falls back to a JSON text area, so every request stays reachable. A field named
``*_base64`` (a string, or a list of strings) holds files (images, recordings, DICOS scans),
so it is a file picker: the console base64-encodes what is chosen, as an API client would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from yangcheng.platform.catalog import InvalidInput

Kind = Literal["text", "number", "checkbox", "select", "date", "datetime", "json", "file", "files"]
FILE_SUFFIX = "_base64"
WHOLE_BODY = "request_json"


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind
    required: bool = False
    help: str = ""
    choices: Mapping[str, Any] = field(default_factory=dict)
    json_type: str = "string"
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    placeholder: str = ""

    @property
    def step(self) -> str:
        return "1" if self.json_type == "integer" else "any"

    @property
    def dom_id(self) -> str:
        return "field-" + self.name


@dataclass(frozen=True)
class FormSpec:
    fields: tuple[FormField, ...]
    whole_body: bool = False

    @property
    def takes_files(self) -> bool:
        """Whether the form must be sent as multipart (it has a file picker)."""
        return any(f.kind in ("file", "files") for f in self.fields)


@dataclass(frozen=True)
class FieldError:
    """One reason a request was refused, tied to the field a developer must fix."""

    field: str
    message: str

    @property
    def dom_id(self) -> str | None:
        head = self.field.split(".")[0]
        return "field-" + head if head and not head.startswith("(") else None


def text(value: Any) -> str:
    """The string a form control holds for ``value`` (JSON spelling for booleans)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref``s (pydantic puts enums and sub-models under ``$defs``)."""
    seen = 0
    while "$ref" in node and seen < 20:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            break
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        node = merged
        seen += 1
    if "allOf" in node and len(node["allOf"]) == 1:
        inner = _resolve(schema, node["allOf"][0])
        node = {**inner, **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def _field(
    schema: Mapping[str, Any], name: str, raw: Mapping[str, Any], required: bool
) -> FormField:
    node = _resolve(schema, raw)
    label = str(raw.get("title") or node.get("title") or name)
    help_text = str(raw.get("description") or node.get("description") or "")
    variants = node.get("anyOf") or node.get("oneOf")
    nullable = False
    if variants:
        concrete = [_resolve(schema, v) for v in variants if v.get("type") != "null"]
        nullable = len(concrete) < len(variants)
        if len(concrete) != 1:
            return FormField(name, label, "json", required, help_text, json_type="any")
        node = {**concrete[0], **{k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}}
    if "const" in node and "enum" not in node:
        node = {**node, "enum": [node["const"]]}
    kind_type = node.get("type")
    # An empty control means "use the default", so say what the default is.
    default = raw.get("default")
    placeholder = ""
    if default is not None:
        placeholder = "default: " + (
            json.dumps(default) if isinstance(default, list | dict) else text(default)
        )
    common: dict[str, Any] = {"required": required, "help": help_text, "placeholder": placeholder}
    if "enum" in node:
        return FormField(
            name, label, "select", choices={text(v): v for v in node["enum"]}, **common
        )
    if kind_type == "boolean":
        if nullable:
            # A checkbox cannot say "not given"; a three-way select can.
            return FormField(
                name,
                label,
                "select",
                choices={"true": True, "false": False},
                json_type="boolean",
                **common,
            )
        return FormField(name, label, "checkbox", json_type="boolean", **common)
    if kind_type in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        return FormField(
            name, label, "number", json_type=kind_type, minimum=low, maximum=high, **common
        )
    if name.endswith(FILE_SUFFIX):
        items = _resolve(schema, node.get("items", {})) if kind_type == "array" else {}
        if kind_type == "string":
            return FormField(name, label, "file", **common)
        if items.get("type") == "string":
            return FormField(name, label, "files", json_type="array", **common)
    if kind_type == "string":
        fmt = node.get("format")
        kind: Kind = "date" if fmt == "date" else "datetime" if fmt == "date-time" else "text"
        return FormField(name, label, kind, max_length=node.get("maxLength"), **common)
    return FormField(name, label, "json", json_type=str(kind_type or "any"), **common)


def form_spec(schema: Mapping[str, Any]) -> FormSpec:
    """One control per top-level property, in the order the model declares them."""
    props = _resolve(schema, schema).get("properties")
    if not isinstance(props, Mapping) or not props:
        whole = FormField(
            WHOLE_BODY, "Request (JSON)", "json", True, "The whole request body.", json_type="any"
        )
        return FormSpec((whole,), whole_body=True)
    required = set(schema.get("required", ()))
    return FormSpec(tuple(_field(schema, n, p, n in required) for n, p in props.items()))


def example_values(spec: FormSpec, example: Mapping[str, Any]) -> dict[str, str]:
    """Form control contents that reproduce ``example``."""
    if spec.whole_body:
        return {WHOLE_BODY: json.dumps(example, indent=2, ensure_ascii=False)}
    values: dict[str, str] = {}
    for f in spec.fields:
        if f.name not in example or f.kind in ("file", "files"):  # a file picker cannot be filled
            continue
        value = example[f.name]
        if f.kind == "json":
            values[f.name] = json.dumps(value, indent=2, ensure_ascii=False)
        else:
            values[f.name] = text(value)
    return values


def _number(raw: str, json_type: str) -> Any:
    """Parse what the browser sent; leave it a string if unparsable so pydantic names it."""
    if json_type == "integer":
        try:
            return int(raw)
        except ValueError:
            pass
    try:
        return float(raw)
    except ValueError:
        return raw


def to_payload(spec: FormSpec, form: Mapping[str, str]) -> tuple[Any, list[FieldError]]:
    """Typed request from form strings; empty optional controls are left out.

    Dropping empties lets the model's defaults apply rather than sending
    ``""`` where the schema expects a number, a date or null.
    """
    errors: list[FieldError] = []
    payload: dict[str, Any] = {}
    for f in spec.fields:
        if f.kind == "checkbox":
            payload[f.name] = form.get(f.name, "") in ("true", "on")
            continue
        raw = form.get(f.name, "").strip()
        if raw == "":
            continue
        if f.kind == "select":
            payload[f.name] = f.choices.get(raw, raw)
        elif f.kind == "number":
            payload[f.name] = _number(raw, f.json_type)
        elif f.kind == "files":  # the console's uploads, as a JSON list of base64 strings
            payload[f.name] = json.loads(raw)
        elif f.kind == "json":
            try:
                payload[f.name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                errors.append(
                    FieldError(
                        f.name,
                        f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                    )
                )
        else:
            payload[f.name] = raw
    if spec.whole_body:
        return payload.get(WHOLE_BODY, {}), errors
    return payload, errors


def validation_field_errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        out.append(FieldError(loc or "(request)", str(err["msg"])))
    return out


def invalid_input_errors(exc: InvalidInput) -> list[FieldError]:
    return [FieldError(exc.field or "(request)", exc.reason)]
