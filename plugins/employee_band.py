"""``employee_band``: a company's head count as LinkedIn's size band (``51-200``)."""

from __future__ import annotations

import crm_enrich
import polars as pl
import pyarrow as pa
from crm_enrich import normalise
from crm_enrich.columns import with_column
from crm_enrich.protocols import Field, NoSettings


class EmployeeBand:
    """Derives the band from ``employees``; null when the count is unknown or below 1."""

    name = "employee_band"
    object_type = "companies"
    Settings = NoSettings
    outputs = {
        "employee_band": Field(
            pa.string(), "Company size band (LinkedIn)", options=tuple(b for _, b in normalise.EMPLOYEE_BANDS)
        )
    }

    def __init__(self, settings, context):
        pass

    def enrich(self, table: pa.Table) -> pa.Table:
        employees = pl.from_arrow(table.select(["employees"]))
        out = employees.select(normalise.employee_band(pl.col("employees")))
        return with_column(table, "employee_band", out.to_arrow().column(0).cast(pa.string()))


@crm_enrich.hookimpl
def register_enrichers(register):
    register(EmployeeBand)
