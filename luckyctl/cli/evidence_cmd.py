"""``luckyctl evidence …``: browse, verify and export a plan's evidence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.text import Text

from luckyctl.cli import context
from luckyctl.errors import InputError

if TYPE_CHECKING:
    from luckyctl.evidence import EvidenceRecord

app = typer.Typer(help="Browse, verify (hashes and chain) and export the evidence of a plan.", no_args_is_help=True)

MAX_METRICS_SHOWN = 3
_STATUS_STYLES = {"passed": "green", "failed": "red", "error": "bold red", "waiting": "yellow"}
_LIST_HEADERS = ("seq", "time", "task", "phase", "kind", "name", "status", "metrics")


def _print(app_ctx: context.AppContext, line: str | Text) -> None:
    app_ctx.out.print(line if isinstance(line, Text) else Text(line), soft_wrap=True)


def _short_time(stamp: str) -> str:
    """``2026-12-07 09:15:02`` in UTC; the stored text as it is if it is not a timestamp."""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _metrics_text(metrics: dict[str, Any]) -> str:
    shown = [f"{name}={_number(value)}" for name, value in sorted(metrics.items())[:MAX_METRICS_SHOWN]]
    more = " …" if len(metrics) > MAX_METRICS_SHOWN else ""
    return " ".join(shown) + more


def _list_row(record: EvidenceRecord) -> tuple[str, ...]:
    return (
        str(record.seq),
        _short_time(record.started_at),
        record.task_id,
        record.phase.value,
        record.kind.value,
        record.name or "",
        record.status.value,
        _metrics_text(record.metrics),
    )


def _table(rows: list[tuple[str, ...]]) -> list[Text]:
    """Columns padded to their widest cell; ``seq`` right-aligned; the status coloured."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(_LIST_HEADERS))]
    lines = []
    for number, row in enumerate(rows):
        line = Text()
        for column, (cell, width) in enumerate(zip(row, widths, strict=True)):
            last = column == len(row) - 1
            padded = cell.rjust(width) if column == 0 else (cell if last else cell.ljust(width))
            style = _STATUS_STYLES.get(cell, "") if _LIST_HEADERS[column] == "status" and number else ""
            line.append(padded, style=style or ("bold" if number == 0 else ""))
            if not last:
                line.append("  ")
        line.rstrip()
        lines.append(line)
    return lines


def _selected_task_ids(app_ctx: context.AppContext, selector: str | None) -> list[str] | None:
    if selector is None:
        return None
    from luckyctl.selectors import resolve_selector

    return resolve_selector(app_ctx.roadmap, selector)


