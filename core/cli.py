"""The ``enrich`` command line.

Exit codes: 0 done; 1 internal error; 2 configuration or usage error; 3 the source could
not be read or written; 4 a plugin failed (``--fail-fast``, or failing on most records);
5 done, but records were quarantined and ``--fail-on-quarantine`` was given; 6 the CRM's
daily API allowance is spent (what was written is saved; run again after it resets);
75 another run holds the state store (try again later).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
import polars as pl

from . import __version__, columns, normalise
from .config import DEFAULT_CONFIG, Config, load_config
from .console import reporter_for, table
from .engine import Engine, Pipeline, RunResult, iter_matching
from .errors import EXIT_INTERNAL, EXIT_QUARANTINED, EnrichError
from .scaffold import scaffold
from .registry import Registry, default_registry
from .state import StateStore
from .waterfall import Waterfall


class _Context:
    def __init__(self, config_path: str, json_logs: bool):
        self.config_path = config_path
        self.json_logs = json_logs

    @property
    def registry(self) -> Registry:
        return default_registry()

    def config(self) -> Config:
        return load_config(self.config_path, self.registry)

    def state(self, config: Config) -> StateStore:
        return StateStore(config.directory / config.engine.state)


_json_errors = [False]  # set from --json: main() then reports failures as a JSON line too


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crm-enrich")
@click.option(
    "--config", "config_path", envvar="CRM_ENRICH_CONFIG", default=DEFAULT_CONFIG,
    show_default=True, help="plugins.toml to use (env CRM_ENRICH_CONFIG).",
)
@click.option("--json", "json_logs", is_flag=True, help="Machine-readable output: JSON (lines for sync).")
@click.pass_context
def cli(ctx: click.Context, config_path: str, json_logs: bool) -> None:
    """Label CRM records with ICP fit and buyer persona, and write the labels back."""
    ctx.obj = _Context(config_path, json_logs)
    _json_errors[0] = json_logs


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the plan (old -> new) and write nothing.")
@click.option("--fail-fast", is_flag=True, default=None, help="Stop at the first plugin error instead of quarantining.")
@click.option("--full", is_flag=True, help="Ignore watermarks and read every record.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Records per batch (default from plugins.toml).")
@click.option("--show", type=click.IntRange(min=0), default=20, show_default=True, help="Changes listed by --dry-run.")
@click.option("--fail-on-quarantine", is_flag=True, help="Exit 5 when any record was quarantined.")
@click.pass_obj
def sync(obj: _Context, dry_run, fail_fast, full, batch_size, show, fail_on_quarantine) -> None:
    """Read, enrich, score, and write changed labels back to the source."""
    config = obj.config()
    reporter = reporter_for(obj.json_logs)
    engine = Engine(
        config, obj.state(config), reporter=reporter, dry_run=dry_run, fail_fast=fail_fast,
        full=full, batch_size=batch_size, plan_limit=None if obj.json_logs else show,
    )
    result = engine.run()
    if obj.json_logs:
        for change in result.plan:
            reporter.event("planned_change", **vars(change))
        reporter.event("run_finished", run_id=result.run_id, dry_run=result.dry_run,
                       seconds=round(result.seconds, 3),
                       figures={t: f.as_dict() for t, f in result.figures.items()})
    else:
        click.echo(_summary(result, config))
    if fail_on_quarantine and result.quarantined:
        sys.exit(EXIT_QUARANTINED)


def _summary(result: RunResult, config: Config) -> str:
    figures = result.figures
    kind = "dry run" if result.dry_run else "run"
    lines = [f"crm-enrich {kind} {result.run_id} finished in {result.seconds:.1f} s", ""]
    written = "would write" if result.dry_run else "written"
    lines.append(table(
        [[t, f.read, f.quarantined, f.changed, 0 if result.dry_run else f.written] for t, f in figures.items()],
        ["", "read", "quarantined", "changed", written],
    ))
    for object_type, f in figures.items():
        for name, counts in f.distributions.items():
            total = sum(counts.values()) or 1
            parts = [f"{value} {n:,} ({100 * n / total:.0f}%)" for value, n in sorted(counts.items())]
            lines.append(f"{name} ({object_type}): " + "  ".join(parts))
    for object_type, f in figures.items():
        for (rows, cols), counts in f.crosstabs.items():
            lines += ["", _crosstab(rows, cols, counts, config)]
    for name, looked in figures["companies"].lookups.items():
        lines.append(_lookup_line(name, looked))
    if result.dry_run:
        lines.append("")
        for object_type, f in figures.items():
            if f.changed:
                per_field = ", ".join(f"{k} {v:,}" for k, v in f.fields.items() if v)
                lines.append(f"would change {f.changed:,} {object_type}: {per_field}")
        if result.plan:
            lines.append(table(
                [[c.object_type, c.record_id, c.field, _short(c.old), _short(c.new)] for c in result.plan],
                ["object", "id", "field", "old", "new"],
            ))
            total = sum(f.changed for f in figures.values())
            lines.append(f"(first {len(result.plan)} changes; --show N for more, --json for all; "
                         f"{total:,} records would change)")
    if result.quarantined:
        lines += ["", f"{len(result.quarantined)} quarantined (left as they are in the source; "
                      f"`enrich quarantine` lists them all):"]
        for q in result.quarantined[:5]:
            lines.append("  " + _quarantine_line(vars(q)))
    return "\n".join(lines)


def _lookup_line(name: str, f) -> str:
    """One provider's work: what it was asked, what it knew, what it filled."""
    parts = [f"{name}: asked {f.asked:,} (found {f.found:,}, not found {f.not_found:,})"]
    if f.cache_hits:
        parts.append(f"cached {f.cache_hits:,}")
    if f.skipped:
        parts.append(f"not asked {f.skipped:,} (budget, quota or dry run; next run asks them)")
    filled = ", ".join(f"{k} {v:,}" for k, v in f.filled.items() if v)
    parts.append(f"filled {filled}" if filled else "filled nothing")
    return "; ".join(parts)


