"""``sqlite``: companies and contacts in a SQLite database, labels written back.

A crm-enrich connector for the many teams that keep a copy of their CRM in SQL. It uses
the standard library's :mod:`sqlite3` only.

- **Read.** One query per object type, streamed with ``fetchmany(batch_size)``. SQL
  columns are mapped to the canonical ones (``[plugins.sqlite.companies.columns]``) and
  converted to their canonical types. SQLite is dynamically typed, so a value may not be
  what its column says (``employees = 'about 200'``): that row is quarantined with table,
  rowid, record id, field and the raw value, and left out of the batch.
- **Incremental.** With ``updated_at`` set for contacts, ``since`` reads only the rows
  modified after it, ordered by that time then id. Times are compared as SQLite's date
  functions read them (ISO 8601 text, or a Unix time), in UTC, to the millisecond.
- **Write.** One transaction per object type: it takes SQLite's write lock when the engine
  opens the writer, holds every batch's changed fields, and is committed by ``commit()``
  (``abort()`` rolls it back), so a failed run leaves the database as it was. Labels go
  into columns of the record's own table (added once with ``ALTER TABLE``) or, with
  ``labels = "table"``, into ``<table>_labels`` so the CRM copy itself is never altered.
  A record the database rejects (a CHECK or NOT NULL constraint, a trigger's
  ``RAISE(ABORT)``), or one that is no longer there, is quarantined and the rest lands.

Every SQL name comes from the settings and is quoted as an identifier; values are always
bound parameters.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import crm_enrich
import pyarrow as pa
import pyarrow.compute as pc
from crm_enrich import columns
from crm_enrich.errors import ConfigError, SourceError
from crm_enrich.protocols import ChangeSet, Field, PluginContext, Quarantined
from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic import Field as Setting

__version__ = "0.1.0"

NAME = "sqlite"
IN_CHUNK = 500  # bound parameters per IN (...) list, well under SQLite's limit
# A Unix time at least this large is in milliseconds: in seconds it would be after the year 5000.
EPOCH_MS = 100_000_000_000
SQL_TIME = "%Y-%m-%dT%H:%M:%f"  # SQLite's strftime: UTC, milliseconds
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# -- settings ------------------------------------------------------------------------------------


def _identifier(name: str) -> str:
    if not name:
        raise ValueError("an SQL name cannot be empty")
    if "\x00" in name:
        raise ValueError("an SQL name cannot contain a NUL character")
    return name


Identifier = Annotated[str, AfterValidator(_identifier)]


class ObjectTable(BaseModel):
    """Where one object type's records are, and how their columns map to canonical ones."""

    model_config = ConfigDict(extra="forbid")

    table: Identifier | None = Setting(
        None, description="table (or view) holding the records; default: companies / contacts"
    )
    columns: dict[str, Identifier] = Setting(
        default_factory=dict,
        description="canonical column or output -> SQL column; unmapped names are looked up under their own name",
    )
    updated_at: Identifier | None = Setting(
        None, description="column holding the last-modified time; set it on contacts for incremental reads",
    )
    label_table: Identifier | None = Setting(
        None, description='with labels = "table": the table labels go to (default <table>_labels)'
    )

    @model_validator(mode="after")
    def _one_updated_at(self) -> ObjectTable:
        mapped = self.columns.get("updated_at")
        if mapped is not None and self.updated_at is not None and mapped != self.updated_at:
            raise ValueError(
                f"columns.updated_at ({mapped!r}) and updated_at ({self.updated_at!r}) differ; set updated_at only"
            )
        return self


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Setting(min_length=1, description="the SQLite database file, relative to plugins.toml")
    labels: Literal["columns", "table"] = Setting(
        "columns",
        description='"columns": into columns of the records\' own table (added if missing); '
        '"table": into <table>_labels, leaving the CRM tables untouched',
    )
    companies: ObjectTable = Setting(default_factory=ObjectTable, description="the companies table")
    contacts: ObjectTable = Setting(default_factory=ObjectTable, description="the contacts table")
    list_separator: str = Setting(
        ";", min_length=1, description="separates the items of a list (technologies) held in one text column"
    )
    busy_timeout_seconds: float = Setting(
        30, ge=0, description="how long to wait for a lock another connection holds"
    )
    overlap_seconds: float = Setting(
        0, ge=0, description="incremental reads also re-read rows modified this long before the watermark"
    )

    @model_validator(mode="after")
    def _label_table_needs_table_mode(self) -> Settings:
        if self.labels == "columns":
            named = [t for t in ("companies", "contacts") if getattr(self, t).label_table is not None]
            if named:
                raise ValueError(
                    f"label_table is set for {', '.join(named)} but labels = \"columns\" writes into the "
                    f"records' own table; set labels = \"table\" or remove label_table"
                )
        return self


# -- SQL helpers ---------------------------------------------------------------------------------


