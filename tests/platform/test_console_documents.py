"""Console pages that scenarios declare as data (`DocumentPage`): the finance flows workspace.

The finance engine keeps its files under ``YANGCHENG_HOME``; every test points
that at its own ``tmp_path`` (the same folder as the platform's home) before the
first finance call, so nothing touches ``~/.yangcheng``.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from tests.browser import chromium_page, serve
from yangcheng.config import Settings
from yangcheng.finance.service import register as register_finance
from yangcheng.platform import Capability, DocumentPage, Registry, create_app
from yangcheng.platform.auth import create_key
from yangcheng.platform.catalog import Caller, InvalidInput
from yangcheng.platform.store import UsageEvent, upgrade
from yangcheng.platform.web import documents

FLOWS = "/console/pages/finance-flows"
CARD = f"{FLOWS}/card_payment"
DEV = "dev@bank.example.cn"
REVIEWER = "reviewer@bank.example.cn"


# --- a second, toy page: the console must not assume finance --------------------------------


class NotesList(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotesListOut(BaseModel):
    documents: list[dict[str, Any]]


class NoteGet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: int | None = None


class NoteOut(BaseModel):
    release: dict[str, Any]
    content: dict[str, Any]


class NoteSave(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    content: dict[str, Any]


class NoteAct(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    action: str
    version: int | None = None


NOTE = {"title": "<script>alert('x')</script>", "body": "Tom & Jerry"}
NOTE_VERSION = {
    "version": 1,
    "status": "active",
    "created_by": "<b>author</b>",
    "approved_by": None,
    "note": "<i>first</i>",
}


def _notes_list(_: NotesList) -> NotesListOut:
    return NotesListOut(documents=[{"name": "<img>", "versions": [NOTE_VERSION], "active": 1}])


def _notes_get(req: NoteGet) -> NoteOut:
    if req.name != "<img>":
        raise InvalidInput("name", "no such note")
    return NoteOut(release=NOTE_VERSION, content=NOTE)


def _notes_save(req: NoteSave, caller: Caller) -> dict[str, Any]:
    raise InvalidInput("content.title", f"{caller.email} may not edit <notes>")


def _notes_act(req: NoteAct, caller: Caller) -> dict[str, Any]:
    return {}


def _toy(name: str, req: type[BaseModel], resp: type[BaseModel], handler: Any) -> Capability:
    return Capability(
        name=name,
        version="0.1.0",
        group="education",
        summary=name,
        request_model=req,
        response_model=resp,
        handler=handler,
        needs_caller=req in (NoteSave, NoteAct),
    )


class Anything(BaseModel):
    model_config = ConfigDict(extra="allow")


NOTES_PAGE = DocumentPage(
    slug="notes",
    title="Lesson <notes>",
    group="education",
    description="Teaching notes & <em>drafts</em>.",
    list_capability="education.notes.list",
    get_capability="education.notes.get",
    save_capability="education.notes.save",
    action_capability="education.notes.act",
    actions=("approve", "archive"),
)


def make_registry() -> Registry:
    registry = Registry()
    register_finance(registry)
    registry.add_capability(_toy("education.notes.list", NotesList, NotesListOut, _notes_list))
    registry.add_capability(_toy("education.notes.get", NoteGet, NoteOut, _notes_get))
    registry.add_capability(_toy("education.notes.save", NoteSave, Anything, _notes_save))
    registry.add_capability(_toy("education.notes.act", NoteAct, Anything, _notes_act))
    registry.add_page(NOTES_PAGE)
    return registry


# --- fixtures -------------------------------------------------------------------------------


@dataclass
class Keys:
    dev: str
    reviewer: str
    xray: str


@dataclass
class Console:
    app: FastAPI
    client: TestClient
    keys: Keys

    def sign_in(self, key: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/console/login", data={"key": key}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def hx(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(path, data=data, headers={"HX-Request": "true"})

    def versions(self, name: str = "card_payment") -> dict[int, Any]:
        from yangcheng.finance.service_decide import engine

        return {r.version: r for r in engine().releases.history("flow", name)}


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keys]:
    """Migrate and create keys once; each test gets a copy (scrypt and Alembic are slow)."""
    home = tmp_path_factory.mktemp("documents-seed")
    settings = Settings(home=home, executor="thread")
    upgrade(settings.resolved_database_url)
    app = create_app(settings, registry=make_registry())
    with app.state.platform.db.session() as s:
        dev, _ = create_key(
            s, email=DEV, organisation="Bank", scopes=["finance", "education", "jobs"]
        )
        reviewer, _ = create_key(s, email=REVIEWER, organisation="Bank", scopes=["finance"])
        xray, _ = create_key(
            s, email="xray@airport.example.cn", organisation="Airport", scopes=["security"]
        )
    app.state.platform.db.dispose()
    return home / "yangcheng.db", Keys(dev=dev, reviewer=reviewer, xray=xray)


def _app_on_copy(seeded: tuple[Path, Keys], home: Path) -> FastAPI:
    source, _ = seeded
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", home / f"yangcheng.db{suffix}")
    return create_app(Settings(home=home, executor="thread"), registry=make_registry())


@pytest.fixture
def console(
    seeded_db: tuple[Path, Keys], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Console]:
    # Before anything can open the finance engine: its files go under this test's home.
    monkeypatch.setenv("YANGCHENG_HOME", str(tmp_path))
    app = _app_on_copy(seeded_db, tmp_path)
    with TestClient(app) as client:
        c = Console(app=app, client=client, keys=seeded_db[1])
        c.sign_in(c.keys.dev)
        yield c


def text_of(page: str) -> str:
    """The page's visible text, tags dropped and entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="doc-content"[^>]*>\n?(.*?)</textarea>', page, re.S)
    assert found, page
    return html.unescape(found.group(1))


