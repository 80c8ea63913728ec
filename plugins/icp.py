"""ICP fit from weighted rules: ``icp_score`` 0-100, ``icp_tier`` A-D and ``icp_reasons``.

Reasons stay short (points, criterion, the record's value); ``enrich explain`` adds what
each criterion wanted and what would raise the tier.

``icp_score = round(100 x matched weight / total weight)``, halves rounding up. A criterion
whose input is missing is not matched and is named as unknown, so "bad fit" and "we don't
know" stay apart. A matching disqualifier forces tier D and says so; the score is still
reported. Every criterion is one polars expression over the whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Self

import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SettingField

import crm_enrich
from crm_enrich.errors import ConfigError
from crm_enrich.protocols import Field

Scalar = str | int | float | bool
TIERS = ("A", "B", "C", "D")
PREDICATES = ("in", "not_in", "range", "includes_any", "includes_all", "equals", "matches", "where")
SCALE = 1000  # weights are kept as integers in thousandths, so the arithmetic is exact


class Predicate(BaseModel):
    """One condition on a company column; exactly one of the predicate keys is given."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = None
    column: str | None = None
    in_: list[Scalar] | None = SettingField(None, alias="in")
    not_in: list[Scalar] | None = None
    min: float | None = None
    max: float | None = None
    includes_any: list[str] | None = None
    includes_all: list[str] | None = None
    equals: Scalar | None = None
    matches: str | None = None
    where: str | None = None

    @model_validator(mode="after")
    def _one_predicate(self) -> Self:
        given = [p for p in PREDICATES if self._value(p) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of in, not_in, min/max, includes_any, includes_all, equals, "
                f"matches, where (got {', '.join(given) or 'none'})"
            )
        if given[0] == "where":
            if self.column is not None:
                raise ValueError("'where' is a whole expression; leave out 'column'")
            try:
                pl.sql_expr(self.where)
            except Exception as exc:
                raise ValueError(f"'where' is not a valid SQL expression: {exc}") from None
        elif self.column is None:
            raise ValueError("'column' is required")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"'matches' is not a valid regular expression: {exc}") from None
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is greater than max {self.max:g}")
        return self

    def _value(self, predicate: str) -> Any:
        if predicate == "range":
            return self.min if self.min is not None else self.max
        return getattr(self, "in_" if predicate == "in" else predicate)

    @property
    def kind(self) -> str:
        return next(p for p in PREDICATES if self._value(p) is not None)

    @property
    def label(self) -> str:
        return self.name or self.column or "where"

    def wants(self) -> str:
        """What the predicate asks for, in a few words."""
        kind = self.kind
        if kind == "range":
            if self.min is not None and self.max is not None:
                return f"{_num(self.min)}-{_num(self.max)}"
            return f">= {_num(self.min)}" if self.min is not None else f"<= {_num(self.max)}"
        if kind in ("in", "not_in", "includes_any", "includes_all"):
            values = self._value(kind)
            shown = ", ".join(map(str, values[:4])) + (f" +{len(values) - 4} more" if len(values) > 4 else "")
            words = {"in": "one of", "not_in": "none of", "includes_any": "any of", "includes_all": "all of"}
            return f"{words[kind]} {shown}"
        if kind == "equals":
            return f"= {self.equals}"
        if kind == "matches":
            return f"matching /{self.matches}/"
        return str(self.where)

    def status(self, schema: pl.Schema) -> pl.Expr:
        """True (matched), False (not matched) or null (input unknown), per row."""
        if self.kind == "where":
            return pl.sql_expr(self.where).cast(pl.Boolean)
        if self.column not in schema:
            raise ConfigError(
                [f"plugins.icp: criterion {self.label!r} uses column {self.column!r}, which does "
                 f"not exist; columns are: {', '.join(schema.names())}"]
            )
        dtype = schema[self.column]
        col = pl.col(self.column)
        is_list = isinstance(dtype, pl.List)
        is_text = dtype == pl.String
        if is_list:
            present = col.is_not_null() & (col.list.len() > 0)
        elif is_text:
            present = col.is_not_null() & (col.str.strip_chars() != "")
        else:
            present = col.is_not_null()

        def folded(values: Sequence[Scalar]) -> list:
            return [str(v).lower() for v in values] if (is_text or is_list) else list(values)

        text = col.str.strip_chars().str.to_lowercase() if is_text else col
        kind = self.kind
        if kind in ("in", "not_in"):
            hit = text.is_in(folded(self._value(kind)))
            test = hit if kind == "in" else ~hit
        elif kind == "range":
            test = pl.lit(True)
            if self.min is not None:
                test = test & (col >= self.min)
            if self.max is not None:
                test = test & (col <= self.max)
        elif kind in ("includes_any", "includes_all"):
            distinct_hits = self._hits().list.len()
            test = distinct_hits > 0 if kind == "includes_any" else distinct_hits == len(set(folded(self._value(kind))))
        elif kind == "equals":
            test = text == (str(self.equals).lower() if is_text else self.equals)
        else:
            test = col.cast(pl.String).str.contains(f"(?i){self.matches}")
        return pl.when(present).then(test).otherwise(None)

    def _hits(self) -> pl.Expr:
        """The distinct wanted items a list column holds (folded), vectorised."""
        wanted = [str(v).lower() for v in self._value(self.kind)] if self.kind.startswith("includes") else []
        folded = pl.col(self.column).list.eval(pl.element().str.strip_chars().str.to_lowercase())
        return folded.list.set_intersection(pl.lit(pl.Series([wanted], dtype=pl.List(pl.String))))

    def shown_value(self, schema: pl.Schema) -> pl.Expr:
        """The row's value as short text for the reasons (for a list: the items that hit)."""
        if self.kind == "where":
            return pl.lit(None, dtype=pl.String)
        dtype = schema[self.column]
        col = pl.col(self.column)
        if isinstance(dtype, pl.List):
            # the items that hit; a list that misses is described by what was wanted
            return _trim(self._hits().list.join(",").replace("", None))
        if dtype.is_float():  # 12000000.0 reads better as 12000000
            return pl.when(col == col.round()).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.cast(pl.String))
        text = col.cast(pl.String)
        return _trim(text) if self.kind == "matches" else text


