"""The ``pdl`` provider over real HTTP against the fake PDL (tests/pdl_fake): what it asks,
what it makes of the answers, and how it meets limits, faults, and a spent account.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import ValidationError

import crm_enrich.plugins.pdl as pdl_plugin
from crm_enrich import columns, normalise
from crm_enrich.config import load_config
from crm_enrich.errors import ConfigError, ProviderExhausted, SourceError
from crm_enrich.plugins.pdl import PDLCompanies
from crm_enrich.protocols import PluginContext, Provider
from crm_enrich.registry import load_registry
from pdl_fake import BULK, FakePDL

KEY = "pdl-secret-key-never-print-7f3a9c21"
TAXONOMIES = Path(__file__).parents[2] / "shared/taxonomies"  # PDL's enumerations, with their sources
FIELDS = ["name", "industry", "employees", "country", "state", "city", "founded_year", "funding_total", "funding_stage"]


@pytest.fixture
def pdl():
    with FakePDL(api_key=KEY) as fake:
        yield fake
        assert fake.crashes == []


@pytest.fixture
def quarantined() -> list:
    return []


@pytest.fixture
def make(pdl, tmp_path, monkeypatch, quarantined):
    """A provider pointed at the fake, with backoffs short enough for a test."""
    def build(key: str = KEY, **settings) -> PDLCompanies:
        monkeypatch.setenv("PDL_API_KEY", key)
        values = {"api_key": {"env": "PDL_API_KEY"}, "base_url": pdl.url, "max_backoff_seconds": 0.01,
                  "timeout_seconds": 2, "retries": 4} | settings
        return PDLCompanies(PDLCompanies.Settings.model_validate(values), PluginContext(tmp_path, quarantined.append))
    return build


def companies(n: int, *, start: int = 0, likelihood=lambda i: 6 + i % 5) -> list[dict]:
    return [{"website": f"co{i}.com", "name": f"co {i}", "display_name": f"Co {i}", "employee_count": 10 + i,
             "industry": "internet" if i % 2 else "computer software", "founded": 1990 + i % 30,
             "location": {"country": "germany" if i % 3 else "united states", "region": "bavaria",
                          "locality": "munich"},
             "likelihood": likelihood(i)} for i in range(start, start + n)]


def registry():
    """The plugins with ``pdl`` among them, whether or not its entry point is installed yet."""
    loaded = load_registry()
    return loaded if "pdl" in loaded.providers else load_registry(extra_plugins=(pdl_plugin,))


def domains(*names: str) -> pa.Array:
    return pa.array(list(names), type=pa.string())


def rows(table: pa.Table) -> dict[str, dict]:
    return {r["domain"]: r for r in table.to_pylist()}


# -- the class and what it declares ------------------------------------------------------------


def test_it_is_a_paid_company_provider_keyed_by_domain_and_registers_itself(make):
    provider = make()
    assert isinstance(provider, Provider)
    assert (PDLCompanies.name, PDLCompanies.object_type, PDLCompanies.key) == ("pdl", "companies", "domain")
    assert PDLCompanies.paid is True and PDLCompanies.batch_size == 100 and PDLCompanies.version
    registered = []
    pdl_plugin.register_providers(registered.append)
    assert registered == [PDLCompanies]
    assert registry().providers["pdl"] is PDLCompanies


def test_its_fields_are_canonical_company_columns_that_fill_blanks(make):
    fields = make().fields
    assert list(fields) == FIELDS
    for name, field in fields.items():
        assert field.type == columns.COMPANIES.field(name).type, name
        assert field.policy == "fill_missing" and field.description


# -- answers -------------------------------------------------------------------------------------


def test_pdls_fields_become_canonical_values(pdl, make):
    pdl.seed([
        {"website": "acme.com", "name": "acme", "display_name": "Acme Corp", "industry": "computer software",
         "employee_count": 120, "size": "51-200", "founded": 2009, "total_funding_raised": 25_000_000,
         "latest_funding_stage": "series_b", "likelihood": 7,
         "location": {"country": "united states", "region": "california", "locality": "san francisco"}},
        {"website": "globex.de", "name": "globex", "industry": "internet", "likelihood": 10,
         "location": {"country": "germany", "region": "berlin", "locality": "berlin"}},
    ])
    found = rows(make().lookup(domains("acme.com", "globex.de")))
    assert found["acme.com"] == {
        "domain": "acme.com", "name": "Acme Corp", "industry": "COMPUTER_SOFTWARE", "employees": 120,
        "country": "US", "state": "California", "city": "San Francisco", "founded_year": 2009,
        "funding_total": 25_000_000.0, "funding_stage": "series_b", "confidence": 0.7,
    }
    assert found["globex.de"] == {  # a sparse record: PDL's nulls stay null; no display_name, so name
        "domain": "globex.de", "name": "globex", "industry": "INTERNET", "employees": None, "country": "DE",
        "state": "Berlin", "city": "Berlin", "founded_year": None, "funding_total": None,
        "funding_stage": None, "confidence": 1.0,
    }


def pdl_enum(name: str) -> list[str]:
    path = TAXONOMIES / name
    if not path.exists():
        pytest.skip(f"no shared taxonomies beside the repository ({path})")
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_every_industry_and_funding_stage_pdl_sends_becomes_a_canonical_value(pdl, make):
    industries, stages = pdl_enum("pdl_industry_v1.txt"), pdl_enum("pdl_funding_stages.txt")
    assert len(industries) == 147
    pdl.seed([{"website": f"i{n}.com", "industry": label, "latest_funding_stage": stages[n % len(stages)]}
              for n, label in enumerate(industries)])
    table = make().lookup(domains(*(f"i{n}.com" for n in range(len(industries)))))
    assert table.num_rows == 147
    assert set(table.column("industry").to_pylist()) == set(normalise.industries())  # one each, none null
    assert set(table.column("funding_stage").to_pylist()) == set(stages)  # PDL's own values, kept


def test_the_table_has_the_key_the_fields_and_confidence_with_canonical_types(pdl, make):
    pdl.seed(companies(3))
    table = make().lookup(domains("co0.com", "co1.com", "co2.com"))
    assert table.schema == pa.schema([("domain", pa.string()),
                                      *((n, columns.COMPANIES.field(n).type) for n in FIELDS),
                                      ("confidence", pa.float64())])
    assert table.num_rows == 3


def test_confidence_is_pdls_likelihood_over_ten(pdl, make):
    pdl.seed(companies(5, likelihood=lambda i: 6 + i))
    found = rows(make().lookup(domains(*(f"co{i}.com" for i in range(5)))))
    assert {d: r["confidence"] for d, r in found.items()} == {
        "co0.com": 0.6, "co1.com": 0.7, "co2.com": 0.8, "co3.com": 0.9, "co4.com": 1.0}


def test_a_domain_pdl_does_not_know_is_left_out_and_costs_nothing(pdl, make):
    pdl.seed(companies(2))
    table = make().lookup(domains("co0.com", "unknown.example", "co1.com"))
    assert sorted(table.column("domain").to_pylist()) == ["co0.com", "co1.com"]
    assert pdl.credits_spent == 2


def test_the_domain_column_is_the_key_as_given(pdl, make):
    pdl.seed([{"website": "https://www.acme.com/", "name": "acme"}])
    assert make().lookup(domains("acme.com")).column("domain").to_pylist() == ["acme.com"]


def test_repeated_and_null_keys_are_asked_once_or_not_at_all(pdl, make):
    pdl.seed(companies(1))
    table = make().lookup(pa.array(["co0.com", None, "co0.com", ""], type=pa.string()))
    assert table.num_rows == 1
    assert [r.keys for r in pdl.requests] == [("co0.com",)]


def test_no_keys_no_request(pdl, make):
    table = make().lookup(domains())
    assert table.num_rows == 0 and table.column_names[0] == "domain"
    assert pdl.requests == []


# -- requests --------------------------------------------------------------------------------


def test_keys_go_in_bulk_calls_of_at_most_100(pdl, make):
    pdl.seed(companies(50, start=100))
    keys = [f"co{i}.com" for i in range(250)]
    table = make().lookup(domains(*keys))
    assert table.num_rows == 50
    calls = pdl.requests
    assert [r.path for r in calls] == [BULK] * 3 and [len(r.keys) for r in calls] == [100, 100, 50]
    assert [k for r in calls for k in r.keys] == keys
    assert all(set(item["params"]) == {"website", "min_likelihood"} for r in calls for item in r.body["requests"])


def test_min_likelihood_is_sent_to_pdl_and_weaker_matches_stay_out(pdl, make):
    pdl.seed(companies(2, likelihood=lambda i: 7 + i))  # co0: 7, co1: 8
    table = make(min_likelihood=8).lookup(domains("co0.com", "co1.com"))
    assert table.column("domain").to_pylist() == ["co1.com"]
    assert {item["params"]["min_likelihood"] for item in pdl.requests[0].body["requests"]} == {8}
    assert pdl.credits_spent == 1  # the weaker match was PDL's free 404


def test_the_key_travels_in_the_header_only(pdl, make):
    pdl.seed(companies(1))
    make().lookup(domains("co0.com"))
    [call] = pdl.requests
    assert call.key_in == "header" and "api_key" not in call.query
    assert KEY not in json.dumps(call.body)


# -- limits ----------------------------------------------------------------------------------


def test_a_429_waits_as_long_as_retry_after_says(pdl, make):
    pdl.seed(companies(3))
    pdl.set_faults(retry_after=1)
    pdl.fail_next(429)
    table = make(max_backoff_seconds=0.01).lookup(domains("co0.com", "co1.com", "co2.com"))
    refused, answered = pdl.requests
    assert (refused.status, answered.status) == (429, 200)
    assert answered.at - refused.at >= 0.95  # Retry-After: 1, not the 0.01 s backoff
    assert table.num_rows == 3 and pdl.credits_spent == 3


def test_pdls_rate_limit_headers_hold_calls_back_before_a_429(pdl, make):
    pdl.seed(companies(8))
    pdl.set_rate_limit(2, window_seconds=1)
    keys = [f"co{i}.com" for i in range(400)]
    table = make(requests_per_minute=1000).lookup(domains(*keys))
    assert table.num_rows == 8
    assert pdl.count(status=429) == 0 and pdl.count(path=BULK) == 4  # a blind client's third call is a 429
    at = [r.at for r in pdl.requests]
    assert at[2] - at[0] >= 1.0


def test_the_client_side_limiter_keeps_to_requests_per_minute(pdl, make):
    pdl.seed(companies(3))
    make(requests_per_minute=2, rate_window_seconds=1).lookup(domains(*(f"co{i}.com" for i in range(300))))
    at = [r.at for r in pdl.requests]
    assert len(at) == 3 and at[1] - at[0] < 0.5 and at[2] - at[0] >= 1.0


# -- faults ----------------------------------------------------------------------------------


def test_5xx_answers_are_retried(pdl, make):
    pdl.seed(companies(3))
    pdl.fail_next(503, times=2)
    table = make().lookup(domains("co0.com", "co1.com", "co2.com", "x.example"))
    assert table.num_rows == 3
    assert [r.status for r in pdl.requests] == [503, 503, 200] and pdl.credits_spent == 3


def test_a_timeout_is_retried_and_charged_once(pdl, make):
    pdl.seed(companies(3))
    pdl.set_faults(timeout_seconds=2)
    pdl.timeout_next()
    table = make(timeout_seconds=0.5).lookup(domains("co0.com", "co1.com", "co2.com"))
    assert table.num_rows == 3
    assert [r.fault for r in pdl.requests] == ["timeout", None] and pdl.credits_spent == 3


def test_items_pdl_answered_429_or_5xx_are_asked_again_alone(pdl, make):
    pdl.seed(companies(5))
    pdl.fail_next_items(503)
    pdl.fail_next_items(429)
    keys = [f"co{i}.com" for i in range(5)] + ["x.example"]
    table = make().lookup(domains(*keys))
    first, second = pdl.requests
    assert first.item_statuses[:2] == (503, 429)
    assert second.keys == ("co0.com", "co1.com") and second.item_statuses == (200, 200)
    assert table.num_rows == 5 and pdl.credits_spent == 5


def test_items_that_keep_failing_stop_the_lookup_after_the_retries(pdl, make):
    pdl.seed(companies(3))
    pdl.fail_next_items(500, times=1000)
    with pytest.raises(SourceError, match=r"People Data Labs still answered 500 api_error .* after 3 attempts"):
        make(retries=3).lookup(domains("co0.com", "co1.com"))
    assert pdl.count(path=BULK) == 3


def test_calls_that_keep_failing_stop_the_lookup_naming_pdl_and_the_status(pdl, make):
    pdl.fail_next(502, times=100)
    with pytest.raises(SourceError) as caught:
        make(retries=3).lookup(domains("co0.com"))
    assert "People Data Labs" in str(caught.value) and "502" in str(caught.value) and "3 attempts" in str(caught.value)
    assert pdl.count() == 3


def test_a_pdl_that_never_answers_in_time_stops_the_lookup(pdl, make):
    pdl.set_faults(timeout_seconds=1.0)
    pdl.timeout_next(times=2)
    with pytest.raises(SourceError, match="no answer from People Data Labs"):
        make(retries=2, timeout_seconds=0.2).lookup(domains("co0.com"))


def test_with_429s_5xx_and_timeouts_the_answers_are_exactly_the_fault_free_ones(pdl, make):
    pdl.seed(companies(1500))
    keys = domains(*(f"co{(i * 7919) % 2000}.com" for i in range(2000)))  # 1,500 known, 500 not, shuffled
    clean = make().lookup(keys)
    assert clean.num_rows == 1500 and pdl.credits_spent == 1500
    before = len(pdl.requests)

    # a timeout answers 3 s late; a client waiting 1 s never takes a slow answer for a lost one
    pdl.set_faults(rate_429=0.10, rate_5xx=0.10, rate_timeout=0.05, seed=6, timeout_seconds=3)
    pdl.fail_next_items(503, times=7)
    faulty = make(retries=8, timeout_seconds=1).lookup(keys)

    assert faulty.equals(clean)
    assert pdl.credits_spent - 1500 == clean.num_rows  # every match paid once
    calls = pdl.requests[before:]
    kinds = Counter(r.fault for r in calls)
    assert kinds["429"] and kinds["5xx"] and kinds["timeout"], kinds  # every kind of fault happened
    asked, answered, failed = Counter(), Counter(), Counter()
    for call in calls:
        for i, key in enumerate(call.keys):
            asked[key] += 1
            if call.fault is None and call.item_statuses[i] in (200, 404):
                answered[key] += 1
            else:
                failed[key] += 1
    assert set(answered.values()) == {1} and len(answered) == 2000  # each key answered exactly once
    assert all(asked[k] == 1 + failed[k] for k in asked)  # and asked again only after a fault


# -- stops -------------------------------------------------------------------------------------


def test_a_rejected_key_names_the_variable_and_never_the_key(pdl, make):
    wrong = "pdl-wrong-key-also-secret-1234"
    with pytest.raises(SourceError) as caught:
        make(key=wrong).lookup(domains("co0.com"))
    message = str(caught.value)
    assert "401" in message and "$PDL_API_KEY" in message and "People Data Labs" in message
    assert wrong not in message and KEY not in message and wrong not in repr(caught.value.args)
    assert pdl.count() == 1  # never retried


def test_a_spent_account_raises_provider_exhausted_with_what_pdl_said(pdl, make):
    pdl.seed(companies(3))
    pdl.set_credits(0)
    with pytest.raises(ProviderExhausted) as caught:
        make().lookup(domains("co0.com", "co1.com", "co2.com"))
    message = str(caught.value)
    assert "402 payment_required" in message and "You have hit your account maximum" in message
    assert "0 of the 3 domains" in message
    assert pdl.count() == 1


def test_credits_running_out_inside_a_bulk_call_raise_and_keep_what_was_answered(pdl, make):
    pdl.seed(companies(10))
    pdl.set_credits(4)
    keys = [f"co{i}.com" for i in range(10)] + ["x.example", "y.example"]
    with pytest.raises(ProviderExhausted) as caught:
        make().lookup(domains(*keys))
    assert "6 of the 12 domains of this lookup were answered before (4 found)" in str(caught.value)
    assert "0 credits left" in str(caught.value)
    assert caught.value.answered.column("domain").to_pylist() == ["co0.com", "co1.com", "co2.com", "co3.com"]
    assert pdl.credits_spent == 4 and pdl.count() == 1


def test_another_refusal_names_pdl_the_status_and_its_message_without_retrying(pdl, make):
    pdl.fail_next(400)
    with pytest.raises(SourceError) as caught:
        make().lookup(domains("co0.com"))
    assert str(caught.value) == (
        "provider 'pdl': People Data Labs answered 400 invalid_request_error to POST /v5/company/enrich/bulk: "
        "Request contained either missing or invalid parameters"
    )
    assert pdl.count() == 1


def test_one_domain_pdl_refuses_is_quarantined_and_the_rest_answered(pdl, make, quarantined):
    pdl.seed(companies(3))
    pdl.fail_next_items(400)
    table = make().lookup(domains("co0.com", "co1.com", "co2.com"))
    assert sorted(table.column("domain").to_pylist()) == ["co1.com", "co2.com"]
    [set_aside] = quarantined
    assert set_aside.raw == "co0.com" and set_aside.plugin == "pdl" and set_aside.field == "domain"
    assert "People Data Labs refused" in set_aside.reason and "invalid_request_error" in set_aside.reason
    assert pdl.count() == 1


# -- settings ------------------------------------------------------------------------------------


def test_settings_defaults(monkeypatch):
    monkeypatch.setenv("PDL_API_KEY", KEY)
    settings = PDLCompanies.Settings.model_validate({"api_key": {"env": "PDL_API_KEY"}})
    assert settings.base_url == "https://api.peopledatalabs.com"
    assert (settings.min_likelihood, settings.requests_per_minute, settings.rate_window_seconds) == (6, 1000, 60)
    assert settings.api_key.reveal() == KEY and KEY not in repr(settings)
    assert all(f.description for f in PDLCompanies.Settings.model_fields.values())


@pytest.mark.parametrize("table, error_type", [
    ({}, "missing"),
    ({"api_key": KEY}, "secret_inline"),
    ({"api_key": {"env": "PDL_KEY_NOT_SET_ANYWHERE"}}, "secret_unset"),
    ({"api_key": {"env": "PDL_API_KEY"}, "min_likelihood": 0}, "greater_than_equal"),
    ({"api_key": {"env": "PDL_API_KEY"}, "min_likelihood": 11}, "less_than_equal"),
    ({"api_key": {"env": "PDL_API_KEY"}, "requests_per_minute": 0}, "greater_than"),
    ({"api_key": {"env": "PDL_API_KEY"}, "batch_size": 50}, "extra_forbidden"),
])
def test_settings_refuse_what_pdl_or_the_plugin_cannot_take(monkeypatch, table, error_type):
    monkeypatch.setenv("PDL_API_KEY", KEY)
    with pytest.raises(ValidationError) as caught:
        PDLCompanies.Settings.model_validate(table)
    assert [e["type"] for e in caught.value.errors()] == [error_type]


def test_plugins_toml_reports_every_pdl_problem_at_once_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PDL_API_KEY", KEY)
    path = tmp_path / "plugins.toml"
    path.write_text(
        'connector = "files"\nenrichers = ["pdl"]\n\n'
        f'[plugins.pdl]\napi_key = "{KEY}"\nmin_likelihood = 12\nrequests_per_minit = 10\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, registry())
    found = [p for p in caught.value.problems if p.startswith("plugins.pdl")]
    assert len(found) == 3, caught.value.problems
    assert any(p.startswith("plugins.pdl.api_key: secrets are never written in the file") for p in found)
    assert any(p.startswith("plugins.pdl.min_likelihood:") and "10" in p for p in found)
    assert any("requests_per_minit: unknown key (did you mean 'requests_per_minute'?)" in p for p in found)
    assert KEY not in str(caught.value)
