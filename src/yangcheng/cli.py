"""The `yangcheng` command: serve the platform, manage keys and jobs, run benchmarks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

import yangcheng.cli_detect  # (registers security train/evaluate/detect)
import yangcheng.cli_line  # (registers security line run/status/labels)
import yangcheng.cli_scanner  # (registers security scanner fit/list/wedges)
import yangcheng.cli_threats  # noqa: F401  (registers security threats add/list/remove)
from yangcheng.cli_recording import recording_app
from yangcheng.cli_security import security_app
from yangcheng.config import Settings

app = typer.Typer(help="Yangcheng open AI platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
jobs_app = typer.Typer(help="Data-service tasks in the local database.", no_args_is_help=True)
finance_app = typer.Typer(help="Finance: risk decisions and identity checks.", no_args_is_help=True)
education_app = typer.Typer(
    help="Education: knowledge tracing, graph, recommendation and tutoring run as capabilities: "
    "`yangcheng catalog` lists them, `yangcheng invoke education.<name> JSON` runs one."
)
radiotherapy_app = typer.Typer(
    help="Radiotherapy: dose, plan optimisation and robot paths run as capabilities: "
    "`yangcheng catalog` lists them, `yangcheng invoke radiotherapy.<name> JSON` runs one."
)
for sub, name in [
    (db_app, "db"),
    (keys_app, "keys"),
    (jobs_app, "jobs"),
    (finance_app, "finance"),
    (security_app, "security"),
    (education_app, "education"),
    (radiotherapy_app, "radiotherapy"),
]:
    app.add_typer(sub, name=name)

console = Console()


def _settings() -> Settings:
    return Settings()


def _database(settings: Settings) -> Any:
    from yangcheng.platform.store import Database, upgrade

    upgrade(settings.resolved_database_url)
    return Database(settings.resolved_database_url)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    demo: Annotated[bool, typer.Option(help="Seed a demo account and job.")] = False,
) -> None:
    """Apply migrations and serve the API and console."""
    import uvicorn

    from yangcheng.platform import create_app
    from yangcheng.platform.store import upgrade

    settings = _settings()
    updates: dict[str, Any] = {}
    if host:
        updates["host"] = host
    if port:
        updates["port"] = port
    if demo:
        updates["demo_data"] = True
    settings = settings.model_copy(update=updates)
    upgrade(settings.resolved_database_url)
    console.print(
        f"[bold]Yangcheng[/] on http://{settings.host}:{settings.port}  "
        f"database={settings.resolved_database_url.split('://')[0]}  executor={settings.executor}"
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply Alembic migrations (idempotent)."""
    from yangcheng.platform.store import upgrade

    settings = _settings()
    upgrade(settings.resolved_database_url, revision)
    console.print(f"database at {settings.resolved_database_url} is at {revision}")


@keys_app.command("create")
def keys_create(
    email: Annotated[str, typer.Option(help="Developer e-mail; created if new.")],
    organisation: Annotated[str, typer.Option(help="Organisation; created if new.")],
    scopes: Annotated[
        str,
        typer.Option(
            help="Comma-separated: finance,security,education,radiotherapy,jobs,admin or *."
        ),
    ] = "*",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    daily_quota: Annotated[int | None, typer.Option(min=0, help="Calls per UTC day.")] = None,
    rate_limit: Annotated[int | None, typer.Option(min=0, help="Calls per minute.")] = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    from yangcheng.platform import auth

    db = _database(_settings())
    try:
        with db.session() as s:
            raw, key = auth.create_key(
                s,
                email=email,
                organisation=organisation,
                scopes=scopes,
                name=name,
                daily_quota=daily_quota,
                rate_limit_per_minute=rate_limit,
            )
            key_id = key.id
    except auth.InvalidScope as exc:
        raise typer.BadParameter(str(exc), param_hint="--scopes") from exc
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(f"key id {key_id} created; copy it now, it will not be shown again:")
    typer.echo(raw)


@keys_app.command("list")
def keys_list() -> None:
    """Keys with their owner, scopes and state (never the key itself)."""
    from sqlalchemy import select

    from yangcheng.platform.store import ApiKey

    db = _database(_settings())
    table = Table("id", "prefix", "developer", "organisation", "scopes", "created", "state")
    with db.session() as s:
        for k in s.scalars(select(ApiKey).order_by(ApiKey.id)):
            table.add_row(
                str(k.id),
                k.prefix,
                k.developer.email,
                k.developer.organisation.name,
                k.scopes,
                f"{k.created_at:%Y-%m-%d %H:%M}",
                f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active",
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="Key id or prefix.")]) -> None:
    """Revoke a key at once; calls with it get 401 from now on."""
    from yangcheng.platform import auth

    db = _database(_settings())
    with db.session() as s:
        found = auth.revoke_key(s, key)
        if found is None:
            raise typer.BadParameter(f"no key with id or prefix {key!r}", param_hint="KEY")
    console.print(f"key {key} revoked")