def row(page: str, version: int) -> str:
    found = re.search(rf'<tr id="card_payment-v{version}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, page
    return found.group(1)


def statuses(page: str) -> dict[int, str]:
    return {
        int(v): s
        for v, s in re.findall(r'<tr id="card_payment-v(\d+)"[^>]*data-status="(\w+)"', page)
    }


def edited(console: Console, review: str = "0.3") -> str:
    text = textarea(console.client.get(CARD).text)
    assert "review: 0.25" in text
    return text.replace("review: 0.25", f"review: {review}")


# --- list and document views ---------------------------------------------------------------


def test_nav_links_each_registered_page(console: Console) -> None:
    page = console.client.get("/console").text
    assert f'<a href="{FLOWS}"' in page
    assert "Decision flows" in page
    # The toy page's title is escaped in the nav too.
    assert "Lesson &lt;notes&gt;" in page and "<notes>" not in page


def test_list_shows_card_payment_v1_active(console: Console) -> None:
    r = console.client.get(FLOWS)
    assert r.status_code == 200
    assert 'aria-current="page">Decision flows' in r.text
    section = re.search(
        r'<section class="card doc-card" id="doc-card_payment">(.*?)</section>', r.text, re.S
    )
    assert section, r.text
    body = text_of(section.group(1))
    assert "active v1" in body
    assert statuses(section.group(1)) == {1: "active"}
    assert "yangcheng:shipped" in body and "yangcheng:release-review" in body
    assert "shipped default" in body
    assert 'id="doc-consumer_credit"' in r.text


def test_list_view_is_metered_under_the_list_capability(console: Console) -> None:
    assert console.client.get(FLOWS).status_code == 200
    platform = console.app.state.platform
    flush = getattr(getattr(platform, "usage", None), "flush", None)
    if flush is not None:
        flush()
    with platform.db.session() as s:
        events = s.scalars(select(UsageEvent).where(UsageEvent.path == FLOWS)).all()
    assert [(e.capability, e.status_code) for e in events] == [("finance.flows.list", 200)]
    assert events[0].developer_id is not None


def test_document_view_shows_the_yaml(console: Console) -> None:
    r = console.client.get(CARD)
    assert r.status_code == 200
    text = textarea(r.text)
    content = yaml.safe_load(text)
    assert content["name"] == "card_payment"
    assert content["decision"]["review"] == 0.25
    assert text.startswith("name: card_payment\n")  # what the document is, first
    # Rules stay one per line, as the shipped file writes them, their id first.
    assert re.search(r"\n +- \{id: amount_not_positive, .*expression: amount_cny <= 0,", text)
    assert 'class="mono editor"' in r.text
    assert "Save as draft" in r.text
    assert statuses(r.text) == {1: "active"}
    assert "Run test" in r.text  # the test panel, since the page names a test capability
    # Explicit version, too.
    assert textarea(console.client.get(f"{CARD}?version=1").text) == text


def test_unknown_page_document_and_version_are_404_pages(console: Console) -> None:
    for path in (
        "/console/pages/nope",
        f"{FLOWS}/nope",
        f"{CARD}?version=9",
        f"{CARD}?version=abc",
    ):
        r = console.client.get(path)
        assert r.status_code == 404, path
        assert "<h1>Not found</h1>" in r.text, path
    r = console.hx(f"{FLOWS}/nope/save", {"content": "name: nope\n"})
    assert r.status_code == 404
    assert console.versions("card_payment").keys() == {1}


def test_a_key_without_the_scope_is_refused_on_the_page(console: Console) -> None:
    console.sign_in(console.keys.xray)
    r = console.client.get(FLOWS)
    assert r.status_code == 403
    assert "lacks the &#39;finance&#39; scope" in r.text
    r = console.client.get(CARD)
    assert r.status_code == 403
    assert 'id="doc-content"' not in r.text
    # A refused save keeps the editor: the refusal goes where the errors go.
    r = console.hx(f"{CARD}/save", {"content": "name: card_payment\n", "version": "1"})
    assert r.status_code == 403
    assert r.headers["HX-Retarget"] == "#editor-errors"


# --- saving drafts ---------------------------------------------------------------------------


def test_saving_edited_yaml_creates_a_draft_by_the_signed_in_developer(console: Console) -> None:
    r = console.hx(f"{CARD}/save", {"content": edited(console), "version": "1"})
    assert r.status_code == 200, text_of(r.text)
    assert r.headers["HX-Push-Url"] == f"{CARD}?version=2"
    assert f"Saved as draft v2 by {DEV}" in r.text
    assert statuses(r.text) == {1: "active", 2: "draft"}
    assert DEV in text_of(row(r.text, 2))
    assert "review: 0.3\n" in textarea(r.text)
    saved = console.versions()[2]
    assert (saved.status, saved.created_by) == ("draft", DEV)
    assert saved.content["decision"]["review"] == 0.3
    # The draft row offers approval; nothing was active before v1, so no rollback yet.
    assert 'data-action="approve"' in row(r.text, 2)
    assert 'data-action="approve"' not in row(r.text, 1)
    assert 'data-action="rollback"' not in r.text


def test_saving_without_htmx_redirects_to_the_new_version(console: Console) -> None:
    r = console.client.post(
        f"{CARD}/save", data={"content": edited(console)}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"{CARD}?version=2"


def test_a_rule_that_does_not_compile_is_shown_with_its_position(console: Console) -> None:
    bad = edited(console).replace(
        "expression: amount_cny <= 0,", "expression: amount_cny <= nosuchfield,", 1
    )
    r = console.hx(f"{CARD}/save", {"content": bad, "version": "1"})
    assert r.status_code == 422
    shown = text_of(r.text)
    assert "Not saved" in shown
    assert "amount_not_positive" in shown
    assert "at position 14" in shown
    assert "unknown field 'nosuchfield'" in shown
    assert "character 14 of its expression" in shown
    # The developer's text stays in the editor, and nothing was saved.
    assert textarea(r.text) == bad
    assert console.versions().keys() == {1}


def test_a_yaml_syntax_error_shows_line_and_column(console: Console) -> None:
    text = edited(console).replace("entity_key: card_id", "entity_key: [card_id", 1)
    r = console.hx(f"{CARD}/save", {"content": text, "version": "1"})
    assert r.status_code == 422
    shown = text_of(r.text)
    assert "not valid YAML" in shown
    found = re.search(r"YAML syntax error at line (\d+), column (\d+)", shown)
    assert found, shown
    lines = text.splitlines()
    opened = lines.index("entity_key: [card_id") + 1
    # Where the unclosed flow sequence ran into the next key, and where it was opened.
    column = lines[opened].index(":") + 1
    assert (int(found.group(1)), int(found.group(2))) == (opened + 1, column)
    assert f"from line {opened}, column 13" in shown
    assert textarea(r.text) == text
    assert console.versions().keys() == {1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("", "the document is empty"),
        ("name: card_payment\nwhen: 2024-01-01\n", "when: a date is not plain data"),
        ("name: other_flow\n", "the document&#39;s name must be &#39;card_payment&#39;"),
    ],
)
def test_documents_that_are_not_data_are_refused(
    console: Console, content: str, message: str
) -> None:
    r = console.hx(f"{CARD}/save", {"content": content, "version": "1"})
    assert r.status_code == 422
    assert message in r.text
    assert console.versions().keys() == {1}


# --- the life cycle -------------------------------------------------------------------------


def test_four_eyes_then_approve_activate_rollback(console: Console) -> None:
    console.hx(f"{CARD}/save", {"content": edited(console), "version": "1"})

    r = console.hx(f"{CARD}/action", {"action": "approve", "version": "2", "viewing": "2"})
    assert r.status_code == 422
    assert "four-eyes rule: the author cannot approve their own release" in html.unescape(r.text)
    assert "422</strong> — the action was refused" in r.text
    assert statuses(r.text) == {1: "active", 2: "draft"}

    console.sign_in(console.keys.reviewer)
    r = console.hx(f"{CARD}/action", {"action": "approve", "version": "2", "viewing": "2"})
    assert r.status_code == 200, text_of(r.text)
    assert "v2 approved." in r.text
    assert statuses(r.text) == {1: "active", 2: "approved"}
    assert REVIEWER in text_of(row(r.text, 2))
    # The editor's heading is refreshed out of band.
    assert 'id="editor-head" class="editor-head" hx-swap-oob="true"' in r.text

    r = console.hx(f"{CARD}/action", {"action": "activate", "version": "2", "viewing": "2"})
    assert r.status_code == 200
    assert "v2 is now active." in r.text
    assert statuses(r.text) == {1: "retired", 2: "active"}

    assert 'data-action="rollback"' in row(r.text, 2)
    # The test panel's version list follows the new statuses.
    assert '<select id="test-version" name="version" hx-swap-oob="true">' in r.text
    assert "v2 · active" in r.text
    r = console.hx(f"{CARD}/action", {"action": "rollback", "version": "2", "viewing": "2"})
    assert r.status_code == 200
    assert "Rolled back: v1 is active again." in r.text
    assert statuses(r.text) == {1: "active", 2: "retired"}
    assert {v: r.status for v, r in console.versions().items()} == {1: "active", 2: "retired"}


def test_challenger_with_a_share_and_clearing_it(console: Console) -> None:
    console.hx(f"{CARD}/save", {"content": edited(console), "version": "1"})
    console.sign_in(console.keys.reviewer)
    console.hx(f"{CARD}/action", {"action": "approve", "version": "2"})

    r = console.hx(f"{CARD}/action", {"action": "challenger", "version": "2", "share": "1.5"})
    assert r.status_code == 422
    assert "share" in text_of(r.text)

    r = console.hx(f"{CARD}/action", {"action": "challenger", "version": "2", "share": "0.25"})
    assert r.status_code == 200, text_of(r.text)
    assert "v2 is challenger for 25% of traffic." in r.text
    assert "challenger · 25%" in text_of(row(r.text, 2))
    assert 'data-action="clear_challenger"' in row(r.text, 2)

    r = console.hx(f"{CARD}/action", {"action": "clear_challenger", "version": "2"})
    assert r.status_code == 200
    assert "Challenger stopped" in r.text
    assert "role-challenger" not in row(r.text, 2)

    r = console.hx(f"{CARD}/action", {"action": "launch", "version": "2"})
    assert r.status_code == 422
    assert "unknown action" in html.unescape(r.text)


def test_action_without_htmx_renders_the_whole_page(console: Console) -> None:
    console.hx(f"{CARD}/save", {"content": edited(console), "version": "1"})
    r = console.client.post(f"{CARD}/action", data={"action": "approve", "version": "2"})
    assert r.status_code == 422
    assert "<h1>card_payment</h1>" in r.text
    assert "four-eyes rule" in r.text
    assert 'id="doc-content"' in r.text


# --- the test panel -------------------------------------------------------------------------


def test_backtest_panel_renders_figures_and_rules(console: Console) -> None:
    page = console.client.get(CARD).text
    assert 'id="test-records"' in page and 'value="5000"' in page  # defaults from the schema
    assert 'id="test-busy" class="htmx-indicator busy"' in page
    assert 'hx-indicator="#test-busy"' in page

    r = console.hx(
        f"{CARD}/test",
        {"version": "1", "records": "500", "seed": "7", "compare_with_active": "true"},
    )
    assert r.status_code == 200, text_of(r.text)
    figures = dict(
        re.findall(r'<div class="kpi figure" id="fig-(\w+)">\s*<span class="big">([^<]+)<', r.text)
    )
    assert list(figures) == ["recall", "precision", "f1", "hit_rate", "approval_rate", "score_auc"]
    assert re.fullmatch(r"\d+\.\d%", figures["recall"])
    assert re.fullmatch(r"\d+\.\d%", figures["precision"])
    assert "no change vs active v1" in r.text  # v1 against itself
    rules = re.findall(
        r'<tr>\s*<td class="mono">([\w]+)</td>\s*<td class="num">([\d,]+)</td>', r.text
    )
    assert rules, r.text
    hits = [int(h.replace(",", "")) for _, h in rules]
    assert hits == sorted(hits, reverse=True)
    assert r.text.count('<svg class="hbar"') == len(rules)
    assert "Records" in text_of(r.text) and "500" in text_of(r.text)


def test_backtest_errors_are_shown(console: Console) -> None:
    r = console.hx(f"{CARD}/test", {"version": "1", "records": "5", "seed": "7"})
    assert r.status_code == 422
    assert "records" in r.text and "greater than or equal to 100" in r.text


# --- a page that is not finance --------------------------------------------------------------


def test_another_scenarios_page_is_generic_and_escaped(console: Console) -> None:
    r = console.client.get("/console/pages/notes")
    assert r.status_code == 200
    assert "<script>" not in r.text and "<b>author</b>" not in r.text
    assert "&lt;b&gt;author&lt;/b&gt;" in r.text
    assert "&lt;i&gt;first&lt;/i&gt;" in r.text
    r = console.client.get("/console/pages/notes/%3Cimg%3E")
    assert r.status_code == 200, r.text
    assert "<img>" not in r.text
    assert "&lt;script&gt;alert" in r.text  # inside the textarea, as text
    assert 'id="test-panel"' not in r.text  # no test capability, no panel
    # An action the console has no rule for is offered on every row.
    assert 'data-action="archive"' in r.text
    r = console.hx("/console/pages/notes/%3Cimg%3E/save", {"content": "title: x\n", "version": "1"})
    assert r.status_code == 422
    assert f"{DEV} may not edit &lt;notes&gt;" in r.text


# --- helpers ------------------------------------------------------------------------------------


def test_yaml_round_trips_every_shipped_flow() -> None:
    flows = Path(__file__).parents[2] / "src/yangcheng/finance/flows"
    for path in sorted(flows.glob("*.yaml")):
        content = yaml.safe_load(path.read_text())
        text = documents.to_yaml(content)
        parsed, errors, problem = documents.parse_yaml(text)
        assert (parsed, errors, problem) == (content, [], None), path


def test_report_sorts_rules_and_formats_rates() -> None:
    report = documents.report_from(
        {
            "recall": 0.8,
            "precision": 0.5,
            "approval_rate": 0.95,
            "approval_rate_change": -0.012,
            "baseline_version": 3,
            "score_auc": None,
            "records": 1200,
            "rules": [
                {"rule_id": "b", "hits": 1, "precision": 0.0},
                {"rule_id": "a", "hits": 4, "precision": 0.75},
            ],
        }
    )
    assert [(f.key, f.value) for f in report.figures] == [
        ("recall", "80.0%"),
        ("precision", "50.0%"),
        ("approval_rate", "95.0%"),
        ("score_auc", "—"),
    ]
    approval = report.figures[2]
    assert (approval.note, approval.tone) == ("-1.2 pp vs active v3", "down")
    assert [(b.rule_id, b.width, b.band) for b in report.rules] == [
        ("a", 160.0, "high"),
        ("b", 40.0, "low"),
    ]
    assert [(f.label, f.value) for f in report.facts] == [
        ("Baseline version", "3"),
        ("Records", "1,200"),
    ]


# --- in a real browser ------------------------------------------------------------------------


@pytest.fixture
def served(
    seeded_db: tuple[Path, Keys], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Keys]]:
    monkeypatch.setenv("YANGCHENG_HOME", str(tmp_path))
    app = _app_on_copy(seeded_db, tmp_path)
    with serve(app) as base:
        yield base, seeded_db[1]


