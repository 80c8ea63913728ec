"""The provider waterfall: whom to ask for which records, the cache, the budget, provenance.

Providers (:class:`crm_enrich.protocols.Provider`) only answer ``lookup(keys)``. For each
provider in the order ``plugins.toml`` lists them, the engine asks only for the records
that still miss one of the provider's fields, or hold it from an earlier provider with
less than ``min_confidence``; a value the source already holds is never asked about
unless its write policy is ``overwrite``. Every key is looked up once per batch (distinct
keys), answers are joined back, and each filled field carries hidden columns saying who
filled it, how sure they were and when, which become the ``<field>_source`` columns (if
asked for) and the provenance rows of the state store once the write succeeded.

A paid provider's answers, found or not, are saved in the state store as soon as they
arrive, so a key is never paid for twice within ``cache_days`` (``miss_days`` for a
miss), even when the run fails later. The run's ``max_paid_lookups`` is never exceeded:
keys beyond it are left for the next run and counted as skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as SettingField

from . import columns, normalise
from .errors import ConfigError, EnrichError, PluginError, ProviderExhausted
from .protocols import Field
from .state import StateStore

CONF = "_conf_"  # hidden: how sure the value of a field is (1.0 for the source's own)
BY = "_by_"  # hidden: which provider filled a field in this run
AT = "_at_"  # hidden: when that provider's answer was obtained
HIDDEN = (CONF, BY, AT)
SOURCE_SUFFIX = "_source"


class WaterfallSettings(BaseModel):
    """``[waterfall]`` in ``plugins.toml``."""

    model_config = ConfigDict(extra="forbid")

    max_paid_lookups: int = SettingField(
        1000, ge=0, description="keys a run may send to paid providers, all together"
    )
    min_confidence: float = SettingField(
        0.0, ge=0, le=1, description="an answer below this asks the next provider too; the surest wins"
    )
    cache_days: float = SettingField(90, ge=0, description="how long a paid answer is reused")
    miss_days: float = SettingField(30, ge=0, description="how long a key no provider knew is not asked again")
    source_columns: bool = SettingField(
        False, description="also write <field>_source: the provider that filled the field"
    )


def provider_outputs(instance: Any, settings: WaterfallSettings) -> dict[str, Field]:
    """What a provider stage adds to its object type: its fields, and their sources."""
    outputs = dict(instance.fields)
    if settings.source_columns:
        for name, spec in instance.fields.items():
            outputs[name + SOURCE_SUFFIX] = Field(
                pa.string(), f"the provider that filled {name}", policy=spec.policy
            )
    return outputs


@dataclass
class ProviderFigures:
    """One provider's work in one run."""

    asked: int = 0  # keys sent to the provider (paid: each counts against the budget)
    found: int = 0
    not_found: int = 0
    cache_hits: int = 0
    skipped: int = 0  # keys not asked: budget spent, provider exhausted, or a dry run
    filled: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in vars(self).items()}


