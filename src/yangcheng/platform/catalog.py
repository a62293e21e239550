"""The capability registry: what scenarios publish and the platform serves.

Scenarios never import the platform's web layer; they hand a ``register``
function to the ``yangcheng.capabilities`` entry-point group, and the
platform discovers them here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from yangcheng.cards import DatasetCard, ModelCard

ENTRY_POINT_GROUP = "yangcheng.capabilities"
SCOPE_GROUPS = ("finance", "security", "education", "radiotherapy")


class UnknownCapability(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no capability named {name!r}")
        self.name = name


class InvalidInput(ValueError):
    """Raised by a capability when a request is well-typed but wrong in substance."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Caller:
    """Who invoked a capability, for capabilities that record authorship (approvals, audit)."""

    email: str
    organisation: str
    key_prefix: str = ""


@dataclass(frozen=True)
class DocumentPage:
    """A console page for versioned documents a scenario manages through capabilities.

    Data only, so scenarios declare pages without importing the web layer. The
    console lists documents with ``list_capability`` (response: ``{"flows"|
    "documents": [{"name", "versions": [...], "active", ...}]}``), shows one with
    ``get_capability`` (request ``{"name", "version"}``, response ``{"release",
    "content"}``), saves drafts with ``save_capability`` (request ``{"name",
    "content"}``), runs life-cycle actions with ``action_capability`` (request
    ``{"name", "action", "version"}``) and tests a version with
    ``test_capability`` (request ``{"name", "version", ...}``).
    """

    slug: str
    title: str
    group: str
    description: str
    list_capability: str
    get_capability: str
    save_capability: str
    action_capability: str
    test_capability: str | None = None
    actions: tuple[str, ...] = ("approve", "activate", "rollback")


@dataclass(frozen=True)
class Capability:
    """A typed operation: validated request in, validated response out."""

    name: str
    version: str
    group: str
    summary: str
    request_model: type[BaseModel]
    response_model: type[BaseModel]
    handler: Callable[..., BaseModel]
    description: str = ""
    card: dict[str, Any] = field(default_factory=dict)
    examples: tuple[dict[str, Any], ...] = ()
    needs_caller: bool = False

    def __post_init__(self) -> None:
        if self.group not in SCOPE_GROUPS:
            raise ValueError(f"capability {self.name}: group must be one of {SCOPE_GROUPS}")
        if not self.name.startswith(self.group + "."):
            raise ValueError(f"capability {self.name}: name must start with '{self.group}.'")

    def invoke(
        self, payload: dict[str, Any] | BaseModel, caller: Caller | None = None
    ) -> BaseModel:
        """Validate ``payload``, run the handler, validate what it returns.

        Raises pydantic.ValidationError for a malformed request and InvalidInput
        for one the capability rejects on substance. A capability that
        ``needs_caller`` gets the caller as its second argument, and refuses to
        run anonymously.
        """
        request = (
            payload
            if isinstance(payload, self.request_model)
            else self.request_model.model_validate(
                payload.model_dump() if isinstance(payload, BaseModel) else payload
            )
        )
        if self.needs_caller:
            if caller is None:
                raise InvalidInput(
                    "caller", f"{self.name} records who calls it; call it with a key"
                )
            response = self.handler(request, caller)
        else:
            response = self.handler(request)
        if not isinstance(response, self.response_model):
            response = self.response_model.model_validate(response)
        return response


class Registry:
    """Capabilities, models and datasets known to this process."""

    def __init__(self) -> None:
        self.capabilities: dict[str, Capability] = {}
        self.models: dict[str, ModelCard] = {}
        self.datasets: dict[str, DatasetCard] = {}
        self.pages: dict[str, DocumentPage] = {}
        self._configure_hooks: list[Callable[[Path], None]] = []

    def add_capability(self, capability: Capability) -> None:
        if capability.name in self.capabilities:
            raise ValueError(f"capability {capability.name!r} registered twice")
        self.capabilities[capability.name] = capability

    def add_model(self, card: ModelCard) -> None:
        self.models[f"{card.name}@{card.version}"] = card

    def add_dataset(self, card: DatasetCard) -> None:
        self.datasets[f"{card.name}@{card.version}"] = card

    def on_configure(self, hook: Callable[[Path], None]) -> None:
        """Run ``hook(data_home)`` when a platform (or a job worker) configures this registry."""
        self._configure_hooks.append(hook)

    def configure(self, home: Path) -> None:
        """Point the scenarios' own stores at the platform's data folder."""
        for hook in self._configure_hooks:
            hook(Path(home))

    def add_page(self, page: DocumentPage) -> None:
        for cap in (
            page.list_capability,
            page.get_capability,
            page.save_capability,
            page.action_capability,
            page.test_capability,
        ):
            if cap is not None and not cap.startswith(page.group + "."):
                raise ValueError(f"page {page.slug}: capability {cap} is not in group {page.group}")
        if page.slug in self.pages:
            raise ValueError(f"console page {page.slug!r} registered twice")
        self.pages[page.slug] = page

    def get(self, name: str) -> Capability:
        try:
            return self.capabilities[name]
        except KeyError:
            raise UnknownCapability(name) from None

    def validate_request(self, name: str, payload: Any) -> BaseModel:
        return self.get(name).request_model.model_validate(payload)


_discovered: Registry | None = None


def discover(*, fresh: bool = False) -> Registry:
    """Registry of every installed scenario's capabilities (cached per process)."""
    global _discovered
    if _discovered is not None and not fresh:
        return _discovered
    registry = Registry()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        register = ep.load()
        register(registry)
    _discovered = registry
    return registry


def validation_errors(
    exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> list[dict[str, Any]]:
    """Pydantic errors in FastAPI's 422 shape, with ``loc`` naming the field."""
    return [
        {"loc": [*prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False)
    ]
