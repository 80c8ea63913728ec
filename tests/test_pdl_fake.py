"""The fake PDL behaves as People Data Labs documents (tests/pdl_fake/PDL_API_NOTES.md),
over real HTTP: one test per behaviour, driven by a plain requests session.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import requests

from pdl_fake import BULK, DEFAULT_API_KEY, ENRICH, FakePDL, website_key

ACME = {
    "website": "acme.com", "name": "acme", "display_name": "Acme", "size": "51-200", "employee_count": 120,
    "founded": 2009, "industry": "computer software", "total_funding_raised": 25_000_000.0,
    "latest_funding_stage": "series_b", "location": {"country": "united states", "region": "california",
                                                     "locality": "san francisco"}, "likelihood": 7,
}
GLOBEX = {"website": "globex.io", "name": "globex", "industry": "internet", "likelihood": 9}


@pytest.fixture
def pdl():
    with FakePDL() as fake:
        fake.seed([ACME, GLOBEX])
        yield fake
        assert fake.crashes == []


class Client:
    def __init__(self, pdl: FakePDL, key: str | None = DEFAULT_API_KEY):
        self.url = pdl.url
        self.session = requests.Session()
        if key:
            self.session.headers["X-Api-Key"] = key

    def enrich(self, timeout: float = 5, **params) -> requests.Response:
        return self.session.get(self.url + ENRICH, params=params, timeout=timeout)

    def bulk(self, body) -> requests.Response:
        return self.session.post(self.url + BULK, json=body, timeout=5)


@pytest.fixture
def client(pdl) -> Client:
    return Client(pdl)


def bulk_of(*websites: str, **extra) -> dict:
    return {"requests": [{"params": {"website": w}} for w in websites], **extra}


# -- Company Enrichment API: GET /v5/company/enrich -----------------------------------------------


def test_a_match_is_the_company_record_at_the_top_level_with_status_and_likelihood(client):
    response = client.enrich(website="acme.com")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 200 and body["likelihood"] == 7
    assert "data" not in body  # company fields are NOT in a data object (Output Response)
    assert body["name"] == "acme" and body["employee_count"] == 120 and body["founded"] == 2009
    assert body["location"]["country"] == "united states" and body["location"]["postal_code"] is None
    assert body["ticker"] is None and "ticker" in body  # unknown fields are null, not missing
    assert body["website"] == "acme.com" and body["id"]


@pytest.mark.parametrize("given", ["acme.com", "ACME.COM", "https://www.acme.com", "http://acme.com/about?x=1",
                                   "www.Acme.com:443/", "acme.com."])
def test_website_matches_whatever_scheme_www_path_or_case(client, given):
    assert client.enrich(website=given).json()["name"] == "acme"


def test_a_subdomain_or_another_domain_is_not_the_same_company(client):
    assert client.enrich(website="shop.acme.com").status_code == 404
    assert client.enrich(website="acme.co").status_code == 404
    assert website_key("HTTPS://WWW.Acme.com:8443/x#y") == "acme.com"


def test_no_match_is_a_404_with_pdls_body_and_costs_nothing(pdl, client):
    response = client.enrich(website="nobody.example")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "error": {"type": "not_found",
                                                        "message": "No records were found matching your request"}}
    assert response.headers["x-call-credits-spent"] == "0"
    assert pdl.credits_spent == 0


def test_a_match_costs_one_credit_and_says_so_in_the_headers(pdl, client):
    response = client.enrich(website="acme.com")
    assert response.headers["x-call-credits-spent"] == "1"
    assert response.headers["x-call-credits-type"] == "enrich_company"
    assert pdl.credits_spent == 1 and pdl.requests[-1].credits_spent == 1


def test_min_likelihood_turns_weaker_matches_into_unpaid_404s(pdl, client):
    assert client.enrich(website="acme.com", min_likelihood=7).status_code == 200
    assert client.enrich(website="acme.com", min_likelihood=8).status_code == 404
    assert pdl.credits_spent == 1


@pytest.mark.parametrize("value", ["0", "11", "high", "6.5"])
def test_a_min_likelihood_outside_1_to_10_is_refused(client, value):
    response = client.enrich(website="acme.com", min_likelihood=value)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "min_likelihood" in response.json()["error"]["message"]


def test_a_request_without_website_name_ticker_profile_or_id_is_refused(client):
    response = client.enrich(locality="berlin")
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


def test_pdl_id_alone_finds_the_company(pdl, client):
    acme_id = client.enrich(website="acme.com").json()["id"]
    assert client.enrich(pdl_id=acme_id, website="globex.io").json()["name"] == "acme"  # only the id is used


# -- the API key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "pdl-wrong-key"])
def test_a_missing_or_wrong_key_is_a_401_authentication_error(pdl, key):
    response = Client(pdl, key).enrich(website="acme.com")
    assert response.status_code == 401
    assert response.json() == {"status": 401, "error": {"type": "authentication_error",
                                                        "message": "Request contained a missing or invalid key"}}
    assert pdl.credits_spent == 0


def test_the_key_may_come_as_the_api_key_parameter_and_is_never_logged(pdl):
    response = Client(pdl, None).enrich(website="acme.com", api_key=DEFAULT_API_KEY)
    assert response.status_code == 200
    logged = pdl.requests[-1]
    assert logged.key_in == "query" and logged.query["api_key"] == "***"
    assert DEFAULT_API_KEY not in repr(pdl.requests)


def test_the_wrong_method_is_a_405_and_an_unknown_path_a_404(pdl, client):
    assert client.session.post(pdl.url + ENRICH, json={"website": "acme.com"}).status_code == 405
    assert client.session.get(pdl.url + BULK).status_code == 405
    assert client.session.get(pdl.url + "/v5/company/enrichh").status_code == 404


# -- Bulk Company Enrichment API: POST /v5/company/enrich/bulk ----------------------------------------


def test_bulk_answers_a_list_in_request_order_each_with_its_status_and_metadata(pdl, client):
    body = {"requests": [
        {"params": {"website": "globex.io"}, "metadata": {"crm_id": "1"}},
        {"params": {"website": "nobody.example"}, "metadata": {"crm_id": "2"}},
        {"params": {"website": "https://acme.com"}},
    ]}
    response = client.bulk(body)
    assert response.status_code == 200
    items = response.json()
    assert [i["status"] for i in items] == [200, 404, 200]
    assert [i.get("metadata") for i in items] == [{"crm_id": "1"}, {"crm_id": "2"}, None]
    assert items[0]["name"] == "globex" and items[0]["likelihood"] == 9 and "data" not in items[0]
    assert items[1]["error"]["type"] == "not_found"
    assert response.headers["x-call-credits-spent"] == "2" and pdl.credits_spent == 2  # per 200, as if single


def test_bulk_min_likelihood_applies_to_all_and_an_items_own_wins(client):
    body = bulk_of("acme.com", "globex.io", min_likelihood=8)
    body["requests"][1]["params"]["min_likelihood"] = 10
    assert [i["status"] for i in client.bulk(body).json()] == [404, 404]
    body["requests"][0]["params"]["min_likelihood"] = 7
    assert [i["status"] for i in client.bulk(body).json()] == [200, 404]


@pytest.mark.parametrize("body", [
    {"requests": []},
    bulk_of(*(f"c{i}.com" for i in range(101))),
    {"requests": [{"metadata": {"x": 1}}]},
    {"requests": [{"params": {"locality": "berlin"}}]},
    ["acme.com"],
    bulk_of("acme.com", min_likelihood=0),
])
def test_a_malformed_bulk_request_is_refused_whole(pdl, client, body):
    response = client.bulk(body)
    assert response.status_code == 400
    assert response.json()["status"] == 400 and response.json()["error"]["type"] == "invalid_request_error"
    assert pdl.credits_spent == 0


def test_bulk_takes_exactly_100(client):
    response = client.bulk(bulk_of(*(f"c{i}.com" for i in range(99)), "acme.com"))
    assert response.status_code == 200 and len(response.json()) == 100 and response.json()[-1]["status"] == 200


# -- rate limits ------------------------------------------------------------------------------------


def test_rate_limit_headers_come_with_every_answer(client):
    response = client.enrich(website="nobody.example")
    assert json.loads(response.headers["x-ratelimit-limit"]) == {"minute": 1000}
    assert json.loads(response.headers["x-ratelimit-remaining"]) == {"minute": 999}
    reset = datetime.strptime(response.headers["x-ratelimit-reset"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (reset - datetime.now(UTC)).total_seconds() <= 61


def test_over_the_window_a_429_with_pdls_body_until_the_window_resets(pdl, client):
    pdl.set_rate_limit(2, window_seconds=1)
    assert [client.enrich(website="acme.com").status_code for _ in range(2)] == [200, 200]
    refused = client.enrich(website="acme.com")
    assert refused.status_code == 429
    assert refused.json() == {"status": 429, "error": {"type": "rate_limit_error", "message":
                                                       "An error occurred due to requests hitting the API too quick"}}
    assert refused.headers["Retry-After"] == "1"
    assert json.loads(refused.headers["x-ratelimit-remaining"]) == {"minute": 0}
    assert pdl.credits_spent == 2  # a refused request costs nothing
    time.sleep(1.05)
    assert client.enrich(website="acme.com").status_code == 200  # a fresh window


def test_each_endpoint_has_its_own_window(pdl, client):
    pdl.set_rate_limit(1, window_seconds=30, path=ENRICH)
    assert client.enrich(website="acme.com").status_code == 200
    assert client.enrich(website="acme.com").status_code == 429
    assert client.bulk(bulk_of("acme.com")).status_code == 200


def test_429s_can_come_without_retry_after(pdl, client):
    pdl.set_rate_limit(1, window_seconds=30, retry_after=False)
    client.enrich(website="acme.com")
    refused = client.enrich(website="acme.com")
    assert refused.status_code == 429 and "Retry-After" not in refused.headers


# -- credits ------------------------------------------------------------------------------------


def test_credits_count_down_and_at_zero_every_call_gets_the_402(pdl, client):
    pdl.set_credits(2)
    first = client.enrich(website="acme.com")
    assert first.headers["x-totallimit-remaining"] == "1"
    assert client.enrich(website="nobody.example").headers["x-totallimit-remaining"] == "1"  # a miss is free
    assert client.enrich(website="globex.io").headers["x-totallimit-remaining"] == "0"
    refused = client.enrich(website="acme.com")
    assert refused.status_code == 402
    assert refused.json() == {"status": 402, "error": {"type": "payment_required", "message":
                                                       "You have hit your account maximum (all matches used)"}}
    assert client.bulk(bulk_of("acme.com")).status_code == 402
    assert pdl.credits_spent == 2 and pdl.credits == 0


def test_credits_running_out_inside_a_bulk_call_refuse_the_later_matches_only(pdl, client):
    pdl.set_credits(1)
    items = client.bulk(bulk_of("acme.com", "nobody.example", "globex.io")).json()
    assert [i["status"] for i in items] == [200, 404, 402]
    assert items[2]["error"]["type"] == "payment_required"
    assert pdl.credits_spent == 1


# -- faults ---------------------------------------------------------------------------------------


def test_seeded_faults_answer_429_or_5xx_before_anything_is_charged(pdl, client):
    pdl.set_faults(rate_429=0.5, rate_5xx=0.5, seed=7, retry_after=2)
    responses = [client.enrich(website="acme.com") for _ in range(20)]
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {429, 500, 502, 503, 504} and 429 in statuses and max(statuses) >= 500
    assert all(r.headers["Retry-After"] == "2" for r in responses if r.status_code == 429)
    assert all(r.json()["error"]["type"] == "api_error" for r in responses if r.status_code >= 500)
    assert pdl.credits_spent == 0
    pdl.set_faults(rate_429=0.5, rate_5xx=0.5, seed=7)
    assert [client.enrich(website="acme.com").status_code for _ in range(20)] == statuses  # replayed


def test_a_timeout_answers_after_the_client_gave_up_and_changes_nothing(pdl, client):
    pdl.set_faults(rate_timeout=1.0, timeout_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        client.enrich(website="acme.com", timeout=0.2)
    assert time.monotonic() - started < 0.9
    logged = pdl.requests[-1]
    assert logged.fault == "timeout" and logged.status is None and logged.credits_spent == 0
    pdl.set_faults()
    assert client.enrich(website="acme.com").status_code == 200
    assert pdl.credits_spent == 1


def test_fail_next_hits_the_next_requests_then_stops(pdl, client):
    pdl.fail_next(503, times=2, path=BULK)
    assert client.enrich(website="acme.com").status_code == 200  # another path
    assert [client.bulk(bulk_of("acme.com")).status_code for _ in range(3)] == [503, 503, 200]
    pdl.fail_next(402)
    assert client.enrich(website="acme.com").json()["error"]["type"] == "payment_required"
    assert pdl.count(path=BULK, status=503) == 2 and pdl.count(status=200) == 2


def test_fail_next_items_answers_single_items_with_an_error(pdl, client):
    pdl.fail_next_items(503, times=2)
    items = client.bulk(bulk_of("acme.com", "globex.io", "acme.com")).json()
    assert [i["status"] for i in items] == [503, 503, 200]
    assert items[0]["error"]["type"] == "api_error"
    assert pdl.requests[-1].item_statuses == (503, 503, 200) and pdl.credits_spent == 1


def test_the_log_records_each_request_its_keys_and_answers(pdl, client):
    client.enrich(website="acme.com")
    client.bulk(bulk_of("globex.io", "nobody.example"))
    single, bulk = pdl.requests
    assert (single.method, single.path, single.keys, single.status) == ("GET", ENRICH, ("acme.com",), 200)
    assert (bulk.method, bulk.path, bulk.keys, bulk.item_statuses) == ("POST", BULK, ("globex.io", "nobody.example"),
                                                                       (200, 404))
    assert single.key_in == bulk.key_in == "header" and bulk.at >= single.at
    assert pdl.count(path=BULK) == 1 and pdl.count(status=200) == 2


def test_stopping_does_not_wait_for_a_sleeping_timeout():
    fake = FakePDL().start()
    fake.set_faults(rate_timeout=1.0, timeout_seconds=30)
    with pytest.raises(requests.Timeout):
        requests.get(fake.url + ENRICH, params={"website": "x.com"}, timeout=0.1)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


def test_a_seed_needs_a_website_and_a_likelihood_from_1_to_10(pdl):
    with pytest.raises(ValueError, match="website"):
        pdl.seed([{"name": "no site"}])
    with pytest.raises(ValueError, match="likelihood"):
        pdl.seed([{"website": "x.com", "likelihood": 11}])
    with pytest.raises(ValueError, match="schema"):
        pdl.seed([{"website": "x.com", "revenue": 5}])
