"""The console's links to the pages scenarios declare as data, one place for their URLs.

Document pages, live dashboards and review queues share the top bar and the catalog,
so their slugs are unique across the three kinds (the registry checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from yangcheng.platform.catalog import DashboardPage, DocumentPage, Registry, ReviewPage

__all__ = ["ConsoleLink", "console_links", "live_url", "review_url"]


@dataclass(frozen=True)
class ConsoleLink:
    """One declared page as the top bar and the catalog list it."""

    key: str
    """Matches the ``nav`` a page renders with, so the top bar marks the current one."""
    url: str
    title: str
    group: str
    description: str


def live_url(page: DashboardPage) -> str:
    return f"/console/live/{quote(page.slug, safe='')}"


def review_url(page: ReviewPage, item_id: str | None = None) -> str:
    url = f"/console/review/{quote(page.slug, safe='')}"
    if item_id is not None:
        url += f"/{quote(item_id, safe='')}"
    return url


def _document_url(page: DocumentPage) -> str:
    return f"/console/pages/{quote(page.slug, safe='')}"


def console_links(registry: Registry) -> list[ConsoleLink]:
    """Document pages, then dashboards, then review queues, each in registration order."""
    links = [
        ConsoleLink(f"page:{p.slug}", _document_url(p), p.title, p.group, p.description)
        for p in registry.pages.values()
    ]
    links += [
        ConsoleLink(f"live:{p.slug}", live_url(p), p.title, p.group, p.description)
        for p in registry.dashboards.values()
    ]
    links += [
        ConsoleLink(f"review:{p.slug}", review_url(p), p.title, p.group, p.description)
        for p in registry.reviews.values()
    ]
    return links
