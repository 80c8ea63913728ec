"""The provider waterfall through the real engine: order and stop rule, confidence, budget,
cache (hit, miss, negative, expiry), provenance and write policy.

Two in-process providers stand in for vendors: ``ledger`` is paid and counts every key it
is asked, ``atlas`` is a free file-like source. Records are real CSV files and the state
is a real SQLite store.
"""

from __future__ import annotations

import sqlite3

import crm_enrich
import pyarrow as pa
import pytest
from conftest import COMPANY_HEADER, read_csv, write_csv
from crm_enrich.config import load_config
from crm_enrich.engine import Engine
from crm_enrich.errors import ConfigError, PluginError, ProviderExhausted
from crm_enrich.protocols import Field
from crm_enrich.registry import load_registry
from crm_enrich.state import StateStore
from pydantic import BaseModel, ConfigDict

FILL = "fill_missing"


class _Answers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, dict] = {}  # domain -> {field: value, "confidence": x}
    exhausted_after: int | None = None  # raise ProviderExhausted once this many keys were asked
    extra_column: bool = False  # break the contract: answer a column it does not declare


class _Provider:
    object_type = "companies"
    key = "domain"
    Settings = _Answers
    fields = {
        "industry": Field(pa.string(), "industry", policy=FILL),
        "employees": Field(pa.int64(), "head count", policy=FILL),
        "country": Field(pa.string(), "country", policy=FILL),
    }
    asked: list[list[str]] = []  # per class: each lookup call's keys

    def __init__(self, settings, context):
        self.settings = settings

    def lookup(self, keys: pa.Array) -> pa.Table:
        keys = keys.to_pylist()
        type(self).asked.append(keys)
        limit = self.settings.exhausted_after
        if limit is not None and sum(map(len, type(self).asked)) > limit:
            raise ProviderExhausted("out of credits")
        rows = [{"domain": k, **self.settings.answers[k]} for k in keys if k in self.settings.answers]
        columns = {"domain": [r["domain"] for r in rows]}
        for f in self.fields:
            columns[f] = [r.get(f) for r in rows]
        columns["confidence"] = [r.get("confidence") for r in rows]
        if self.settings.extra_column:
            columns["ceo_name"] = ["x"] * len(rows)
        schema = pa.schema([("domain", pa.string()), *((f, s.type) for f, s in self.fields.items()),
                            ("confidence", pa.float64()), *([("ceo_name", pa.string())] if self.settings.extra_column else [])])
        return pa.table(columns, schema=schema)


class Ledger(_Provider):
    name = "ledger"
    paid = True
    batch_size = 2
    asked = []


class Atlas(_Provider):
    name = "atlas"
    paid = False
    asked = []


class _Plugin:
    __name__ = "test_providers"

    @crm_enrich.hookimpl
    def register_providers(self, register):
        register(Ledger)
        register(Atlas)


COMPANIES = [
    # id, name, domain, industry, employees, annual_revenue, country, technologies
    ["c1", "Acme", "https://www.acme.com/about", "", "", "", "", ""],  # website-style domain
    ["c2", "Beta", "beta.io", "INTERNET", "", "", "", ""],  # industry entered by a person
    ["c3", "Gamma", "gamma.de", "", "", "", "", ""],
    ["c4", "Delta", "delta.fr", "", "", "", "", ""],  # nobody knows it
    ["c5", "No Domain", "", "", "", "", "", ""],  # nothing to look up by
]

ANSWERS = """
[plugins.ledger.answers."acme.com"]
industry = "COMPUTER_SOFTWARE"
employees = 250
confidence = 0.9
[plugins.ledger.answers."beta.io"]
industry = "RETAIL"
employees = 40
confidence = 0.8
[plugins.ledger.answers."gamma.de"]
country = "DE"
confidence = 0.5
"""


@pytest.fixture(autouse=True)
def _fresh_counters():
    Ledger.asked.clear()
    Atlas.asked.clear()


def setup(project, enrichers='["ledger"]', extra="", companies=COMPANIES):
    write_csv(project.companies, COMPANY_HEADER, companies)
    project.write_config(
        extra,
        head=f'connector = "files"\nenrichers = {enrichers}\nscorers = ["icp"]\n',
    )


def run(project, **options):
    config = load_config(project.config, load_registry(extra_plugins=(_Plugin(),)))
    return Engine(config, StateStore(project.root / ".enrich/state.db"), **options).run()


def companies(project) -> dict[str, dict]:
    return {r["id"]: r for r in read_csv(project.companies)}


def asked(provider) -> list[str]:
    return [k for call in provider.asked for k in call]


