"""``employee_band``: a company's head count as LinkedIn's size band (``51-200``)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

import crm_enrich
from crm_enrich.columns import with_column
from crm_enrich.protocols import Field, NoSettings

# LinkedIn's company size bands (staffCountRange), smallest first: (lowest count, label).
BANDS = (
    (1, "1"),
    (2, "2-10"),
    (11, "11-50"),
    (51, "51-200"),
    (201, "201-500"),
    (501, "501-1000"),
    (1001, "1001-5000"),
    (5001, "5001-10000"),
    (10001, "10001+"),
)


class EmployeeBand:
    """Derives the band from ``employees``; null when the count is unknown or below 1."""

    name = "employee_band"
    object_type = "companies"
    Settings = NoSettings
    outputs = {
        "employee_band": Field(
            pa.string(), "Company size band (LinkedIn)", options=tuple(b for _, b in BANDS)
        )
    }

    def __init__(self, settings, context):
        pass

    def enrich(self, table: pa.Table) -> pa.Table:
        employees = pl.from_arrow(table.select(["employees"])).get_column("employees")
        band = pl.when(employees < 1).then(None)
        for lowest, label in reversed(BANDS):
            band = band.when(employees >= lowest).then(pl.lit(label))
        out = pl.select(band.otherwise(None).alias("employee_band"))
        return with_column(table, "employee_band", out.to_arrow().column(0).cast(pa.string()))


@crm_enrich.hookimpl
def register_enrichers(register):
    register(EmployeeBand)
