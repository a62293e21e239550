"""Live dashboards and review queues that scenarios declare as data.

A toy scenario of group ``security`` publishes a status capability (a ``Dashboard``) and a
review queue over an in-memory dict; the console must draw and drive both knowing nothing
about what a bag or an alarm is.
"""

from __future__ import annotations

import base64
import html
import itertools
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from tests.browser import chromium_page, serve, sign_in_and_open
from yangcheng.config import Settings
from yangcheng.platform import Capability, DashboardPage, Registry, ReviewPage, create_app
from yangcheng.platform.auth import create_key
from yangcheng.platform.catalog import Caller, InvalidInput
from yangcheng.platform.panels import (
    Chart,
    Dashboard,
    ReviewItem,
    ReviewQueue,
    ReviewSummary,
    Series,
    Table,
    Tile,
)
from yangcheng.platform.store import UsageEvent, upgrade
from yangcheng.platform.web.series_charts import series_chart

LIVE = "/console/live/line"
QUEUE = "/console/review/bags"
OPERATOR = "operator@airport.example.cn"
SECOND = "second@airport.example.cn"
T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


# --- the toy scenario -----------------------------------------------------------------------


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusOut(BaseModel):
    dashboard: Dashboard


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=500)


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str


class VerdictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    verdict: Literal["clear", "confirm"]
    reason: str = ""


class VerdictOut(BaseModel):
    id: str
    verdict: str
    verdict_by: str


THROUGHPUT = Chart(
    title="Throughput",
    y_unit="bags/min",
    series=[
        Series(name="lane A", points=[(T0 + 60 * i, 10 + i) for i in range(6)]),
        Series(name="lane B", points=[(T0 + 60 * i, 4 + 2 * i) for i in range(6)]),
    ],
)
DASHBOARD = Dashboard(
    title="Hall 2 sorting line",
    generated_at=T0 + 360,
    tiles=[
        Tile(label="Bags screened", value=38400, unit="bags/h", level="ok", hint="Last hour"),
        Tile(label="Alarms pending", value=7, level="alarm", hint="Waiting for an operator"),
    ],
    charts=[
        THROUGHPUT,
        Chart(title="Divert rate", series=[Series(name="divert", points=[])]),
        Chart(
            title="Alarms per hour",
            kind="bar",
            series=[
                Series(name="confirmed", points=[(T0 + 3600 * h, h % 3) for h in range(8)]),
                Series(name="cleared", points=[(T0 + 3600 * h, 4 + h % 2) for h in range(8)]),
            ],
        ),
    ],
    tables=[
        Table(
            title="Lanes",
            columns=["Lane", "Bags", "Alarm rate"],
            rows=[["A", 1234, 0.031], ["B <b>", 987, None]],
        )
    ],
    note="Counts since 00:00 UTC.",
)


def _png_base64(width: int = 96, height: int = 64) -> str:
    image = np.full((height, width, 3), 235, np.uint8)
    cv2.rectangle(image, (30, 12), (70, 40), (40, 90, 160), -1)
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


PNG = _png_base64()


@dataclass
class Bags:
    """The toy scenario's state: bags waiting for an operator, and who judged what."""

    items: dict[str, ReviewItem] = field(default_factory=dict)
    created: dict[str, float] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def add(self, bag_id: str, created_at: float, alarm: bool = True) -> None:
        self.items[bag_id] = ReviewItem(
            id=bag_id,
            title=f"Bag {bag_id}",
            level="alarm" if alarm else "warn",
            facts={"lane": "A", "weight_kg": 12.5, "detector": "yolo <v8>"},
            annotated_image={
                "png_base64": PNG,
                "width": 96,
                "height": 64,
                "boxes": [
                    {
                        "x": 30,
                        "y": 12,
                        "w": 40,
                        "h": 28,
                        "label": "knife",
                        "alarm": True,
                        "score": 0.91,
                    }
                ],
            },
        )
        self.created[bag_id] = created_at

    def status(self, _: Empty) -> StatusOut:
        self.calls.append("status")
        return StatusOut(dashboard=DASHBOARD)

    def queue(self, req: QueueIn) -> ReviewQueue:
        pending = sorted(
            (i for i in self.items.values() if i.verdict is None), key=lambda i: self.created[i.id]
        )
        return ReviewQueue(
            pending=len(pending),
            items=[
                ReviewSummary(
                    id=i.id,
                    title=i.title,
                    level=i.level,
                    facts=i.facts,
                    created_at=self.created[i.id],
                )
                for i in pending[: req.limit]
            ],
        )

    def item(self, req: ItemIn) -> ReviewItem:
        if req.id not in self.items:
            raise InvalidInput("id", f"no bag {req.id!r}")
        return self.items[req.id]

    def verdict(self, req: VerdictIn, caller: Caller) -> VerdictOut:
        item = self.item(ItemIn(id=req.id))
        if item.verdict is not None:
            raise InvalidInput("id", f"already judged {item.verdict!r} by {item.verdict_by}")
        if req.verdict == "confirm" and not req.reason:
            raise InvalidInput("reason", "say why the alarm is confirmed")
        self.items[req.id] = item.model_copy(
            update={
                "verdict": req.verdict,
                "verdict_reason": req.reason,
                "verdict_by": caller.email,
            }
        )
        return VerdictOut(id=req.id, verdict=req.verdict, verdict_by=caller.email)