class Criterion(Predicate):
    weight: float = SettingField(gt=0)

    @model_validator(mode="after")
    def _exact_weight(self) -> Self:
        if abs(self.weight * SCALE - round(self.weight * SCALE)) > 1e-9:
            raise ValueError(f"weight {self.weight} has more than 3 decimals")
        return self

    @property
    def points(self) -> int:
        return round(self.weight * SCALE)


class Tiers(BaseModel):
    """Lowest score of each tier; anything below C is D."""

    model_config = ConfigDict(extra="forbid")

    A: int = SettingField(80, ge=0, le=100)
    B: int = SettingField(60, ge=0, le=100)
    C: int = SettingField(40, ge=0, le=100)

    @model_validator(mode="after")
    def _descending(self) -> Self:
        if not self.A > self.B > self.C:
            raise ValueError(f"thresholds must descend A > B > C (got {self.A}, {self.B}, {self.C})")
        return self

    def threshold(self, tier: str) -> int:
        return getattr(self, tier)


class IcpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criteria: list[Criterion] = SettingField(min_length=1)
    disqualifiers: list[Predicate] = []
    tiers: Tiers = Tiers()


class IcpScorer:
    """Scores companies against the ICP criteria of ``[plugins.icp]``."""

    name = "icp"
    object_type = "companies"
    Settings = IcpSettings
    outputs = {
        "icp_score": Field(pa.int64(), "ICP fit score, 0-100"),
        "icp_tier": Field(pa.string(), "ICP fit tier", options=TIERS),
        "icp_reasons": Field(pa.string(), "What added or removed ICP points, and what is unknown"),
    }
    inherited = {"icp_tier": "icp_tier"}

    def __init__(self, settings: IcpSettings, context):
        self.settings = settings
        self.total = sum(c.points for c in settings.criteria)

    def _statuses(self, df: pl.DataFrame) -> pl.DataFrame:
        """One boolean column per criterion (``c0``, ``c1``...) and per disqualifier."""
        schema = df.schema
        return df.select(
            [c.status(schema).alias(f"c{i}") for i, c in enumerate(self.settings.criteria)]
            + [d.status(schema).alias(f"d{i}") for i, d in enumerate(self.settings.disqualifiers)]
        )

    def score(self, table: pa.Table) -> pa.Table:
        df = pl.from_arrow(table)
        schema = df.schema
        crit, disq = self.settings.criteria, self.settings.disqualifiers
        c = [pl.col(f"c{i}") for i in range(len(crit))]  # matched / not / unknown (null)
        d = [pl.col(f"d{i}").fill_null(False) for i in range(len(disq))]
        matched = pl.sum_horizontal([pl.when(hit).then(k.points).otherwise(0) for hit, k in zip(c, crit)])
        score = (200 * matched + self.total) // (2 * self.total)  # round half up, exactly
        disqualified = pl.any_horizontal(d) if disq else pl.lit(False)
        tiers = self.settings.tiers
        tier = (
            pl.when(disqualified).then(pl.lit("D"))
            .when(score >= tiers.A).then(pl.lit("A"))
            .when(score >= tiers.B).then(pl.lit("B"))
            .when(score >= tiers.C).then(pl.lit("C"))
            .otherwise(pl.lit("D"))
        )
        parts = [
            pl.when(hit).then(pl.format(f"DISQUALIFIED: {k.label}{{}}", _in_brackets(pl.col(f"w{i}"))))
            for i, (hit, k) in enumerate(zip(d, disq))
        ]
        for i, (hit, k) in enumerate(zip(c, crit)):
            weight, shown = _num(k.weight), pl.col(f"v{i}")
            parts.append(
                pl.when(hit).then(pl.format(f"{weight}/{weight} {k.label}{{}}", _in_brackets(shown)))
                .when(~hit).then(pl.format(f"0/{weight} {k.label}{{}}", _in_brackets(shown)))
            )
        unknown = pl.concat_str(
            [pl.when(hit.is_null()).then(pl.lit(k.label)) for hit, k in zip(c, crit)],
            separator=", ", ignore_nulls=True,
        )
        parts.append(pl.when(unknown != "").then(pl.lit("unknown: ") + unknown))
        out = (
            df.lazy()
            .select(
                [k.status(schema).alias(f"c{i}") for i, k in enumerate(crit)]
                + [k.status(schema).alias(f"d{i}") for i, k in enumerate(disq)]
                + [k.shown_value(schema).alias(f"v{i}") for i, k in enumerate(crit)]
                + [k.shown_value(schema).alias(f"w{i}") for i, k in enumerate(disq)]
            )
            .select(
                score.cast(pl.Int64).alias("icp_score"),
                tier.alias("icp_tier"),
                pl.concat_str(parts, separator="; ", ignore_nulls=True).alias("icp_reasons"),
            )
            .collect()
        )
        return pa.Table.from_arrays(
            [table.column("id"), *out.to_arrow().columns], names=["id", *out.columns]
        )

    def explain(self, record: pa.Table) -> list[str]:
        """The breakdown of one company's score, and what would raise its tier."""
        df = pl.from_arrow(record)
        schema = df.schema
        status = self._statuses(df).row(0, named=True)
        labelled = pl.from_arrow(self.score(record)).row(0, named=True)
        tiers = self.settings.tiers
        lines = [
            f"ICP score {labelled['icp_score']}, tier {labelled['icp_tier']} "
            f"(A >= {tiers.A}, B >= {tiers.B}, C >= {tiers.C}; total weight {_num(self.total / SCALE)})"
        ]
        width = max(len(c.label) for c in self.settings.criteria)
        matched = 0
        for i, c in enumerate(self.settings.criteria):
            value = df.select(c.shown_value(schema)).item()
            state = status[f"c{i}"]
            mark = {True: "[x]", False: "[ ]", None: "[?]"}[state]
            got = _num(c.weight) if state else "0"
            shown = "unknown" if state is None else (value if value is not None else "-")
            lines.append(f"  {mark} {c.label:<{width}}  {got:>4}/{_num(c.weight):<4} {shown}  (wants {c.wants()})")
            matched += c.points if state else 0
        hits = [d for i, d in enumerate(self.settings.disqualifiers) if status[f"d{i}"]]
        for d in hits:
            lines.append(f"  [!] disqualified by {d.label} ({d.wants()}): tier D whatever the score")
        if hits:
            lines.append("  To raise the tier: the disqualifying condition must no longer hold.")
            return lines
        lines.append("  " + self._to_raise(labelled["icp_tier"], matched, status))
        return lines

    def _to_raise(self, tier: str, matched: int, status: dict) -> str:
        if tier == "A":
            return "Already tier A."
        target = TIERS[TIERS.index(tier) - 1]
        needed = self.settings.tiers.threshold(target)
        open_criteria = sorted(
            (c for i, c in enumerate(self.settings.criteria) if not status[f"c{i}"]),
            key=lambda c: -c.points,
        )
        chosen = []
        for c in open_criteria:
            chosen.append(c)
            matched += c.points
            if (200 * matched + self.total) // (2 * self.total) >= needed:
                names = ", ".join(f"{c.label} ({c.wants()})" for c in chosen)
                return f"To reach tier {target} (>= {needed}): also match {names}."
        return f"Tier {target} (>= {needed}) is out of reach with these criteria."


def _trim(text: pl.Expr, width: int = 40) -> pl.Expr:
    return pl.when(text.str.len_chars() > width).then(text.str.slice(0, width - 1) + "…").otherwise(text)


def _in_brackets(text: pl.Expr) -> pl.Expr:
    """`` (value)``, or nothing when there is no value to show."""
    return pl.format(" ({})", text).fill_null("")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@crm_enrich.hookimpl
def register_scorers(register):
    register(IcpScorer)