def quote(name: str) -> str:
    """``name`` as an SQL identifier: in double quotes, inner quotes doubled."""
    if "\x00" in name:
        raise ValueError(f"an SQL name cannot contain a NUL character: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _fold(name: str) -> str:
    """SQLite compares names case-insensitively for ASCII letters only."""
    return name.translate(ASCII_LOWER)


def _affinity(declared: str) -> str:
    """The column affinity SQLite derives from a declared type (datatype3.html, 3.1)."""
    d = declared.upper()
    if "INT" in d:
        return "INTEGER"
    if "CHAR" in d or "CLOB" in d or "TEXT" in d:
        return "TEXT"
    if "BLOB" in d or not d:
        return "BLOB"
    if "REAL" in d or "FLOA" in d or "DOUB" in d:
        return "REAL"
    return "NUMERIC"


def _sql_type(arrow_type: pa.DataType) -> str:
    """The declared type of a new label column."""
    if pa.types.is_integer(arrow_type) or pa.types.is_boolean(arrow_type):
        return "INTEGER"
    if pa.types.is_floating(arrow_type):
        return "REAL"
    return "TEXT"


def normalised_time(expr: str) -> str:
    """SQL giving ``expr`` as UTC text ``YYYY-MM-DDTHH:MM:SS.SSS``, or NULL if unreadable.

    Numbers (and digit-only text of 9 or more digits) are Unix times, in milliseconds when
    at least 10^11; other text is read by SQLite's date functions (ISO 8601, with ``T`` or a
    space, an optional ``Z`` or ``+HH:MM`` offset).
    """
    digits = f"trim({expr})"
    whole = f"CAST({digits} AS INTEGER)"
    return (
        f"CASE WHEN typeof({expr}) IN ('integer', 'real') THEN strftime('{SQL_TIME}', "
        f"CASE WHEN abs({expr}) >= {EPOCH_MS} THEN {expr} / 1000.0 ELSE {expr} END, 'unixepoch') "
        f"WHEN typeof({expr}) = 'text' AND length({digits}) >= 9 AND {digits} NOT GLOB '*[^0-9]*' "
        f"THEN strftime('{SQL_TIME}', CASE WHEN {whole} >= {EPOCH_MS} THEN {whole} / 1000.0 ELSE {whole} END, "
        f"'unixepoch') "
        f"WHEN typeof({expr}) = 'text' THEN strftime('{SQL_TIME}', {digits}) END"
    )


def _sql_time(moment: datetime) -> str:
    """A datetime in the form :func:`normalised_time` gives (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


class _Undecodable(bytes):
    """TEXT that is not valid UTF-8: kept as bytes so that its row can be quarantined."""


def _decode(data: bytes) -> str | _Undecodable:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _Undecodable(data)


# -- what the database holds -------------------------------------------------------------------


@dataclass
class _Relation:
    """A table or view as the database describes it."""

    name: str
    kind: str  # "table" or "view"
    columns: list[str]
    types: dict[str, str]  # column -> declared type
    rowid: str | None  # the expression naming the rowid, if the relation has one

    def column(self, wanted: str) -> str | None:
        """The column's name as declared, matched as SQLite does (ASCII case-insensitively)."""
        folded = _fold(wanted)
        return next((c for c in self.columns if _fold(c) == folded), None)

    def describe(self) -> str:
        return f"{self.kind} {self.name!r}"


def _relation(conn: sqlite3.Connection, name: str) -> _Relation | None:
    row = conn.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE",
        (name,),
    ).fetchone()
    if row is None:
        return None
    actual, kind = row
    info = conn.execute("SELECT name, type FROM pragma_table_xinfo(?) WHERE hidden != 1", (actual,)).fetchall()
    names = [n for n, _ in info]
    rowid = None
    if kind == "table":
        for alias in ("rowid", "_rowid_", "oid"):  # a column may shadow an alias
            if any(_fold(n) == alias for n in names):
                continue
            try:
                conn.execute(f"SELECT {alias} FROM {quote(actual)} LIMIT 0")
            except sqlite3.OperationalError:  # WITHOUT ROWID
                break
            rowid = alias
            break
    return _Relation(actual, kind, names, {n: (t or "") for n, t in info}, rowid)


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [n for (n,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite%' ORDER BY name"
    )]


def _indexed(conn: sqlite3.Connection, relation: _Relation, column: str) -> bool:
    """Is ``column`` the rowid or the first column of an index (so a lookup by it is cheap)?"""
    if relation.kind != "table":
        return False
    info = conn.execute("SELECT name, type, pk FROM pragma_table_info(?)", (relation.name,)).fetchall()
    pks = [(n, t) for n, t, pk in info if pk]
    if len(pks) == 1 and pks[0][0] == column and (pks[0][1] or "").upper() == "INTEGER":
        return True  # INTEGER PRIMARY KEY: the rowid itself
    for (index,) in conn.execute("SELECT name FROM pragma_index_list(?)", (relation.name,)).fetchall():
        first = conn.execute("SELECT name FROM pragma_index_info(?) WHERE seqno = 0", (index,)).fetchone()
        if first is not None and first[0] == column:
            return True
    return False


def _keyed_by_id(conn: sqlite3.Connection, relation: _Relation) -> bool:
    """Is ``relation`` a table whose ``id`` column is unique (so labels can be upserted)?"""
    column = relation.column("id")
    if relation.kind != "table" or column is None:
        return False
    pks = [n for n, pk in conn.execute("SELECT name, pk FROM pragma_table_info(?)", (relation.name,)) if pk]
    if pks == [column]:
        return True
    for index, unique in conn.execute('SELECT name, "unique" FROM pragma_index_list(?)', (relation.name,)).fetchall():
        named = [n for (n,) in conn.execute("SELECT name FROM pragma_index_info(?)", (index,))]
        if unique and named == [column]:
            return True
    return False


@dataclass
class _Plan:
    """How one object type is read and where its labels go."""

    object_type: str
    source: _Relation
    inputs: dict[str, str]  # canonical input -> column of ``source``
    labels: dict[str, str]  # output -> column (of ``source``, or of the label table)
    id_column: str
    updated_at: str | None  # column of ``source`` for incremental reads
    label_table: str | None = None  # labels = "table": its name
    label_relation: _Relation | None = None  # ... as it is now (None: not created yet)

    @property
    def in_place(self) -> bool:
        return self.label_table is None

    def holder(self) -> _Relation | None:
        """The relation the label columns are in (None: the label table does not exist yet)."""
        return self.source if self.in_place else self.label_relation


