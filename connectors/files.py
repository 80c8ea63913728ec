"""The ``files`` connector: companies and contacts in CSV or Parquet files.

Reading streams the file in batches and maps its columns to the canonical ones
(``[plugins.files.companies.columns]``). A malformed CSV row, or a value that does not
parse (``employees = "about 200"``), quarantines that row with file, row and reason; the
row itself stays in the file untouched.

Writing rewrites the whole file into a temporary file beside it and renames it into
place, so a failure never leaves a half-written file. Only label columns change: every
other cell, the row order, malformed rows, the delimiter, line endings and a UTF-8 BOM
are kept. Cells we write that start with ``= + - @`` get a leading ``'`` so spreadsheets
do not run them as formulas; the prefix is removed again when the labels are read back.

With ``output_dir`` set, the input files are never modified: labelled copies are written
there, and the labels they hold are what the next run diffs against.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, model_validator

import crm_enrich
from crm_enrich import columns, delimited
from crm_enrich.errors import ConfigError, SourceError
from crm_enrich.protocols import ChangeSet, Field, PluginContext, Quarantined

PARQUET_SUFFIXES = (".parquet", ".pq")
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S")
BOM = b"\xef\xbb\xbf"
READ_BLOCK = 4 << 20
NATIVE = pl.CompatLevel.newest()


class ObjectFile(BaseModel):
    """One object type's file and how its column names map to canonical ones."""

    model_config = ConfigDict(extra="forbid")

    path: str
    # canonical column or output name -> the column's name in this file
    columns: dict[str, str] = {}

    @model_validator(mode="after")
    def _known_format(self):
        if not self.path.lower().endswith(delimited.SUFFIXES + PARQUET_SUFFIXES):
            raise ValueError(
                f"{self.path!r}: expected a .csv, .tsv, .txt, .parquet or .pq file"
            )
        return self

    @property
    def format(self) -> Literal["csv", "parquet"]:
        return "parquet" if self.path.lower().endswith(PARQUET_SUFFIXES) else "csv"


class FilesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    companies: ObjectFile
    contacts: ObjectFile
    output_dir: str | None = None
    delimiter: str | None = None  # CSV only; None detects , ; tab or |
    list_separator: str = ";"  # how a list (technologies) is written in one CSV cell


@dataclass
class _Layout:
    """What one file looks like: its columns, and for CSV its dialect."""

    path: Path
    format: str
    header: list[str]
    delimiter: str = ","
    eol: str = "\r\n"
    bom: bool = False
    quote_all: bool = False  # every cell quoted (as some CRM exports write them), not only where needed
    rows: int | None = None


@dataclass
class _CsvRows:
    """Record numbers of a streamed CSV (header = 1, a spreadsheet's row numbers)."""

    bad: list[tuple[int, str]] = field(default_factory=list)
    good_seen: int = 0
    written_through: int = 1  # the header; used when rewriting
    report: Callable[[int, str, str], None] | None = None  # (row, text, reason) when reading

    def handler(self, row) -> str:
        self.bad.append((row.number, row.text))
        if self.report is not None:
            self.report(
                row.number, row.text,
                f"malformed row: {row.actual_columns} fields, the header has {row.expected_columns}",
            )
        return "skip"

    def number(self, count: int) -> pl.Series:
        """Row numbers of the next ``count`` good rows, skipping the malformed ones."""
        lines = pl.int_range(2 + self.good_seen, 2 + self.good_seen + count, eager=True)
        bad = pl.Series([line for line, _ in sorted(self.bad)], dtype=pl.Int64)
        # the n-th good row moves down by the malformed rows before it: those whose line,
        # less the malformed rows before them, is at most where it would be without them
        shift = (bad - pl.int_range(0, bad.len(), eager=True)).search_sorted(lines, side="right")
        self.good_seen += count
        return lines + shift.cast(pl.Int64)