def _broken(_: Empty) -> StatusOut:
    raise RuntimeError("sensor bus down")


def _malformed(_: Empty) -> dict[str, object]:
    return {"dashboard": {"title": "no time"}}


class Anything(BaseModel):
    model_config = ConfigDict(extra="allow")


def _cap(name: str, req: type[BaseModel], resp: type[BaseModel], handler: object) -> Capability:
    return Capability(
        name=name,
        version="0.1.0",
        group="security",
        summary=name,
        request_model=req,
        response_model=resp,
        handler=handler,  # type: ignore[arg-type]
        needs_caller=req is VerdictIn,
    )


def make_registry() -> tuple[Registry, Bags]:
    bags = Bags()
    for n in range(3):
        bags.add(f"b{n + 1}", time.time() - 600 + 60 * n)
    registry = Registry()
    registry.add_capability(_cap("security.test.status", Empty, StatusOut, bags.status))
    registry.add_capability(_cap("security.test.broken", Empty, StatusOut, _broken))
    registry.add_capability(_cap("security.test.malformed", Empty, Anything, _malformed))
    registry.add_capability(_cap("security.test.queue", QueueIn, ReviewQueue, bags.queue))
    registry.add_capability(_cap("security.test.item", ItemIn, ReviewItem, bags.item))
    registry.add_capability(_cap("security.test.verdict", VerdictIn, VerdictOut, bags.verdict))
    registry.add_dashboard(
        DashboardPage(
            slug="line",
            title="Sorting line",
            group="security",
            description="Throughput and alarms, live.",
            status_capability="security.test.status",
            refresh_s=5,
        )
    )
    for slug, cap in (
        ("broken", "security.test.broken"),
        ("malformed", "security.test.malformed"),
        ("absent", "security.test.absent"),
    ):
        registry.add_dashboard(DashboardPage(slug, slug.title(), "security", "", cap))
    registry.add_review_page(
        ReviewPage(
            slug="bags",
            title="Alarm review",
            group="security",
            description="Bags the detector flagged.",
            queue_capability="security.test.queue",
            item_capability="security.test.item",
            verdict_capability="security.test.verdict",
            verdicts=("clear", "confirm"),
            reasons=("false alarm", "prohibited item seen"),
        )
    )
    return registry, bags


# --- fixtures -------------------------------------------------------------------------------


@dataclass
class Keys:
    operator: str
    second: str
    teacher: str


@dataclass
class Console:
    app: FastAPI
    client: TestClient
    keys: Keys
    bags: Bags

    def sign_in(self, key: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/console/login", data={"key": key}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def judge(self, bag_id: str, **form: str) -> object:
        return self.client.post(f"{QUEUE}/{bag_id}", data=form, follow_redirects=False)


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keys]:
    """Migrate and create keys once; each test gets a copy (scrypt and Alembic are slow)."""
    home = tmp_path_factory.mktemp("panels-seed")
    settings = Settings(home=home, executor="thread")
    upgrade(settings.resolved_database_url)
    app = create_app(settings, registry=make_registry()[0])
    with app.state.platform.db.session() as s:
        operator, _ = create_key(s, email=OPERATOR, organisation="Airport", scopes=["security"])
        second, _ = create_key(s, email=SECOND, organisation="Airport", scopes=["security"])
        teacher, _ = create_key(
            s, email="teacher@school.example.cn", organisation="School", scopes=["education"]
        )
    app.state.platform.db.dispose()
    return home / "yangcheng.db", Keys(operator=operator, second=second, teacher=teacher)