# -- value conversion ---------------------------------------------------------------------------

Convert = Callable[[Any], tuple[Any, str | None]]  # value -> (canonical value, problem or None)


def _as_text(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, _Undecodable):
        return None, "is not valid UTF-8 text"
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), None
        except UnicodeDecodeError:
            return None, "is binary data (a BLOB), not text"
    return str(value), None


def _number_text(value: Any) -> tuple[str | None, str | None]:
    """A stored number's text without spaces or digit-group underscores ("1 200", "1_200")."""
    text, problem = _as_text(value)
    return (None, problem) if problem else (re.sub(r"[\s_]", "", text), None)


def _string(value: Any) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    text, problem = _as_text(value)
    if problem:
        return None, problem
    return text.strip() or None, None


def _integer(value: Any) -> tuple[int | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, int):
        number: float | int = value
    elif isinstance(value, float):
        number = value
    else:
        text, problem = _number_text(value)
        if problem or not text:
            return None, problem
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None, "is not a whole number"
    if isinstance(number, float):
        if not (math.isfinite(number) and number.is_integer()):
            return None, "is not a whole number"
        number = int(number)
    if not -(2**63) <= number < 2**63:
        return None, "is too large for a 64-bit integer"
    return number, None


def _float(value: Any) -> tuple[float | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text, problem = _number_text(value)
        if problem or not text:
            return None, problem
        try:
            number = float(text)
        except ValueError:
            return None, "is not a number"
    if not math.isfinite(number):
        return None, "is not a finite number"
    return number, None


def _lister(separator: str) -> Convert:
    def convert(value: Any) -> tuple[list[str] | None, str | None]:
        if value is None:
            return None, None
        if isinstance(value, (int, float)):
            return [str(value)], None
        text, problem = _as_text(value)
        if problem:
            return None, problem
        text = text.strip()
        if not text:
            return None, None
        if text.startswith("["):  # a JSON array of scalars
            try:
                items = json.loads(text)
            except ValueError:
                items = None
            if isinstance(items, list) and all(i is None or isinstance(i, (str, int, float)) for i in items):
                return [str(i).strip() for i in items if i is not None and str(i).strip()], None
        return [p.strip() for p in text.split(separator) if p.strip()], None

    return convert


def _converter(arrow_type: pa.DataType, separator: str) -> Convert:
    if pa.types.is_integer(arrow_type):
        return _integer
    if pa.types.is_floating(arrow_type):
        return _float
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return _lister(separator)
    if pa.types.is_boolean(arrow_type):
        def boolean(value):
            number, problem = _integer(value)
            if problem or number not in (None, 0, 1):
                return None, "is not 0 or 1"
            return (None if number is None else bool(number)), None
        return boolean
    return _string


def _label(convert: Convert) -> Convert:
    """A label as read back: lenient (a value that does not parse is simply overwritten)
    and, for text, exact (what we wrote reads back unchanged)."""
    def lenient(value: Any) -> tuple[Any, None]:
        if isinstance(value, str) and convert is _string:
            return value, None
        result, problem = convert(value)
        return (None if problem else result), None

    return lenient


def _timestamp(normalised: Any, raw: Any) -> tuple[datetime | None, str | None]:
    if normalised is None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None, None
        if isinstance(raw, bytes):
            return None, "is binary data (a BLOB), not a time"
        return None, "is not a date or time SQLite can read (ISO 8601 text, or a Unix time)"
    try:
        return datetime.fromisoformat(normalised).replace(tzinfo=UTC), None
    except ValueError:
        return None, "is not a date or time SQLite can read (ISO 8601 text, or a Unix time)"


def _record_id(value: Any) -> tuple[str | None, str | None]:
    if value is None or isinstance(value, str):
        return value, None  # exactly as stored: it is the key written back
    if isinstance(value, _Undecodable):
        return None, "is not valid UTF-8 text"
    return None, "is binary data (a BLOB), not an id"


def _to_sql(value: Any, separator: str) -> Any:
    """A label value as it is stored: lists (and multi-value labels) as separated text."""
    if value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple)):
        return separator.join(str(v) for v in value if v is not None)
    if isinstance(value, datetime):
        return _sql_time(value)
    return str(value)


def _id_forms(record_id: str) -> tuple[str, str | int]:
    """A record id and the integer it may be stored as (for a column with no type)."""
    if re.fullmatch(r"-?[1-9][0-9]*|0", record_id) and -(2**63) <= int(record_id) < 2**63:
        return record_id, int(record_id)
    return record_id, record_id


# -- the connector -----------------------------------------------------------------------------