def _crosstab(rows: str, cols: str, counts: dict, config: Config) -> str:
    """Counts of one label by another (persona by tier), in the labels' declared order."""
    options = {
        name: spec.options
        for selected in config.scorers
        for name, spec in getattr(selected.cls, "outputs", {}).items()
    }

    def order(name: str, seen: set) -> list:
        declared = list(options.get(name) or ())
        return [v for v in declared if v in seen] + sorted(v for v in seen if v not in declared)

    row_values = order(rows, {r for r, _ in counts})
    col_values = order(cols, {c for _, c in counts})
    body = [
        [r, *(counts.get((r, c), 0) for c in col_values), sum(counts.get((r, c), 0) for c in col_values)]
        for r in row_values
    ]
    return f"{rows} by {cols}:\n" + table(body, [rows, *col_values, "total"])


def _short(value: Any, width: int = 60) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _quarantine_line(q: dict) -> str:
    where = []
    if q.get("source"):
        where.append(Path(q["source"]).name + (f" row {q['line']}" if q.get("line") else ""))
    if q.get("record_id"):
        where.append(f"id {q['record_id']}")
    if q.get("plugin"):
        where.append(f"plugin {q['plugin']}")
    return f"{q['object_type']} {', '.join(where)}: {q['reason']}"


@cli.command()
@click.pass_obj
def check(obj: _Context) -> None:
    """Validate plugins.toml and reach the connector's source, without running."""
    config = obj.config()
    pipeline = Pipeline(config, lambda q: None)
    lines = pipeline.connector.check()
    for object_type in columns.OBJECT_TYPES:
        pipeline.declared_schema(object_type)
    report = {
        "config": str(config.path),
        "connector": config.connector.name,
        "enrichers": [s.name for s in config.enrichers],
        "scorers": [s.name for s in config.scorers],
        "source": lines,
    }
    if obj.json_logs:
        _emit({"ok": True, **report})
        return
    click.echo(f"config ok: {report['config']}")
    click.echo(f"connector {report['connector']}, enrichers {report['enrichers']}, scorers {report['scorers']}")
    for line in lines:
        click.echo(f"  {line}")


