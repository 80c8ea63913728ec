"""The pipeline: read, enrich, score, diff, write, checkpoint.

Companies go first: firmographic enrichers, then company scorers (ICP fit). Their fit is
kept in one small table (id, domain, size, fit) that contacts are joined with after the
demographic enrichers, so contact scorers see the account's fit and contacts inherit it.
Each batch is diffed against what the source holds and only changed values are handed
to the connector. Memory is bounded by the batch size plus that company table.

A contact scorer that rolls up to companies (the buying committee) needs every contact
labelled before the companies are written: then companies are labelled once for the fit,
the contacts are labelled and written, and the companies are labelled again and written
with the roll-up joined on. Each contact's company and roll-up labels are kept (in the
state store, for incremental connectors) so the roll-up always covers every contact.

A watermark is saved only after the writer covering it committed; a run that dies
part-way is simply run again.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import columns, normalise
from .config import Config
from .errors import ConfigError, PluginError
from .protocols import ChangeSet, Field, PluginContext, Quarantined
from .state import StateStore
from .waterfall import (
    HIDDEN,
    SOURCE_SUFFIX,
    ProviderFigures,
    Waterfall,
    provider_outputs,
)

OLD = "_old_"  # prefix of the columns holding what the source has, for the diff
FIT = "company_"  # prefix of company columns joined onto contacts

# A plugin failing on more than this share of a batch is broken, not fed bad data:
# stop instead of bisecting the whole batch into quarantine.
MAX_FAILING_SHARE = 0.1


class Reporter(Protocol):
    """Where the engine reports progress; the CLI provides bar, plain and JSON forms."""

    def start(self, object_type: str, total: int | None) -> None: ...

    def advance(self, records: int) -> None: ...

    def finish(self) -> None: ...

    def event(self, name: str, **fields: Any) -> None: ...


class SilentReporter:
    def start(self, object_type, total):
        pass

    def advance(self, records):
        pass

    def finish(self):
        pass

    def event(self, name, **fields):
        pass


@dataclass
class Figures:
    """What happened to one object type in one run."""

    read: int = 0
    quarantined: int = 0
    changed: int = 0
    written: int = 0
    fields: Counter = field(default_factory=Counter)
    distributions: dict[str, Counter] = field(default_factory=dict)
    # (label, inherited label) -> Counter of value pairs: persona by the account's tier
    crosstabs: dict[tuple[str, str], Counter] = field(default_factory=dict)
    lookups: dict[str, ProviderFigures] = field(default_factory=dict)  # per provider

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "quarantined": self.quarantined,
            "changed": self.changed,
            "written": self.written,
            "fields": dict(self.fields),
            "distributions": {k: dict(v) for k, v in self.distributions.items()},
            "crosstabs": {
                f"{rows} by {cols}": {f"{r} / {c}": n for (r, c), n in sorted(counts.items())}
                for (rows, cols), counts in self.crosstabs.items()
            },
            "lookups": {name: f.as_dict() for name, f in self.lookups.items()},
        }


@dataclass
class PlannedChange:
    object_type: str
    record_id: str
    field: str
    old: Any
    new: Any


@dataclass
class RunResult:
    run_id: int
    dry_run: bool
    figures: dict[str, Figures]
    plan: list[PlannedChange]
    quarantined: list[Quarantined]
    seconds: float


@dataclass
class Stage:
    """One plugin instance at its place in the pipeline."""

    name: str
    kind: str  # enricher | provider | scorer
    instance: Any
    outputs: dict[str, Field]

    def run(self, table: pa.Table) -> pa.Table:
        return (self.instance.enrich if self.kind == "enricher" else self.instance.score)(table)


class Pipeline:
    """The plugin instances of one run, and the per-batch work that sync and explain share."""

    def __init__(
        self, config: Config, quarantine: Callable[[Quarantined], None], waterfall: Waterfall | None = None
    ):
        self.config = config
        self.quarantine = quarantine
        # Without a state store (or in a dry run) providers answer from no cache, unpaid.
        self.waterfall = waterfall or Waterfall(config.waterfall, None, paid=False)
        context = PluginContext(config.directory, quarantine, config.cache_dir)
        sel = config.connector
        self.connector = sel.cls(sel.settings, context)
        self.connector_name = sel.name
        self.stages: dict[str, list[Stage]] = {t: [] for t in columns.OBJECT_TYPES}
        self.inherited: dict[str, str] = {}
        self.outputs: dict[str, dict[str, Field]] = {t: {} for t in columns.OBJECT_TYPES}
        self.rollups: list[Stage] = []  # contact scorers that roll up to their companies
        for kind, selected in (("enricher", config.enrichers), ("scorer", config.scorers)):
            for s in selected:
                instance = s.cls(s.settings, context)
                if kind == "enricher" and hasattr(instance, "lookup"):
                    stage = Stage(s.name, "provider", instance, provider_outputs(instance, config.waterfall))
                else:
                    stage = Stage(s.name, kind, instance, dict(instance.outputs))
                self.stages[s.cls.object_type].append(stage)
                self.outputs[s.cls.object_type].update(stage.outputs)
                for contact_col, company_col in getattr(instance, "inherited", {}).items():
                    inherited = stage.outputs[company_col]
                    self.inherited[contact_col] = company_col
                    self.outputs["contacts"][contact_col] = dataclasses.replace(
                        inherited, description=f"{inherited.description} (of the contact's company)"
                    )
                if getattr(instance, "company_outputs", None):
                    self.rollups.append(stage)
                    self.outputs["companies"].update(instance.company_outputs)
        for name, policy in config.write_policy.items():
            for fields in self.outputs.values():
                if name in fields:
                    fields[name] = dataclasses.replace(fields[name], policy=policy)

    @property
    def fingerprint(self) -> str:
        """The config's, with each plugin's ``version`` (a new vocabulary rescores all)."""
        versions = [
            f"{s.name}={s.instance.version}"
            for stages in self.stages.values() for s in stages if getattr(s.instance, "version", None)
        ]
        return ";".join([self.config.fingerprint, *versions])

    # -- shape ----------------------------------------------------------------------

    def declared_schema(self, object_type: str) -> pa.Schema:
        """The connector's declared schema, checked against the canonical columns."""
        outputs = self.outputs[object_type]
        schema = self.connector.schema(object_type, outputs)
        canonical = columns.INPUTS[object_type]
        problems = []
        if "id" not in schema.names:
            problems.append("has no 'id' column")
        twice = sorted({n for n in schema.names if schema.names.count(n) > 1})
        if twice:
            problems.append(f"declares {twice} more than once (an output that is also an input is one column)")
        for f in schema:
            expected = canonical.field(f.name).type if f.name in canonical.names else None
            if expected is None and f.name in outputs:
                expected = outputs[f.name].type
            if expected is None:
                problems.append(f"column {f.name!r} is neither a canonical column nor an output")
            elif columns.text_blind(f.type) != columns.text_blind(expected):
                problems.append(f"column {f.name!r} is {f.type}, expected {expected}")
        if problems:
            raise PluginError(
                self.connector_name, f"schema of {object_type}", "; ".join(problems)
            )
        return schema

    def conform(self, object_type: str, batch: pa.RecordBatch, schema: pa.Schema) -> pl.DataFrame:
        """A batch as a frame with every canonical column; held outputs renamed for the diff."""
        if not batch.schema.equals(schema):
            raise PluginError(
                self.connector_name,
                f"read {object_type}",
                f"a batch does not match the declared schema: got {batch.schema}, "
                f"declared {schema}",
            )
        df = pl.from_arrow(batch)
        if isinstance(df, pl.Series):  # a single-column batch
            df = df.to_frame()
        outputs = self.outputs[object_type]
        held = [f for f in outputs if f in df.columns]
        df = df.rename({f: OLD + f for f in held})
        canonical = columns.INPUTS[object_type]
        # An output that is also an input (a contact's country) is filled, not invented:
        # the plugin sees what the source holds.
        kept = [pl.col(OLD + f).alias(f) for f in held if f in canonical.names]
        if kept:
            df = df.with_columns(kept)
        missing = [
            pl.lit(None, dtype=columns.polars_type(f.type)).alias(f.name)
            for f in canonical
            if f.name not in df.columns
        ]
        return df.with_columns(missing) if missing else df

    # -- labelling --------------------------------------------------------------------

    def label(self, object_type: str, df: pl.DataFrame, fail_fast: bool) -> pl.DataFrame:
        """Run every enricher then every scorer of ``object_type``; bad rows are quarantined."""
        outputs = self.outputs[object_type]
        for stage in self.stages[object_type]:
            if stage.kind == "provider":
                policies = {f: outputs[f].policy for f in stage.instance.fields}
                df = self.waterfall.fill(stage.name, stage.instance, df, policies)
            else:
                df = self._apply(stage, object_type, df, fail_fast, budget=[_budget(df.height)])
        sources = [n for n in outputs if n.endswith(SOURCE_SUFFIX) and n not in df.columns]
        return self.waterfall.finish(df, sources, OLD) if sources else df

    def _apply(
        self, stage: Stage, object_type: str, df: pl.DataFrame, fail_fast: bool, budget: list[int]
    ) -> pl.DataFrame:
        where = f"{stage.kind} {object_type}"
        if df.height == 0:  # nothing to ask the plugin; its columns are still there
            return df.with_columns(
                pl.lit(None, dtype=columns.polars_type(f.type)).alias(n) for n, f in stage.outputs.items()
            )
        try:
            return df.with_columns(self._call(stage, df))
        except (ConfigError, PluginError):
            raise
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            if fail_fast:
                raise PluginError(stage.name, where, message, df["id"].to_list()) from exc
            if df.height == 1:
                budget[0] -= 1
                if budget[0] < 0:
                    raise PluginError(
                        stage.name,
                        where,
                        f"fails on most records, which looks like a bug rather than bad data; "
                        f"last error: {message}",
                    ) from exc
                record_id = df["id"][0]
                self.quarantine(
                    Quarantined(object_type, message, record_id, stage.name, where)
                )
                return self._apply(stage, object_type, df.clear(), fail_fast, budget)
            half = df.height // 2
            return pl.concat(
                [
                    self._apply(stage, object_type, df[:half], fail_fast, budget),
                    self._apply(stage, object_type, df[half:], fail_fast, budget),
                ],
                how="vertical_relaxed",
            )

    def _call(self, stage: Stage, df: pl.DataFrame) -> list[pl.Series]:
        """Call one plugin and check what it returned: same rows, every declared output."""
        visible = df.select(c for c in df.columns if not c.startswith((OLD, *HIDDEN)))
        result = stage.run(visible.to_arrow())
        if not isinstance(result, pa.Table):
            raise TypeError(f"returned {type(result).__name__}, expected a pyarrow.Table")
        if result.num_rows != df.height:
            raise TypeError(f"returned {result.num_rows} rows for {df.height}")
        if "id" in result.column_names and not pl.Series(result.column("id")).equals(
            visible.get_column("id"), check_names=False
        ):
            raise TypeError("returned rows in another order, or changed their ids")
        missing = [n for n in stage.outputs if n not in result.column_names]
        if missing:
            raise TypeError(f"did not return its declared outputs {missing}")
        return [
            pl.Series(name, result.column(name)).cast(columns.polars_type(spec.type))
            for name, spec in stage.outputs.items()
        ]

    # -- companies -> contacts ----------------------------------------------------------

    def fit_columns(self) -> list[str]:
        """Company columns that contacts are joined with."""
        return ["id", "domain", *columns.COMPANY_CONTEXT, *sorted(set(self.inherited.values()))]

    def refit(self, companies: pl.DataFrame) -> list[str]:
        """Ids of companies whose inherited labels differ from what the source holds."""
        held = [c for c in set(self.inherited.values()) if OLD + c in companies.columns]
        if not held:
            return []
        changed = pl.any_horizontal(pl.col(c).ne_missing(pl.col(OLD + c)) for c in held)
        return companies.filter(changed).get_column("id").to_list()

    def fit_table(self, companies: pl.DataFrame) -> pl.DataFrame:
        """Labelled companies reduced to what contacts are joined with, domain normalised."""
        domain = normalise.company_domain().alias("domain")
        return companies.with_columns(domain).select(self.fit_columns())

    def empty_fit(self) -> pl.DataFrame:
        """A fit table without companies, typed like a real one (``employees`` is a number)."""
        companies = self.outputs["companies"]
        types = {f.name: f.type for f in columns.COMPANIES} | {n: f.type for n, f in companies.items()}
        return pl.DataFrame(schema={c: columns.polars_type(types.get(c, pa.string())) for c in self.fit_columns()})

    def company_index(self, fit: pl.DataFrame) -> CompanyIndex:
        """Built once per run: companies by unique domain, and their fit columns prefixed."""
        by_domain = (
            fit.select(pl.col("id").alias("_linked"), "domain")
            .drop_nulls("domain")
            .filter(pl.col("domain").is_unique())  # an ambiguous domain links nobody
        )
        prefixed = fit.drop("domain").rename(
            {c: FIT + c for c in fit.columns if c not in ("id", "domain")}
        )
        return CompanyIndex(by_domain, prefixed)

    def join_company(self, contacts: pl.DataFrame, index: CompanyIndex) -> pl.DataFrame:
        """Link contacts without a company by email domain, then join their company's fit."""
        unlinked = contacts.get_column("company_id").is_null()
        if unlinked.any():  # only those rows go through the domain lookup
            rows = unlinked.arg_true()
            linked = (
                contacts[rows]
                .select(normalise.email_domain(pl.col("email")).alias("domain"))
                .join(index.by_domain, on="domain", how="left", maintain_order="left")
                .get_column("_linked")
            )
            contacts = contacts.with_columns(contacts.get_column("company_id").scatter(rows, linked))
        # join on the key alone and attach the result: the fit has one row per company id
        fit = contacts.select("company_id").join(
            index.fit, left_on="company_id", right_on="id", how="left", maintain_order="left"
        )
        return contacts.with_columns(
            *fit.drop("company_id").get_columns(),
            *(fit.get_column(FIT + company).alias(contact) for contact, company in self.inherited.items()),
        )


