"""Firmographics end to end through ``enrich``: the reference file provider, the
``firmographics`` normaliser enricher, provenance in ``enrich explain`` and the write policy,
over real CSV and Parquet files and a real state store."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest
from pdl_fake import FakePDL

from conftest import BUILTINS, COMPANY_HEADER, CONTACT_HEADER, Project, read_csv, write_csv

ENV = {"CRM_ENRICH_PLUGINS": BUILTINS}
HEAD = 'connector = "files"\nenrichers = ["reference", "firmographics", "employee_band"]\nscorers = ["icp"]\n'
REFERENCE_HEADER = ["id", "name", "website", "founded", "size", "locality", "region", "country", "industry", "employee_count"]

COMPANIES = [
    # id, name, domain, industry, employees, annual_revenue, country, technologies
    ["c1", "Acme Software", "", "", "", "20000000", "USA", "salesforce"],  # blanks; country spelt out
    ["c2", "Netz GmbH", "netz.de", "INTERNET", "80", "", "Deutschland", ""],  # a person's values
    ["c3", "Unknown Co", "unknown.io", "", "", "", "", ""],  # not in the file
]
REFERENCE = [
    ["r1", "acme software inc", "WWW.Acme.com", "2009", "201-500", "san francisco", "california",
     "united states", "computer software", "240"],
    ["r2", "netz", "https://netz.de/", "circa 1990", "51-200", "berlin", "berlin", "germany",
     "information technology and services", "95"],
    ["r3", "someone else", "other.example", "2001", "1-10", "paris", "", "france", "retail", "4"],
]


def setup(project, companies=COMPANIES, reference=REFERENCE, extra=""):
    write_companies(project, companies)
    write_csv(project.root / "vendor.csv", REFERENCE_HEADER, reference)
    project.write_config('[plugins.reference]\npath = "vendor.csv"\n' + extra, head=HEAD)


def write_companies(project, companies=COMPANIES):
    write_csv(project.companies, COMPANY_HEADER + ["website"],
              [row + ([" https://www.acme.com/about "] if row[0] == "c1" else [""]) for row in companies])


def sync(project, *args):
    return project.sync(*args, env=ENV)


def test_reference_fills_blanks_in_canonical_form_and_never_overwrites(project):
    setup(project)
    figures = sync(project)
    rows = {r["id"]: r for r in read_csv(project.companies)}
    acme, netz = rows["c1"], rows["c2"]
    # c1 is found through the domain of its website, although the file spells it WWW.Acme.com
    assert (acme["domain"], acme["industry"], acme["employees"]) == ("acme.com", "COMPUTER_SOFTWARE", "240")
    assert acme["country"] == "USA"  # a person's spelling stays in the CRM ...
    assert acme["icp_reasons"].count("country (US)") == 1  # ... and the ICP reads it as US
    assert acme["region"] == "NA" and acme["employee_band"] == "201-500"
    assert (netz["industry"], netz["employees"]) == ("INTERNET", "80")  # never overwritten
    assert rows["c3"]["industry"] == ""
    looked = figures["companies"]["lookups"]["reference"]
    assert (looked["asked"], looked["found"], looked["not_found"]) == (3, 2, 1)
    assert looked["filled"]["industry"] == 1 and looked["filled"]["employees"] == 1

    again = sync(project)
    assert again["companies"]["changed"] == 0  # the filled values are the source's now


def test_explain_shows_who_filled_a_field(project):
    setup(project)
    sync(project)
    out = project.enrich("explain", "c1", env=ENV, check=True).stdout
    assert "industry filled by reference" in out and "employees filled by reference" in out
    data = json.loads(project.enrich("--json", "explain", "c1", env=ENV, check=True).stdout)
    assert data["company"]["provenance"]["industry"]["provider"] == "reference"
    assert "industry" not in json.loads(
        project.enrich("--json", "explain", "c2", env=ENV, check=True).stdout
    )["company"]["provenance"]


def test_an_unreadable_reference_value_is_quarantined_with_file_line_and_column(project):
    setup(project)
    result = project.enrich("--json", "sync", env=ENV, check=True)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    bad = [e for e in events if e["event"] == "quarantined" and e.get("plugin") == "reference"]
    assert len(bad) == 1
    assert (bad[0]["line"], bad[0]["field"], bad[0]["raw"]) == (3, "founded", "circa 1990")
    assert bad[0]["source"].endswith("vendor.csv")
    # the rest of that row is used: netz.de's blank city would be filled (it has none to fill)


def test_every_unreadable_value_of_a_row_is_quarantined_once(project):
    netz = [*REFERENCE[1][:-1], "about ninety"]  # founded "circa 1990" too
    setup(project, reference=[REFERENCE[0], netz, REFERENCE[2]])
    for _ in range(2):
        write_companies(project)  # netz.de matched again, by a second run
        result = project.enrich("--json", "sync", env=ENV, check=True)
        events = [json.loads(line) for line in result.stdout.splitlines()]
        bad = [(e["line"], e["field"], e["raw"]) for e in events if e["event"] == "quarantined"]
        assert sorted(bad) == [(3, "employee_count", "about ninety"), (3, "founded", "circa 1990")]


def test_a_domain_the_file_repeats_takes_its_first_row_in_every_run(project):
    later = ["r4", "acme again", "https://acme.com/", "1999", "", "", "", "france", "retail", "7"]
    setup(project, reference=[REFERENCE[0], later, *REFERENCE[1:]])
    for _ in range(2):  # the file prepared, then the prepared file read back
        write_companies(project)
        sync(project)
        assert (industry_of(project, "c1"), {r["id"]: r for r in read_csv(project.companies)}["c1"]["employees"]) == (
            "COMPUTER_SOFTWARE", "240")


def kept(project) -> list:
    return sorted((project.root / ".enrich" / "cache" / "reference").iterdir())


def industry_of(project, company: str) -> str:
    return {r["id"]: r for r in read_csv(project.companies)}[company]["industry"]


def test_the_prepared_file_is_kept_and_used_until_the_file_changes(project):
    setup(project)
    sync(project)
    [path] = kept(project)
    assert path.name.startswith("vendor-") and path.suffix == ".parquet"
    prepared = pl.read_parquet(path)
    assert sorted(prepared.get_column("domain").to_list()) == ["acme.com", "netz.de", "other.example"]
    # Proof that the next run reads it rather than the file: plant another industry for acme.com
    planted = prepared.with_columns(
        industry=pl.when(pl.col("domain") == "acme.com").then(pl.lit("retail")).otherwise("industry"))
    identity = {k: v for k, v in pl.read_parquet_metadata(path).items() if k.startswith("crm_enrich")}
    planted.write_parquet(path, metadata=identity)
    write_companies(project)  # c1's industry blank again
    sync(project)
    assert industry_of(project, "c1") == "RETAIL"

    write_csv(project.root / "vendor.csv", REFERENCE_HEADER, REFERENCE)  # the same rows, written anew
    write_companies(project)
    sync(project)
    assert industry_of(project, "c1") == "COMPUTER_SOFTWARE"  # prepared again from the file
    assert kept(project) == [path]

    project.write_config('[plugins.reference]\npath = "vendor.csv"\n[plugins.reference.columns]\n'
                         'employees = "employee_count"\n', head=HEAD)
    sync(project)
    assert "industry" not in pl.read_parquet_schema(path)  # other settings, another preparation


def test_a_damaged_or_unwritable_cache_costs_time_not_results(project):
    setup(project)
    sync(project)
    [path] = kept(project)
    path.write_bytes(b"PAR1 not really")
    write_companies(project)
    sync(project)
    assert industry_of(project, "c1") == "COMPUTER_SOFTWARE"
    assert pl.read_parquet(path).height == 3  # made again, whole

    cache = project.root / ".enrich" / "cache"
    shutil.rmtree(cache)
    cache.write_text("a file where the cache directory belongs")
    write_companies(project)
    result = project.enrich("sync", env=ENV, check=True)
    assert industry_of(project, "c1") == "COMPUTER_SOFTWARE"
    assert "could not keep the prepared keys" in result.stderr


def test_parquet_reference_with_its_own_layout(project):
    setup(project, reference=[])
    pl.DataFrame({
        "Domain": ["acme.com"], "Sector": ["Software Development"], "Headcount": [310], "HQ Country": ["US"],
    }).write_parquet(project.root / "vendor.parquet")
    project.write_config(
        '[plugins.reference]\npath = "vendor.parquet"\nkey_column = "Domain"\nconfidence = 0.8\n'
        '[plugins.reference.columns]\nindustry = "Sector"\nemployees = "Headcount"\ncountry = "HQ Country"\n',
        head=HEAD,
    )
    sync(project)
    acme = {r["id"]: r for r in read_csv(project.companies)}["c1"]
    assert (acme["industry"], acme["employees"]) == ("COMPUTER_SOFTWARE", "310")


@pytest.mark.parametrize("name, delimiter, bom, setting", [
    ("vendor.csv", ";", True, ""),  # Excel's CSV in much of Europe, with its byte-order mark
    ("vendor.txt", "\t", False, ""),
    ("vendor.csv", "|", False, 'delimiter = "|"\n'),
])
def test_a_reference_file_with_another_delimiter_gives_the_same_answers(project, name, delimiter, bom, setting):
    setup(project)
    expected = sync(project)["companies"]["lookups"]["reference"]
    acme = {r["id"]: r for r in read_csv(project.companies)}["c1"]
    write_companies(project)  # the blanks again
    write_csv(project.root / name, REFERENCE_HEADER, REFERENCE, delimiter=delimiter, bom=bom)
    project.write_config(f'[plugins.reference]\npath = "{name}"\n{setting}', head=HEAD)
    assert sync(project)["companies"]["lookups"]["reference"] == expected
    again = {r["id"]: r for r in read_csv(project.companies)}["c1"]
    assert again == acme and again["industry"] == "COMPUTER_SOFTWARE"


def test_a_mapped_column_the_file_lacks_is_a_config_error_listing_its_columns(project):
    setup(project, extra='[plugins.reference.columns]\nindustry = "sector"\n')
    result = project.enrich("sync", env=ENV)
    assert result.returncode == 2
    assert "has no column 'sector'" in result.stderr and "employee_count" in result.stderr


@pytest.mark.parametrize("policy, expected", [("fill_missing", "INTERNET"), ("overwrite", "INFORMATION_TECHNOLOGY_AND_SERVICES")])
def test_write_policy_decides_whether_a_provider_may_replace_a_value(project, policy, expected):
    setup(project, extra=f'\n[write.policy]\nindustry = "{policy}"\n')
    sync(project)
    assert {r["id"]: r for r in read_csv(project.companies)}["c2"]["industry"] == expected


# -- People Data Labs through the whole engine: faults, budget, cache -------------------------

PDL_KEY = "pdl-test-key-8f3a"


def pdl_project(project, fake, *, budget: int, n: int = 180):
    write_csv(project.contacts, CONTACT_HEADER, [["p1", "a@co1.com", "A", "B", "CEO", "c1"]])
    write_csv(project.companies, COMPANY_HEADER,
              [[f"c{i}", f"Company {i}", f"co{i}.com", "", "", "", "", ""] for i in range(n)])
    project.write_config(
        f'[plugins.pdl]\napi_key = {{ env = "PDL_API_KEY" }}\nbase_url = "{fake.url}"\n'
        'max_backoff_seconds = 0.01\ntimeout_seconds = 1\nretries = 8\n'
        f'[waterfall]\nmax_paid_lookups = {budget}\n',
        head='connector = "files"\nenrichers = ["pdl", "firmographics"]\nscorers = ["icp"]\n',
    )


def seeded(fake, n: int = 150):
    """PDL knows co0.com .. co149.com; the last 30 of the CRM's 180 domains are misses."""
    fake.seed([{"website": f"co{i}.com", "display_name": f"Company {i}", "employee_count": 20 + i,
                "industry": "computer software" if i % 2 else "internet",
                "location": {"country": "united states" if i % 3 else "germany", "locality": "austin"},
                "likelihood": 8} for i in range(n)])