@jobs_app.command("list")
def jobs_list(limit: Annotated[int, typer.Option(min=1)] = 20) -> None:
    """Newest jobs first, with progress."""
    from yangcheng.platform.jobs import list_jobs

    db = _database(_settings())
    table = Table("id", "capability", "state", "progress", "failed", "created")
    for j in list_jobs(db, limit=limit):
        table.add_row(
            j.id,
            j.capability,
            j.state,
            f"{j.done}/{j.total}",
            str(j.failed_items),
            f"{j.created_at:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table)


@jobs_app.command("show")
def jobs_show(job_id: str) -> None:
    """One job as JSON, with its first results."""
    from yangcheng.platform.api.jobs import job_info
    from yangcheng.platform.jobs import JobNotFound, load_job

    db = _database(_settings())
    try:
        job = load_job(db, job_id)
    except JobNotFound as exc:
        raise typer.BadParameter(str(exc), param_hint="JOB_ID") from exc
    console.print_json(job_info(job).model_dump_json())


@app.command("catalog")
def catalog() -> None:
    """Capabilities installed in this environment."""
    from yangcheng.platform.catalog import discover

    table = Table("capability", "version", "summary")
    for cap in discover().capabilities.values():
        table.add_row(cap.name, cap.version, cap.summary)
    console.print(table)


def local_caller() -> Any:
    """Whoever runs the CLI on this machine: they can read the database anyway."""
    import getpass

    from yangcheng.platform.catalog import Caller

    return Caller(email=f"{getpass.getuser()}@localhost", organisation="local command line")


def invoke_capability(name: str, payload: dict[str, Any]) -> None:
    """Run a capability in-process and print its JSON; bad input names the field."""
    from yangcheng.platform.catalog import InvalidInput, UnknownCapability, discover

    try:
        cap = discover().get(name)
        result = cap.invoke(payload, local_caller())
    except UnknownCapability as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise typer.BadParameter(problems, param_hint="request") from exc
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.field) from exc
    console.print_json(result.model_dump_json())


@app.command("invoke")
def invoke(
    name: Annotated[str, typer.Argument(help="Capability name, see `yangcheng catalog`.")],
    request: Annotated[str, typer.Argument(help="Request JSON, or @file.json, or - for stdin.")],
) -> None:
    """Invoke any capability locally, without a server."""
    invoke_capability(name, _json_arg(request))