class FilesConnector:
    """Companies and contacts in CSV or Parquet files."""

    name = "files"
    Settings = FilesSettings
    incremental = False

    def __init__(self, settings: FilesSettings, context: PluginContext):
        self.settings = settings
        self.context = context
        self._layouts: dict[str, _Layout] = {}
        self._writers: dict[str, _FileWriter] = {}

    # -- where things are ------------------------------------------------------------

    def _spec(self, object_type: str) -> ObjectFile:
        return getattr(self.settings, object_type)

    def _input(self, object_type: str) -> Path:
        return self.context.resolve(self._spec(object_type).path)

    def _target(self, object_type: str) -> Path:
        source = self._input(object_type)
        if self.settings.output_dir is None:
            return source
        return self.context.resolve(self.settings.output_dir) / source.name

    def _layout(self, path: Path, fmt: str) -> _Layout:
        if path in self._layouts:
            return self._layouts[path]
        if not path.is_file():
            raise SourceError(f"connector 'files': {path} does not exist or is not a file")
        if fmt == "parquet":
            meta = pq.ParquetFile(path)
            layout = _Layout(path, fmt, meta.schema_arrow.names, rows=meta.metadata.num_rows)
        else:
            layout = self._sniff(path)
        self._layouts[path] = layout
        return layout

    def _sniff(self, path: Path) -> _Layout:
        # All of the first read block: pyarrow fails on bad UTF-8 there while opening the
        # reader, and a reader that fails to open can abort the process at exit (its row
        # handler is freed on a background thread), so such a file must not get that far.
        with open(path, "rb") as f:
            head = f.read(READ_BLOCK)
        bom = head.startswith(BOM)
        try:
            text = head[len(BOM) if bom else 0 :].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not merely a character cut at the read's end
                raise SourceError(
                    f"connector 'files': {path} is not UTF-8 (byte {exc.object[exc.start]:#x} "
                    f"at offset {exc.start}); save it as UTF-8"
                ) from None
            text = head[len(BOM) if bom else 0 : exc.start].decode("utf-8")
        first = text.split("\n", 1)[0]
        eol = "\r\n" if first.endswith("\r") else "\n"
        delimiter = self.settings.delimiter or delimited.delimiter_of(first)
        header = next(csv.reader([first.rstrip("\r")], delimiter=delimiter))
        quoted = '"(?:[^"]|"")*"'
        quote_all = re.fullmatch(f"{quoted}(?:{re.escape(delimiter)}{quoted})*", first.rstrip("\r")) is not None
        return _Layout(path, "csv", header, delimiter=delimiter, eol=eol, bom=bom, quote_all=quote_all)

    def _mapping(self, object_type: str, outputs: Mapping[str, Field], layout: _Layout) -> dict[str, str]:
        """canonical or output name -> file column, for those the file has."""
        spec = self._spec(object_type)
        known = set(columns.INPUTS[object_type].names) | set(outputs)
        unknown = [k for k in spec.columns if k not in known]
        problems = [
            f"plugins.files.{object_type}.columns.{k}: not a canonical column or output of this "
            f"pipeline (expected one of: {', '.join(sorted(known))})"
            for k in unknown
        ] + self._missing(object_type, layout)
        if problems:
            raise ConfigError(problems)
        mapping = {}
        for name in columns.INPUTS[object_type].names + list(outputs):
            column = spec.columns.get(name, name)
            if column in layout.header:
                mapping[name] = column
        return mapping

    def _missing(self, object_type: str, layout: _Layout) -> list[str]:
        """Mapped input columns the file does not have, and a missing id column."""
        spec = self._spec(object_type)
        problems = [
            f"plugins.files.{object_type}.columns.{k}: {v!r} is not a column of {layout.path.name} "
            f"(columns: {', '.join(layout.header)})"
            for k, v in spec.columns.items()
            if k in columns.INPUTS[object_type].names and v not in layout.header
        ]  # an output's column may not exist yet: the first write adds it
        if "id" not in spec.columns and "id" not in layout.header:
            problems.append(
                f"plugins.files.{object_type}.columns.id: {layout.path.name} has no 'id' column; "
                f"map it, e.g. id = \"Record ID\" (columns: {', '.join(layout.header)})"
            )
        return problems

    def _check_inputs(self) -> None:
        """Every input file is there and has its mapped columns, all reported at once.

        Done before the first object type is read, so that a mistake in the contacts
        file's mapping stops the run before the companies file is rewritten.
        """
        problems = []
        for object_type in columns.OBJECT_TYPES:
            layout = self._layout(self._input(object_type), self._spec(object_type).format)
            problems += self._missing(object_type, layout)
        if problems:
            raise ConfigError(problems)

    # -- the connector protocol ----------------------------------------------------------

    def check(self) -> list[str]:
        self._check_inputs()  # mapped outputs are checked by schema(), which knows them
        lines = []
        for object_type in columns.OBJECT_TYPES:
            spec = self._spec(object_type)
            layout = self._layout(self._input(object_type), spec.format)
            mapped = [n for n in columns.INPUTS[object_type].names if spec.columns.get(n, n) in layout.header]
            lines.append(
                f"{object_type}: {layout.path} ({spec.format}, {len(layout.header)} columns, "
                f"{len(mapped)} mapped)"
            )
        if self.settings.output_dir is not None:
            out = self.context.resolve(self.settings.output_dir)
            out.mkdir(parents=True, exist_ok=True)
            if not os.access(out, os.W_OK):
                raise SourceError(f"connector 'files': cannot write to {out}")
            lines.append(f"labelled copies go to {out}")
        return lines

    def count(self, object_type: str) -> int | None:
        return self._layout(self._input(object_type), self._spec(object_type).format).rows

    def schema(self, object_type: str, outputs: Mapping[str, Field]) -> pa.Schema:
        self._check_inputs()
        layout = self._layout(self._input(object_type), self._spec(object_type).format)
        mapping = self._mapping(object_type, outputs, layout)
        schema = columns.connector_schema(object_type, outputs, provided=mapping)
        # declared in polars' own Arrow layout (string_view), which crosses to the engine uncopied
        return pl.from_arrow(schema.empty_table()).to_arrow(compat_level=NATIVE).schema

    def read(
        self,
        object_type: str,
        *,
        outputs: Mapping[str, Field],
        batch_size: int,
        since: datetime | None = None,
    ) -> Iterator[pa.RecordBatch]:
        spec = self._spec(object_type)
        layout = self._layout(self._input(object_type), spec.format)
        mapping = self._mapping(object_type, outputs, layout)
        schema = self.schema(object_type, outputs)
        # An output that is also an input (a filled firmographic) is read, parsed and
        # checked as an input: what a person typed is the source's value.
        both = _filled(object_type, outputs)
        inputs = {n: c for n, c in mapping.items() if n not in outputs or n in both}
        held = self._held_labels(object_type, outputs)
        wanted = set(inputs.values())
        if held is None:  # labels are read from the file itself
            wanted |= {mapping[n] for n in outputs if n in mapping}

        def malformed(line: int, text: str, reason: str) -> None:
            self.context.quarantine(
                Quarantined(object_type, reason, plugin=self.name, stage="read",
                            source=str(layout.path), line=line, raw=text)
            )

        writer = self._writers.get(object_type)
        if writer is not None:  # it writes every column back out, so read them all
            wanted = set(layout.header)
            writer.held = held
            writer.replay = lambda tracker: _rebatch(self._raw(layout, sorted(wanted), tracker), batch_size)
        labelled = [n for n in outputs if n not in both]
        if held is not None:
            held = held.rename({n: f"_held_{n}" for n in both})
        rows = _CsvRows(report=malformed)
        for raw, lines in _rebatch(self._raw(layout, sorted(wanted), rows), batch_size):
            df = self._canonical(object_type, raw, lines, inputs, layout.path)
            absent = [n for n in both if n not in df.columns]  # filled into a column the file lacks
            df = df.with_columns(pl.lit(None, columns.polars_type(outputs[n].type)).alias(n) for n in absent)
            if held is None:
                labels = raw.with_columns(
                    _parse_label(_column_or_null(raw, mapping.get(n)), outputs[n]).alias(n)
                    for n in labelled
                ).select(labelled)  # with_columns: a missing column's null broadcasts to every row
                df = pl.concat([df, labels], how="horizontal")
            else:  # the source's value, else what an earlier run filled into the copy
                df = df.join(held, on="id", how="left", maintain_order="left")
                df = df.with_columns(pl.coalesce(n, f"_held_{n}").alias(n) for n in both)
            df = df.filter(pl.col("_keep")).select(schema.names)
            if writer is not None:
                writer.stash(raw, lines, rows)
            if df.height == 0:
                yield pa.RecordBatch.from_pylist([], schema=schema)
            else:
                yield df.to_arrow(compat_level=NATIVE).cast(schema).combine_chunks().to_batches()[0]

    def writer(self, object_type: str, fields: Mapping[str, Field]) -> _FileWriter:
        self._check_inputs()
        self._writers[object_type] = _FileWriter(self, object_type, dict(fields))
        return self._writers[object_type]

    # -- reading ---------------------------------------------------------------------------

    def _raw(
        self, layout: _Layout, wanted: list[str], rows: _CsvRows | None = None
    ) -> Iterator[tuple[pl.DataFrame, pl.Series | None]]:
        """The file's cells as text (CSV) or as stored (Parquet), with CSV row numbers.

        ``rows`` numbers the CSV rows and collects the malformed ones (a tracker that
        reports them quarantines them; reading back held labels does not).
        """
        if layout.format == "parquet":
            # One row group at a time through polars' reader: faster than pyarrow's
            # iter_batches and no conversion, while memory stays bounded by the row group.
            query = pl.scan_parquet(layout.path).select(wanted)
            offset = 0
            metadata = pq.ParquetFile(layout.path).metadata
            for group in range(metadata.num_row_groups):
                rows = metadata.row_group(group).num_rows
                yield query.slice(offset, rows).collect(), None
                offset += rows
            return
        rows = rows or _CsvRows()
        for batch in _open_csv(layout, wanted, rows):
            yield pl.from_arrow(batch), rows.number(batch.num_rows)

    def _canonical(
        self, object_type: str, raw: pl.DataFrame, lines: pl.Series | None, inputs: dict[str, str], path: Path
    ) -> pl.DataFrame:
        """Typed canonical columns, with ``_keep`` false on rows quarantined for bad values."""
        schema = columns.INPUTS[object_type]
        parsed, checks = [], []  # checks: (field, mask of bad rows, message for them)
        id_text = pl.col(inputs["id"]).cast(pl.String).str.strip_chars().fill_null("")
        checks.append(("id", id_text == "", pl.lit("record has no id")))
        for name, column in inputs.items():
            target = schema.field(name).type
            value, bad = _parse(pl.col(column), raw.schema[column], target, self.settings.list_separator)
            parsed.append(value.alias(name))
            if bad is not None:
                message = pl.format(f"{name}: '{{}}' is not {_describe(target)}", pl.col(column).cast(pl.String))
                checks.append((name, bad, message))
        df = raw.select(*parsed, (~pl.any_horizontal([bad for _, bad, _ in checks])).alias("_keep"))
        if df.get_column("_keep").all():
            return df
        # Messages only for the rows that need them: most batches have none.
        problem = pl.concat_str([pl.when(bad).then(msg) for _, bad, msg in checks], separator="; ", ignore_nulls=True)
        field_name = pl.coalesce([pl.when(bad).then(pl.lit(name)) for name, bad, _ in checks])
        rejected = raw.with_row_index("_i").filter(~df.get_column("_keep")).select(
            "_i", pl.col(inputs["id"]).cast(pl.String).str.strip_chars().alias("_id"),
            problem.alias("_problem"), field_name.alias("_field"),
        )
        for i, record_id, reason, field_ in rejected.iter_rows():
            self.context.quarantine(
                Quarantined(
                    object_type, reason, record_id or None, plugin=self.name, stage="read", field=field_,
                    source=str(path), line=lines[i] if lines is not None else None,
                )
            )
        return df

    def _held_labels(self, object_type: str, outputs: Mapping[str, Field]) -> pl.DataFrame | None:
        """In ``output_dir`` mode, the labels the previous output holds (None: read in place)."""
        if self.settings.output_dir is None:
            return None
        target = self._target(object_type)
        empty = pl.DataFrame(schema={"id": pl.String, **{n: columns.polars_type(f.type) for n, f in outputs.items()}})
        if not target.exists():
            return empty
        layout = self._layout(target, self._spec(object_type).format)
        mapping = self._mapping(object_type, outputs, layout)
        have = {n: mapping[n] for n in outputs if n in mapping}
        parts = [
            raw.select(
                pl.col(mapping["id"]).cast(pl.String).str.strip_chars().alias("id"),
                    *(_parse_label(_column_or_null(raw, have.get(n)), f).alias(n) for n, f in outputs.items()),
            )
            for raw, _ in self._raw(layout, sorted({mapping["id"], *have.values()}))
        ]
        return pl.concat(parts).unique("id", keep="first") if parts else empty