@cli.group(invoke_without_command=True)
@click.pass_context
def plugins(ctx: click.Context) -> None:
    """List loaded plugins, their versions, hooks and what they register."""
    if ctx.invoked_subcommand is not None:
        return
    obj: _Context = ctx.obj
    loaded = obj.registry.plugins
    if obj.json_logs:
        _emit([vars(p) for p in loaded])
        return
    rows = [
        [p.name, p.distribution, p.version, ", ".join(p.hooks),
         "; ".join(f"{k}: {', '.join(v)}" for k, v in p.provides.items()) or "-"]
        for p in loaded
    ]
    click.echo(table(rows, ["plugin", "distribution", "version", "hooks", "provides"]))


@plugins.command("new")
@click.argument("kind", type=click.Choice(["connector"]))
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to create the package folder.")
def new_plugin(kind: str, name: str, parent: Path) -> None:
    """Create a plugin package that already passes the contract kit (docs/plugins.md)."""
    made = scaffold(kind, name, parent)
    click.echo(f"created {made}/ (plugin {name!r}); next:\n"
               f"  pip install -e '{made}[test]' && python -m pytest -q {made}/tests")


@cli.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_obj
def runs(obj: _Context, limit: int) -> None:
    """Show the run history of the state store."""
    history = obj.state(obj.config()).runs(limit)
    if obj.json_logs:
        _emit(history)
        return
    rows = [
        [r["id"], r["started_at"], r["status"] + (" (dry run)" if r["dry_run"] else ""),
         _total(r["figures"], "read"), _total(r["figures"], "changed"), _total(r["figures"], "written"),
         r["quarantined"], r["config_fingerprint"], r["error"] or ""]
        for r in history
    ]
    click.echo(table(rows, ["run", "started", "status", "read", "changed", "written", "quarantined", "config", "error"]))


def _total(figures: dict, key: str) -> int | None:
    """One figure summed over object types (None for a run that recorded none)."""
    return sum(f.get(key, 0) for f in figures.values()) if figures else None


@cli.command()
@click.option("--run", "run_id", type=int, help="Run id (default: the last run).")
@click.pass_obj
def quarantine(obj: _Context, run_id: int | None) -> None:
    """List the records a run quarantined, with file, row, plugin and reason."""
    state = obj.state(obj.config())
    run_id = run_id or state.last_run_id()
    items = state.quarantine(run_id) if run_id else []
    if obj.json_logs:
        _emit(items)
        return
    click.echo(f"run {run_id}: {len(items)} quarantined")
    for q in items:
        click.echo("  " + _quarantine_line(q) + (f"\n      {q['raw']!r}" if q.get("raw") else ""))


