"""``reference``: firmographics from a file the user already has, joined by domain.

A vendor export (People Data Labs' free company dataset, a Crunchbase or ZoomInfo
export, a data team's own table) in CSV (any of , ; tab or | as delimiter), Parquet or JSON
lines, keyed by website or domain. Its keys are normalised to registrable domains, its values to canonical form
(HubSpot industry, ISO country) for the rows a CRM company matches, and every batch's
lookup is one hash join. The defaults follow the layout
of People Data Labs' free company dataset (``website``, ``name``, ``industry``,
``founded``, ``locality``, ``region``, ``country``); ``columns`` maps any other layout.

Normalising a 2,000,000-row file's keys costs several times reading it, and such a file
changes far less often than a cron job runs: the prepared table (rows by normalised
domain, values as the file holds them) is kept in the run's cache directory and read back while
the file's size and modification time, the settings and the normalisers are unchanged.

A value the file holds but that cannot be read as its column's type (``founded =
"circa 1990"``) is left out and reported, with the file, line and field, when a company
of the CRM matches that row; the rest of the row is used. Only matched rows are parsed.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import os
import warnings
from pathlib import Path

import crm_enrich
import polars as pl
import pyarrow as pa
import publicsuffixlist
from crm_enrich import columns, delimited, normalise
from crm_enrich.errors import ConfigError, SourceError
from crm_enrich.protocols import Field, PluginContext, Quarantined
from pydantic import BaseModel, ConfigDict
from pydantic import Field as SettingField

# canonical column -> column of People Data Labs' free company dataset
PDL_LAYOUT = {
    "name": "name",
    "industry": "industry",
    "employees": "employee_count",
    "country": "country",
    "state": "region",
    "city": "locality",
    "founded_year": "founded",
}
FILLABLE = ("name", "industry", "employees", "annual_revenue", "country", "state", "city",
            "founded_year", "funding_total", "funding_stage", "technologies")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = SettingField(description="CSV, Parquet or JSON-lines file, relative to plugins.toml")
    delimiter: str | None = SettingField(
        None, min_length=1, max_length=1, description="CSV only; default: whichever of , ; tab or | the header uses most"
    )
    key_column: str = SettingField("website", description="the file's column with each company's website or domain")
    columns: dict[str, str] | None = SettingField(
        None, description="canonical column -> file column; default: People Data Labs' layout, where present"
    )
    confidence: float | None = SettingField(
        None, ge=0, le=1, description="how sure the file is, for the waterfall; default: fully trusted"
    )


class ReferenceFile:
    """Answers lookups from one file, loaded and normalised once per run."""

    name = "reference"
    object_type = "companies"
    key = "domain"
    paid = False
    Settings = Settings

    def __init__(self, settings: Settings, context: PluginContext):
        self.settings = settings
        self.context = context
        self.path = context.resolve(settings.path)
        self.delimiter = settings.delimiter  # a CSV file's, detected from its header if not set
        # one scan for the run: a JSON-lines file is read whole to learn its columns
        self._source = self._scan()
        available = self._source.collect_schema().names()
        wanted = settings.columns if settings.columns is not None else PDL_LAYOUT
        problems = [f"plugins.reference.columns.{c}: not a column enrichment can fill; "
                    f"fillable: {', '.join(FILLABLE)}" for c in wanted if c not in FILLABLE]
        missing = [v for v in [settings.key_column, *(wanted.values() if settings.columns else [])]
                   if v not in available]
        problems += [f"{self.path}: has no column {c!r}; its columns: {', '.join(available)}" for c in missing]
        if problems:
            raise ConfigError(problems)
        self.mapping = {c: v for c, v in wanted.items() if v in available}
        self.fields = {
            c: Field(columns.COMPANIES.field(c).type, f"{c} from {self.path.name}", policy="fill_missing")
            for c in self.mapping
        }
        self._table: pl.DataFrame | None = None
        self._reported: set[tuple[int, str]] = set()  # (line, column) already reported unreadable

    def _scan(self) -> pl.LazyFrame:
        suffixes = "".join(self.path.suffixes[-2:]).lower()
        if not self.path.is_file():
            raise SourceError(f"reference file {self.path} not found (plugins.reference.path)")
        if suffixes.endswith((".parquet", ".pq")):
            return pl.scan_parquet(self.path)
        if suffixes.endswith((".jsonl", ".ndjson")):
            return pl.scan_ndjson(self.path, infer_schema_length=None)
        if suffixes.removesuffix(".gz").endswith(delimited.SUFFIXES):
            if self.delimiter is None:
                opener = gzip.open if suffixes.endswith(".gz") else open
                with opener(self.path, "rt", encoding="utf-8-sig", errors="replace") as header:
                    self.delimiter = delimited.delimiter_of(header.readline())
            return pl.scan_csv(self.path, infer_schema=False, separator=self.delimiter)
        raise ConfigError([f"plugins.reference.path: {self.path.name} is not .csv, .tsv, .txt, .parquet or .jsonl"])

    def lookup(self, keys: pa.Array) -> pa.Table:
        """The file's first row for each key, its values parsed: only matched rows are parsed,
        so a 2,000,000-row export costs one key normalisation and then a join per batch."""
        if self._table is None:
            self._table = self._load()
        asked = pl.DataFrame({"domain": pl.Series(keys, dtype=pl.String)})
        raw = (
            asked.join(self._table, on="domain", how="inner")
            .sort("_line")
            .unique("domain", keep="first", maintain_order=True)  # a repeated domain: its first row
        )
        parsed = raw.select("domain", *(_parse(c, raw.schema[c]).alias(c) for c in self.mapping))
        self._report_unreadable(raw, parsed)
        if self.settings.confidence is not None:
            parsed = parsed.with_columns(confidence=pl.lit(self.settings.confidence, dtype=pl.Float64))
        return parsed.to_arrow()

    def _load(self) -> pl.DataFrame:
        """The prepared table: from the cache while it matches the file, else made and kept."""
        kept = self._kept_path()
        if kept is None:
            return self._prepare()
        identity = self._identity()
        table = _read_kept(kept, identity)
        if table is None:
            table = self._prepare()
            _keep(table, kept, identity)
        return table

    def _prepare(self) -> pl.DataFrame:
        """The file's rows by normalised domain (``_line`` their line), values as the file
        holds them. A repeated domain stays repeated: de-duplicating 2,000,000 keys costs
        more than normalising them, the matched rows of a batch next to nothing."""
        raw = self._source.select(
            pl.col(self.settings.key_column).cast(pl.String).alias("_key"),
            *(pl.col(v).alias(c) for c, v in self.mapping.items()),
        ).with_row_index("_line", offset=2).collect()  # line 1 is a CSV's header
        return (
            raw.with_columns(normalise.domain(pl.col("_key")).alias("domain"))
            .drop("_key")
            .drop_nulls("domain")
        )

    def _kept_path(self) -> Path | None:
        if self.context.cache_dir is None:
            return None
        name = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:16]
        return self.context.cache_dir / "reference" / f"{self.path.stem}-{name}.parquet"

    def _identity(self) -> str:
        """What the prepared table depends on: the file as it is now, the settings that pick
        its columns, and the code and Public Suffix List that normalised its keys."""
        stat = self.path.stat()
        return json.dumps({
            "file": str(self.path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "key_column": self.settings.key_column, "columns": sorted(self.mapping.items()),
            "delimiter": self.delimiter,
            "normalisers": _normalisers_digest(),
        }, sort_keys=True)

    def _report_unreadable(self, raw: pl.DataFrame, parsed: pl.DataFrame) -> None:
        for c in self.mapping:
            if c in normalise.LABELS:
                continue  # unknown labels are not unreadable: they are just not ours
            bad = raw.get_column(c).is_not_null() & parsed.get_column(c).is_null()
            rows = raw.filter(bad & (pl.col(c).cast(pl.String).str.strip_chars() != "")).sort("_line")
            for line, value in rows.select("_line", pl.col(c).cast(pl.String)).iter_rows():
                if (line, c) in self._reported:  # matched again by a later batch
                    continue
                self._reported.add((line, c))
                self.context.quarantine(Quarantined(
                    "companies", f"reference value is not a {c.replace('_', ' ')}; the rest of the row is used",
                    plugin=self.name, stage="reference file", field=self.mapping[c],
                    source=str(self.path), line=line, raw=value,
                ))


_IDENTITY = "crm_enrich.reference"  # the Parquet metadata key of a prepared table's identity


@functools.cache
def _normalisers_digest() -> str:
    digest = hashlib.sha256(Path(normalise.__file__).read_bytes())
    digest.update(Path(publicsuffixlist.PSLFILE).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _read_kept(path: Path, identity: str) -> pl.DataFrame | None:
    """The prepared table kept at ``path`` if it was made from what ``identity`` describes;
    None when absent, stale or unreadable (it is then made again)."""
    try:
        if pl.read_parquet_metadata(path).get(_IDENTITY) != identity:
            return None
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError):
        return None


def _keep(table: pl.DataFrame, path: Path, identity: str) -> None:
    """Write the prepared table whole or not at all (a temporary file, then a rename). A
    cache that cannot be written costs the next run time, not its result: a warning."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        table.write_parquet(temporary, compression="lz4", metadata={_IDENTITY: identity})
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        warnings.warn(f"reference: could not keep the prepared keys in {path} ({exc.strerror or exc}); "
                      f"the next run prepares them again", stacklevel=2)


def _parse(column: str, dtype: pl.DataType) -> pl.Expr:
    """A file column as its canonical column: normalised labels, numbers from text."""
    col = pl.col(column)
    text = col if dtype.is_nested() else col.cast(pl.String)
    if column in normalise.LABELS:
        return normalise.LABELS[column](text)
    match column:
        case "technologies":
            return normalise.technologies(col)
        case "employees":
            return col if dtype.is_integer() else normalise.employee_count(text)
        case "annual_revenue" | "funding_total":
            return col.cast(pl.Float64) if dtype.is_numeric() else normalise.revenue(text)
        case "founded_year":
            return col.cast(pl.Int64, strict=False) if dtype.is_numeric() else (
                text.str.strip_chars().str.extract(r"^(\d{4})(?:\.0+)?$").cast(pl.Int64)
            )
        case _:
            return text.str.strip_chars().replace("", None)


@crm_enrich.hookimpl
def register_providers(register):
    register(ReferenceFile)