class _FileWriter:
    """Streams each batch, labelled, into a temporary file beside the target; renames it on commit.

    The engine calls ``write`` once per batch read, right after it, so the batch the
    reader stashed is the one the changes belong to: one pass over the file, memory
    bounded by the batch. Encoding and writing a batch happens on one background thread
    while the engine scores the next (at most one write in flight, in order).

    Nothing is written until the first batch with a change; the unchanged batches before
    it are then read again from the source and copied. A run that changes nothing writes
    nothing at all.
    """

    def __init__(self, connector: FilesConnector, object_type: str, fields: dict[str, Field]):
        self.fields = fields
        spec = connector._spec(object_type)
        self.source = connector._layout(connector._input(object_type), spec.format)
        self.target = connector._target(object_type)
        mapping = connector._mapping(object_type, fields, self.source)
        self.id_column = mapping["id"]
        # Label columns keep their place if the file has them; new ones are appended.
        self.label_columns = {n: mapping.get(n, spec.columns.get(n, n)) for n in fields}
        self.header = list(self.source.header) + [
            c for c in self.label_columns.values() if c not in self.source.header
        ]
        self.held: pl.DataFrame | None = None  # output_dir mode: the previous copy's labels
        self.filled = _filled(object_type, fields)  # outputs that are inputs too
        self.replay = None  # set by read(): the source's raw batches again, from the start
        self.clean_batches = 0  # batches passed before the first change, not yet written
        self.pending: deque[tuple[pl.DataFrame, pl.Series | None, _CsvRows]] = deque()
        self.rows: _CsvRows | None = None
        self.temp: Path | None = None
        self.out = None
        self.parquet: pq.ParquetWriter | None = None
        self.io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-enrich-write")
        self.in_flight: Future | None = None
        self.on_commit = lambda: connector._layouts.pop(self.target, None)

    def stash(self, raw: pl.DataFrame, lines: pl.Series | None, rows: _CsvRows) -> None:
        self.pending.append((raw, lines, rows))
        self.rows = rows  # one tracker for the whole read: the malformed rows so far

    def write(self, changes: ChangeSet) -> None:
        raw, lines, rows = self.pending.popleft()
        if self.out is None and changes.num_records == 0:
            self.clean_batches += 1
            return
        if self.out is None:
            self._guarded(self._open)
            self._guarded(self._copy_clean_batches, rows)
        flags = pl.from_arrow(changes.changed)
        new = pl.from_arrow(changes.table).with_columns(
            flags.get_column(n).alias(f"_changed_{n}") for n in flags.columns
        ).unique("id", keep="last")
        self._guarded(self._write_batch, raw, lines, rows, new)

    def _copy_clean_batches(self, rows: _CsvRows) -> None:
        """Write the unchanged batches that came before the first change, read again."""
        if not self.clean_batches:
            return
        again = _CsvRows()  # a second reader of the same file: it quarantines nothing
        for done, (raw, lines) in enumerate(self.replay(again)):
            if done == self.clean_batches:
                break
            self._write_batch(raw, lines, again, None)
        self._settle()
        rows.written_through = again.written_through

    def commit(self) -> None:
        if self.pending:
            raise RuntimeError("the engine did not hand back every batch it read")
        self._guarded(self._settle)
        self.io.shutdown()
        if self.out is None:
            return
        self._guarded(self._finish)

    def abort(self) -> None:
        self.pending.clear()
        try:
            self._settle()
        except Exception:  # the write that failed is why we abort; the old file stands
            pass
        self.io.shutdown()
        if self.out is not None:
            self.out.close()
            self.out = None
        if self.temp is not None and self.temp.exists():
            self.temp.unlink()
        self.temp = None

    def _guarded(self, step, *args) -> None:
        try:
            step(*args)
        except OSError as exc:  # disk full, file too large, no permission: the old file stands
            raise SourceError(f"connector 'files': cannot write {self.target}: {exc}") from None

    def _open(self) -> None:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.temp = self.target.with_name(f".{self.target.name}.{os.getpid()}.tmp")
        self.out = open(self.temp, "wb")
        if self.source.format == "parquet":
            # other columns keep their Arrow types (polars would make strings large_string)
            types = {f.name: f for f in pq.ParquetFile(self.source.path).schema_arrow}
            types.update({c: pa.field(c, self.fields[n].type) for n, c in self.label_columns.items()})
            self.parquet = pq.ParquetWriter(self.out, pa.schema([types[c] for c in self.header]))
            return
        if self.source.bom:
            self.out.write(BOM)
        text = io.StringIO()
        csv.writer(
            text, delimiter=self.source.delimiter, lineterminator=self.source.eol,
            quoting=csv.QUOTE_ALL if self.source.quote_all else csv.QUOTE_MINIMAL,
        ).writerow(self.header)
        self.out.write(text.getvalue().encode("utf-8"))

    def _write_batch(self, raw, lines, rows, new: pl.DataFrame | None) -> None:
        as_text = self.parquet is None
        df = self._labelled(raw, new, as_text).select(self.header)
        self._settle()  # the previous batch is out (or its error is raised here)
        if self.parquet is not None:
            table = df.to_arrow().cast(self.parquet.schema)
            self.in_flight = self.io.submit(self.parquet.write_table, table)
        else:
            self.in_flight = self.io.submit(self._write_rows, df, lines, rows)

    def _settle(self) -> None:
        if self.in_flight is not None:
            done, self.in_flight = self.in_flight, None
            done.result()

    def _finish(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        else:
            rows = self.rows
            for line, text in sorted(rows.bad) if rows else ():  # malformed rows after the last good one
                if line > rows.written_through:
                    self.out.write((text + self.source.eol).encode("utf-8"))
                    rows.written_through = line
        self.out.flush()
        os.fsync(self.out.fileno())
        self.out.close()
        self.out = None
        os.replace(self.temp, self.target)
        _fsync_dir(self.target.parent)
        self.on_commit()
        self.temp = None

    def _labelled(self, raw: pl.DataFrame, new: pl.DataFrame | None, as_text: bool) -> pl.DataFrame:
        """One raw batch with its label columns set to the new (or held) values."""
        # joins run on the key and the label columns alone, then the labels are attached
        keys = [self.id_column, *(c for c in self.label_columns.values() if c in raw.columns)]
        df = raw.select(keys).with_columns(pl.col(self.id_column).cast(pl.String).str.strip_chars().alias("_id"))
        if new is not None:
            new = new.rename({n: f"_new_{n}" for n in self.fields})
            df = df.join(new, left_on="_id", right_on="id", how="left", maintain_order="left")
        if self.held is not None:
            held = self.held.rename({n: f"_held_{n}" for n in self.fields})
            df = df.join(held, left_on="_id", right_on="id", how="left", maintain_order="left")
        values = []
        for name, column in self.label_columns.items():
            spec = self.fields[name]
            # only the fields the engine marked changed: write policies live in that mask
            hit = pl.col(f"_changed_{name}").fill_null(False) if new is not None else pl.lit(False)
            current = _parse_label(_column_or_null(raw, column), spec)
            if self.held is not None:  # the copy's label; for a filled input, the source's value first
                current = pl.coalesce(current, f"_held_{name}") if name in self.filled else pl.col(f"_held_{name}")
            new_value = pl.col(f"_new_{name}") if new is not None else pl.lit(None, columns.polars_type(spec.type))
            value = pl.when(hit).then(new_value).otherwise(current)
            if as_text:
                value = _neutralise(_as_text(value, spec.type))
                if self.held is None and column in raw.columns:
                    # untouched rows keep their exact original text
                    value = pl.when(hit).then(value).otherwise(pl.col(column))
            else:
                value = value.cast(columns.polars_type(spec.type))
            values.append(value.alias(column))
        return raw.with_columns(df.select(values).get_columns())

    def _write_rows(self, df: pl.DataFrame, lines: pl.Series, rows: _CsvRows) -> None:
        """Write a batch, putting each malformed row back at its place between good rows."""
        if lines.is_empty():  # a block of malformed rows only: they go out with a later batch
            return
        start = 0
        pending = sorted(b for b in rows.bad if b[0] > rows.written_through and b[0] <= int(lines[-1]))
        cuts = lines.search_sorted(pl.Series([line for line, _ in pending], dtype=pl.Int64)).to_list()
        for (_line, text), cut in zip(pending, cuts):
            self._dump(df[start:cut])
            self.out.write((text + self.source.eol).encode("utf-8"))
            start = cut
        self._dump(df[start:])
        rows.written_through = int(lines[-1])

    def _dump(self, df: pl.DataFrame) -> None:
        if df.height:
            # an empty cell stays bare, as it was, rather than becoming "" (unless all are quoted)
            df.with_columns(pl.col(pl.String).replace("", None)).write_csv(
                self.out, include_header=False, separator=self.source.delimiter,
                line_terminator=self.source.eol,
                quote_style="always" if self.source.quote_all else "necessary", null_value="",
            )


def _open_csv(layout: _Layout, wanted: list[str], rows: _CsvRows) -> Iterator[pa.RecordBatch]:
    try:
        reader = pacsv.open_csv(
            layout.path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=READ_BLOCK),
            parse_options=pacsv.ParseOptions(
                delimiter=layout.delimiter, newlines_in_values=True, invalid_row_handler=rows.handler
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in layout.header},
                strings_can_be_null=False,
                include_columns=wanted,
            ),
        )
        yield from reader
    except (pa.ArrowInvalid, OSError) as exc:
        if "invalid UTF8" in str(exc):  # past the part _sniff checked
            raise SourceError(f"connector 'files': {layout.path} is not UTF-8 ({exc}); save it as UTF-8") from None
        raise SourceError(f"connector 'files': cannot read {layout.path}: {exc}") from None


