"""What a connector, enricher or scorer class must provide.

The register hooks in :mod:`crm_enrich.hookspecs` take classes. The engine builds one
instance per run with ``cls(settings, context)``, where ``settings`` is the plugin's
``Settings`` model filled from its ``[plugins.<name>]`` table in ``plugins.toml`` and
``context`` is a :class:`PluginContext`.

Tables passed between stages are :class:`pyarrow.Table` with the canonical columns of
:mod:`crm_enrich.columns`; a plugin may convert to polars (``pl.from_arrow``) inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

ObjectType = Literal["companies", "contacts"]
WritePolicy = Literal["overwrite", "fill_missing", "never"]


class NoSettings(BaseModel):
    """Settings of a plugin that takes none: any key in its table is an error."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Field:
    """An output column a plugin produces, as the connector will write it.

    ``options`` lists the values of an enumeration (so a CRM can create the property
    with its choices), and ``multiple`` says a value holds several of them separated by
    ``;`` (a multi-select); ``policy`` says whether the engine may overwrite a value the
    source already holds (labels: ``overwrite``; enriched facts: ``fill_missing``).
    """

    type: pa.DataType
    description: str
    options: tuple[str, ...] | None = None
    policy: WritePolicy = "overwrite"
    multiple: bool = False


@dataclass
class Quarantined:
    """One record (or unreadable row) set aside, with the reason; nothing is dropped."""

    object_type: str
    reason: str
    record_id: str | None = None
    plugin: str | None = None
    stage: str | None = None
    field: str | None = None
    source: str | None = None  # a file name, an URL path
    line: int | None = None  # row number in ``source`` (header = 1), where it has one
    raw: str | None = None  # the offending text, for the user to fix


@dataclass
class PluginContext:
    """What the engine lends a plugin instance for one run."""

    config_dir: Path
    quarantine: Callable[[Quarantined], None]
    # Where a plugin may keep what it derived from its inputs between runs (a reference
    # file's normalised keys): beside the state store, never needed for correctness. None:
    # keep nothing.
    cache_dir: Path | None = None

    def resolve(self, path: str | Path) -> Path:
        """A path from ``plugins.toml``, relative to the directory of that file."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.config_dir / p


@dataclass
class ChangeSet:
    """The values one write must apply: only records with at least one changed field.

    ``table`` holds ``id`` and one column per output field with the new value for the
    whole record; ``changed`` holds, aligned with it, one boolean column per field that
    is true where that field's value differs from what the source holds. A connector
    that rewrites whole records (a file) may use ``table`` alone; an API connector sends
    only the fields ``changed`` marks.
    """

    object_type: str
    table: pa.Table
    changed: pa.Table

    @property
    def num_records(self) -> int:
        return self.table.num_rows

    def fields_by_record(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield ``(id, {field: new value})`` with only the changed fields of each record."""
        ids = self.table.column("id").to_pylist()
        names = self.changed.column_names
        values = {n: self.table.column(n).to_pylist() for n in names}
        flags = {n: self.changed.column(n).to_pylist() for n in names}
        for i, record_id in enumerate(ids):
            yield record_id, {n: values[n][i] for n in names if flags[n][i]}


@runtime_checkable
class Writer(Protocol):
    """Applies change sets to the source for one object type, all-or-nothing where it can.

    The engine opens the writer before reading that object type, then calls ``write``
    exactly once for every batch ``read`` yielded, in order, with that batch's changes
    (possibly none), so a connector that rewrites whole files can stream each batch out
    as it passes. ``commit`` makes the writes durable (a file is renamed into place
    here); ``abort`` discards what ``commit`` would have made durable. A record the
    source rejects is reported through ``context.quarantine`` and the rest still lands.
    """

    def write(self, changes: ChangeSet) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