@finance_app.command("check-id")
def finance_check_id(
    resident_id: Annotated[str | None, typer.Option(help="18-character resident ID.")] = None,
    birth_date: Annotated[str | None, typer.Option(help="Declared birth date, YYYY-MM-DD.")] = None,
    sex: Annotated[str | None, typer.Option(help="Declared sex: male or female.")] = None,
    min_age: Annotated[int | None, typer.Option(min=0)] = None,
    uscc: Annotated[str | None, typer.Option(help="Unified social credit code.")] = None,
    bank_card: Annotated[str | None, typer.Option()] = None,
    mobile: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Check identity document numbers (finance.identity.documents)."""
    payload = {
        "resident_id": resident_id,
        "declared_birth_date": birth_date,
        "declared_sex": sex,
        "min_age": min_age,
        "uscc": uscc,
        "bank_card": bank_card,
        "mobile": mobile,
    }
    invoke_capability(
        "finance.identity.documents", {k: v for k, v in payload.items() if v is not None}
    )


finance_audit_app = typer.Typer(help="The hash-chained decision log.", no_args_is_help=True)
finance_flows_app = typer.Typer(help="Decision flow releases.", no_args_is_help=True)
finance_app.add_typer(finance_audit_app, name="audit")
finance_app.add_typer(finance_flows_app, name="flows")
finance_app.add_typer(recording_app, name="recording")


@finance_audit_app.command("verify")
def finance_audit_verify(
    expected_count: Annotated[
        int | None, typer.Option(help="Record count of a head saved earlier.")
    ] = None,
    expected_hash: Annotated[str | None, typer.Option(help="Hash of that head.")] = None,
) -> None:
    """Check every link of the decision log; exit 1 and name the record if one was altered."""
    from yangcheng.finance.service_decide import AuditVerifyRequest, verify_audit

    try:
        req = AuditVerifyRequest(expected_count=expected_count, expected_hash=expected_hash)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint="--expected-hash") from exc
    result = verify_audit(req)
    if result.ok:
        console.print(
            f"[green]audit log intact[/]: {result.records} records; "
            f"head {result.head_count} {result.head_hash}"
        )
        return
    console.print(f"[red]audit log broken[/] at record {result.first_bad_seq}: {result.reason}")
    raise typer.Exit(1)


@finance_app.command("decide")
def finance_decide(
    flow: Annotated[str, typer.Argument(help="card_payment, consumer_credit, or yours.")],
    transaction: Annotated[str, typer.Argument(help="Transaction JSON, @file.json or -.")],
) -> None:
    """Decide on one transaction with the flow's active release."""
    invoke_capability("finance.decide", {"flow": flow, "transaction": _json_arg(transaction)})


@finance_flows_app.command("list")
def finance_flows_list() -> None:
    """Flows with their versions, the active one and any challenger or shadow."""
    from yangcheng.finance.service_decide import FlowListRequest, list_flows

    table = Table("flow", "version", "status", "author", "approver", "role")
    for flow in list_flows(FlowListRequest()).flows:
        for v in flow.versions:
            role = (
                "challenger"
                if v.version == flow.challenger
                else "shadow"
                if v.version == flow.shadow
                else ""
            )
            table.add_row(
                flow.name, str(v.version), v.status, v.created_by, v.approved_by or "", role
            )
    console.print(table)


@finance_app.command("backtest")
def finance_backtest(
    flow: Annotated[str, typer.Argument(help="Flow name.")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
    records: Annotated[int, typer.Option(min=100, max=100_000)] = 5000,
    seed: Annotated[int, typer.Option(min=0)] = 7,
) -> None:
    """Replay labelled synthetic history through a flow version; compare with the active one."""
    payload: dict[str, Any] = {"name": flow, "records": records, "seed": seed}
    if version is not None:
        payload["version"] = version
    invoke_capability("finance.flows.backtest", payload)


def _json_arg(text: str) -> dict[str, Any]:
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise typer.BadParameter(f"no file {path}", param_hint="TRANSACTION")
        text = path.read_text()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise typer.BadParameter("must be a JSON object")
    return value


def _figure(value: Any) -> str:
    if not isinstance(value, float):
        return str(value)
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4f}"


@app.command()
def bench(
    scenario: Annotated[
        str,
        typer.Argument(
            help="platform, finance, finance-models, identity, security-data, security, "
            "security-line, education-kt, education or radiotherapy."
        ),
    ] = "platform",
    out: Annotated[Path, typer.Option(help="Folder for the JSON results.")] = Path(
        "benchmarks/results"
    ),
    quick: Annotated[bool, typer.Option(help="Smaller sizes, for a smoke run.")] = False,
) -> None:
    """Measure a scenario's targets; prints a table, writes JSON, records the run."""
    from yangcheng.bench import run_benchmark

    settings = _settings()
    try:
        report = run_benchmark(scenario, quick=quick, settings=settings, out_dir=out)
    except KeyError as exc:
        raise typer.BadParameter(str(exc), param_hint="SCENARIO") from exc
    table = Table("metric", "value", title=f"{scenario} benchmark")
    for key, value in report["metrics"].items():
        table.add_row(key, _figure(value))
    console.print(table)
    console.print(f"written {report['path']}")


if __name__ == "__main__":  # pragma: no cover
    app()