def _rebatch(parts: Iterator[tuple[pl.DataFrame, pl.Series | None]], size: int):
    """Re-cut the reader's blocks into batches of ``size`` rows."""
    buffer: list[pl.DataFrame] = []
    line_buffer: list[pl.Series] = []
    held = 0
    for df, lines in parts:
        buffer.append(df)
        if lines is not None:
            line_buffer.append(lines)
        held += df.height
        while held >= size:
            joined = pl.concat(buffer)
            all_lines = pl.concat(line_buffer) if line_buffer else None
            yield joined[:size], (all_lines[:size] if all_lines is not None else None)
            buffer = [joined[size:]]
            line_buffer = [all_lines[size:]] if all_lines is not None else []
            held -= size
    if held:
        yield pl.concat(buffer), (pl.concat(line_buffer) if line_buffer else None)


def _filled(object_type: str, outputs: Mapping[str, Field]) -> set[str]:
    """Outputs that are canonical inputs too: values filled in, not labels invented."""
    return {n for n in outputs if n in columns.INPUTS[object_type].names}


def _column_or_null(raw: pl.DataFrame, column: str | None) -> pl.Expr:
    return pl.col(column) if column is not None and column in raw.columns else pl.lit(None, pl.String)


def _parse(expr: pl.Expr, stored: pl.DataType, target: pa.DataType, list_separator: str):
    """A column as the canonical type, and a mask of values that did not parse (or None)."""
    if stored != pl.String:
        polars_target = columns.polars_type(target)
        if stored == polars_target:
            return expr, None
        converted = expr.cast(polars_target, strict=False)
        return converted, expr.is_not_null() & converted.is_null()
    text = expr.str.strip_chars().replace("", None)
    if pa.types.is_string(target):
        return text, None
    if pa.types.is_list(target):
        items = text.str.split(list_separator).list.eval(pl.element().str.strip_chars())
        return items.list.filter(pl.element() != ""), None
    if pa.types.is_integer(target):
        number = text.str.replace_all(r"[\s_]", "").cast(pl.Float64, strict=False)
        whole = number == number.floor()
        value = pl.when(whole).then(number).cast(pl.Int64, strict=False)
    elif pa.types.is_floating(target):
        value = text.str.replace_all(r"[\s_]", "").cast(pl.Float64, strict=False)
    elif pa.types.is_timestamp(target):
        value = pl.coalesce(
            [text.str.to_datetime(fmt, time_unit="us", strict=False).dt.replace_time_zone("UTC") for fmt in TIMESTAMP_FORMATS]
            + [text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)]
        )
    else:
        raise TypeError(f"no parser for {target}")
    return value, text.is_not_null() & value.is_null()