class SqliteConnector:
    """Companies and contacts in tables (or views) of one SQLite database."""

    name = NAME
    Settings = Settings
    incremental = False  # per instance: True when contacts have ``updated_at``

    def __init__(self, settings: Settings, context: PluginContext):
        self.settings = settings
        self.context = context
        self.path = context.resolve(settings.path)
        self.incremental = settings.contacts.updated_at is not None
        self._conn: sqlite3.Connection | None = None
        self._writer: SqliteWriter | None = None

    # -- connections ---------------------------------------------------------------------------

    def _open(self, mode: str) -> sqlite3.Connection:
        if not self.path.is_file():
            raise SourceError(
                f"connector 'sqlite': the database {self.path} does not exist (plugins.sqlite.path = "
                f"{self.settings.path!r}, relative to {self.context.config_dir})"
            )
        uri = f"{self.path.resolve().as_uri()}?mode={mode}"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self.settings.busy_timeout_seconds, isolation_level=None)
            conn.text_factory = _decode
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # not a database: fails here
        except sqlite3.Error as exc:
            raise SourceError(f"connector 'sqlite': cannot open {self.path}: {exc}") from None
        return conn

    def _connection(self) -> sqlite3.Connection:
        """The run's connection: reads and the writer's transaction share it, so a write
        never waits for our own read, and the read sees one consistent database."""
        if self._conn is None:
            self._conn = self._open("rw")
        return self._conn

    def close(self) -> None:
        """Close the connection (a pending writer's transaction is rolled back)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _fail(self, doing: str, exc: sqlite3.Error) -> SourceError:
        return SourceError(f"connector 'sqlite': {doing} in {self.path}: {exc}")

    # -- settings against the database ---------------------------------------------------------

    def _spec(self, object_type: str) -> ObjectTable:
        return getattr(self.settings, object_type)

    def _table_name(self, object_type: str) -> str:
        return self._spec(object_type).table or object_type

    def _plans(
        self, conn: sqlite3.Connection, outputs: Mapping[str, Mapping[str, Field] | None]
    ) -> dict[str, _Plan]:
        """Check both object types' tables and mappings, every problem at once.

        ``outputs`` gives, per object type, its output fields (None: not known here, as in
        ``check``: the mapping of outputs is then not checked).
        """
        try:
            sources = {t: _relation(conn, self._table_name(t)) for t in columns.OBJECT_TYPES}
            missing = [t for t, r in sources.items() if r is None]
            if missing:
                found = _tables(conn)
                raise SourceError(
                    "connector 'sqlite': "
                    + "; ".join(
                        f"{self.path} has no table or view {self._table_name(t)!r} (plugins.sqlite.{t}.table)"
                        for t in missing
                    )
                    + f"; it has: {', '.join(found) or 'no tables'}"
                )
            plans: dict[str, _Plan] = {}
            problems: list[str] = []
            for object_type in columns.OBJECT_TYPES:
                plan = self._plan(conn, object_type, sources[object_type], outputs.get(object_type), problems)
                if plan is not None:
                    plans[object_type] = plan
        except sqlite3.Error as exc:
            raise self._fail("cannot read the schema", exc) from None
        if problems:
            raise ConfigError(problems)
        return plans

    def _plan(
        self,
        conn: sqlite3.Connection,
        object_type: str,
        source: _Relation,
        outputs: Mapping[str, Field] | None,
        problems: list[str],
    ) -> _Plan | None:
        spec = self._spec(object_type)
        key = f"plugins.sqlite.{object_type}"
        canonical = columns.INPUTS[object_type].names
        where = f"{source.describe()} in {self.path.name}"
        listing = f"its columns: {', '.join(source.columns)}"
        start = len(problems)
        explicit = dict(spec.columns)
        if spec.updated_at is not None:
            explicit["updated_at"] = spec.updated_at
        if outputs is not None:
            known = set(canonical) | set(outputs)
            problems += [
                f"{key}.columns.{k}: not a canonical {object_type} column or an output of this pipeline "
                f"(expected one of: {', '.join(sorted(known))})"
                for k in spec.columns if k not in known
            ]
        inputs: dict[str, str] = {}
        for name in canonical:
            wanted = explicit.get(name)
            found = source.column(wanted if wanted is not None else name)
            if found is not None:
                inputs[name] = found
            elif wanted is not None:
                setting = f"{key}.updated_at" if name == "updated_at" and spec.updated_at else f"{key}.columns.{name}"
                problems.append(f"{setting}: {wanted!r} is not a column of {where} ({listing})")
        if "id" not in inputs and "id" not in explicit:
            problems.append(
                f"{key}.columns.id: {where} has no 'id' column; map the column holding the record id, "
                f"e.g. id = \"record_id\" ({listing})"
            )
        label_table = label_relation = None
        labels: dict[str, str] = {}
        if self.settings.labels == "table":
            label_table = spec.label_table or f"{source.name}_labels"
            if _fold(label_table) == _fold(source.name):
                problems.append(f"{key}.label_table: {label_table!r} is the records' own table")
            label_relation = _relation(conn, label_table)
            if label_relation is not None and not _keyed_by_id(conn, label_relation):
                problems.append(
                    f"{key}.label_table: {label_relation.describe()} exists but is not a label table "
                    f"(a table whose 'id' column is its PRIMARY KEY or UNIQUE); name another with label_table"
                )
                label_relation = None
            for name in outputs or {}:
                if name in spec.columns and name not in canonical:
                    problems.append(
                        f"{key}.columns.{name}: with labels = \"table\" labels keep their own names in "
                        f"{label_table!r}; columns maps the CRM table only"
                    )
                labels[name] = (label_relation.column(name) if label_relation else None) or name
        elif outputs is not None:
            id_column = inputs.get("id")
            taken = {_fold(c): n for n, c in inputs.items()}
            used: dict[str, str] = {}
            for name in outputs:
                column = inputs.get(name) or source.column(explicit.get(name, name)) or explicit.get(name, name)
                folded = _fold(column)
                owner = taken.get(folded)
                if id_column is not None and folded == _fold(id_column):
                    problems.append(f"{key}.columns.{name}: the label would overwrite the id column {column!r}")
                elif owner is not None and owner != name:
                    problems.append(
                        f"{key}.columns.{name}: the label would overwrite {column!r}, which holds {owner}; "
                        f"map {name} to another column"
                    )
                elif folded in used:
                    problems.append(f"{key}.columns.{name}: {column!r} already holds the label {used[folded]}")
                used[folded] = name
                labels[name] = column
            absent = [c for c in labels.values() if source.column(c) is None]
            if absent and source.kind != "table":
                problems.append(
                    f"plugins.sqlite.labels: {source.describe()} has no columns {', '.join(map(repr, absent))} "
                    f"for the labels and a view cannot gain columns; set labels = \"table\" (labels then go to "
                    f"{source.name + '_labels'!r}) or point {key}.table at a table"
                )
        if len(problems) > start:
            return None
        return _Plan(
            object_type, source, inputs, labels, inputs["id"],
            inputs.get("updated_at") if spec.updated_at else None, label_table, label_relation,
        )

    # -- the connector protocol ----------------------------------------------------------------

    def check(self) -> list[str]:
        conn = self._open("ro")
        try:
            plans = self._plans(conn, {t: None for t in columns.OBJECT_TYPES})
            journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
            lines = [f"{self.path}: SQLite {sqlite3.sqlite_version}, journal mode {journal}"]
            for object_type, plan in plans.items():
                source = plan.source
                rows = conn.execute(f"SELECT count(*) FROM {quote(source.name)}").fetchone()[0]
                mapped = len(plan.inputs)
                line = (f"{object_type}: {source.describe()}, {rows:,} rows, {mapped} of "
                        f"{len(columns.INPUTS[object_type])} canonical columns mapped")
                if plan.updated_at:
                    line += f", incremental on {plan.updated_at!r}" if object_type == "contacts" else \
                        f", modified time in {plan.updated_at!r}"
                lines.append(line)
                if plan.in_place:
                    lines.append(f"{object_type}: labels go into columns of {source.describe()}")
                elif plan.label_relation is not None:
                    held = conn.execute(f"SELECT count(*) FROM {quote(plan.label_relation.name)}").fetchone()[0]
                    lines.append(f"{object_type}: labels go to table {plan.label_relation.name!r} ({held:,} rows)")
                else:
                    lines.append(f"{object_type}: labels go to table {plan.label_table!r} (created by the first write)")
                if source.kind == "table" and not _indexed(conn, source, plan.id_column):
                    lines.append(
                        f"{object_type}: note: the id column {plan.id_column!r} has no index, so every label "
                        f"written scans {source.name!r}; CREATE UNIQUE INDEX on it if you can"
                    )
            return lines
        except sqlite3.Error as exc:
            raise self._fail("cannot check the database", exc) from None
        finally:
            conn.close()

    def count(self, object_type: str) -> int | None:
        """Rows of the table (None for a view, whose count may cost a whole query)."""
        conn = self._connection()
        source = _relation(conn, self._table_name(object_type))
        if source is None or source.kind != "table":
            return None
        return conn.execute(f"SELECT count(*) FROM {quote(source.name)}").fetchone()[0]

    def schema(self, object_type: str, outputs: Mapping[str, Field]) -> pa.Schema:
        plan = self._plans(self._connection(), {object_type: outputs})[object_type]
        return self._schema(plan, outputs)

    def _schema(self, plan: _Plan, outputs: Mapping[str, Field]) -> pa.Schema:
        return columns.connector_schema(plan.object_type, outputs, provided=plan.inputs)

    def read(
        self,
        object_type: str,
        *,
        outputs: Mapping[str, Field],
        batch_size: int,
        since: datetime | None = None,
    ) -> Iterator[pa.RecordBatch]:
        plan = self._plans(self._connection(), {object_type: outputs})[object_type]
        select, decode = self._select(plan, outputs)
        if since is not None and plan.updated_at is not None:
            moment = normalised_time(f"t.{quote(plan.updated_at)}")
            after = _sql_time(since - timedelta(seconds=self.settings.overlap_seconds))
            # rows with no (readable) time cannot be told apart: they are read every time
            sql = (f"{select} WHERE ({moment} > ? OR {moment} IS NULL) "
                   f"ORDER BY {moment}, t.{quote(plan.id_column)}")
            queries: Iterable[tuple[str, tuple]] = [(sql, (after,))]
        else:
            order = f" ORDER BY t.{plan.source.rowid}" if plan.source.rowid else ""
            queries = [(select + order, ())]
        return self._batches(plan, queries, decode, batch_size)

    def read_related(
        self, object_type: str, company_ids: list[str], *, outputs: Mapping[str, Field], batch_size: int
    ) -> Iterator[pa.RecordBatch]:
        """The contacts of these companies (their inherited labels changed), in batches."""
        plan = self._plans(self._connection(), {object_type: outputs})[object_type]
        column = plan.inputs.get("company_id")
        if column is None:
            return iter(())
        select, decode = self._select(plan, outputs)
        order = f" ORDER BY t.{plan.source.rowid}" if plan.source.rowid else ""

        def queries() -> Iterator[tuple[str, tuple]]:
            for start in range(0, len(company_ids), IN_CHUNK):
                chunk = company_ids[start:start + IN_CHUNK]
                marks = ", ".join("?" * len(chunk))
                yield f"{select} WHERE t.{quote(column)} IN ({marks}){order}", tuple(chunk)

        return self._batches(plan, queries(), decode, batch_size)

    def writer(self, object_type: str, fields: Mapping[str, Field]) -> SqliteWriter:
        if self._writer is not None and self._writer.open:
            raise RuntimeError(
                f"connector 'sqlite': the {self._writer.plan.object_type} writer is still open; "
                f"commit or abort it before opening another"
            )
        plan = self._plans(self._connection(), {object_type: fields})[object_type]
        self._writer = SqliteWriter(self, plan, dict(fields))
        return self._writer

    # -- reading -------------------------------------------------------------------------------

    def _select(self, plan: _Plan, outputs: Mapping[str, Field]) -> tuple[str, _Decoder]:
        """The SELECT (without WHERE) for ``plan`` and how to decode its rows."""
        schema = self._schema(plan, outputs)
        holder = plan.holder()
        exprs: list[str] = []
        decoder = _Decoder(self, plan, schema)
        if plan.source.rowid:
            exprs.append(f"t.{plan.source.rowid}")
            decoder.rowid = 0
        for f in schema:
            name = f.name
            strict = name in plan.inputs or name in columns.INPUTS[plan.object_type].names
            source_column = plan.inputs.get(name)
            label_column = holder.column(plan.labels[name]) if name in outputs and holder else None
            if name in outputs and plan.in_place:
                source_column = label_column or source_column
            parts = []
            if source_column is not None:
                parts.append(f"t.{quote(source_column)}")
            if name in outputs and not plan.in_place and label_column is not None:
                if parts:  # the CRM's value first (blank text is no value), then what we filled
                    parts[0] = f"CASE WHEN trim({parts[0]}) = '' THEN NULL ELSE {parts[0]} END"
                parts.append(f"l.{quote(label_column)}")
            expr = "NULL" if not parts else parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"
            if name == "id":
                expr = f"CASE typeof({expr}) WHEN 'blob' THEN {expr} ELSE CAST({expr} AS TEXT) END"
            index = len(exprs)
            if pa.types.is_timestamp(f.type):
                exprs += [normalised_time(expr), expr]
                decoder.add(name, index, index + 1, strict, source_column)
            else:
                exprs.append(expr)
                decoder.add(name, index, None, strict, source_column)
        join = ""
        if not plan.in_place and holder is not None:
            join = (f" LEFT JOIN {quote(holder.name)} AS l ON l.{quote(holder.column('id'))} = "
                    f"CAST(t.{quote(plan.id_column)} AS TEXT)")
        return f"SELECT {', '.join(exprs)} FROM {quote(plan.source.name)} AS t{join}", decoder

    def _batches(
        self, plan: _Plan, queries: Iterable[tuple[str, tuple]], decoder: _Decoder, batch_size: int
    ) -> Iterator[pa.RecordBatch]:
        conn = self._connection()
        pending: list[tuple] = []
        for sql, params in queries:
            cursor = conn.cursor()
            try:
                try:
                    cursor.execute(sql, params)
                except sqlite3.Error as exc:
                    raise self._fail(f"cannot read {plan.source.describe()}", exc) from None
                while True:
                    try:
                        rows = cursor.fetchmany(batch_size - len(pending))
                    except sqlite3.Error as exc:
                        raise self._fail(f"reading {plan.source.describe()} failed", exc) from None
                    if not rows:
                        break
                    pending += rows
                    if len(pending) >= batch_size:
                        yield decoder.batch(pending)
                        pending = []
            finally:
                cursor.close()
        if pending:
            yield decoder.batch(pending)


class _Decoder:
    """Turns fetched rows into a batch of canonical types; quarantines what does not parse."""

    def __init__(self, connector: SqliteConnector, plan: _Plan, schema: pa.Schema):
        self.connector = connector
        self.plan = plan
        self.schema = schema
        self.rowid: int | None = None
        # name, index, raw index (timestamps), convert, strict, SQL column (for messages)
        self.columns: list[tuple[str, int, int | None, Convert, bool, str | None]] = []

    def add(self, name: str, index: int, raw: int | None, strict: bool, column: str | None) -> None:
        arrow_type = self.schema.field(name).type
        if name == "id":
            convert = _record_id
        else:
            convert = _converter(arrow_type, self.connector.settings.list_separator)
            if not strict:
                convert = _label(convert)
        self.columns.append((name, index, raw, convert, strict, column))

    def batch(self, rows: list[tuple]) -> pa.RecordBatch:
        values = list(zip(*rows))
        arrays: dict[str, pa.Array] = {}
        ids: list[str | None] = []
        bad: dict[int, list[tuple[str, str | None, Any, str]]] = {}  # row -> (field, column, raw, problem)
        for name, index, raw_index, convert, strict, column in self.columns:
            arrow_type = self.schema.field(name).type
            raws = values[index if raw_index is None else raw_index]
            if raw_index is not None:
                array, problems = _times(values[index], raws, arrow_type, strict)
            else:
                array = None if name == "id" else _fast(values[index], arrow_type, strict)
                problems = {}
                if array is None:  # value by value: parse text, say what does not parse
                    converted = [convert(v) for v in values[index]]
                    array = pa.array([v for v, _ in converted], type=arrow_type)
                    problems = {i: p for i, (_, p) in enumerate(converted) if p is not None}
                    if name == "id":
                        ids = [v for v, _ in converted]
            for i, problem in problems.items():
                bad.setdefault(i, []).append((name, column, raws[i], problem))
            arrays[name] = array
        if bad:
            self._quarantine(rows, ids, bad)
            keep = pa.array([i not in bad for i in range(len(rows))])
            arrays = {n: a.filter(keep) for n, a in arrays.items()}
        return pa.RecordBatch.from_arrays([arrays[f.name] for f in self.schema], schema=self.schema)

    def _quarantine(self, rows: list[tuple], ids: list[str | None], bad: dict[int, list]) -> None:
        table = self.plan.source.name
        for i, problems in bad.items():
            rowid = rows[i][self.rowid] if self.rowid is not None else None
            at = f" (rowid {rowid})" if rowid is not None else ""
            reason = "; ".join(
                f"{table}.{column or name} = {_shown(raw)} {problem}" for name, column, raw, problem in problems
            ) + at
            raws = {column or name: _raw_text(raw) for name, column, raw, _ in problems}
            self.connector.context.quarantine(Quarantined(
                self.plan.object_type, reason, record_id=ids[i], plugin=NAME, stage="read",
                field=problems[0][0], source=str(self.connector.path),
                raw=next(iter(raws.values())) if len(raws) == 1 else json.dumps(raws),
            ))


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError)


def _fast(values: tuple, arrow_type: pa.DataType, strict: bool) -> pa.Array | None:
    """A column converted in one go when its values are already of the right kind (the
    usual case), else None: it is then converted value by value."""
    try:
        if pa.types.is_string(arrow_type):
            array = pa.array(values, pa.string())  # fails on numbers and text that is not UTF-8
            if strict:
                array = pc.utf8_trim_whitespace(array)
                array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
            return array
        if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
            array = pa.array(values)  # inferred: text, BLOBs or a mix are not for this path
            if pa.types.is_null(array.type):
                return pa.nulls(len(values), arrow_type)
            if pa.types.is_floating(array.type) and pc.any(pc.invert(pc.is_finite(array))).as_py():
                return None
            if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
                return array.cast(arrow_type)  # a safe cast: 2.5 does not become 2
    except _ARROW_ERRORS:
        return None
    return None


def _times(
    normalised: tuple, raws: tuple, arrow_type: pa.DataType, strict: bool
) -> tuple[pa.Array, dict[int, str]]:
    """Times from :func:`normalised_time`'s text; where it gave none, why (if strict)."""
    try:
        array = pa.array(normalised, pa.string()).cast(pa.timestamp("us")).cast(arrow_type)
    except _ARROW_ERRORS:
        converted = [_timestamp(v, r) for v, r in zip(normalised, raws)]
        array = pa.array([v for v, _ in converted], arrow_type)
        return array, ({i: p for i, (_, p) in enumerate(converted) if p} if strict else {})
    problems: dict[int, str] = {}
    if strict and array.null_count:
        for i, value in enumerate(normalised):
            if value is None:
                _, problem = _timestamp(None, raws[i])
                if problem:
                    problems[i] = problem
    return array, problems