def test_hook_register_providers(project):
    """Providers listed among the enrichers: only missing fields asked, nothing overwritten."""
    setup(project, extra=ANSWERS)
    result = run(project)
    rows = companies(project)
    assert rows["c1"]["industry"] == "COMPUTER_SOFTWARE" and rows["c1"]["employees"] == "250"
    assert rows["c2"]["industry"] == "INTERNET"  # what a person entered stays
    assert rows["c2"]["employees"] == "40"  # the blank beside it is filled
    assert rows["c3"]["country"] == "DE"
    assert rows["c4"]["industry"] == ""
    # keys are registrable domains, each asked once, the record without a domain never
    assert sorted(asked(Ledger)) == ["acme.com", "beta.io", "delta.fr", "gamma.de"]
    assert max(len(call) for call in Ledger.asked) <= Ledger.batch_size
    looked = result.figures["companies"].lookups["ledger"]
    assert (looked.asked, looked.found, looked.not_found) == (4, 3, 1)
    assert looked.filled == {"industry": 1, "employees": 2, "country": 1}


def test_waterfall_asks_the_next_provider_only_for_what_is_still_missing(project):
    atlas = """
    [plugins.atlas.answers."acme.com"]
    industry = "INTERNET"
    country = "US"
    [plugins.atlas.answers."delta.fr"]
    industry = "BANKING"
    """
    setup(project, enrichers='["ledger", "atlas"]', extra=ANSWERS + atlas)
    run(project)
    rows = companies(project)
    assert rows["c1"]["industry"] == "COMPUTER_SOFTWARE"  # the first provider's answer stands
    assert rows["c1"]["country"] == "US"  # the second fills what the first did not know
    assert rows["c4"]["industry"] == "BANKING"
    # gamma.de still misses industry and employees, so it is asked again; beta.io lacks country
    assert sorted(asked(Atlas)) == ["acme.com", "beta.io", "delta.fr", "gamma.de"]

    Atlas.asked.clear()
    complete = [["c9", "Full", "full.com", "BANKING", "10", "", "FR", ""]]
    setup(project, enrichers='["ledger", "atlas"]', extra=ANSWERS + atlas, companies=complete)
    run(project)
    assert Atlas.asked == []  # nothing missing: nobody is asked


def test_an_answer_below_min_confidence_asks_the_next_provider_and_the_surest_wins(project):
    atlas = """
    [plugins.atlas.answers."gamma.de"]
    country = "AT"
    confidence = 0.95
    [plugins.atlas.answers."acme.com"]
    industry = "INTERNET"
    confidence = 0.6
    """
    setup(project, enrichers='["ledger", "atlas"]',
          extra=ANSWERS + atlas + "\n[waterfall]\nmin_confidence = 0.7\nsource_columns = true\n")
    run(project)
    rows = companies(project)
    assert rows["c3"]["country"] == "AT"  # ledger said DE at 0.5; atlas is surer
    assert rows["c3"]["country_source"] == "atlas"
    assert rows["c1"]["industry"] == "COMPUTER_SOFTWARE"  # 0.9 is above the bar: kept
    assert rows["c1"]["industry_source"] == "ledger"


def test_budget_is_never_exceeded_and_the_rest_waits_for_the_next_run(project):
    setup(project, extra=ANSWERS + "\n[waterfall]\nmax_paid_lookups = 3\n")
    first = run(project).figures["companies"].lookups["ledger"]
    assert len(asked(Ledger)) == 3
    assert (first.asked, first.skipped) == (3, 1)
    Ledger.asked.clear()
    second = run(project).figures["companies"].lookups["ledger"]
    assert asked(Ledger) == ["delta.fr"]  # only the key the budget left out
    assert (second.asked, second.cache_hits, second.skipped) == (1, 3, 0)


def test_cache_hits_misses_and_expiry(project):
    setup(project, extra=ANSWERS)
    run(project)
    assert len(asked(Ledger)) == 4
    Ledger.asked.clear()
    # the filled values are in the CRM now; a fresh copy of the data needs them again
    setup(project, extra=ANSWERS)
    second = run(project).figures["companies"].lookups["ledger"]
    assert asked(Ledger) == []  # found answers and the miss (delta.fr) both come from the cache
    assert second.cache_hits == 4
    assert companies(project)["c1"]["industry"] == "COMPUTER_SOFTWARE"

    with sqlite3.connect(project.root / ".enrich/state.db") as db:  # time passes
        db.execute("UPDATE lookups SET fetched_at = '2020-01-01T00:00:00+00:00' WHERE key IN ('acme.com', 'delta.fr')")
    setup(project, extra=ANSWERS)
    run(project)
    assert sorted(asked(Ledger)) == ["acme.com", "delta.fr"]  # expired: asked again