def _parse_label(expr: pl.Expr, spec: Field) -> pl.Expr:
    """A label cell as read back: lenient (a bad cell is simply overwritten) and un-neutralised."""
    text = expr.cast(pl.String).str.strip_chars().replace("", None)
    text = pl.when(text.str.contains(r"^'+[=+\-@\t\r]")).then(text.str.slice(1)).otherwise(text)
    value, _ = _parse(text, pl.String, spec.type, ";")
    return value


def _as_text(expr: pl.Expr, arrow_type: pa.DataType) -> pl.Expr:
    if pa.types.is_list(arrow_type):
        return expr.list.join(";")
    return expr.cast(pl.String)


def _neutralise(expr: pl.Expr) -> pl.Expr:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula.

    A value that already starts with ``'`` before such a character gets one too, so that
    reading back (which removes one ``'``) returns it unchanged.
    """
    return pl.when(expr.str.contains(r"^'*[=+\-@\t\r]")).then(pl.lit("'") + expr).otherwise(expr)


def _describe(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type):
        return "a whole number"
    if pa.types.is_floating(arrow_type):
        return "a number"
    if pa.types.is_timestamp(arrow_type):
        return "a date or timestamp"
    return str(arrow_type)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@crm_enrich.hookimpl
def register_connectors(register):
    register(FilesConnector)
