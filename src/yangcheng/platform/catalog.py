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
class DashboardPage:
    """A live console page drawn from one capability that answers with a ``Dashboard``.

    Served at ``/console/live/{slug}``. ``status_capability`` is called with ``{}`` (so every
    request field needs a default) and returns a response with a ``dashboard`` field shaped
    as ``yangcheng.platform.panels.Dashboard``; the console draws it again every
    ``refresh_s`` seconds (at least 1).
    """

    slug: str
    title: str
    group: str
    description: str
    status_capability: str
    refresh_s: int = 5


@dataclass(frozen=True)
class ReviewPage:
    """An operator's queue: items waiting for a human verdict, judged one at a time.

    Served at ``/console/review/{slug}`` (the queue) and ``/console/review/{slug}/{id}``
    (one item; ids must not contain ``/``). The capabilities, in
    ``yangcheng.platform.panels`` shapes:

    - ``queue_capability``: request ``{"limit": int}`` (the console asks for 50), returns a
      ``ReviewQueue`` of pending items, in the order an operator should take them;
    - ``item_capability``: request ``{"id": str}``, returns a ``ReviewItem`` (judged or not);
      ``InvalidInput("id", ...)`` means there is no such item (the console's 404 page);
    - ``verdict_capability``: request ``{"id": str, "verdict": str, "reason": str}``, with
      ``needs_caller=True``: the console calls it with the signed-in operator as caller.
      ``verdict`` is one of ``verdicts``; ``reason`` is the offered reason chosen and the
      operator's own words joined by " — ", or "" when neither is given. Refusals
      (``InvalidInput``: already judged, a reason required) are shown on the item.

    ``verdicts`` are the buttons, ``reasons`` the reasons offered (at least one verdict).
    """

    slug: str
    title: str
    group: str
    description: str
    queue_capability: str
    item_capability: str
    verdict_capability: str
    verdicts: tuple[str, ...] = ("accept", "reject")
    reasons: tuple[str, ...] = ()


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
    jobs_only: bool = False
    """Long-running (minutes to hours): served only as a platform job, never inside an HTTP
    request; a synchronous call is answered 409 with where to send it."""

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
        self.dashboards: dict[str, DashboardPage] = {}
        self.reviews: dict[str, ReviewPage] = {}
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

    def _check_page(self, slug: str, group: str, capabilities: tuple[str | None, ...]) -> None:
        """A page's capabilities lie in its group; its slug names one page of any kind."""
        for cap in capabilities:
            if cap is not None and not cap.startswith(group + "."):
                raise ValueError(f"page {slug}: capability {cap} is not in group {group}")
        if slug in self.pages or slug in self.dashboards or slug in self.reviews:
            raise ValueError(f"console page {slug!r} registered twice")

    def add_page(self, page: DocumentPage) -> None:
        self._check_page(
            page.slug,
            page.group,
            (
                page.list_capability,
                page.get_capability,
                page.save_capability,
                page.action_capability,
                page.test_capability,
            ),
        )
        self.pages[page.slug] = page

    def add_dashboard(self, page: DashboardPage) -> None:
        self._check_page(page.slug, page.group, (page.status_capability,))
        if page.refresh_s < 1:
            raise ValueError(f"page {page.slug}: refresh_s must be at least 1 second")
        self.dashboards[page.slug] = page

    def add_review_page(self, page: ReviewPage) -> None:
        self._check_page(
            page.slug,
            page.group,
            (page.queue_capability, page.item_capability, page.verdict_capability),
        )
        if not page.verdicts:
            raise ValueError(f"page {page.slug}: a review page needs at least one verdict")
        self.reviews[page.slug] = page

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