def _raw_text(raw: Any) -> str:
    """The offending value as the user would look for it in the database."""
    return raw if isinstance(raw, str) else str(raw) if isinstance(raw, (int, float)) else _shown(raw)


def _shown(raw: Any) -> str:
    if isinstance(raw, _Undecodable):
        return repr(bytes(raw))
    if isinstance(raw, bytes):
        return f"<BLOB of {len(raw)} bytes>"
    return repr(raw)


# -- writing -----------------------------------------------------------------------------------


class SqliteWriter:
    """Applies each batch's changed fields inside one transaction per object type.

    The transaction starts (``BEGIN IMMEDIATE``: SQLite's write lock, waiting up to
    ``busy_timeout_seconds`` for another writer) when the engine opens the writer, just
    before it reads the object type, so the read and every write see one database and no
    write can be refused for a lock half-way. Missing label columns (or the label table)
    are created inside it. ``commit`` commits, or rolls back when nothing was written so
    that a run that changes nothing does not even add empty columns; ``abort`` rolls back.
    """

    def __init__(self, connector: SqliteConnector, plan: _Plan, fields: dict[str, Field]):
        self.connector = connector
        self.plan = plan
        self.fields = fields
        self.conn = connector._connection()
        self.written = 0
        self.open = False
        self._statements: dict[tuple[str, ...], str] = {}
        self.untyped_id = _affinity(plan.source.types.get(plan.id_column, "")) == "BLOB"
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise SourceError(
                f"connector 'sqlite': cannot take the write lock on {connector.path}: {exc}; another "
                f"connection is writing to it: run later, or raise busy_timeout_seconds"
            ) from None
        self.open = True
        try:
            self._create_columns()
        except BaseException:
            self.abort()
            raise

    # -- schema ----------------------------------------------------------------------------------

    def _create_columns(self) -> None:
        plan = self.plan
        holder = plan.holder()
        try:
            if holder is None:  # labels = "table", first write
                body = ", ".join(
                    [f'{quote("id")} TEXT PRIMARY KEY NOT NULL']
                    + [f"{quote(plan.labels[n])} {_sql_type(f.type)}" for n, f in self.fields.items()]
                )
                self.conn.execute(f"CREATE TABLE {quote(plan.label_table)} ({body})")
                plan.label_relation = _relation(self.conn, plan.label_table)
                return
            for name, spec in self.fields.items():
                column = plan.labels[name]
                if holder.column(column) is None:
                    self.conn.execute(
                        f"ALTER TABLE {quote(holder.name)} ADD COLUMN {quote(column)} {_sql_type(spec.type)}"
                    )
        except sqlite3.Error as exc:
            hint = "" if not plan.in_place else '; set labels = "table" to leave the CRM tables as they are'
            target = plan.label_table if holder is None else holder.name
            raise self.connector._fail(f"cannot add the label columns to {target!r}{hint}", exc) from None
        if plan.in_place:
            plan.source = _relation(self.conn, plan.source.name)
        else:
            plan.label_relation = _relation(self.conn, plan.label_relation.name)

    def _statement(self, names: tuple[str, ...]) -> str:
        sql = self._statements.get(names)
        if sql is not None:
            return sql
        plan = self.plan
        columns_ = [quote(plan.holder().column(plan.labels[n]) or plan.labels[n]) for n in names]
        match = f"{quote(plan.id_column)} IN (?, ?)" if self.untyped_id else f"{quote(plan.id_column)} = ?"
        if plan.in_place:
            sets = ", ".join(f"{c} = ?" for c in columns_)
            sql = f"UPDATE {quote(plan.source.name)} SET {sets} WHERE {match}"
        else:
            holder = plan.holder()
            key = quote(holder.column("id"))
            marks = ", ".join("?" * (len(columns_) + 1))
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns_)
            sql = (
                f"INSERT INTO {quote(holder.name)} ({key}, {', '.join(columns_)}) SELECT {marks} "
                f"WHERE EXISTS (SELECT 1 FROM {quote(plan.source.name)} WHERE {match}) "
                f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
            )
        self._statements[names] = sql
        return sql

    # -- the writer protocol ---------------------------------------------------------------------

    def write(self, changes: ChangeSet) -> None:
        """Each record's changed fields, one ``executemany`` per set of changed fields.

        What ``changes.fields_by_record()`` yields, worked out column by column: a dict per
        record costs more than the UPDATE itself.
        """
        if not self.open:
            raise RuntimeError("connector 'sqlite': write() after commit() or abort()")
        if changes.num_records == 0:
            return
        names = [n for n in self.fields if n in changes.changed.column_names]
        ids = changes.table.column("id").to_pylist()
        flags = [changes.changed.column(n).to_pylist() for n in names]
        values = {n: self._sql_values(changes.table.column(n)) for n in names}
        groups: dict[tuple[bool, ...], list[int]] = {}
        for i, key in enumerate(zip(*flags)):
            groups.setdefault(key, []).append(i)
        for key, rows in groups.items():
            chosen = tuple(n for n, flag in zip(names, key) if flag)
            if not chosen:
                continue
            columns_ = [values[n] for n in chosen]
            params = []
            for i in rows:
                new = [c[i] for c in columns_]
                match = list(_id_forms(ids[i])) if self.untyped_id else [ids[i]]
                params.append((ids[i], new + match if self.plan.in_place else [ids[i], *new, *match]))
            self._apply(self._statement(chosen), params)

    def _sql_values(self, column: pa.ChunkedArray) -> list:
        """A column of new values as they are stored: lists (and multi-value labels given as
        lists) as separated text, NaN as NULL."""
        values = column.to_pylist()
        if pa.types.is_string(column.type) or pa.types.is_integer(column.type) \
                or pa.types.is_large_string(column.type) or pa.types.is_string_view(column.type):
            return values
        separator = self.connector.settings.list_separator
        return [_to_sql(v, separator) for v in values]

    def commit(self) -> None:
        if not self.open:
            return
        if not self.conn.in_transaction:
            self.open = False
            raise SourceError(f"connector 'sqlite': the transaction writing {self.plan.object_type} "
                              f"to {self.connector.path} was rolled back before commit")
        try:
            self.conn.execute("COMMIT" if self.written else "ROLLBACK")
        except sqlite3.Error as exc:
            raise self.connector._fail("cannot commit the labels", exc) from None
        self.open = False

    def abort(self) -> None:
        self.open = False
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:  # the failure that made us abort may have closed it already
                pass

    # -- applying ------------------------------------------------------------------------------

    def _apply(self, sql: str, rows: list[tuple[str, list]]) -> None:
        """``executemany`` over ``rows``; a row the database rejects is quarantined and the
        statement resumes after it. Rows that matched no record are quarantined too."""
        start = 0
        while start < len(rows):
            at = [start]

            def params(first: int = start, at: list[int] = at) -> Iterator[list]:
                for i in range(first, len(rows)):
                    at[0] = i
                    yield rows[i][1]

            cursor = self.conn.cursor()
            try:
                cursor.executemany(sql, params())
                rowcount = cursor.rowcount
            except sqlite3.IntegrityError as exc:
                if not self.conn.in_transaction:  # RAISE(ROLLBACK) or ON CONFLICT ROLLBACK
                    self.open = False
                    raise self.connector._fail(
                        f"writing record {rows[at[0]][0]!r} rolled the whole transaction back", exc
                    ) from None
                self._landed(rows[start:at[0]], None)
                self._reject(rows[at[0]][0], f"the database rejected the labels: {exc}")
                start = at[0] + 1
                continue
            except sqlite3.Error as exc:
                raise self.connector._fail(
                    f"writing labels of {self.plan.object_type} (record {rows[at[0]][0]!r}) failed", exc
                ) from None
            finally:
                cursor.close()
            self._landed(rows[start:], rowcount)
            return

    def _landed(self, rows: list[tuple[str, list]], rowcount: int | None) -> None:
        """Count what landed; quarantine the ids that matched no record."""
        if not rows:
            return
        if rowcount == len(rows):
            self.written += rowcount
            return
        ids = [r for r, _ in rows]
        found: set[str] = set()
        source = self.plan.source
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start:start + IN_CHUNK]
            bound = [f for i in chunk for f in _id_forms(i)] if self.untyped_id else chunk
            marks = ", ".join("?" * len(bound))
            found.update(r for (r,) in self.conn.execute(
                f"SELECT CAST({quote(self.plan.id_column)} AS TEXT) FROM {quote(source.name)} "
                f"WHERE {quote(self.plan.id_column)} IN ({marks})", bound,
            ))
        for record_id in ids:
            if record_id in found:
                self.written += 1
            else:
                self._reject(record_id, f"no record with this id in {source.describe()} (deleted since it was read?)")

    def _reject(self, record_id: str, reason: str) -> None:
        self.connector.context.quarantine(Quarantined(
            self.plan.object_type, reason, record_id=record_id, plugin=NAME, stage="write",
            source=str(self.connector.path),
        ))


@crm_enrich.hookimpl
def register_connectors(register):
    register(SqliteConnector)