def _app_on_copy(seeded: tuple[Path, Keys], home: Path) -> tuple[FastAPI, Bags]:
    source, _ = seeded
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", home / f"yangcheng.db{suffix}")
    registry, bags = make_registry()
    return create_app(Settings(home=home, executor="thread"), registry=registry), bags


@pytest.fixture
def console(seeded_db: tuple[Path, Keys], tmp_path: Path) -> Iterator[Console]:
    app, bags = _app_on_copy(seeded_db, tmp_path)
    with TestClient(app) as client:
        c = Console(app=app, client=client, keys=seeded_db[1], bags=bags)
        c.sign_in(c.keys.operator)
        yield c


def text_of(page: str) -> str:
    """The page's visible text, tags dropped and entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def metered(console: Console, path: str) -> list[tuple[str | None, int]]:
    platform = console.app.state.platform
    platform.usage.flush()
    with platform.db.session() as s:
        events = s.scalars(select(UsageEvent).where(UsageEvent.path == path)).all()
    return [(e.capability, e.status_code) for e in events]


# --- navigation -----------------------------------------------------------------------------


def test_nav_and_catalog_link_each_dashboard_and_review_page(console: Console) -> None:
    page = console.client.get("/console").text
    nav = re.search(r'<nav aria-label="Console">(.*?)</nav>', page, re.S)
    assert nav, page
    assert f'<a href="{LIVE}">Sorting line</a>' in nav.group(1)
    assert f'<a href="{QUEUE}">Alarm review</a>' in nav.group(1)
    # The catalog lists them under their scenario, with their descriptions.
    assert f'<a class="button small" href="{LIVE}">Sorting line</a>' in page
    assert "Bags the detector flagged." in page
    # The current page is marked in the nav.
    assert f'<a href="{QUEUE}" aria-current="page">' in console.client.get(QUEUE).text


# --- dashboards -----------------------------------------------------------------------------


def test_dashboard_draws_tiles_charts_and_tables(console: Console) -> None:
    r = console.client.get(LIVE)
    assert r.status_code == 200, text_of(r.text)
    tiles = re.findall(r'<div class="panel-tile level-(\w+)"[^>]*>(.*?)</div>', r.text, re.S)
    assert [(level, text_of(body).strip()) for level, body in tiles] == [
        ("ok", "Bags screened 38,400 bags/h Last hour"),
        ("alarm", "Alarms pending 7 Waiting for an operator"),
    ]
    # Each series is one polyline through its six points, where the geometry puts them.
    geometry = series_chart(THROUGHPUT)
    lines = re.findall(r'<polyline class="line" points="([^"]+)"', r.text)
    assert lines == [s.points for s in geometry.series]
    first = [tuple(map(float, p.split(","))) for p in lines[0].split()]
    assert len(first) == 6
    assert first[0][0] == geometry.left and first[-1][0] == geometry.plot_right
    assert all(a[1] > b[1] for a, b in itertools.pairwise(first))  # rising: y shrinks
    # Time axis labels in UTC, HH:MM; the legend names both series with their latest value.
    chart = re.search(r'<figure class="card series-chart" id="chart-1".*?</figure>', r.text, re.S)
    assert chart
    assert "00:00" in chart.group(0) and "00:05" in chart.group(0)
    assert "lane A 15 bags/min" in text_of(chart.group(0))
    assert "lane B 14 bags/min" in text_of(chart.group(0))
    # A chart whose series is empty says so rather than drawing empty axes.
    empty = re.search(r'id="chart-2".*?</figure>', r.text, re.S)
    assert empty and "No data yet." in empty.group(0) and "<svg" not in empty.group(0)
    # The table, cells escaped, numbers right-aligned, None as a dash.
    cells = re.findall(r"<td([^>]*)>(.*?)</td>", r.text)
    assert [text_of(c).strip() for _, c in cells] == ["A", "1,234", "0.031", "B <b>", "987", "—"]
    assert "<b>" not in r.text
    assert [a == ' class="num"' for a, _ in cells] == [False, True, True] * 2
    assert re.findall(r"<th( [^>]*)?>", r.text) == ["", ' class="num"', ' class="num"']
    assert "Counts since 00:00 UTC." in r.text
    assert "as of 2026-01-01 00:06:00 UTC" in text_of(r.text)
    # And it asks for a fresh panel every refresh_s seconds.
    panel = re.search(r'<div id="live-panel"[^>]*>', r.text)
    assert panel
    assert f'hx-get="{LIVE}/panel"' in panel.group(0)
    assert 'hx-trigger="every 5s"' in panel.group(0)
    assert 'hx-swap="outerHTML"' in panel.group(0)


def test_the_panel_alone_is_what_htmx_swaps_and_it_keeps_polling(console: Console) -> None:
    r = console.client.get(f"{LIVE}/panel", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="live-panel"')
    assert "<html" not in r.text and 'hx-trigger="every 5s"' in r.text
    assert len(re.findall(r"<polyline", r.text)) == 2
    assert console.bags.calls == ["status"]


def test_each_draw_is_metered_under_the_status_capability(console: Console) -> None:
    console.client.get(LIVE)
    console.client.get(f"{LIVE}/panel")
    assert metered(console, LIVE) == [("security.test.status", 200)]
    assert metered(console, f"{LIVE}/panel") == [("security.test.status", 200)]


def test_failing_missing_or_malformed_status_is_a_message_not_a_traceback(
    console: Console,
) -> None:
    r = console.client.get("/console/live/broken")
    assert r.status_code == 500
    assert "security.test.broken failed (RuntimeError)" in text_of(r.text)
    assert 'hx-trigger="every 5s"' in r.text  # a failure may pass: keep asking

    r = console.client.get("/console/live/absent")
    assert r.status_code == 503
    assert "this page needs 'security.test.absent', which is not installed" in text_of(r.text)
    assert "hx-trigger" not in r.text  # asking again cannot install it

    r = console.client.get("/console/live/malformed")
    assert r.status_code == 500
    body = text_of(r.text)
    assert "security.test.malformed did not answer with the Dashboard this page draws" in body
    assert "dashboard.generated_at Field required" in body


def test_a_key_without_the_scope_is_refused_everywhere(console: Console) -> None:
    console.sign_in(console.keys.teacher)
    for path in (LIVE, f"{LIVE}/panel", QUEUE, f"{QUEUE}/b1"):
        r = console.client.get(path)
        assert r.status_code == 403, path
        assert "lacks the &#39;security&#39; scope" in r.text, path
        assert "<polyline" not in r.text and "<img" not in r.text
    assert "hx-trigger" not in console.client.get(LIVE).text
    r = console.judge("b1", verdict="clear")
    assert r.status_code == 403
    assert console.bags.items["b1"].verdict is None
    assert console.bags.calls == []


def test_unknown_pages_and_items_are_404_pages(console: Console) -> None:
    for path in (
        "/console/live/nope",
        "/console/live/nope/panel",
        "/console/review/nope",
        "/console/review/nope/b1",
        f"{QUEUE}/nope",
    ):
        r = console.client.get(path)
        assert r.status_code == 404, path
        assert "<h1>Not found</h1>" in r.text, path
    assert console.judge("nope", verdict="clear").status_code == 404  # type: ignore[attr-defined]
    # A document page's slug is not a dashboard's.
    assert console.client.get("/console/pages/line").status_code == 404


# --- review queues --------------------------------------------------------------------------


def test_queue_lists_pending_items_oldest_first(console: Console) -> None:
    r = console.client.get(QUEUE)
    assert r.status_code == 200
    assert re.search(r'id="pending-count">3<', r.text)
    rows = re.findall(r'<tr id="item-\d+" data-id="([^"]+)"[^>]*>(.*?)</tr>', r.text, re.S)
    assert [bag for bag, _ in rows] == ["b1", "b2", "b3"]
    first = text_of(rows[0][1])
    assert "Bag b1" in first and "alarm" in first
    assert "weight kg 12.5" in first and "detector yolo <v8>" in first
    assert "10 min" in first  # waiting since ten minutes ago
    assert f'href="{QUEUE}/b1"' in rows[0][1]
    assert metered(console, QUEUE) == [("security.test.queue", 200)]


def test_item_page_shows_the_picture_with_boxes_facts_and_verdicts(console: Console) -> None:
    r = console.client.get(f"{QUEUE}/b1")
    assert r.status_code == 200
    assert f'<img src="data:image/png;base64,{PNG}"' in r.text
    assert '<svg viewBox="0 0 96 64"' in r.text
    assert re.search(
        r'<g class="ai-box alarm">.*?<rect x="30.0" y="12.0" width="40.0" height="28.0"',
        r.text,
        re.S,
    )
    assert "knife 0.91" in r.text
    body = text_of(r.text)
    assert "weight kg 12.5" in body and "yolo <v8>" in body
    form = re.search(r'<form id="verdict-form".*?</form>', r.text, re.S)
    assert form
    assert f'method="post" action="{QUEUE}/b1"' in form.group(0)
    buttons = re.findall(r'<button type="submit" name="verdict" value="(\w+)"', form.group(0))
    assert buttons == ["clear", "confirm"]
    options = re.findall(r'<option value="([^"]*)"', form.group(0))
    assert options == ["", "false alarm", "prohibited item seen"]
    assert 'name="reason_text"' in form.group(0)
    assert metered(console, f"{QUEUE}/b1") == [("security.test.item", 200)]


def test_a_verdict_is_recorded_as_the_viewer_and_the_next_item_opens(console: Console) -> None:
    r = console.judge(
        "b1", verdict="confirm", reason_choice="prohibited item seen", reason_text="blade"
    )
    assert r.status_code == 303, text_of(r.text)  # type: ignore[attr-defined]
    assert r.headers["location"] == f"{QUEUE}/b2?judged=b1"  # type: ignore[attr-defined]
    judged = console.bags.items["b1"]
    assert (judged.verdict, judged.verdict_by) == ("confirm", OPERATOR)
    assert judged.verdict_reason == "prohibited item seen — blade"
    nxt = console.client.get(f"{QUEUE}/b2?judged=b1")
    assert "Verdict on b1 recorded." in text_of(nxt.text)
    assert re.search(r'id="pending-count">2<', console.client.get(QUEUE).text)
    assert metered(console, f"{QUEUE}/b1") == [("security.test.verdict", 303)]


def test_the_last_verdict_goes_back_to_the_empty_queue(console: Console) -> None:
    for bag, nxt in (("b1", f"{QUEUE}/b2"), ("b2", f"{QUEUE}/b3"), ("b3", QUEUE)):
        r = console.judge(bag, verdict="clear")
        assert r.headers["location"] == f"{nxt}?judged={bag}"  # type: ignore[attr-defined]
    page = console.client.get(f"{QUEUE}?judged=b3")
    assert re.search(r'id="pending-count">0<', page.text)
    assert "The queue is empty." in page.text
    assert "Nothing is waiting for a verdict." in page.text
    assert {b.verdict_reason for b in console.bags.items.values()} == {""}


def test_a_refused_verdict_is_shown_on_the_item_with_the_capabilitys_words(
    console: Console,
) -> None:
    r = console.judge("b1", verdict="confirm", reason_text="  ")
    assert r.status_code == 422  # type: ignore[attr-defined]
    body = text_of(r.text)  # type: ignore[attr-defined]
    assert "reason say why the alarm is confirmed" in body
    assert 'id="verdict-form"' in r.text and "<img" in r.text  # type: ignore[attr-defined]
    assert console.bags.items["b1"].verdict is None


def test_an_unknown_verdict_is_refused_before_the_capability(console: Console) -> None:
    r = console.judge("b1", verdict="shrug", reason_text="kept <me>")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "choose one of clear, confirm" in text_of(r.text)  # type: ignore[attr-defined]
    assert 'value="kept &lt;me&gt;"' in r.text  # type: ignore[attr-defined]
    assert console.bags.items["b1"].verdict is None


def test_an_item_judged_by_someone_else_is_read_only_and_a_late_verdict_refused(
    console: Console,
) -> None:
    console.sign_in(console.keys.second)
    assert console.judge("b1", verdict="clear", reason_choice="false alarm").status_code == 303  # type: ignore[attr-defined]
    console.sign_in(console.keys.operator)
    r = console.judge("b1", verdict="confirm", reason_text="I saw a blade")
    assert r.status_code == 422  # type: ignore[attr-defined]
    body = text_of(r.text)  # type: ignore[attr-defined]
    assert f"already judged 'clear' by {SECOND}" in body
    assert 'id="verdict-form"' not in r.text  # type: ignore[attr-defined]
    assert f"clear by {SECOND}" in body and "false alarm" in body
    assert console.bags.items["b1"].verdict_by == SECOND
    page = console.client.get(f"{QUEUE}/b1")
    assert page.status_code == 200 and 'id="verdict-form"' not in page.text


# --- in a real browser ----------------------------------------------------------------------


@pytest.fixture
def served(seeded_db: tuple[Path, Keys], tmp_path: Path) -> Iterator[tuple[str, Keys, Bags]]:
    app, bags = _app_on_copy(seeded_db, tmp_path)
    with serve(app) as base:
        yield base, seeded_db[1], bags


@pytest.mark.browser
def test_dashboard_and_review_in_chromium(served: tuple[str, Keys, Bags], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, keys, bags = served
    shots = Path(os.environ.get("YC_SCREENSHOTS") or "/tmp")
    with chromium_page((1280, 900), 30_000) as (page, problems):

        def shot(name: str) -> None:
            # caret="initial": hiding the caret injects a <style> that the page's CSP blocks.
            page.screenshot(path=str(shots / f"panels-{name}.png"), full_page=True, caret="initial")

        sign_in_and_open(page, base, keys.operator, LIVE)
        chart = page.locator("#chart-1 svg")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box and box["width"] > 400 and box["height"] > 150
        expect(page.locator("#chart-1 polyline")).to_have_count(2)
        expect(page.locator(".panel-tile.level-alarm .tile-value")).to_have_text("7")
        expect(page.locator("#chart-3 rect.bar")).to_have_count(16)
        # HTMX swaps a fresh panel in (the toy's status is called again) without errors.
        calls = len(bags.calls)
        page.wait_for_timeout(5600)
        assert len(bags.calls) > calls
        expect(page.locator("#chart-1 polyline")).to_have_count(2)
        shot("dashboard")

        page.click("nav >> text=Alarm review")
        expect(page.locator("#pending-count")).to_have_text("3")
        shot("queue")
        page.click("text=Judge the first item")
        expect(page).to_have_url(f"{base}{QUEUE}/b1")
        image = page.locator(".ai-frame img")
        overlay = page.locator(".ai-frame svg.ai-overlay")
        expect(image).to_be_visible()
        expect(overlay).to_be_visible()
        ib, ob = image.bounding_box(), overlay.bounding_box()
        assert ib and ob and ib["width"] > 300
        assert (round(ib["x"]), round(ib["y"]), round(ib["width"]), round(ib["height"])) == (
            round(ob["x"]),
            round(ob["y"]),
            round(ob["width"]),
            round(ob["height"]),
        )
        expect(page.locator(".ai-box.alarm")).to_have_count(1)
        shot("item")

        page.select_option("#reason-choice", "prohibited item seen")
        page.click("button[data-verdict=confirm]")
        expect(page).to_have_url(f"{base}{QUEUE}/b2?judged=b1")
        expect(page.locator("#judged-message")).to_contain_text("b1")
        assert bags.items["b1"].verdict_by == OPERATOR

        page.click("button[data-verdict=confirm]")  # no reason: the scenario refuses
        expect(page.locator("#verdict-errors")).to_contain_text("say why")
        shot("refused")

        page.goto(f"{base}{QUEUE}/b1")
        expect(page.locator("#verdict")).to_contain_text(f"confirm by {OPERATOR}")
        shot("judged")

        page.set_viewport_size({"width": 420, "height": 860})
        page.goto(f"{base}{QUEUE}/b2")
        shot("item-narrow")
        page.goto(f"{base}{LIVE}")
        expect(page.locator("#chart-1 svg")).to_be_visible()
        shot("dashboard-narrow")
    assert problems == []
