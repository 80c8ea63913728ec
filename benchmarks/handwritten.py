"""The baseline: what a good engineer would write by hand in polars for the same job.

Scores companies against the same ICP as benchmarks/plugins.toml (score, tier, reasons,
employee band), joins each contact to its company's tier, and writes both to Parquet.
No plugins, no diff, no state: the floor the engine is compared with.

    python benchmarks/handwritten.py COMPANIES.parquet CONTACTS.parquet OUT_DIR
"""

import sys
from pathlib import Path

import polars as pl

IND = ["computer_software", "internet", "information_technology_and_services", "financial_services",
       "marketing_and_advertising"]
COUNTRIES = ["us", "ca", "gb", "de", "fr", "nl", "se", "es"]
STACK = ["salesforce", "hubspot", "segment", "snowflake"]
FUNDING = ["series_a", "series_b", "series_c", "series_d"]
RIVALS = ["rivalcrm.com", "rival-analytics.io"]
BANDS = [(10001, "10001+"), (5001, "5001-10000"), (1001, "1001-5000"), (501, "501-1000"),
         (201, "201-500"), (51, "51-200"), (11, "11-50"), (2, "2-10"), (1, "1")]


def low(name):
    return pl.col(name).str.strip_chars().str.to_lowercase()


def main(companies_path, contacts_path, out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tech = pl.col("technologies").list.eval(pl.element().str.to_lowercase())
    checks = {  # name: (weight, matched or null when unknown, value shown)
        "industry": (30, pl.when(low("industry") != "").then(low("industry").is_in(IND)), pl.col("industry")),
        "size": (25, pl.col("employees").is_between(50, 5000), pl.col("employees").cast(pl.String)),
        "revenue": (15, pl.col("annual_revenue").is_between(5e6, 5e8), pl.col("annual_revenue").cast(pl.Int64).cast(pl.String)),
        "country": (15, pl.when(low("country") != "").then(low("country").is_in(COUNTRIES)), pl.col("country")),
        "stack": (10, pl.when(pl.col("technologies").list.len() > 0).then(tech.list.eval(pl.element().is_in(STACK)).list.any()),
                  pl.col("technologies").list.head(3).list.join(",")),
        "funding": (5, pl.when(low("funding_stage") != "").then(low("funding_stage").is_in(FUNDING)), pl.col("funding_stage")),
    }
    matched = pl.sum_horizontal([pl.when(hit).then(w).otherwise(0) for w, hit, _ in checks.values()])
    score = (200 * matched + 100) // 200
    rival = low("domain").is_in(RIVALS).fill_null(False)
    tier = (pl.when(rival).then(pl.lit("D")).when(score >= 80).then(pl.lit("A"))
            .when(score >= 60).then(pl.lit("B")).when(score >= 40).then(pl.lit("C")).otherwise(pl.lit("D")))
    reasons = pl.concat_str(
        [pl.when(rival).then(pl.format("DISQUALIFIED: competitor ({})", pl.col("domain")))]
        + [pl.when(hit).then(pl.format(f"{w}/{w} {name} ({{}})", shown))
           .when(~hit).then(pl.format(f"0/{w} {name} ({{}})", shown)) for name, (w, hit, shown) in checks.items()]
        + [pl.lit("unknown: ") + pl.concat_str([pl.when(hit.is_null()).then(pl.lit(name)) for name, (_, hit, _) in checks.items()],
                                                separator=", ", ignore_nulls=True)],
        separator="; ", ignore_nulls=True,
    )
    band = pl.when(pl.col("employees") < 1).then(None)
    for lowest, label in BANDS:
        band = band.when(pl.col("employees") >= lowest).then(pl.lit(label))
    companies = pl.scan_parquet(companies_path).with_columns(
        score.alias("icp_score"), tier.alias("icp_tier"), reasons.alias("icp_reasons"), band.alias("employee_band")
    ).collect()
    companies.write_parquet(out / "companies.parquet")
    # contacts without a company id are linked by email domain, when exactly one company has it
    domain = pl.coalesce("domain", "website").str.to_lowercase().str.replace(r"^[a-z]+://", "").str.replace(
        r"^www\.", "").str.replace(r"[/:?#].*$", "")
    by_domain = companies.lazy().select("id", domain.alias("_domain")).filter(
        pl.col("_domain").is_unique() & pl.col("_domain").is_not_null())
    fit = companies.lazy().select(pl.col("id").alias("company_id"), "icp_tier")
    contacts = pl.scan_parquet(contacts_path)
    columns = contacts.collect_schema().names()
    (
        contacts.with_columns(pl.col("email").str.to_lowercase().str.extract(r"@([^@\s]+)$").alias("_domain"))
        .join(by_domain, on="_domain", how="left", maintain_order="left")
        .with_columns(pl.coalesce("company_id", "id_right").alias("company_id"))
        .join(fit, on="company_id", how="left", maintain_order="left")
        .select(*columns, "icp_tier")
        .sink_parquet(out / "contacts.parquet")
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
