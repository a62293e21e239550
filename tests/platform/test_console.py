"""The web console: sign-in, catalog, try-it forms, jobs, usage and stats.

Most tests drive the console through FastAPI's TestClient. One test, marked
``browser``, serves the app with uvicorn and clicks through it in Debian's
Chromium via Playwright, so that the HTMX wiring is exercised for real.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from tests.browser import chromium_page, serve
from yangcheng.config import Settings
from yangcheng.finance.service import register as register_finance
from yangcheng.platform import Capability, DatasetCard, ModelCard, Registry, create_app, metering
from yangcheng.platform.auth import create_key, revoke_key
from yangcheng.platform.store import BenchmarkRun, Job, UsageEvent, upgrade
from yangcheng.platform.web import charts, forms
from yangcheng.platform.web.session import safe_next

DOCS = "finance.identity.documents"
ECHO = "education.echo"
FINISHED = ("succeeded", "failed", "cancelled")


# --- a second capability that uses every kind of form control -------------------------


class Level(StrEnum):
    low = "low"
    high = "high"


class EchoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(max_length=80, description="Free text; <b>markup</b> stays text.")
    level: Level
    count: int = Field(default=1, ge=0)
    ratio: float = 1.0
    flag: bool = False
    maybe: bool | None = None
    tags: list[str] = Field(default_factory=list)
    on: date | None = None
    delay_ms: int = Field(default=0, ge=0, le=100, description="Sleep per record.")


class EchoResponse(BaseModel):
    echoed: dict[str, Any]


def _echo(req: EchoRequest) -> EchoResponse:
    # Lets the browser test hold a job open long enough for the page to poll it.
    time.sleep(req.delay_ms / 1000)
    return EchoResponse(echoed=req.model_dump(mode="json"))


ECHO_CAP = Capability(
    name=ECHO,
    version="0.1.0",
    group="education",
    summary="Echo <script>alert('xss')</script> back",
    request_model=EchoRequest,
    response_model=EchoResponse,
    handler=_echo,
    description="Returns its typed request, to test the console's forms.",
    examples=({"note": "hello", "level": "high", "tags": ["a", "b"], "flag": True},),
)


def make_registry() -> Registry:
    registry = Registry()
    register_finance(registry)
    registry.add_capability(ECHO_CAP)
    registry.add_model(
        ModelCard(
            name="echo-net",
            version="2025.1",
            task="echo",
            description="Repeats what it hears.",
            licence="Apache-2.0",
            metrics={"accuracy": 0.987654, "latency_ms": 3.5},
        )
    )
    registry.add_dataset(
        DatasetCard(
            name="synthetic-ids",
            version="1",
            description="Generated resident IDs with known faults.",
            source="generated",
            licence="CC0-1.0",
            records=120_000,
            seed=7,
        )
    )
    return registry


# --- fixtures ----------------------------------------------------------------------------


@dataclass
class Keys:
    admin: str
    dev: str
    other: str
    security_only: str


@dataclass
class Console:
    app: FastAPI
    client: TestClient
    keys: Keys

    def sign_in(self, key: str) -> None:
        r = self.client.post("/console/login", data={"key": key}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def htmx_post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(path, data=data, headers={"HX-Request": "true"})

    def wait_for_job(self, job_id: str, timeout_s: float = 60) -> Job:
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.app.state.platform.jobs.get(job_id)
            if job.state in FINISHED or time.monotonic() > deadline:
                return job
            time.sleep(0.02)


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keys]:
    """Migrate and create keys once; each test gets a copy (scrypt and Alembic are slow)."""
    home = tmp_path_factory.mktemp("console-seed")
    settings = Settings(home=home, executor="thread")
    upgrade(settings.resolved_database_url)
    app = create_app(settings, registry=make_registry())
    with app.state.platform.db.session() as s:
        admin, _ = create_key(s, email="admin@yangcheng.example", organisation="Ops", scopes="*")
        dev, _ = create_key(
            s,
            email="dev@bank.example.cn",
            organisation="Bank",
            scopes=["finance", "education", "jobs"],
        )
        other, _ = create_key(
            s, email="other@bank.example.cn", organisation="Bank", scopes=["finance", "jobs"]
        )
        sec, _ = create_key(
            s, email="xray@airport.example.cn", organisation="Airport", scopes=["security"]
        )
        s.add(
            BenchmarkRun(
                scenario="finance",
                name="identity-documents",
                metrics={"records_per_s": 41234.5, "p99_ms": 0.8},
                machine={"cpu": "test"},
                revision="0123456789abcdef",
            )
        )
    app.state.platform.db.dispose()
    return home / "yangcheng.db", Keys(admin=admin, dev=dev, other=other, security_only=sec)


def _app_on_copy(seeded: tuple[Path, Keys], home: Path, **settings: Any) -> FastAPI:
    source, _ = seeded
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", home / f"yangcheng.db{suffix}")
    return create_app(Settings(home=home, executor="thread", **settings), registry=make_registry())


@pytest.fixture
def console(seeded_db: tuple[Path, Keys], tmp_path: Path) -> Iterator[Console]:
    app = _app_on_copy(seeded_db, tmp_path)
    with TestClient(app) as client:
        yield Console(app=app, client=client, keys=seeded_db[1])


# --- a little HTML reading ------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, tuple[str, dict[str, str | None]]] = {}
        self.options: dict[str, list[tuple[str, bool]]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.by_id[str(a["id"])] = (tag, a)
        if tag == "select":
            self._select = a.get("id")
            self.options[str(self._select)] = []
        elif tag == "option" and self._select:
            self.options[self._select].append((str(a.get("value")), "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


def result_json(fragment: str) -> Any:
    match = re.search(r'<pre class="json" id="result-json">(.*?)</pre>', fragment, re.S)
    assert match, fragment
    return json.loads(html.unescape(match.group(1)))


# --- signing in and out -------------------------------------------------------------------

PAGES = [
    "/console",
    f"/console/capabilities/{DOCS}",
    "/console/jobs",
    "/console/jobs/rows",
    "/console/usage",
    "/console/stats",
]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_pages_redirect_to_login(console: Console, path: str) -> None:
    r = console.client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login")


def test_signed_out_try_is_redirected_and_metered_without_a_principal(console: Console) -> None:
    r = console.client.post(f"/console/try/{DOCS}", data={}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"
    console.app.state.platform.usage.flush()
    with console.app.state.platform.db.session() as s:
        event = s.scalars(select(UsageEvent)).one()
    assert (event.developer_id, event.status_code) == (None, 303)


def test_signed_out_htmx_request_gets_a_full_page_redirect(console: Console) -> None:
    r = console.client.get(
        "/console/jobs/rows",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/console/jobs"},
    )
    assert r.status_code == 401
    assert r.headers["HX-Redirect"] == "/console/login?next=%2Fconsole%2Fjobs"


def test_login_with_a_wrong_key_shows_an_error(console: Console) -> None:
    wrong = "yc_000000000000_" + "x" * 43
    r = console.client.post("/console/login", data={"key": wrong}, follow_redirects=False)
    assert r.status_code == 400
    assert "invalid or revoked" in r.text
    assert wrong not in r.text
    assert "yc_key" not in r.headers.get("set-cookie", "")
    empty = console.client.post("/console/login", data={"key": ""})
    assert "Enter your API key" in empty.text
    huge = console.client.post("/console/login", data={"key": "k" * 5000})
    assert huge.status_code == 400 and "invalid or revoked" in huge.text


def test_login_sets_an_httponly_strict_cookie_and_logout_clears_it(console: Console) -> None:
    r = console.client.post(
        "/console/login", data={"key": console.keys.dev}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/console"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("yc_key=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    page = console.client.get("/console")
    assert page.status_code == 200
    assert "dev@bank.example.cn" in page.text
    assert console.keys.dev not in page.text
    out = console.client.post("/console/logout", follow_redirects=False)
    assert out.status_code == 303
    assert 'yc_key=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    assert console.client.get("/console", follow_redirects=False).status_code == 303


def test_login_returns_to_the_page_asked_for(console: Console) -> None:
    r = console.client.get("/console/usage", follow_redirects=False)
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Fusage"
    form = console.client.get(r.headers["location"])
    assert parse(form.text).by_id  # renders
    assert 'name="next" value="/console/usage"' in form.text
    done = console.client.post(
        "/console/login",
        data={"key": console.keys.dev, "next": "/console/usage"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/console/usage"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, "/console"),
        ("/console/jobs?x=1", "/console/jobs?x=1"),
        ("https://evil.example/console", "/console"),
        ("//evil.example/console", "/console"),
        ("/v1/keys", "/console"),
        ("/console\\@evil.example", "/console"),
        ("/console/login", "/console"),
        ("/console/../v1/keys", "/console"),
    ],
)
def test_next_never_leaves_the_console(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_revoking_the_key_signs_the_console_out(console: Console) -> None:
    console.sign_in(console.keys.other)
    assert console.client.get("/console").status_code == 200
    prefix = console.keys.other.split("_")[1]
    with console.app.state.platform.db.session() as s:
        revoke_key(s, prefix)
    r = console.client.get("/console", follow_redirects=False)
    assert r.status_code == 303
    assert "yc_key" in r.headers["set-cookie"]  # the dead cookie is cleared
    again = console.client.post("/console/login", data={"key": console.keys.other})
    assert again.status_code == 400


# --- catalog and capability pages -------------------------------------------------------


def test_catalog_groups_capabilities_and_escapes_their_text(console: Console) -> None:
    console.sign_in(console.keys.security_only)
    r = console.client.get("/console")
    assert r.status_code == 200
    page = r.text
    assert "Finance risk control" in page and "Education" in page
    assert page.index("Finance risk control") < page.index("Education")
    assert DOCS in page and "v1.0.0" in page and "GB 11643-1999" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    assert "echo-net" in page and "accuracy = 0.9877" in page
    assert "synthetic-ids" in page and "120,000" in page
    assert "identity-documents" in page and "records_per_s = 41,234" in page
    assert "Your key lacks the <code>education</code> scope" in page
    assert "Your key lacks the <code>finance</code> scope" in page
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def test_capability_form_is_generated_from_the_request_schema(console: Console) -> None:
    console.sign_in(console.keys.dev)
    r = console.client.get(f"/console/capabilities/{DOCS}")
    assert r.status_code == 200
    doc = parse(r.text)
    tag, attrs = doc.by_id["field-resident_id"]
    assert (tag, attrs["type"], attrs["maxlength"]) == ("input", "text", "40")
    assert doc.by_id["field-declared_birth_date"][1]["type"] == "date"
    assert doc.by_id["field-declared_sex"][0] == "select"
    assert [v for v, _ in doc.options["field-declared_sex"]] == ["", "male", "female"]
    tag, attrs = doc.by_id["field-min_age"]
    assert (attrs["type"], attrs["min"], attrs["max"], attrs["step"]) == ("number", "0", "150", "1")
    assert "18-character resident ID (GB 11643)." in r.text
    assert f'hx-post="/console/try/{DOCS}"' in r.text
    assert "Fill with example 1" in r.text and "Fill with example 2" in r.text


def test_every_json_type_gets_its_control(console: Console) -> None:
    console.sign_in(console.keys.admin)
    doc = parse(console.client.get(f"/console/capabilities/{ECHO}").text)
    assert doc.by_id["field-note"][1]["type"] == "text"
    assert [v for v, _ in doc.options["field-level"]] == ["", "low", "high"]
    assert doc.by_id["field-count"][1]["step"] == "1"
    assert doc.by_id["field-count"][1]["placeholder"] == "default: 1"
    assert doc.by_id["field-ratio"][1]["placeholder"] == "default: 1.0"
    assert doc.by_id["field-ratio"][1]["step"] == "any"
    assert doc.by_id["field-flag"][1]["type"] == "checkbox"
    assert [v for v, _ in doc.options["field-maybe"]] == ["", "true", "false"]
    assert doc.by_id["field-tags"][0] == "textarea"
    assert doc.by_id["field-on"][1]["type"] == "date"


def test_form_spec_handles_refs_unions_and_bare_bodies() -> None:
    spec = forms.form_spec(EchoRequest.model_json_schema())
    by_name = {f.name: f for f in spec.fields}
    assert by_name["note"].required and by_name["level"].required
    assert not by_name["count"].required
    assert by_name["level"].choices == {"low": "low", "high": "high"}

    class Union(BaseModel):
        either: int | str

    assert forms.form_spec(Union.model_json_schema()).fields[0].kind == "json"
    bare = forms.form_spec({"type": "array", "items": {"type": "integer"}})
    assert bare.whole_body
    payload, errors = forms.to_payload(bare, {forms.WHOLE_BODY: "[1, 2]"})
    assert (payload, errors) == ([1, 2], [])


def test_base64_fields_are_file_pickers() -> None:
    class Upload(BaseModel):
        photo_base64: str
        pages_base64: list[str] | None = None
        note: str = ""
        counts_base64: list[int] = []

    spec = forms.form_spec(Upload.model_json_schema())
    kinds = {f.name: f.kind for f in spec.fields}
    assert kinds == {
        "photo_base64": "file", "pages_base64": "files", "note": "text", "counts_base64": "json"
    }  # fmt: skip
    assert spec.takes_files and not forms.form_spec(EchoRequest.model_json_schema()).takes_files
    payload, errors = forms.to_payload(spec, {"photo_base64": "QUJD", "pages_base64": '["QQ=="]'})
    assert errors == [] and payload == {"photo_base64": "QUJD", "pages_base64": ["QQ=="]}
    assert forms.example_values(spec, {"photo_base64": "QUJD", "note": "n"}) == {"note": "n"}


def test_fill_example_returns_the_form_filled_in(console: Console) -> None:
    console.sign_in(console.keys.dev)
    r = console.client.get(f"/console/capabilities/{DOCS}/form?example=0")
    assert r.status_code == 200
    assert "<html" not in r.text
    doc = parse(r.text)
    assert doc.by_id["field-resident_id"][1]["value"] == "11010519491231002X"
    assert doc.by_id["field-declared_birth_date"][1]["value"] == "1949-12-31"
    assert ("female", True) in doc.options["field-declared_sex"]
    assert doc.by_id["field-min_age"][1]["value"] == "18"
    assert doc.by_id["field-uscc"][1]["value"] == ""
    # Without HTMX the same example fills the whole page.
    page = console.client.get(f"/console/capabilities/{DOCS}?example=1")
    assert parse(page.text).by_id["field-uscc"][1]["value"] == "91110000600037341L"


def test_try_returns_the_response_and_is_metered(console: Console) -> None:
    console.sign_in(console.keys.dev)
    r = console.htmx_post(
        f"/console/try/{DOCS}",
        {"resident_id": "11010519491231002X", "declared_sex": "female", "min_age": "18"},
    )
    assert r.status_code == 200
    assert "<html" not in r.text
    body = result_json(r.text)
    assert body["all_valid"] is True
    assert body["checks"][0]["facts"]["birth_date"] == "1949-12-31"
    assert "Authorization: Bearer $YC_KEY" in html.unescape(r.text)
    console.app.state.platform.usage.flush()
    with console.app.state.platform.db.session() as s:
        event = s.scalars(select(UsageEvent).where(UsageEvent.path.like("/console/try/%"))).one()
        assert (event.capability, event.status_code) == (DOCS, 200)
        assert event.developer_id is not None and event.api_key_id is not None


def test_try_validation_errors_name_the_field(console: Console) -> None:
    console.sign_in(console.keys.dev)
    r = console.htmx_post(
        f"/console/try/{DOCS}", {"resident_id": "11010519491231002X", "min_age": "-1"}
    )
    assert r.status_code == 422
    assert '<a href="#field-min_age"><code>min_age</code></a>' in r.text
    assert "greater than or equal to 0" in r.text
    nothing = console.htmx_post(f"/console/try/{DOCS}", {"resident_id": "", "mobile": ""})
    assert nothing.status_code == 422
    assert "give at least one of resident_id" in nothing.text
    assert "<code>(request)</code>" in nothing.text


def test_try_converts_each_field_to_its_schema_type(console: Console) -> None:
    console.sign_in(console.keys.admin)
    r = console.htmx_post(
        f"/console/try/{ECHO}",
        {
            "note": "a <b>",
            "level": "low",
            "count": "3",
            "ratio": "0.25",
            "flag": "true",
            "maybe": "false",
            "tags": '["x", "y"]',
            "on": "2025-01-31",
        },
    )
    assert r.status_code == 200, r.text
    assert result_json(r.text)["echoed"] == {
        "note": "a <b>",
        "level": "low",
        "count": 3,
        "ratio": 0.25,
        "flag": True,
        "maybe": False,
        "tags": ["x", "y"],
        "on": "2025-01-31",
        "delay_ms": 0,
    }
    defaults = console.htmx_post(
        f"/console/try/{ECHO}", {"note": "n", "level": "high", "count": "", "maybe": ""}
    )
    echoed = result_json(defaults.text)["echoed"]
    assert (echoed["count"], echoed["flag"], echoed["maybe"], echoed["tags"]) == (
        1,
        False,
        None,
        [],
    )
    bad = console.htmx_post(f"/console/try/{ECHO}", {"note": "n", "level": "x", "tags": "[1,"})
    assert bad.status_code == 422
    assert "<code>tags</code></a> not valid JSON" in bad.text
    typed = console.htmx_post(f"/console/try/{ECHO}", {"level": "x", "count": "many"})
    assert typed.status_code == 422
    for name in ("note", "level", "count"):
        assert f"<code>{name}</code>" in typed.text


def test_try_without_the_scope_is_refused(console: Console) -> None:
    console.sign_in(console.keys.security_only)
    page = console.client.get(f"/console/capabilities/{DOCS}")
    assert "lacks the <code>finance</code> scope" in page.text
    r = console.htmx_post(f"/console/try/{DOCS}", {"mobile": "13800138000"})
    assert r.status_code == 403
    assert "lacks the &#39;finance&#39; scope" in r.text


def test_try_without_htmx_renders_the_whole_page(console: Console) -> None:
    console.sign_in(console.keys.dev)
    r = console.client.post(f"/console/try/{DOCS}", data={"mobile": "13800138000"})
    assert r.status_code == 200
    assert "<html" in r.text and 'id="result-json"' in r.text
    assert parse(r.text).by_id["field-mobile"][1]["value"] == "13800138000"


def test_unknown_capability_job_and_page_are_404_pages(console: Console) -> None:
    console.sign_in(console.keys.dev)
    for path, text in [
        ("/console/capabilities/finance.nope", "There is no capability"),
        ("/console/jobs/00000000-0000-0000-0000-000000000000", "There is no job"),
        ("/console/nowhere", "There is no page"),
    ]:
        r = console.client.get(path)
        assert r.status_code == 404, path
        assert text in r.text and "<nav" in r.text
    assert console.htmx_post("/console/try/finance.nope", {}).status_code == 404


def test_static_assets_are_served_locally(console: Console) -> None:
    js = console.client.get("/console/static/htmx.min.js")
    assert js.status_code == 200
    assert "Zero-Clause BSD" in js.text[:600] and "htmx" in js.text[:200]
    assert console.client.get("/console/static/console.css").status_code == 200
    console.sign_in(console.keys.dev)
    page = console.client.get("/console").text
    assert "//cdn" not in page and "https://" not in page


# --- jobs -----------------------------------------------------------------------------------


def _lines(*items: dict[str, Any]) -> str:
    return "\n".join(json.dumps(i) for i in items)


def test_batch_job_submitted_from_the_console_is_listed(console: Console) -> None:
    console.sign_in(console.keys.dev)
    form = console.client.get(f"/console/jobs?capability={DOCS}").text
    assert "11010519491231002X" in form  # the examples are pre-filled
    r = console.htmx_post(
        "/console/jobs",
        {"capability": DOCS, "lines": _lines({"mobile": "13800138000"}, {"mobile": "1"}) + "\n"},
    )
    assert r.status_code == 202, r.text
    assert r.headers["HX-Trigger"] == "jobs-changed"
    job_id = re.search(r"/console/jobs/([0-9a-f-]{36})", r.text)
    assert job_id, r.text
    job = console.wait_for_job(job_id.group(1))
    assert job.state == "succeeded"
    rows = console.client.get("/console/jobs/rows").text
    assert job.id[:8] in rows and "100%" in rows
    assert "every 1s" not in rows  # nothing left to watch
    detail = console.client.get(f"/console/jobs/{job.id}")
    assert detail.status_code == 200
    assert "2/2" in detail.text and "&#34;valid&#34;: true" in detail.text
    assert detail.text.count('class="badge state-succeeded">ok<') == 2
    assert 'hx-trigger="every 1s"' not in detail.text


def test_batch_job_errors_name_the_line(console: Console) -> None:
    console.sign_in(console.keys.dev)
    r = console.htmx_post(
        "/console/jobs", {"capability": DOCS, "lines": '{"mobile": "1"}\n\n{"mobile": \n[1]\n'}
    )
    assert r.status_code == 422
    assert "line 3: not valid JSON" in r.text and "line 4: must be a JSON object" in r.text
    invalid = console.htmx_post(
        "/console/jobs", {"capability": DOCS, "lines": '{"mobile": "1"}\n\n{"min_age": -1}\n'}
    )
    assert invalid.status_code == 422
    assert "line 3: min_age: Input should be greater than or equal to 0" in invalid.text
    empty = console.htmx_post("/console/jobs", {"capability": DOCS, "lines": "  \n"})
    assert "paste at least one request" in empty.text
    unknown = console.htmx_post("/console/jobs", {"capability": "finance.nope", "lines": "{}"})
    assert unknown.status_code == 422 and "no capability named" in unknown.text
    assert console.app.state.platform.jobs.list() == []


def test_batch_job_without_htmx_redirects_to_the_job(console: Console) -> None:
    console.sign_in(console.keys.dev)
    r = console.client.post(
        "/console/jobs",
        data={"capability": DOCS, "lines": _lines({"mobile": "13800138000"})},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/jobs/")
    bad = console.client.post("/console/jobs", data={"capability": DOCS, "lines": "nope"})
    assert bad.status_code == 422 and "<html" in bad.text and "line 1" in bad.text


def test_developers_see_only_their_own_jobs(console: Console) -> None:
    platform = console.app.state.platform
    console.sign_in(console.keys.admin)
    admin_job = console.htmx_post(
        "/console/jobs", {"capability": DOCS, "lines": _lines({"mobile": "13800138000"})}
    )
    assert admin_job.status_code == 202
    admin_id = platform.jobs.list()[0].id
    console.client.post("/console/logout")
    console.sign_in(console.keys.dev)
    console.htmx_post("/console/jobs", {"capability": DOCS, "lines": _lines({"mobile": "1"})})
    dev_rows = console.client.get("/console/jobs/rows").text
    assert admin_id[:8] not in dev_rows and dev_rows.count('class="job-row"') == 1
    assert console.client.get(f"/console/jobs/{admin_id}").status_code == 404
    console.client.post("/console/logout")
    console.sign_in(console.keys.admin)
    admin_rows = console.client.get("/console/jobs/rows").text
    assert admin_rows.count('class="job-row"') == 2
    assert "dev@bank.example.cn" in admin_rows  # the owner column


def test_jobs_table_polls_only_while_a_job_is_active(console: Console) -> None:
    console.sign_in(console.keys.dev)
    platform = console.app.state.platform
    with platform.db.session() as s:
        principal = platform.authenticator.authenticate(s, console.keys.dev)
        assert principal is not None
        s.add(
            Job(
                id="11111111-2222-3333-4444-555555555555",
                kind="batch",
                capability=DOCS,
                params={"items": []},
                total=4,
                done=1,
                developer_id=principal.developer_id,
                state="running",
            )
        )
    rows = console.client.get("/console/jobs/rows").text
    assert 'hx-trigger="jobs-changed from:body, every 1s"' in rows
    assert "25%" in rows and 'value="1"' in rows and 'max="4"' in rows
    status = console.client.get("/console/jobs/11111111-2222-3333-4444-555555555555/status")
    assert 'hx-trigger="every 1s"' in status.text and "Cancel job" in status.text
    cancelled = console.htmx_post("/console/jobs/11111111-2222-3333-4444-555555555555/cancel", {})
    assert "cancelled" in cancelled.text and "every 1s" not in cancelled.text
    assert "every 1s" not in console.client.get("/console/jobs/rows").text


def test_jobs_page_without_the_jobs_scope_says_so(console: Console) -> None:
    console.sign_in(console.keys.security_only)
    page = console.client.get("/console/jobs")
    assert "lacks the <code>jobs</code> scope" in page.text
    r = console.htmx_post("/console/jobs", {"capability": DOCS, "lines": "{}"})
    assert r.status_code == 403


# --- usage and stats ----------------------------------------------------------------------


def test_usage_page_draws_svg_charts_scoped_to_the_developer(console: Console) -> None:
    console.sign_in(console.keys.dev)
    empty = console.client.get("/console/usage").text
    assert 'id="daily-chart"' in empty and "No capability has been called yet" in empty
    console.htmx_post(f"/console/try/{DOCS}", {"mobile": "13800138000"})
    console.htmx_post(f"/console/try/{DOCS}", {"min_age": "-1", "mobile": "1"})
    page = console.client.get("/console/usage").text
    assert "<svg" in page and 'class="bar-ok"' in page and 'class="bar-err"' in page
    assert 'id="capability-chart"' in page and DOCS in page
    today = datetime.now(UTC).date().isoformat()
    assert f"{today}: 2 calls, 1 error" in page
    console.client.post("/console/logout")
    console.sign_in(console.keys.other)
    assert "No capability has been called yet" in console.client.get("/console/usage").text
    console.client.post("/console/logout")
    console.sign_in(console.keys.admin)
    assert "administrator view" in console.client.get("/console/usage").text


def test_stats_page_shows_the_platform_counts(console: Console) -> None:
    console.sign_in(console.keys.dev)
    console.htmx_post(f"/console/try/{DOCS}", {"mobile": "13800138000"})
    page = console.client.get("/console/stats").text
    with console.app.state.platform.db.session() as s:
        counts = metering.platform_stats(s)
    assert counts["developers_onboarded"] == 4 and counts["active_users_7d"] == 1
    big = [html.unescape(v) for v in re.findall(r'<span class="big">([^<]+)</span>', page)]
    labels = re.findall(r'<span class="label">([^<]+)</span>', page)
    shown = dict(zip(labels, big, strict=True))
    assert shown["Developers onboarded"] == "4"
    assert shown["Active users, 7 days"] == "1"
    assert shown["Organisations served"] == "1"
    assert shown["Tasks completed"] == str(counts["tasks_completed"])


# --- chart geometry -----------------------------------------------------------------------


def test_chart_steps_are_round_and_errors_stack_on_top() -> None:
    assert [charts.nice_step(n) for n in (0, 3, 7, 40, 99, 1234)] == [1, 1, 2, 10, 50, 500]
    days = [
        metering.DailyUsage(date(2025, 1, 1), 0, 0, 0.0),
        metering.DailyUsage(date(2025, 1, 2), 10, 4, 5.0),
    ]
    chart = charts.daily_chart(days)
    empty, busy = chart.bars
    assert empty.ok_height == empty.err_height == 0
    assert busy.err_y + busy.err_height == pytest.approx(busy.ok_y)
    assert busy.ok_height == pytest.approx(busy.err_height * 6 / 4)
    assert busy.ok_y + busy.ok_height == pytest.approx(chart.plot_bottom)
    assert chart.ticks[0].label == "0" and chart.ticks[-1].label == "10"


# --- in a real browser ---------------------------------------------------------------------


@pytest.fixture
def served(seeded_db: tuple[Path, Keys], tmp_path: Path) -> Iterator[tuple[str, Keys]]:
    """The console served by uvicorn on a free loopback port."""
    app = _app_on_copy(seeded_db, tmp_path, job_chunk_size=10)
    with serve(app) as base:
        yield base, seeded_db[1]


@pytest.mark.browser
def test_console_in_chromium(served: tuple[str, Keys], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, keys = served
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with chromium_page((1280, 860), 20_000) as (page, problems):

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        page.goto(f"{base}/console")
        expect(page).to_have_url(re.compile(r"/console/login"))
        page.fill("#key", "yc_000000000000_" + "x" * 43)
        page.click("button[type=submit]")
        expect(page.locator(".alert.error")).to_contain_text("invalid or revoked")
        shot("01-login-error")

        page.fill("#key", keys.dev)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/console")
        expect(page.locator(".who .email")).to_have_text("dev@bank.example.cn")
        shot("02-catalog")

        page.locator("h3 a", has_text=DOCS).click()
        expect(page.locator("h1")).to_contain_text(DOCS)
        page.click("text=Fill with example 1")
        expect(page.locator("#field-resident_id")).to_have_value("11010519491231002X")
        expect(page.locator("#field-declared_sex")).to_have_value("female")
        page.click("#try-form button[type=submit]")
        expect(page.locator("#result-json")).to_contain_text('"all_valid"')
        shot("03-capability-result")

        page.fill("#field-min_age", "-1")
        page.click("#try-form button[type=submit]")
        expect(page.locator("#result .alert.error")).to_contain_text("min_age")
        shot("04-capability-error")

        page.click("text=Run it over many records as a batch job")
        expect(page.locator("#job-capability")).to_have_value(DOCS)
        expect(page.locator("#job-lines")).to_have_value(re.compile("11010519491231002X"))
        # A job slow enough (≥ 2 s of sleeping) that the table must poll to see it end.
        polls: list[str] = []
        page.on("request", lambda r: polls.append(r.url) if "/jobs/rows" in r.url else None)
        page.select_option("#job-capability", ECHO)
        slow = json.dumps({"note": "slow", "level": "low", "delay_ms": 20})
        page.fill("#job-lines", "\n".join([slow] * 100))
        page.click("#job-form button[type=submit]")
        expect(page.locator("#submit-result .alert.ok")).to_contain_text("100 records")
        shot("05a-jobs-just-submitted")
        first_row = page.locator("#job-rows tr.job-row").first
        expect(first_row.locator(".pct")).to_have_text("100%", timeout=60_000)
        expect(first_row.locator(".badge")).to_have_text("succeeded")
        assert len(polls) >= 2, polls  # the refresh on submit, then at least one poll
        shot("05-jobs")

        first_row.locator("a").first.click()
        expect(page.locator("#job-status .pct")).to_have_text("100%")
        expect(page.locator("table.results tbody tr")).to_have_count(50)
        shot("06-job-detail")

        page.click("nav >> text=Usage")
        expect(page.locator("#daily-chart .bar-ok")).to_have_count(1)
        expect(page.locator("#daily-chart .bar-err")).to_have_count(1)
        expect(page.locator("#capability-chart")).to_contain_text(DOCS)
        shot("07-usage")

        page.click("nav >> text=Stats")
        expect(page.locator(".stat").first).to_contain_text("Developers onboarded")
        shot("08-stats")

        page.goto(f"{base}/console/jobs/not-a-job")
        expect(page.locator("h1")).to_have_text("Not found")
        shot("09-not-found")

        page.goto(f"{base}/console/capabilities/{ECHO}?example=0")
        expect(page.locator("#field-flag")).to_be_checked()
        shot("10-every-control")

        page.set_viewport_size({"width": 420, "height": 860})
        page.goto(f"{base}/console/capabilities/{DOCS}")
        shot("11-capability-narrow")

        page.click("text=Sign out")
        expect(page).to_have_url(re.compile(r"/console/login"))
    assert problems == []