@app.command("list")
def list_evidence(
    ctx: typer.Context,
    selector: str | None = typer.Argument(
        None, metavar="[SEL]", help="Project, epic, story or task ids, comma-separated (default: everything)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List evidence records in chain order: seq, time, task, phase, kind, name, status, key metrics."""
    from luckyctl.evidence import iter_records

    app_ctx = context.get(ctx)
    task_ids = _selected_task_ids(app_ctx, selector)
    store = app_ctx.existing_store()
    records = list(iter_records(store, task_ids=task_ids)) if store is not None else []
    if as_json:
        app_ctx.print_json({"count": len(records), "records": [record.to_json() for record in records]})
        return
    if not records:
        app_ctx.info("no evidence recorded" + (f" for {selector}" if selector else ""))
        return
    for line in _table([_LIST_HEADERS, *(_list_row(record) for record in records)]):
        _print(app_ctx, line)
    app_ctx.info(f"{len(records)} record{'s' if len(records) != 1 else ''}")


def _block(value: dict[str, Any]) -> list[str]:
    if not value:
        return ["{}"]
    return ["", *("  " + line for line in json.dumps(value, indent=2, ensure_ascii=False, default=str).splitlines())]


@app.command("show")
def show(
    ctx: typer.Context,
    seq: int = typer.Argument(..., metavar="SEQ", help="The record's number in the chain (from `evidence list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show one evidence record in full, with its artifact files."""
    from luckyctl.evidence import ArtifactStore, record_at, seq_range

    app_ctx = context.get(ctx)
    store = app_ctx.existing_store()
    record = record_at(store, seq) if store is not None else None
    if record is None:
        span = seq_range(store) if store is not None else None
        hint = f" (the chain has seq {span[0]}–{span[1]})" if span else " (no evidence recorded yet)"
        raise InputError(f"no evidence record with seq {seq}{hint}")
    artifacts = ArtifactStore.for_plan(app_ctx.plan_home)
    files = []
    for name, digest in sorted(record.artifacts.items()):
        path = artifacts.path(digest)
        files.append(
            {
                "name": name,
                "sha256": digest,
                "path": str(path),
                "size": path.stat().st_size if path.is_file() else None,
                "state": artifacts.check(digest).value,
            }
        )
    if as_json:
        app_ctx.print_json({**record.to_json(), "artifact_files": files})
        return
    operator = record.operator
    fields: list[tuple[str, str | list[str]]] = [
        ("seq", str(record.seq)),
        ("task", record.task_id),
        ("run", record.run_id or "-"),
        ("attempt", str(record.attempt)),
        ("phase", record.phase.value),
        ("step", f"{record.step_index} {record.kind.value}" + (f" {record.name}" if record.name else "")),
        ("status", record.status.value),
        ("summary", record.summary or ""),
        ("started", record.started_at),
        ("ended", record.ended_at),
        ("operator", f"{operator.get('user', '?')}@{operator.get('host', '?')}"),
        ("spec hash", record.spec_hash or "-"),
        ("prev hash", record.prev_hash),
        ("hash", record.hash),
        ("inputs", _block(record.inputs)),
        ("outputs", _block(record.outputs)),
        ("metrics", _block(record.metrics)),
    ]
    for key, value in fields:
        lines = value if isinstance(value, list) else [value]
        _print(app_ctx, f"{key:<10} {lines[0]}".rstrip())
        for line in lines[1:]:
            _print(app_ctx, line)
    _print(app_ctx, "artifacts" + ("" if files else "  -"))
    for file in files:
        size = f"{file['size']} bytes" if file["size"] is not None else "-"
        _print(app_ctx, f"  {file['name']}  {file['state']}  {size}  {file['path']}")


@app.command("verify")
def verify(
    ctx: typer.Context,
    directory: Path | None = typer.Argument(
        None, metavar="[DIR]", help="Verify an export made by `evidence export` instead of the plan's store."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Verify every record's hash, the chain's links and head, and every artifact file.

    Exit 0 when intact; 1 with one line per problem, naming the record.
    """
    from luckyctl.evidence import ArtifactStore, ChainBrokenError, VerifyReport, verify_chain, verify_export

    app_ctx = context.get(ctx)
    if directory is not None:
        report = verify_export(directory)
    else:
        store = app_ctx.existing_store()
        report = verify_chain(store, ArtifactStore.for_plan(app_ctx.plan_home)) if store is not None else VerifyReport()
    if as_json:
        app_ctx.print_json(report.to_json())
    elif report.ok:
        head = f", head {report.head[:12]}…" if report.head else ""
        _print(app_ctx, f"evidence intact: {report.records} records, {report.artifacts} artifacts{head}")
    else:
        for problem in report.problems:
            _print(app_ctx, str(problem))
    if not report.ok:
        count = len(report.problems)
        raise ChainBrokenError(
            f"evidence verification failed: {count} problem{'s' if count != 1 else ''} in {report.records} records"
        )


@app.command("export")
def export(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., metavar="DIR", help="A new or empty directory."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Copy the records (JSON lines), their artifacts and a manifest with the chain's head into DIR.

    An auditor verifies the copy offline, with `luckyctl evidence verify DIR` or by the rule in the manifest.
    """
    from luckyctl.evidence import ArtifactStore, export_evidence

    app_ctx = context.get(ctx)
    store = app_ctx.existing_store()
    if store is None:
        raise InputError(f"nothing to export: no evidence recorded for plan '{app_ctx.plan.name}' yet")
    summary = export_evidence(store, ArtifactStore.for_plan(app_ctx.plan_home), directory, plan=app_ctx.plan.name)
    if as_json:
        app_ctx.print_json(summary.to_json())
        return
    head = f" (head {summary.head[:12]}…)" if summary.head else ""
    _print(app_ctx, f"exported {summary.records} records and {summary.artifacts} artifacts to {directory}{head}")
    missing = len(summary.missing_artifacts)
    if missing:
        what = "1 artifact was missing and is" if missing == 1 else f"{missing} artifacts were missing and are"
        app_ctx.err.print(Text(f"warning: {what} not in the export"))