class Waterfall:
    """The providers' shared state for one run: budget, cache and what was asked."""

    def __init__(
        self,
        settings: WaterfallSettings,
        state: StateStore | None,
        *,
        paid: bool = True,
        reporter: Any = None,
        clock=lambda: datetime.now(UTC),
    ):
        self.settings = settings
        self.state = state
        self.paid = paid  # False: dry runs and explain answer from the cache only
        self.reporter = reporter
        self.clock = clock
        self.budget = settings.max_paid_lookups
        self.exhausted: dict[str, str] = {}  # provider -> what it said
        self.figures: dict[str, ProviderFigures] = {}
        self.counting = True  # off for a second pass over the same records (it asks nothing new)

    # -- one provider stage over one batch ------------------------------------------------

    def fill(self, name: str, provider: Any, df: pl.DataFrame, policies: dict[str, str]) -> pl.DataFrame:
        """Ask ``provider`` for the records of ``df`` that need it; fill what it knows."""
        figures = self.figures.setdefault(name, ProviderFigures()) if self.counting else ProviderFigures()
        fields = list(provider.fields)
        df = self._track(df, fields, policies)
        floor = self.settings.min_confidence
        need = df.select(self._needs(f, policies[f], floor).fill_null(True).alias(f) for f in fields)
        keys = _keys(df, provider.key)
        wanted = keys.filter(need.select(pl.any_horizontal(pl.all())).to_series()).drop_nulls()
        wanted = wanted.unique(maintain_order=True)
        if wanted.len() == 0:
            return df
        answers = self._answers(name, provider, wanted, figures)
        if answers.height == 0:
            return df
        joined = pl.DataFrame({"_key": keys}).join(answers, on="_key", how="left", maintain_order="left")
        sure = joined.get_column("confidence").fill_null(1.0)  # no confidence given: trusted
        take = need.select(
            (joined.get_column(f).is_not_null() & pl.col(f)
             & (df.get_column(f).is_null() | (sure > df.get_column(CONF + f).fill_null(-1.0)))).fill_null(False)
            for f in fields
        )
        for f, n in take.sum().row(0, named=True).items():
            figures.filled[f] += n
        # one select: polars fills the fields' columns side by side
        return df.with_columns(
            column
            for f in fields
            for column in (
                pl.when(take.get_column(f)).then(joined.get_column(f).cast(df.schema[f])).otherwise(pl.col(f)).alias(f),
                pl.when(take.get_column(f)).then(sure).otherwise(pl.col(CONF + f)).alias(CONF + f),
                pl.when(take.get_column(f)).then(pl.lit(name)).otherwise(pl.col(BY + f)).alias(BY + f),
                pl.when(take.get_column(f)).then(joined.get_column("_at")).otherwise(pl.col(AT + f)).alias(AT + f),
            )
        )

    def _track(self, df: pl.DataFrame, fields: list[str], policies: dict[str, str]) -> pl.DataFrame:
        """Add the hidden columns of fields no provider touched yet in this batch."""
        new = []
        for f in fields:
            if CONF + f in df.columns:
                continue
            held = 0.0 if policies[f] == "overwrite" else 1.0  # overwrite: the source's value yields
            new += [
                pl.when(pl.col(f).is_not_null()).then(pl.lit(held)).otherwise(None).cast(pl.Float64).alias(CONF + f),
                pl.lit(None, dtype=pl.String).alias(BY + f),
                pl.lit(None, dtype=pl.String).alias(AT + f),
            ]
        return df.with_columns(new) if new else df

    @staticmethod
    def _needs(f: str, policy: str, floor: float) -> pl.Expr:
        """Missing, or held with less than ``floor`` (the source's own value, if overwrite)."""
        if policy == "never":
            return pl.lit(False)
        return pl.col(f).is_null() | (pl.col(CONF + f) < (max(floor, 1e-9) if policy == "overwrite" else floor))

    # -- answers: cache, budget, the provider itself ---------------------------------------

    def _answers(self, name: str, provider: Any, keys: pl.Series, figures: ProviderFigures) -> pl.DataFrame:
        """``_key``, the provider's fields, ``confidence`` and ``_at`` for the keys it knows."""
        schema = {f: columns.polars_type(spec.type) for f, spec in provider.fields.items()}
        now = self.clock()
        if not provider.paid:
            answered = self._lookup(name, provider, keys, schema, now)
            figures.asked += keys.len()
            figures.found += answered.height
            figures.not_found += keys.len() - answered.height
            return answered
        cached = self._cached(name, keys, schema, now)
        figures.cache_hits += cached.height
        known = cached.get_column("_key")
        fresh = keys.filter(~keys.is_in(known.implode()))
        found = cached.filter(pl.col("_found")).drop("_found")
        if fresh.len() == 0:
            return found
        allowed = 0
        if name in self.exhausted or not self.paid:
            reason = "dry run (answers from the cache only)" if not self.paid else self.exhausted[name]
        else:
            allowed = min(fresh.len(), self.budget)
            reason = f"the run's budget of {self.settings.max_paid_lookups} paid lookups is spent"
        skipped = fresh.len() - allowed
        if skipped:
            figures.skipped += skipped
            self._event("lookups_skipped", provider=name, keys=skipped, reason=reason)
        parts = [found]
        step = getattr(provider, "batch_size", None) or allowed or 1
        for start in range(0, allowed, step):
            chunk = fresh.slice(start, min(step, allowed - start))
            self.budget -= chunk.len()
            try:
                answered = self._lookup(name, provider, chunk, schema, self.clock())
            except ProviderExhausted as exc:
                self.exhausted[name] = f"{name} is exhausted: {exc}"
                kept = pl.DataFrame()
                if exc.answered is not None and exc.answered.num_rows:  # paid for: keep it
                    kept = self._checked(name, provider, pl.from_arrow(exc.answered), chunk, schema, self.clock())
                    self._save(name, kept.get_column("_key"), kept)
                    parts.append(kept)
                figures.asked += kept.height
                figures.found += kept.height
                self.budget += chunk.len() - kept.height  # the keys it never answered were not spent
                rest = allowed - start - kept.height
                figures.skipped += rest
                self._event("provider_exhausted", provider=name, message=str(exc), keys_skipped=rest)
                break
            figures.asked += chunk.len()
            figures.found += answered.height
            figures.not_found += chunk.len() - answered.height
            self._save(name, chunk, answered)
            parts.append(answered)
        return pl.concat(parts, how="diagonal_relaxed")

    def _lookup(self, name: str, provider: Any, keys: pl.Series, schema: dict, now: datetime) -> pl.DataFrame:
        """Call the provider and check its answer against its declaration."""
        try:
            result = provider.lookup(keys.to_arrow())
        except (EnrichError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise PluginError(name, "lookup", f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(result, pa.Table):
            raise PluginError(name, "lookup", f"returned {type(result).__name__}, expected a pyarrow.Table")
        return self._checked(name, provider, pl.from_arrow(result), keys, schema, now)

    @staticmethod
    def _checked(name: str, provider: Any, answer: pl.DataFrame, keys: pl.Series, schema: dict, now: datetime) -> pl.DataFrame:
        """A provider's answer in the waterfall's shape, after checking it against its declaration."""
        key = provider.key
        if key not in answer.columns:
            raise PluginError(name, "lookup", f"returned no {key!r} column")
        unknown = [c for c in answer.columns if c not in schema and c not in (key, "confidence")]
        if unknown:
            raise PluginError(name, "lookup", f"returned columns it does not declare in fields: {unknown}")
        if answer.get_column(key).is_duplicated().any():
            raise PluginError(name, "lookup", "returned more than one row for a key")
        return answer.select(
            pl.col(key).cast(pl.String).alias("_key"),
            *(
                (pl.col(f) if f in answer.columns else pl.lit(None)).cast(t).alias(f)
                for f, t in schema.items()
            ),
            (pl.col("confidence") if "confidence" in answer.columns else pl.lit(None)).cast(pl.Float64).alias("confidence"),
            pl.lit(now.isoformat(timespec="seconds")).alias("_at"),
        ).filter(pl.col("_key").is_in(keys.implode()))

    def _cached(self, name: str, keys: pl.Series, schema: dict, now: datetime) -> pl.DataFrame:
        empty = pl.DataFrame(schema={"_key": pl.String, **schema, "confidence": pl.Float64, "_at": pl.String, "_found": pl.Boolean})
        if self.state is None:
            return empty
        found_after = (now - timedelta(days=self.settings.cache_days)).isoformat(timespec="seconds")
        miss_after = (now - timedelta(days=self.settings.miss_days)).isoformat(timespec="seconds")
        rows = self.state.cached_answers(name, keys.to_list(), found_after, miss_after)
        if not rows:
            return empty
        raw = pl.DataFrame(rows, schema={"_key": pl.String, "_found": pl.Boolean, "answer": pl.String, "_at": pl.String}, orient="row")
        decoded = raw.get_column("answer").str.json_decode(pl.Struct({**schema, "confidence": pl.Float64}))
        return raw.with_columns(decoded.struct.unnest()).select(empty.columns)

    def _save(self, name: str, asked: pl.Series, answered: pl.DataFrame) -> None:
        if self.state is None:
            return
        values = [c for c in answered.columns if c not in ("_key", "_at")]
        found = answered.select("_key", pl.struct(values).struct.json_encode().alias("answer"), "_at")
        missed = asked.filter(~asked.is_in(answered.get_column("_key").implode()))
        at = self.clock().isoformat(timespec="seconds")
        self.state.save_answers(
            name,
            [(k, True, a, t) for k, a, t in found.iter_rows()] + [(k, False, None, at) for k in missed],
        )

    def _event(self, kind: str, **fields: Any) -> None:
        if self.reporter is not None:
            self.reporter.event(kind, **fields)

    # -- after the batch ---------------------------------------------------------------------

    @staticmethod
    def finish(df: pl.DataFrame, source_columns: list[str], held_prefix: str) -> pl.DataFrame:
        """The ``<field>_source`` outputs: the provider that filled it, else what the source held."""
        out = []
        for name in source_columns:
            by = BY + name.removesuffix(SOURCE_SUFFIX)
            parts = [pl.col(c) for c in (by, held_prefix + name) if c in df.columns]
            out.append(pl.coalesce(*parts, pl.lit(None, dtype=pl.String)).alias(name))
        return df.with_columns(out)

    @staticmethod
    def provenance(df: pl.DataFrame) -> pl.DataFrame:
        """``id, field, provider, confidence, at`` for every value a provider filled."""
        parts = [
            df.filter(pl.col(BY + f).is_not_null()).select(
                "id", pl.lit(f).alias("field"), pl.col(BY + f).alias("provider"),
                pl.col(CONF + f).alias("confidence"), pl.col(AT + f).alias("at"),
            )
            for f in (c.removeprefix(BY) for c in df.columns if c.startswith(BY))
        ]
        if not parts:
            return pl.DataFrame(schema={"id": pl.String, "field": pl.String, "provider": pl.String,
                                        "confidence": pl.Float64, "at": pl.String})
        return pl.concat(parts)


def _keys(df: pl.DataFrame, key: str) -> pl.Series:
    """The lookup key of each row: for ``domain``, the registrable domain of domain or website."""
    if key == "domain":
        return df.select(normalise.company_domain()).to_series().alias("_key")
    if key not in df.columns:
        raise ConfigError([f"a provider looks records up by {key!r}, which is not a column"])
    return df.get_column(key).cast(pl.String).alias("_key")