def test_a_miss_expires_on_its_own_shorter_clock(project):
    setup(project, extra=ANSWERS + "\n[waterfall]\nmiss_days = 10\ncache_days = 365\n")
    run(project)
    Ledger.asked.clear()
    with sqlite3.connect(project.root / ".enrich/state.db") as db:  # 20 days later
        db.execute("UPDATE lookups SET fetched_at = datetime('now', '-20 days') || '+00:00'")
    setup(project, extra=ANSWERS + "\n[waterfall]\nmiss_days = 10\ncache_days = 365\n")
    run(project)
    assert asked(Ledger) == ["delta.fr"]


def test_a_dry_run_spends_nothing(project):
    setup(project, extra=ANSWERS)
    result = run(project, dry_run=True)
    assert Ledger.asked == []
    assert result.figures["companies"].lookups["ledger"].skipped == 4


def test_provenance_is_recorded_for_written_values(project):
    setup(project, extra=ANSWERS + "\n[waterfall]\nsource_columns = true\n")
    run(project)
    state = StateStore(project.root / ".enrich/state.db")
    seen = state.provenance("files", "companies", "c1")
    assert {f: (p["provider"], p["confidence"]) for f, p in seen.items()} == {
        "industry": ("ledger", 0.9), "employees": ("ledger", 0.9)
    }
    assert "industry" not in state.provenance("files", "companies", "c2")  # a person's value
    rows = companies(project)
    assert rows["c1"]["industry_source"] == "ledger" and rows["c2"]["industry_source"] == ""


def test_overwrite_policy_lets_a_provider_replace_what_the_source_holds(project):
    setup(project, extra=ANSWERS + '\n[write.policy]\nindustry = "overwrite"\n')
    run(project)
    assert companies(project)["c2"]["industry"] == "RETAIL"


def test_an_exhausted_provider_is_skipped_and_the_run_goes_on(project):
    setup(project, extra=ANSWERS.replace('[plugins.ledger.answers."acme.com"]',
                                          '[plugins.ledger]\nexhausted_after = 2\n[plugins.ledger.answers."acme.com"]'))
    result = run(project)
    looked = result.figures["companies"].lookups["ledger"]
    assert looked.asked == 2 and looked.skipped == 2
    assert companies(project)["c1"]["industry"] == "COMPUTER_SOFTWARE"  # answered before
    assert result.figures["companies"].written >= 1


def test_a_provider_answering_undeclared_columns_is_a_plugin_error(project):
    setup(project, extra=ANSWERS.replace('[plugins.ledger.answers."acme.com"]',
                                          '[plugins.ledger]\nextra_column = true\n[plugins.ledger.answers."acme.com"]'))
    with pytest.raises(PluginError, match="ledger.*ceo_name"):
        run(project)


class _Clash:
    __name__ = "clash"

    @crm_enrich.hookimpl
    def register_enrichers(self, register):
        register(type("Other", (), {"name": "ledger"}))


def test_a_provider_and_an_enricher_cannot_share_a_name():
    with pytest.raises(ConfigError, match=r"'ledger' is registered by both plugin 'clash' \(an enricher\) "
                                          r"and plugin 'test_providers' \(a provider\)"):
        load_registry(extra_plugins=(_Plugin(), _Clash()))


class _Partial(Ledger):
    """Answers the first key of the call it runs out in, then says it is out of credits."""

    def lookup(self, keys):
        full = super().lookup(keys)
        if len(Ledger.asked) == 2:  # the second call: answered one, then ran dry
            raise ProviderExhausted("out of credits", answered=full.slice(0, 1))
        return full


class _PartialPlugin:
    __name__ = "partial"

    @crm_enrich.hookimpl
    def register_providers(self, register):
        register(type("Partial", (_Partial,), {"name": "ledger"}))


def test_answers_paid_for_before_a_provider_ran_dry_are_kept_and_cached(project):
    setup(project, extra=ANSWERS)
    config = load_config(project.config, load_registry(extra_plugins=(_PartialPlugin(),)))
    result = Engine(config, StateStore(project.root / ".enrich/state.db")).run()
    looked = result.figures["companies"].lookups["ledger"]
    # call 1: acme.com, beta.io (both found); call 2: gamma.de answered, delta.fr never asked
    assert (looked.asked, looked.found, looked.skipped) == (3, 3, 1)
    assert companies(project)["c3"]["country"] == "DE"
    with sqlite3.connect(project.root / ".enrich/state.db") as db:
        cached = {k for (k,) in db.execute("SELECT key FROM lookups WHERE provider = 'ledger'")}
    assert cached == {"acme.com", "beta.io", "gamma.de"}  # delta.fr was not asked: not a cached miss