def labelled(project) -> dict[str, tuple]:
    return {r["id"]: (r["industry"], r["employees"], r["country"], r["city"]) for r in read_csv(project.companies)}


def test_pdl_under_faults_gives_the_fault_free_result_within_budget_and_never_pays_twice(tmp_path):
    env = {**ENV, "PDL_API_KEY": PDL_KEY}
    results = []
    for faulty in (False, True):
        project = Project(tmp_path / ("faulty" if faulty else "clean"))
        project.root.mkdir()
        with FakePDL(api_key=PDL_KEY) as fake:
            seeded(fake)
            if faulty:
                fake.set_faults(rate_429=0.15, rate_5xx=0.15, rate_timeout=0.1, timeout_seconds=1.5, seed=7)
            pdl_project(project, fake, budget=100)
            first = project.sync(env=env)["companies"]["lookups"]["pdl"]
            assert first["asked"] == 100 and first["skipped"] == 80  # the budget holds
            asked_once = [k for r in fake.requests if r.status == 200 for k in r.keys]
            assert len(asked_once) == len(set(asked_once)) == 100  # each key answered once
            second = project.sync(env=env)["companies"]["lookups"]["pdl"]
            # the rest; the first run's answers (records still missing state, say) come from the cache
            assert (second["asked"], second["cache_hits"]) == (80, 100)
            third = project.sync(env=env)["companies"]["lookups"]["pdl"]
            assert (third["asked"], third["cache_hits"]) == (0, 180)  # misses too: not paid for again
            assert fake.credits_spent == 150  # one credit per match, each match once
            assert fake.crashes == []
        results.append(labelled(project))
    clean, faulty = results
    assert faulty == clean
    assert clean["c1"] == ("COMPUTER_SOFTWARE", "21", "US", "Austin")
    assert clean["c170"] == ("", "", "", "")


def test_pdl_out_of_credits_keeps_what_was_paid_for_and_the_run_goes_on(project):
    env = {**ENV, "PDL_API_KEY": PDL_KEY}
    with FakePDL(api_key=PDL_KEY, credits=120) as fake:
        seeded(fake)
        pdl_project(project, fake, budget=1000)
        result = project.enrich("--json", "sync", env=env, check=True)
        events = [json.loads(line) for line in result.stdout.splitlines()]
        assert any(e["event"] == "provider_exhausted" and e["provider"] == "pdl" for e in events)
        looked = events[-1]["figures"]["companies"]["lookups"]["pdl"]
        assert looked["found"] == 120 and fake.credits_spent == 120
    assert sum(1 for v in labelled(project).values() if v[0]) == 120
    assert PDL_KEY not in result.stdout + result.stderr