@cli.command()
@click.argument("record_id")
@click.pass_obj
def explain(obj: _Context, record_id: str) -> None:
    """Show how one company's or contact's labels were derived."""
    config = obj.config()
    state = obj.state(config)
    pipeline = Pipeline(config, lambda q: None, Waterfall(config.waterfall, state, paid=False))
    size = config.engine.batch_size
    company = _first(pipeline, "companies", pl.col("id") == record_id, size)
    contact = None
    if company is None:
        contact = _first(pipeline, "contacts", pl.col("id") == record_id, size)
        if contact is None:
            raise click.ClickException(f"no company or contact with id {record_id!r}")
        company = _company_of(pipeline, contact, size)
    out: dict[str, Any] = {}
    if company is not None:
        company = pipeline.label("companies", company, fail_fast=True)
        out["company"] = _explained(pipeline, "companies", company)
        out["company"]["provenance"] = state.provenance(pipeline.connector_name, "companies", company["id"][0])
    if contact is not None:
        fit = pipeline.fit_table(company) if company is not None else pipeline.empty_fit()
        contact = pipeline.join_company(contact, pipeline.company_index(fit))
        contact = pipeline.label("contacts", contact, fail_fast=True)
        out["contact"] = _explained(pipeline, "contacts", contact)
    if obj.json_logs:
        _emit(out)
        return
    if "contact" in out:
        c = out["contact"]["record"]
        click.echo(f"contact {c['id']}: {c.get('first_name') or ''} {c.get('last_name') or ''} "
                   f"<{c.get('email') or '-'}>, {c.get('job_title') or 'no title'}")
        click.echo("  " + _pairs(out["contact"]["labels"]))
        if c.get("company_id") is None:
            click.echo("  no company: not linked by company id nor by email domain")
        _echo_explanations(out["contact"]["explanations"])
    if "company" in out:
        c = out["company"]["record"]
        click.echo(f"company {c['id']}: {c.get('name') or '-'} ({c.get('domain') or c.get('website') or 'no domain'})")
        facts = ("industry", "employees", "annual_revenue", "country", "funding_stage", "technologies")
        click.echo("  " + _pairs({k: c.get(k) for k in facts}))
        for name, p in out["company"]["provenance"].items():
            sure = "" if p["confidence"] is None else f", confidence {p['confidence']:.2f}"
            click.echo(f"  {name} filled by {p['provider']}{sure}, answer of {p['fetched_at']} (run {p['run_id']})")
        click.echo("  " + _pairs(out["company"]["labels"]))
        _echo_explanations(out["company"]["explanations"])


def _explained(pipeline: Pipeline, object_type: str, labelled: pl.DataFrame) -> dict[str, Any]:
    visible = labelled.select(c for c in labelled.columns if not c.startswith("_"))
    record = visible.row(0, named=True)
    return {
        "record": record,
        "labels": {n: record.get(n) for n in pipeline.outputs[object_type]},
        "explanations": {
            s.name: s.instance.explain(visible.to_arrow())
            for s in pipeline.stages[object_type]
            if s.kind == "scorer" and hasattr(s.instance, "explain")
        },
    }


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v if v is not None else '-'}" for k, v in values.items())


def _echo_explanations(explanations: dict[str, list[str]]) -> None:
    for name, lines in explanations.items():
        click.echo(f"  [{name}]")
        for line in lines:
            click.echo(f"  {line}")


def _first(pipeline: Pipeline, object_type: str, predicate: pl.Expr, size: int) -> pl.DataFrame | None:
    for df in iter_matching(pipeline, object_type, predicate, size):
        return df.head(1)
    return None


def _company_of(pipeline: Pipeline, contact: pl.DataFrame, size: int) -> pl.DataFrame | None:
    """The contact's company record: by company id, else by its email domain."""
    company_id = contact.get_column("company_id")[0]
    if company_id is not None:
        return _first(pipeline, "companies", pl.col("id") == company_id, size)
    domain = contact.select(normalise.email_domain(pl.col("email"))).item()
    if domain is None:
        return None
    return _first(pipeline, "companies", normalise.company_domain() == domain, size)


def _build() -> click.Group:
    default_registry().plugin_manager.hook.register_commands(cli=cli)
    return cli


def main() -> None:
    try:
        command = _build()
        command.main(standalone_mode=False)
    except EnrichError as exc:
        click.echo(f"error: {exc}", err=True)
        if _json_errors[0]:
            problems = getattr(exc, "problems", None)
            click.echo(json.dumps({"event": "error", "exit_code": exc.exit_code, "error": type(exc).__name__,
                                   "message": str(exc), **({"problems": problems} if problems else {})}))
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted; nothing was checkpointed past the last completed write", err=True)
        sys.exit(130)
    except Exception:
        if os.environ.get("CRM_ENRICH_DEBUG"):
            raise
        import traceback

        click.echo(traceback.format_exc(), err=True)
        click.echo("error: internal error (a bug in crm-enrich or a plugin); the traceback is above", err=True)
        if _json_errors[0]:
            click.echo(json.dumps({"event": "error", "exit_code": EXIT_INTERNAL, "error": "InternalError",
                                   "message": "internal error; the traceback is on stderr"}))
        sys.exit(EXIT_INTERNAL)