@dataclass
class CompanyIndex:
    by_domain: pl.DataFrame  # _linked (company id), domain
    fit: pl.DataFrame  # id, company_<column>...


class Engine:
    """Runs the pipeline once against the state store."""

    def __init__(
        self,
        config: Config,
        state: StateStore,
        *,
        reporter: Reporter | None = None,
        dry_run: bool = False,
        fail_fast: bool | None = None,
        full: bool = False,
        batch_size: int | None = None,
        plan_limit: int | None = 20,
    ):
        self.config = config
        self.state = state
        self.reporter = reporter or SilentReporter()
        self.dry_run = dry_run
        self.fail_fast = (
            fail_fast if fail_fast is not None else config.engine.on_plugin_error == "fail"
        )
        self.full = full
        self.batch_size = batch_size or config.engine.batch_size
        self.plan_limit = plan_limit
        self.quarantined: list[Quarantined] = []
        self.plan: list[PlannedChange] = []
        self._same_config = False  # set by run(): does the config match the last successful run's?
        self._muted = False  # a second pass over the same records quarantines nothing again
        self._refit: set[str] = set()  # companies whose inherited labels change in this run

    def _quarantine(self, item: Quarantined) -> None:
        if self._muted:
            return
        self.quarantined.append(item)
        self.reporter.event("quarantined", **{k: v for k, v in vars(item).items() if v is not None})

    def run(self) -> RunResult:
        started = time.monotonic()
        with self.state.lock():
            waterfall = Waterfall(self.config.waterfall, self.state, paid=not self.dry_run, reporter=self.reporter)
            pipeline = Pipeline(self.config, self._quarantine, waterfall)
            schemas = {t: pipeline.declared_schema(t) for t in columns.OBJECT_TYPES}  # fail before writing
            # A changed configuration (new ICP weights, say) rescores every record.
            self._same_config = self.state.last_fingerprint(pipeline.connector_name) == pipeline.fingerprint
            run_id = self.state.start_run(
                pipeline.connector_name, pipeline.fingerprint, self.dry_run
            )
            self.reporter.event("run_started", run_id=run_id, dry_run=self.dry_run)
            figures = {t: Figures() for t in columns.OBJECT_TYPES}
            figures["companies"].lookups = waterfall.figures  # the waterfall fills it as it goes
            try:
                if pipeline.rollups:
                    # Companies are written after the contacts are labelled, with their roll-ups:
                    # a first pass labels them only for the fit their contacts need.
                    self._muted = True
                    fit = self._process(pipeline, "companies", schemas["companies"], Figures(), run_id, write=False)
                    self._muted = False
                    members = self._process(pipeline, "contacts", schemas["contacts"], figures["contacts"], run_id, fit=fit)
                    rolled = self._roll_up(pipeline, fit, members)
                    waterfall.counting = False  # the first pass counted the providers' work
                    self._process(pipeline, "companies", schemas["companies"], figures["companies"], run_id, rolled=rolled)
                else:
                    fit = self._process(pipeline, "companies", schemas["companies"], figures["companies"], run_id)
                    self._process(pipeline, "contacts", schemas["contacts"], figures["contacts"], run_id, fit=fit)
            except BaseException as exc:
                self._close(run_id, figures, "failed", f"{type(exc).__name__}: {exc}")
                raise
            self._close(run_id, figures, "ok", None)
        return RunResult(
            run_id, self.dry_run, figures, self.plan, self.quarantined, time.monotonic() - started
        )

    def _close(self, run_id: int, figures: dict[str, Figures], status: str, error: str | None):
        for item in self.quarantined:
            figures[item.object_type].quarantined += 1
            if item.stage == "read":  # read counts every record of the source, readable or not
                figures[item.object_type].read += 1
        self.state.save_quarantine(run_id, self.quarantined)
        self.state.finish_run(run_id, status, {t: f.as_dict() for t, f in figures.items()}, error)

    def _process(
        self,
        pipeline: Pipeline,
        object_type: str,
        schema: pa.Schema,
        figures: Figures,
        run_id: int,
        *,
        fit: pl.DataFrame | None = None,
        rolled: pl.DataFrame | None = None,
        write: bool = True,
    ) -> pl.DataFrame:
        """One pass over ``object_type``; returns the companies' fit, or the contacts' members.

        ``write=False`` labels without diffing or writing (the companies' first pass when
        a scorer rolls up); ``rolled`` holds the companies' roll-up columns by id.
        """
        connector = pipeline.connector
        outputs = pipeline.outputs[object_type]
        held = {n for n in outputs if n in schema.names}
        since = None
        if object_type == "contacts" and connector.incremental and not self.full and self._same_config:
            # Companies are always read whole: every contact read needs its company's fit.
            since = self.state.watermark(pipeline.connector_name, object_type)
        scorers = [s for s in pipeline.stages[object_type] if s.kind == "scorer"]
        enumerations = [n for s in scorers for n, f in s.outputs.items() if f.options]
        if object_type == "contacts":
            inherited = [n for n in pipeline.inherited if outputs[n].options]
            for stage in scorers:  # each contact scorer's main label by the account's: persona by tier
                main = next((n for n, f in stage.outputs.items() if f.options), None)
                for of in inherited if main else ():
                    figures.crosstabs[(main, of)] = Counter()
            enumerations += inherited
        for name in enumerations:
            figures.distributions[name] = Counter()

        index = pipeline.company_index(fit) if object_type == "contacts" else None
        writer = None if self.dry_run or not write else connector.writer(object_type, outputs)
        fit_parts: list[pl.DataFrame] = []
        member_columns = [n for s in pipeline.rollups for n in s.outputs] if object_type == "contacts" else []
        member_parts: list[pl.DataFrame] = []
        newest: datetime | None = None
        written_hashes: list[pl.DataFrame] = []
        provenance: list[pl.DataFrame] = []
        prior_hashes = (
            self.state.written_hashes(pipeline.connector_name, object_type)
            if any(n not in held for n in outputs) else None
        )
        count = getattr(connector, "count", None)
        self.reporter.start(object_type, count(object_type) if count else None)
        try:
            for batch in self._read(pipeline, object_type, outputs, since):
                df = pipeline.conform(object_type, batch, schema)
                figures.read += df.height
                df = self._without_ids(object_type, df)
                if object_type == "contacts":
                    df = pipeline.join_company(df, index)
                df = pipeline.label(object_type, df, self.fail_fast)
                if object_type == "companies":
                    fit_parts.append(pipeline.fit_table(df))
                    self._refit.update(pipeline.refit(df))
                if member_columns:
                    member_parts.append(df.select("id", "company_id", *member_columns))
                if rolled is not None:
                    df = df.join(rolled, on="id", how="left", maintain_order="left")
                if not write:
                    self.reporter.advance(batch.num_rows)
                    continue
                changes = self._diff(pipeline, object_type, df, held, prior_hashes, written_hashes)
                figures.changed += changes.num_records
                for name in changes.changed.column_names:
                    figures.fields[name] += pc.sum(changes.changed.column(name)).as_py() or 0
                for name in enumerations:
                    figures.distributions[name].update(
                        dict(df.get_column(name).fill_null("(none)").value_counts().iter_rows())
                    )
                for (rows, cols), counts in figures.crosstabs.items():
                    pairs = df.group_by(rows, cols).len().with_columns(pl.col(rows, cols).fill_null("(none)"))
                    counts.update({(r, c): n for r, c, n in pairs.iter_rows()})
                if writer is not None:
                    writer.write(changes)  # once per batch read, in order, even if empty
                    filled = Waterfall.provenance(df)
                    if filled.height:
                        written = pl.from_arrow(changes.table.select(["id"])).cast(pl.String)
                        provenance.append(filled.join(written, on="id", how="semi"))
                if df.height and "updated_at" in df.columns:
                    latest = df.get_column("updated_at").max()
                    if latest is not None and (newest is None or latest > newest):
                        newest = latest
                self.reporter.advance(batch.num_rows)
            if writer is not None:
                writer.commit()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        finally:
            self.reporter.finish()

        if member_columns:  # saved before the watermark that would skip these contacts next time
            members = self._members(pipeline, member_parts, member_columns, incremental=since is not None)
        if writer is not None:
            rejected = sum(
                1 for q in self.quarantined if q.object_type == object_type and q.stage == "write"
            )
            figures.written = figures.changed - rejected
            if provenance:
                self.state.save_provenance(pipeline.connector_name, object_type, pl.concat(provenance), run_id)
            if written_hashes:
                self.state.save_written(
                    pipeline.connector_name, object_type,
                    pl.concat(written_hashes).iter_rows(), run_id,
                )
            if newest is not None and connector.incremental and (since is None or newest > since):
                # never backwards: a run that re-read only older related contacts keeps its mark
                self.state.save_watermark(pipeline.connector_name, object_type, newest, run_id)
        self.reporter.event(
            "stage_finished", object_type=object_type, **{
                k: v for k, v in figures.as_dict().items() if k in ("read", "changed", "written")
            }
        )
        if member_columns:
            return members
        if object_type != "companies":
            return pl.DataFrame()
        if not fit_parts:
            return pipeline.empty_fit()
        fit = pl.concat(fit_parts, how="vertical_relaxed")
        duplicated = fit.filter(pl.col("id").is_duplicated()).get_column("id").unique().to_list()
        for record_id in duplicated:
            self._quarantine(
                Quarantined(
                    "companies",
                    "the id appears more than once in the source; contacts use the first",
                    record_id,
                    stage="join companies",
                )
            )
        return fit.unique("id", keep="first", maintain_order=True)

    def _read(
        self, pipeline: Pipeline, object_type: str, outputs: dict[str, Field], since: datetime | None
    ) -> Iterator[pa.RecordBatch]:
        """The connector's batches; after an incremental read of contacts, also the contacts
        of companies whose inherited labels (their tier) changed, which the read skipped."""
        connector = pipeline.connector
        read = connector.read(object_type, outputs=outputs, batch_size=self.batch_size, since=since)
        related = getattr(connector, "read_related", None)
        if since is None or object_type != "contacts" or not self._refit or related is None:
            yield from read
            return
        seen = []
        for batch in read:
            seen.append(pc.cast(batch.column("id"), pa.string()))
            yield batch
        already = pa.concat_arrays(seen) if seen else pa.array([], pa.string())
        for batch in related(object_type, sorted(self._refit), outputs=outputs, batch_size=self.batch_size):
            ids = pc.cast(batch.column("id"), pa.string())
            yield batch.filter(pc.invert(pc.is_in(ids, value_set=already)))

    def _members(
        self, pipeline: Pipeline, parts: list[pl.DataFrame], names: list[str], *, incremental: bool
    ) -> pl.DataFrame:
        """Every contact's company and roll-up labels: this run's, and for an incremental
        read, the state store's for the contacts it did not read."""
        outputs = pipeline.outputs["contacts"]
        types = {n: columns.polars_type(outputs[n].type) for n in names}
        schema = {"id": pl.String, "company_id": pl.String, **types}
        read = pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame(schema=schema)
        read = read.select(pl.col(c).cast(t) for c, t in schema.items()).unique("id", keep="last")
        if not pipeline.connector.incremental:
            return read  # every contact was read
        if not self.dry_run:
            self.state.save_members(pipeline.connector_name, read, replace=not incremental)
        if not incremental:
            return read
        kept = self.state.members(pipeline.connector_name, types).join(read, on="id", how="anti")
        return pl.concat([kept, read], how="vertical_relaxed")

    def _roll_up(self, pipeline: Pipeline, fit: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
        """Each roll-up scorer's company columns, one row per company of ``fit``."""
        rolled = fit.select("id")
        everyone = rolled.join(members.drop("id"), left_on="id", right_on="company_id", how="left")
        for stage in pipeline.rollups:
            names = list(stage.instance.company_outputs)
            given = everyone.select(pl.col("id").alias("company_id"), *stage.outputs)
            try:
                result = pl.from_arrow(stage.instance.roll_up(given.to_arrow()))
                missing = [n for n in ["id", *names] if n not in result.columns]
                if missing:
                    raise TypeError(f"did not return the columns {missing}")
                if result.get_column("id").is_duplicated().any():
                    raise TypeError("returned more than one row for a company")
            except (ConfigError, PluginError):
                raise
            except Exception as exc:
                raise PluginError(stage.name, "roll up to companies", f"{type(exc).__name__}: {exc}") from exc
            typed = [
                pl.col(n).cast(columns.polars_type(f.type))
                for n, f in stage.instance.company_outputs.items()
            ]
            rolled = rolled.join(result.select("id", *typed), on="id", how="left", maintain_order="left")
        return rolled

    def _without_ids(self, object_type: str, df: pl.DataFrame) -> pl.DataFrame:
        blank = df.get_column("id").str.strip_chars().fill_null("") == ""
        if blank.any():
            for row in df.filter(blank).drop(c for c in df.columns if c.startswith(OLD)).iter_rows(named=True):
                self._quarantine(
                    Quarantined(object_type, "record has no id", None, stage="read",
                                raw=str({k: v for k, v in row.items() if v is not None}))
                )
            df = df.filter(~blank)
        return df

    def _diff(
        self,
        pipeline: Pipeline,
        object_type: str,
        df: pl.DataFrame,
        held: set[str],
        prior_hashes: pl.DataFrame | None,
        written_hashes: list[pl.DataFrame],
    ) -> ChangeSet:
        """Compare new labels with what the source holds, honouring each field's policy.

        Fields the connector cannot read back are compared with the hash of what this
        state store last wrote for the record.
        """
        outputs = pipeline.outputs[object_type]
        flags = []
        for name, spec in outputs.items():
            if name not in held:
                continue
            new, old = pl.col(name), pl.col(OLD + name)
            differs = new.ne_missing(old)
            if spec.policy == "never":
                differs = pl.lit(False)
            elif spec.policy == "fill_missing":
                differs = differs & old.is_null()
            flags.append(differs.alias(name))
        unheld = [n for n in outputs if n not in held]
        if unheld and df.height:
            # polars' hash is stable within a version only: after an upgrade, one full rewrite
            hashes = df.select(
                "id", (pl.lit(f"{pl.__version__}:") + pl.struct(unheld).hash(seed=0).cast(pl.String)).alias("_hash")
            ).join(prior_hashes, on="id", how="left", maintain_order="left")
            stale = hashes.get_column("_hash").ne_missing(hashes.get_column("_prior"))
            flags += [pl.lit(stale).alias(n) for n in unheld]
            if not self.dry_run:
                written_hashes.append(hashes.filter(stale).select("id", "_hash"))
        mask = df.select(flags) if flags else pl.DataFrame({n: [] for n in outputs})
        needed = ["id", *outputs, *(OLD + n for n in outputs if n in held)]  # not the whole record
        if flags:
            any_changed = mask.select(pl.any_horizontal(pl.all())).to_series()
            rows = df.select(needed).filter(any_changed)
            mask = mask.filter(any_changed)
        else:
            rows = df.select(needed).clear()
        if self.dry_run:
            self._record_plan(object_type, rows, mask, held)
        native = pl.CompatLevel.newest()  # string_view: no copy on either side
        return ChangeSet(
            object_type,
            rows.select("id", *outputs).to_arrow(compat_level=native),
            mask.to_arrow(compat_level=native),
        )

    def _record_plan(
        self, object_type: str, rows: pl.DataFrame, mask: pl.DataFrame, held: set[str]
    ) -> None:
        """Keep the dry run's changes (all, or the first ``plan_limit``), record by record."""
        room = None if self.plan_limit is None else self.plan_limit - len(self.plan)
        if room is not None and room <= 0:
            return
        shown = rows if room is None else rows.head(room)  # at most one change per record needed
        old = {n: (OLD + n if n in held else None) for n in mask.columns}
        for record, flags in zip(shown.iter_rows(named=True), mask.head(shown.height).iter_rows()):
            for name, changed in zip(mask.columns, flags):
                if changed:
                    before = record[old[name]] if old[name] else None
                    self.plan.append(PlannedChange(object_type, record["id"], name, before, record[name]))
                    if self.plan_limit is not None and len(self.plan) >= self.plan_limit:
                        return


def _budget(height: int) -> int:
    return max(10, int(height * MAX_FAILING_SHARE))


def iter_matching(
    pipeline: Pipeline, object_type: str, predicate: pl.Expr, batch_size: int
) -> Iterator[pl.DataFrame]:
    """Stream the source and yield the rows matching ``predicate`` (used by explain)."""
    schema = pipeline.declared_schema(object_type)
    for batch in pipeline.connector.read(
        object_type, outputs=pipeline.outputs[object_type], batch_size=batch_size
    ):
        df = pipeline.conform(object_type, batch, schema).filter(predicate)
        if df.height:
            yield df