@pytest.mark.browser
def test_flows_workspace_in_chromium(served: tuple[str, Keys], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, keys = served
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with chromium_page((1280, 900), 30_000) as (page, problems):
        # Activate and roll back ask for confirmation.
        page.on("dialog", lambda dialog: dialog.accept())

        def shot(name: str) -> None:
            # caret="initial": hiding the caret injects a <style> that the page's CSP blocks.
            page.screenshot(path=str(shots / f"docs-{name}.png"), full_page=True, caret="initial")

        def sign_in(key: str) -> None:
            page.goto(f"{base}/console/login")
            page.fill("#key", key)
            page.click("button[type=submit]")
            expect(page.locator(".who .email")).to_be_visible()

        sign_in(keys.dev)
        page.click("nav >> text=Decision flows")
        expect(page).to_have_url(f"{base}{FLOWS}")
        expect(page.locator("#doc-card_payment .doc-roles .role-active")).to_have_text("active v1")
        shot("01-list")

        page.click("#doc-card_payment >> text=Open editor")
        expect(page.locator("#doc-content")).to_have_value(re.compile(r"review: 0\.25"))
        shot("02-document")

        editor = page.locator("#doc-content")
        original = editor.input_value()
        editor.fill(
            original.replace("expression: amount_cny <= 0,", "expression: amount_cny <= (,")
        )
        page.click("#editor-form button[type=submit]")
        expect(page.locator("#editor-errors .alert.error")).to_contain_text("amount_not_positive")
        expect(page.locator("#editor-errors .alert.error")).to_contain_text("position")
        shot("03-rule-error")

        editor.fill(original.replace("review: 0.25", "review: 0.3"))
        page.click("#editor-form button[type=submit]")
        expect(page.locator("#saved-message")).to_contain_text("Saved as draft v2")
        expect(page).to_have_url(f"{base}{CARD}?version=2")
        expect(page.locator("#card_payment-v2 .badge")).to_have_text("draft")
        shot("04-saved-draft")

        # Record whether the indicator showed while the request ran (however fast it was).
        page.evaluate(
            """() => {
              const busy = document.getElementById("test-busy");
              window.busyShown = false;
              new MutationObserver(() => {
                if (getComputedStyle(busy).display !== "none") window.busyShown = true;
              }).observe(busy, {attributes: true});
            }"""
        )
        page.fill("#test-records", "500")
        page.click("#test-form button[type=submit]")
        expect(page.locator("#fig-recall .big")).to_have_text(re.compile(r"%$"))
        expect(page.locator("#test-busy")).to_be_hidden()
        assert page.evaluate("window.busyShown") is True
        expect(page.locator("#rules-table tbody tr").first).to_be_visible()
        shot("05-backtest")

        page.click("#card_payment-v2 button[data-action=approve]")
        expect(page.locator("#versions .alert.error")).to_contain_text("four-eyes")
        shot("06-four-eyes")

        page.click("text=Sign out")
        sign_in(keys.reviewer)
        page.goto(f"{base}{CARD}?version=2")
        page.click("#card_payment-v2 button[data-action=approve]")
        expect(page.locator("#versions .alert.ok")).to_contain_text("v2 approved")
        expect(page.locator("#editor-head .badge")).to_have_text("approved")
        page.click("#card_payment-v2 button[data-action=activate]")
        expect(page.locator("#versions .alert.ok")).to_contain_text("v2 is now active")
        expect(page.locator("#card_payment-v1 .badge")).to_have_text("retired")
        shot("07-activated")

        page.click("nav >> text=Decision flows")
        expect(page.locator("#doc-card_payment .doc-roles .role-active")).to_have_text("active v2")
        shot("08-list-after")

        page.set_viewport_size({"width": 420, "height": 860})
        page.goto(f"{base}{CARD}")
        shot("09-narrow")
    assert problems == []