@runtime_checkable
class Connector(Protocol):
    """Reads records in Arrow batches and writes labels back.

    ``schema(object_type, outputs)`` declares the canonical columns the connector provides
    and the ``outputs`` it can read back (so the engine can diff against them); every batch ``read`` yields must match it, or the engine stops naming the
    connector. ``check`` verifies the source is reachable without reading it all and
    returns a line per thing checked. ``incremental`` says whether ``read`` honours
    ``since``: the newest ``updated_at`` the previous successful run wrote for, given for
    contacts (companies are read whole, since every contact needs its company's fit) and
    not after a configuration change or with ``--full``.

    ``count(object_type)``, optional, gives the number of records for the progress bar.
    An incremental connector may also provide ``read_related(object_type, company_ids, *,
    outputs, batch_size)``: the contacts of those companies, in batches like ``read``. The
    engine calls it after an incremental read, with the companies whose inherited labels
    (their tier) changed in this run, so their contacts are relabelled although they were
    not modified themselves; the contacts ``read`` already yielded are left out.
    """

    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    incremental: ClassVar[bool]

    def __init__(self, settings: Any, context: PluginContext) -> None: ...

    def check(self) -> list[str]: ...

    def schema(self, object_type: ObjectType, outputs: Mapping[str, Field]) -> pa.Schema: ...

    def read(
        self, object_type: ObjectType, *, outputs: Mapping[str, Field], batch_size: int,
        since: datetime | None = None,
    ) -> Iterator[pa.RecordBatch]: ...

    def writer(self, object_type: ObjectType, fields: Mapping[str, Field]) -> Writer: ...


@runtime_checkable
class Enricher(Protocol):
    """Adds or fills columns on companies (firmographic) or contacts (demographic).

    ``enrich`` returns the same rows in the same order with every column of
    ``outputs`` present; it must not remove or reorder rows.
    """

    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    object_type: ClassVar[ObjectType]
    outputs: Mapping[str, Field]

    def __init__(self, settings: Any, context: PluginContext) -> None: ...

    def enrich(self, table: pa.Table) -> pa.Table: ...


@runtime_checkable
class Provider(Protocol):
    """Looks records up in an outside source of firmographics: a file, a vendor's API.

    Providers are listed among the enrichers in ``plugins.toml`` and run in that order as
    a waterfall: the engine asks a provider only for the records that still miss one of
    its ``fields`` (or hold it with less than the configured confidence), passing their
    ``key`` column, normalised, distinct and non-null. ``lookup`` returns one row per key
    found: the ``key`` column, every column of ``fields`` (null where the source has no
    value) and ``confidence`` (float64 from 0 to 1, null where the source gives none);
    keys not found are left out. It raises on a failure it could not retry away, or
    :class:`crm_enrich.errors.ProviderExhausted` when its allowance is spent.

    A ``paid`` provider's answers, found or not, are cached in the state store for
    ``cache_days`` (``miss_days`` for a key not found) and each key it is asked counts
    against the run's budget of paid lookups; it is asked for at most ``batch_size`` keys
    at a time, and never for a key whose cached answer is still fresh.
    """

    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    object_type: ClassVar[ObjectType]
    key: ClassVar[str]
    paid: ClassVar[bool]
    fields: Mapping[str, Field]

    def __init__(self, settings: Any, context: PluginContext) -> None: ...

    def lookup(self, keys: pa.Array) -> pa.Table: ...


@runtime_checkable
class Scorer(Protocol):
    """Derives labels for companies or contacts.

    ``score`` returns the same rows in the same order with every column of ``outputs``.
    A company scorer may name outputs that contacts inherit from their company in
    ``inherited`` (contact column -> company column), such as ``icp_tier``.
    ``explain(record)`` returns human lines for ``enrich explain``; ``record`` is a one-row
    table of the labelled record, as ``score`` returned it.

    A contact scorer may also roll its labels up to the companies (a buying committee):
    it declares ``company_outputs`` and implements ``roll_up(members)``, which the engine
    calls once per run, after every contact is labelled, with a table of ``company_id``
    and the scorer's ``outputs`` for every contact of the source (a company with no
    contacts has one row of nulls); it returns one row per company: ``id`` and every
    column of ``company_outputs``.
    """

    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    object_type: ClassVar[ObjectType]
    outputs: Mapping[str, Field]
    inherited: Mapping[str, str]

    def __init__(self, settings: Any, context: PluginContext) -> None: ...

    def score(self, table: pa.Table) -> pa.Table: ...

    def explain(self, record: pa.Table) -> list[str]: ...
