"""Canonical columns: the contract between connectors, plugins, the CLI and users.

Connectors map their own field names to these. Every input column is optional for a
connector except ``id``; the engine adds the ones a connector does not provide as nulls,
so a plugin can always rely on the full set being present.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")

COMPANIES = pa.schema(
    [
        ("id", pa.string()),
        ("name", pa.string()),
        ("domain", pa.string()),
        ("website", pa.string()),
        ("industry", pa.string()),
        ("employees", pa.int64()),
        ("annual_revenue", pa.float64()),
        ("country", pa.string()),
        ("state", pa.string()),
        ("city", pa.string()),
        ("founded_year", pa.int64()),
        ("funding_total", pa.float64()),
        ("funding_stage", pa.string()),
        ("technologies", pa.list_(pa.string())),
        ("lifecycle_stage", pa.string()),
        ("updated_at", TIMESTAMP),
    ]
)

CONTACTS = pa.schema(
    [
        ("id", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("job_title", pa.string()),
        ("company_id", pa.string()),
        ("company_name", pa.string()),
        ("phone", pa.string()),
        ("country", pa.string()),
        ("lifecycle_stage", pa.string()),
        ("updated_at", TIMESTAMP),
    ]
)

INPUTS: dict[str, pa.Schema] = {"companies": COMPANIES, "contacts": CONTACTS}
OBJECT_TYPES = ("companies", "contacts")

# Company columns joined onto each contact (as ``company_<name>``) so that contact
# scorers can use the account's size and fit; ``icp_*`` exist once a company scorer ran.
COMPANY_CONTEXT = ("employees", "industry")


def text_blind(arrow_type: pa.DataType) -> pa.DataType:
    """``string``, ``large_string`` and ``string_view`` are one text type (lists likewise).

    Connectors may yield whichever layout they produce cheaply: polars hands over
    ``string_view`` without copying, while ``string`` costs a conversion per batch.
    """
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pa.string()
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_list_view(arrow_type):
        return pa.list_(text_blind(arrow_type.value_type))
    return arrow_type


def connector_schema(object_type: str, outputs, provided=None) -> pa.Schema:
    """What a connector declares: the canonical columns it ``provides`` (default: all), then
    the ``outputs``. An output that is also an input (a filled ``country``) is one column,
    typed as the output."""
    canonical = INPUTS[object_type]
    fields = [f for f in canonical if (provided is None or f.name in provided) and f.name not in outputs]
    return pa.schema([*fields, *(pa.field(n, f.type) for n, f in outputs.items())])


def polars_type(arrow_type: pa.DataType) -> pl.DataType:
    """The polars dtype an Arrow type becomes (for typed nulls and casts)."""
    return pl.from_arrow(pa.table({"x": pa.array([], type=arrow_type)})).schema["x"]


def with_column(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table`` with ``name`` set to ``values``: replaced where it is, else appended."""
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)

