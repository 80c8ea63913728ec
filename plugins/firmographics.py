"""``firmographics``: a company's facts in canonical form, so criteria and joins match.

``https://www.Acme.com/about`` becomes the domain ``acme.com``, ``USA`` becomes ``US``,
``Computer Software`` becomes HubSpot's ``COMPUTER_SOFTWARE``, ``Series A round``
becomes ``series_a``; and two labels are derived: the sales ``region`` of the country and
the ``revenue_band``. The normalised values are what scorers see in this run; they are
written back only where the CRM's field is blank (policy ``fill_missing``), so what a
person typed is never overwritten. Listed after the providers, it also derives the region
of a country a provider filled.
"""

from __future__ import annotations

import crm_enrich
import polars as pl
import pyarrow as pa
from crm_enrich import columns, normalise
from crm_enrich.protocols import Field, NoSettings

NORMALISED = ("domain", *normalise.LABELS, "technologies")

REGIONS = ("NA", "LATAM", "EMEA", "APAC")


class Firmographics:
    name = "firmographics"
    object_type = "companies"
    Settings = NoSettings
    outputs = {
        **{
            c: Field(columns.COMPANIES.field(c).type, f"{c}, normalised", policy="fill_missing")
            for c in NORMALISED
        },
        "region": Field(pa.string(), "Sales region of the country", options=REGIONS),
        "revenue_band": Field(pa.string(), "Annual revenue band (USD)", options=tuple(label for _, label in normalise.REVENUE_BANDS)),
    }

    def __init__(self, settings, context):
        pass

    def enrich(self, table: pa.Table) -> pa.Table:
        df = pl.from_arrow(table).with_columns(
            normalise.company_domain().alias("domain"),
            *(read(pl.col(c)).alias(c) for c, read in normalise.LABELS.items()),
            normalise.technologies(pl.col("technologies")).alias("technologies"),
        )
        df = df.with_columns(
            normalise.region(pl.col("country")).alias("region"),
            normalise.revenue_band(pl.col("annual_revenue")).alias("revenue_band"),
        )
        return df.to_arrow()


@crm_enrich.hookimpl
def register_enrichers(register):
    register(Firmographics)
