"""The fake HubSpot behaves as HubSpot documents (shared/hubspot-openapi/HUBSPOT_API_NOTES.md),
over real HTTP, and neither it nor its clients can drift from the contract unnoticed.

Every test runs through the ``hubspot`` fixture, which fails a test whose requests, or
whose answers from the fake, break the contract; tests that break it on purpose take the
violations they caused and check them.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import requests

from hubspot_fake import FakeHubSpot, contract
from hubspot_fake.faults import Fault, Faults

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
JAN_1 = "2026-01-01T00:00:00.000Z"
JAN_1_MS = 1_767_225_600_000


class Client:
    """The smallest HubSpot client: a session with the bearer token, JSON in and out."""

    def __init__(self, hubspot: FakeHubSpot, token: str | None = None):
        self.base_url = hubspot.base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token or hubspot.token}"

    def get(self, path: str, timeout: float = 5, **params) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, timeout=timeout)

    def post(self, path: str, body: dict) -> requests.Response:
        return self.session.post(self.base_url + path, json=body, timeout=5)

    def patch(self, path: str, body: dict) -> requests.Response:
        return self.session.patch(self.base_url + path, json=body, timeout=5)

    def search(self, object_type: str, **body) -> requests.Response:
        return self.post(f"/crm/v3/objects/{object_type}/search", body)


@pytest.fixture
def client(hubspot) -> Client:
    return Client(hubspot)


def only_violation(hubspot: FakeHubSpot, *expected: str) -> None:
    """The test broke the contract once, on purpose, in the way named."""
    violations = hubspot.take_violations()
    assert len(violations) == 1, violations
    assert all(part in violations[0] for part in expected), violations[0]


def updates(*pairs: tuple[str, dict]) -> dict:
    return {"inputs": [{"id": record_id, "properties": properties} for record_id, properties in pairs]}


# -- the contract itself ----------------------------------------------------------------------


def test_the_contract_is_the_shared_one_verbatim():
    shared = Path(__file__).parents[2] / "shared/hubspot-openapi/hubspot-crm-subset.openapi.yaml"
    if not shared.exists():
        pytest.skip(f"no shared contract beside the repository ({shared})")
    header, _, copied = contract.CONTRACT.read_text().partition("\n")
    assert header.startswith("# Copied verbatim from shared/hubspot-openapi/")
    assert copied == shared.read_text()


def test_the_response_check_catches_a_drifting_answer():
    checked = contract.load().check_request(
        "GET", "/crm/v3/objects/contacts", [("limit", "5")], [("Authorization", "Bearer x")], b"")
    assert contract.load().check_response(checked, 200, {}, b'{"results": []}') == []
    drifted = contract.load().check_response(checked, 200, {}, b'{"results": [{"id": 1}]}')
    assert len(drifted) == 1 and "required" in drifted[0]


# -- objects: shape, list, get, patch -----------------------------------------------------------


def test_a_record_comes_back_with_string_values_and_hubspot_dates(hubspot, client):
    [company] = hubspot.seed("companies", [{"name": "Acme", "numberofemployees": 250}], modified_at=JAN_1)
    record = client.get(f"/crm/v3/objects/companies/{company}",
                        properties="name,numberofemployees,industry,no_such_property").json()
    assert record["id"] == company and record["archived"] is False
    assert record["properties"]["numberofemployees"] == "250"
    assert record["properties"]["industry"] is None  # asked for, unset
    assert "no_such_property" not in record["properties"]  # unknown names are ignored (§1.2)
    assert record["properties"]["hs_object_id"] == company
    assert record["updatedAt"] == record["properties"]["hs_lastmodifieddate"] == JAN_1
    assert ISO_MS.match(record["createdAt"])


def test_the_list_pages_with_after_and_hides_archived_records(hubspot, client):
    ids = hubspot.seed("companies", 250)
    hubspot.archive("companies", ids[7])
    seen, after, pages = [], None, 0
    while True:
        page = client.get("/crm/v3/objects/companies", limit=100, **({"after": after} if after else {})).json()
        seen += [r["id"] for r in page["results"]]
        pages += 1
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    assert pages == 3 and seen == [i for i in ids if i != ids[7]]
    archived = client.get("/crm/v3/objects/companies", archived="true").json()["results"]
    assert [r["id"] for r in archived] == [ids[7]] and archived[0]["archived"] is True


def test_a_list_page_over_100_is_refused_as_outside_the_contract(hubspot, client):
    response = client.get("/crm/v3/objects/contacts", limit=101)
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    only_violation(hubspot, "limit", "maximum of 100")


def test_the_sdk_style_repeated_properties_parameter_is_understood(hubspot, client):
    [contact] = hubspot.seed("contacts", [{"email": "a@x.com", "jobtitle": "CTO", "country": "DE"}])
    response = client.session.get(f"{client.base_url}/crm/v3/objects/contacts/{contact}",
                                  params=[("properties", "jobtitle"), ("properties", "country")])
    assert response.json()["properties"]["jobtitle"] == "CTO"
    assert response.json()["properties"]["country"] == "DE"


def test_patch_writes_clears_and_bumps_the_last_modified_date(hubspot, client):
    [contact] = hubspot.seed("contacts", [{"email": "Ana@Acme.com", "jobtitle": "CTO"}], modified_at=JAN_1)
    response = client.patch("/crm/v3/objects/contacts/ana@acme.com?idProperty=email",
                            {"properties": {"hs_persona": "persona_2", "jobtitle": ""}})
    assert response.status_code == 200
    stored = hubspot.record("contacts", contact)
    assert stored["hs_persona"] == "persona_2" and "jobtitle" not in stored
    assert stored["lastmodifieddate"] > JAN_1 and stored["lastmodifieddate"] == stored["hs_lastmodifieddate"]
    assert [h["value"] for h in hubspot.history("contacts", contact, "jobtitle")] == ["CTO", ""]
    assert client.patch("/crm/v3/objects/contacts/1", {"properties": {}}).status_code == 404


def test_read_only_and_unknown_properties_are_refused_whole(hubspot, client):
    [contact] = hubspot.seed("contacts", [{"email": "a@x.com"}])
    response = client.patch(f"/crm/v3/objects/contacts/{contact}",
                            {"properties": {"firstname": "Ana", "lastmodifieddate": "1", "nope": "x"}})
    assert response.status_code == 400
    body = response.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert {e["code"] for e in body["errors"]} == {"READ_ONLY_VALUE", "PROPERTY_DOESNT_EXIST"}
    assert body["message"].startswith("Property values were not valid: [{")  # §1.5
    assert "firstname" not in hubspot.record("contacts", contact)


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def companies(hubspot) -> None:
    hubspot.seed("companies", [
        {"name": "Acme Software", "domain": "acme.com", "industry": "COMPUTER_SOFTWARE",
         "numberofemployees": 250, "country": "US"},
        {"name": "Tiny Shop", "domain": "tinyshop.de", "industry": "RETAIL", "numberofemployees": 4,
         "country": "DE"},
        {"name": "Mystery Co", "domain": "mystery.io"},
        {"name": "Netz GmbH", "domain": "netz.de", "industry": "INTERNET", "numberofemployees": 12000,
         "country": "DE"},
    ])


def names_found(client: Client, *filters: dict, groups: list[list[dict]] | None = None) -> set[str]:
    groups = groups or [list(filters)]
    response = client.search("companies", filterGroups=[{"filters": g} for g in groups],
                             properties=["name"], limit=100)
    assert response.status_code == 200, response.text
    return {r["properties"]["name"] for r in response.json()["results"]}


def rule(name: str, operator: str, value=None, **more) -> dict:
    """One search filter."""
    return {"propertyName": name, "operator": operator, **({"value": value} if value is not None else {}), **more}


@pytest.mark.parametrize("search_filter, expected", [
    (rule("numberofemployees", "GT", "250"), {"Netz GmbH"}),
    (rule("numberofemployees", "GTE", "250"), {"Acme Software", "Netz GmbH"}),
    (rule("numberofemployees", "LT", "250"), {"Tiny Shop"}),  # numbers compare as numbers
    (rule("numberofemployees", "LTE", "250"), {"Acme Software", "Tiny Shop"}),
    (rule("numberofemployees", "BETWEEN", "5", highValue="12000"), {"Acme Software", "Netz GmbH"}),
    (rule("country", "EQ", "de"), {"Tiny Shop", "Netz GmbH"}),  # strings are case-blind
    (rule("industry", "EQ", "retail"), set()),  # enumerations are not (§1.3)
    (rule("country", "NEQ", "DE"), {"Acme Software", "Mystery Co"}),
    (rule("country", "IN", values=["us", "de"]), {"Acme Software", "Tiny Shop", "Netz GmbH"}),
    (rule("country", "IN", values=["US"]), set()),  # IN on strings wants lowercase values (§1.3)
    (rule("industry", "NOT_IN", values=["RETAIL", "INTERNET"]), {"Acme Software", "Mystery Co"}),
    (rule("industry", "HAS_PROPERTY"), {"Acme Software", "Tiny Shop", "Netz GmbH"}),
    (rule("industry", "NOT_HAS_PROPERTY"), {"Mystery Co"}),
    (rule("name", "CONTAINS_TOKEN", "soft*"), {"Acme Software"}),
    (rule("name", "NOT_CONTAINS_TOKEN", "gmbh"), {"Acme Software", "Tiny Shop", "Mystery Co"}),
])
def test_search_filters_follow_hubspot_semantics(companies, client, search_filter, expected):
    assert names_found(client, search_filter) == expected


def test_filters_in_a_group_are_anded_and_groups_ored(companies, client):
    de_small = [rule("country", "EQ", "DE"), rule("numberofemployees", "LT", "100")]
    assert names_found(client, *de_small) == {"Tiny Shop"}
    assert names_found(client, groups=[de_small, [rule("domain", "EQ", "mystery.io")]]) == {"Tiny Shop", "Mystery Co"}


def test_search_on_a_property_that_does_not_exist_is_refused(companies, client):
    response = client.search("companies", filterGroups=[{"filters": [rule("lastmodifieddate", "GT", "0")]}])
    assert response.status_code == 400  # companies only have hs_lastmodifieddate (§0.5)
    assert response.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_search_sorts_pages_by_offset_and_counts_the_total(hubspot, client):
    ids = [hubspot.seed("companies", [{"name": f"C{n}"}], modified_at=JAN_1_MS + n * 1000)[0] for n in range(5)]
    newest_first = client.search("companies", sorts=[{"propertyName": "hs_lastmodifieddate",
                                                      "direction": "DESCENDING"}], limit=2).json()
    assert newest_first["total"] == 5 and newest_first["paging"]["next"]["after"] == "2"
    assert [r["id"] for r in newest_first["results"]] == [ids[4], ids[3]]
    assert set(newest_first["results"][0]["properties"]) == {
        "name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"}  # the defaults (§1.3)
    last = client.search("companies", sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
                         limit=2, after="4").json()
    assert [r["id"] for r in last["results"]] == [ids[0]] and "paging" not in last
    two_sorts = client.search("companies", sorts=[{"propertyName": "name"}, {"propertyName": "domain"}])
    assert two_sorts.status_code == 400
    only_violation(hubspot, "sorts", "too long")


def test_search_cannot_page_past_10000_results(hubspot, client):
    hubspot.seed("companies", 10_050, modified_at=JAN_1)
    near_the_end = client.search("companies", limit=200, after="9800").json()
    assert near_the_end["total"] == 10_050 and near_the_end["paging"]["next"]["after"] == "10000"
    beyond = client.search("companies", limit=200, after="10000")
    assert beyond.status_code == 400 and beyond.json()["category"] == "VALIDATION_ERROR"
    assert client.search("companies", limit=200, after="9900").status_code == 400  # after + limit > 10000


def test_thousands_sharing_one_timestamp_page_through_an_id_tiebreak(hubspot, client):
    """The recipe of §1.3: window on the date, sort by hs_object_id, filter hs_object_id GT
    the last one seen, and re-anchor before the cap; offset paging alone hits the cap."""
    hubspot.set_search_cap(1_000)  # the 10,000 rule, scaled down
    hubspot.set_search_rate_limit(1_000)
    hubspot.seed("companies", 40, modified_at=JAN_1_MS - 60_000)  # before the window
    bulk_import = hubspot.seed("companies", 2_500, modified_at=JAN_1)
    in_window = [rule("hs_lastmodifieddate", "GTE", str(JAN_1_MS)), rule("hs_lastmodifieddate", "LTE", str(JAN_1_MS))]
    by_id = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]

    after, offset_only = "0", []
    while after:
        response = client.search("companies", filterGroups=[{"filters": in_window}], sorts=by_id,
                                 properties=[], limit=200, after=after)
        if response.status_code != 200:
            break
        offset_only += [r["id"] for r in response.json()["results"]]
        after = response.json().get("paging", {}).get("next", {}).get("after")
    assert response.status_code == 400 and len(offset_only) == 1_000

    seen, last_id = [], "0"
    while True:
        after, anchored = "0", [*in_window, rule("hs_object_id", "GT", last_id)]
        while after and int(after) + 200 <= 1_000:
            page = client.search("companies", filterGroups=[{"filters": anchored}], sorts=by_id,
                                 properties=[], limit=200, after=after).json()
            seen += [r["id"] for r in page["results"]]
            after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
        last_id = seen[-1]
    assert seen == bulk_import  # each exactly once, in id order, across the 99999 -> 100000 boundary


def test_search_lags_behind_writes_by_the_index_lag(hubspot, client):
    hubspot.set_index_lag(0.3)
    [contact] = hubspot.seed("contacts", [{"email": "a@x.com", "firstname": "Old"}])
    client.patch(f"/crm/v3/objects/contacts/{contact}", {"properties": {"firstname": "New"}})
    created = client.post("/crm/v3/objects/contacts/batch/upsert", {"inputs": [
        {"id": "b@x.com", "idProperty": "email", "properties": {"firstname": "Fresh"}}]}).json()
    assert client.get(f"/crm/v3/objects/contacts/{contact}").json()["properties"]["firstname"] == "New"

    def firstnames() -> list[str]:
        return [r["properties"]["firstname"] for r in client.search("contacts").json()["results"]]
    assert firstnames() == ["Old"]  # the old values, and no sign of the new record
    time.sleep(0.35)
    assert firstnames() == ["New", "Fresh"] and created["results"][0]["new"] is True


def test_archived_records_never_appear_in_search(hubspot, client):
    ids = hubspot.seed("contacts", 3)
    hubspot.archive("contacts", ids[1])
    found = client.search("contacts", properties=["email"]).json()
    assert found["total"] == 2 and ids[1] not in [r["id"] for r in found["results"]]


# -- batches ---------------------------------------------------------------------------------


def test_batches_take_at_most_100_inputs(hubspot, client):
    ids = hubspot.seed("companies", 101)
    full = updates(*[(i, {"industry": "INTERNET"}) for i in ids[:100]])
    assert client.post("/crm/v3/objects/companies/batch/update", full).status_code == 200
    over = updates(*[(i, {"industry": "RETAIL"}) for i in ids])
    response = client.post("/crm/v3/objects/companies/batch/update", over)
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    only_violation(hubspot, "inputs", "maxItems")
    assert hubspot.record("companies", ids[0])["industry"] == "INTERNET"  # the refused batch wrote nothing


def test_batch_update_reports_missing_records_with_207_and_writes_the_rest(hubspot, client):
    [acme] = hubspot.seed("companies", [{"name": "Acme"}], modified_at=JAN_1)
    response = client.post("/crm/v3/objects/companies/batch/update",
                           updates((acme, {"hs_ideal_customer_profile": "tier_1"}), ("1", {"name": "Ghost"})))
    assert response.status_code == 207
    body = response.json()
    assert [r["id"] for r in body["results"]] == [acme] and body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND" and body["errors"][0]["context"]["ids"] == ["1"]
    stored = hubspot.record("companies", acme)
    assert stored["hs_ideal_customer_profile"] == "tier_1" and stored["hs_lastmodifieddate"] > JAN_1


@pytest.mark.parametrize("bad_values, code", [
    ({"industry": "Software"}, "INVALID_OPTION"),  # not one of the enumeration's options
    ({"icp_fit_score": "80"}, "PROPERTY_DOESNT_EXIST"),
    ({"numberofemployees": "many"}, "INVALID_INTEGER"),
])
def test_one_bad_value_fails_the_whole_batch(hubspot, client, bad_values, code):
    good, bad = hubspot.seed("companies", 2)
    response = client.post("/crm/v3/objects/companies/batch/update",
                           updates((good, {"industry": "INTERNET"}), (bad, bad_values)))
    assert response.status_code == 400  # §0.3: validate before sending, bisect a failing batch
    assert response.json()["category"] == "VALIDATION_ERROR"
    assert [e["code"] for e in response.json()["errors"]] == [code]
    assert "industry" not in hubspot.record("companies", good)


def test_batch_update_keys_only_on_record_ids_or_unique_properties(hubspot, client):
    [contact] = hubspot.seed("contacts", [{"email": "a@x.com"}])
    by_email = client.post("/crm/v3/objects/contacts/batch/update", {"inputs": [
        {"id": "a@x.com", "idProperty": "email", "properties": {"firstname": "Ana"}}]})
    assert by_email.status_code == 400
    assert "non-unique 0-1 property email" in by_email.json()["message"]  # §1.2
    twice = client.post("/crm/v3/objects/contacts/batch/update",
                        updates((contact, {"firstname": "A"}), (contact, {"firstname": "B"})))
    assert twice.status_code == 400 and "Duplicate IDs" in twice.json()["message"]


def test_batch_read_answers_207_naming_the_ids_it_could_not_find(hubspot, client):
    [ana] = hubspot.seed("contacts", [{"email": "ana@x.com", "jobtitle": "CTO"}])
    response = client.post("/crm/v3/objects/contacts/batch/read", {
        "inputs": [{"id": "ANA@x.com"}, {"id": "nobody@x.com"}], "idProperty": "email",
        "properties": ["jobtitle"]})
    assert response.status_code == 207
    body = response.json()
    assert [(r["id"], r["properties"]["jobtitle"]) for r in body["results"]] == [(ana, "CTO")]
    assert body["errors"][0]["context"]["ids"] == ["nobody@x.com"]


def test_upsert_creates_or_updates_by_email_or_a_unique_property(hubspot, client):
    [ana] = hubspot.seed("contacts", [{"email": "ana@x.com"}])
    response = client.post("/crm/v3/objects/contacts/batch/upsert", {"inputs": [
        {"id": "ana@x.com", "idProperty": "email", "properties": {"jobtitle": "CTO"}},
        {"id": "bo@x.com", "idProperty": "email", "properties": {"jobtitle": "Owner"}}]})
    assert response.status_code == 200
    new = {r["id"]: r["new"] for r in response.json()["results"]}
    assert new[ana] is False and list(new.values()).count(True) == 1
    assert {r["email"] for r in hubspot.records("contacts")} == {"ana@x.com", "bo@x.com"}
    by_domain = client.post("/crm/v3/objects/companies/batch/upsert", {"inputs": [
        {"id": "acme.com", "idProperty": "domain", "properties": {"name": "Acme"}}]})
    assert by_domain.status_code == 400  # domain is not a unique property
    hubspot.define_property("companies", "external_id", unique=True, group="enrichment")
    by_key = client.post("/crm/v3/objects/companies/batch/upsert", {"inputs": [
        {"id": "E-1", "idProperty": "external_id", "properties": {"name": "Acme"}}]})
    assert by_key.status_code == 200 and by_key.json()["results"][0]["new"] is True


# -- properties and groups ---------------------------------------------------------------------


ICP_TIER = {"name": "icp_tier", "label": "ICP tier", "type": "enumeration", "fieldType": "select",
            "groupName": "enrichment", "options": [{"label": "Tier 1", "value": "tier_1"},
                                                   {"label": "Tier 2", "value": "tier_2"}]}


def test_properties_are_created_once_and_their_options_patched(hubspot, client):
    group = {"name": "enrichment", "label": "Enrichment"}
    assert client.post("/crm/v3/properties/companies/groups", group).status_code == 201
    assert client.post("/crm/v3/properties/companies/groups", group).status_code == 409
    assert "enrichment" in {g["name"] for g in client.get("/crm/v3/properties/companies/groups").json()["results"]}

    created = client.post("/crm/v3/properties/companies", ICP_TIER)
    assert created.status_code == 201 and created.json()["hubspotDefined"] is False
    again = client.post("/crm/v3/properties/companies", ICP_TIER)
    assert again.status_code == 409 and again.json()["category"] == "OBJECT_ALREADY_EXISTS"

    [acme] = hubspot.seed("companies", [{"name": "Acme"}])
    write = updates((acme, {"icp_tier": "tier_3"}))
    assert client.post("/crm/v3/objects/companies/batch/update", write).status_code == 400
    options = ICP_TIER["options"] + [{"label": "Tier 3", "value": "tier_3"}]
    patched = client.patch("/crm/v3/properties/companies/icp_tier", {"options": options})
    assert [o["value"] for o in patched.json()["options"]] == ["tier_1", "tier_2", "tier_3"]
    assert client.post("/crm/v3/objects/companies/batch/update", write).status_code == 200
    assert client.get("/crm/v3/properties/companies/icp_tier").json()["options"][2]["value"] == "tier_3"
    assert "icp_tier" in {p["name"] for p in client.get("/crm/v3/properties/companies").json()["results"]}


@pytest.mark.parametrize("change, message", [
    ({"fieldType": "text"}, "fieldType text is not valid"),  # §1.6 type/fieldType table
    ({"options": []}, "Options are required"),
    ({"groupName": "nowhere"}, "group nowhere does not exist"),
])
def test_a_property_definition_hubspot_would_refuse_is_refused(client, change, message):
    response = client.post("/crm/v3/properties/contacts", {**ICP_TIER, "groupName": "contactinformation", **change})
    assert response.status_code == 400 and message in response.json()["message"]


def test_an_unknown_property_is_404(client):
    assert client.get("/crm/v3/properties/contacts/icp_tier").status_code == 404


# -- associations --------------------------------------------------------------------------------


def test_associations_v4_and_the_primary_company_property(hubspot, client):
    acme, netz = hubspot.seed("companies", 2)
    ana, bo = hubspot.seed("contacts", 2, modified_at=JAN_1)
    hubspot.associate(ana, acme, primary=True)
    read = client.post("/crm/v4/associations/contacts/companies/batch/read", {"inputs": [{"id": ana}, {"id": bo}]})
    assert read.status_code == 207  # bo has none (§1.8)
    [linked] = read.json()["results"]
    assert linked["to"] == [{"toObjectId": int(acme), "associationTypes": [
        {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
        {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}]}]
    assert read.json()["errors"][0]["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"

    made = client.post("/crm/v4/associations/contacts/companies/batch/associate/default",
                       {"inputs": [{"from": {"id": bo}, "to": {"id": netz}}]})
    assert made.status_code == 200
    contact = client.get(f"/crm/v3/objects/contacts/{bo}", properties="associatedcompanyid",
                         associations="companies").json()
    assert contact["properties"]["associatedcompanyid"] == netz and contact["updatedAt"] > JAN_1
    assert {a["type"] for a in contact["associations"]["companies"]["results"]} == {
        "contact_to_company", "contact_to_company_unlabeled"}
    listed = client.get(f"/crm/v4/objects/companies/{netz}/associations/contacts").json()
    assert [r["toObjectId"] for r in listed["results"]] == [int(bo)]


# -- auth -------------------------------------------------------------------------------------


def test_a_wrong_token_gets_401(hubspot):
    response = Client(hubspot, token="pat-na1-wrong").get("/crm/v3/objects/contacts")
    assert response.status_code == 401 and response.json()["category"] == "INVALID_AUTHENTICATION"


def test_a_missing_token_gets_401_and_breaks_the_contract(hubspot):
    response = requests.get(f"{hubspot.base_url}/crm/v3/objects/contacts", timeout=5)
    assert response.status_code == 401
    only_violation(hubspot, "Security")


def test_a_missing_scope_gets_403_naming_it(hubspot, client):
    [acme] = hubspot.seed("companies", 1)
    hubspot.revoke_scopes("crm.objects.companies.write")
    assert client.get(f"/crm/v3/objects/companies/{acme}").status_code == 200
    response = client.patch(f"/crm/v3/objects/companies/{acme}", {"properties": {"name": "X"}})
    assert response.status_code == 403
    body = response.json()
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.companies.write"]


# -- rate limits ---------------------------------------------------------------------------------


def test_the_rolling_window_answers_429_and_counts_down_in_headers(hubspot, client):
    hubspot.set_rate_limit(5, 0.5)
    answers = [client.get("/crm/v3/objects/contacts") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["X-HubSpot-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "5"
    assert answers[0].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "500"
    refused = answers[-1].json()
    assert (refused["policyName"], refused["errorType"]) == ("TEN_SECONDLY_ROLLING", "RATE_LIMIT")
    assert "Retry-After" not in answers[-1].headers  # not always sent (§1.4)
    assert client.search("contacts").status_code == 200  # search is exempt from this window
    time.sleep(0.5)
    assert client.get("/crm/v3/objects/contacts").status_code == 200
    assert hubspot.count(status=429) == 1


def test_retry_after_can_be_switched_on(hubspot, client):
    hubspot.set_rate_limit(1, 2.0, retry_after=True)
    client.get("/crm/v3/objects/contacts")
    assert client.get("/crm/v3/objects/contacts").headers["Retry-After"] in {"1", "2"}


def test_a_spent_daily_allowance_refuses_every_call_with_daily(hubspot, client):
    hubspot.set_daily_limit(3)
    answers = [client.get("/crm/v3/objects/contacts") for _ in range(3)]
    assert [a.headers["X-HubSpot-RateLimit-Daily-Remaining"] for a in answers] == ["2", "1", "0"]
    assert answers[0].headers["X-HubSpot-RateLimit-Daily"] == "3"
    for refused in (client.get("/crm/v3/objects/contacts"), client.search("contacts")):
        assert refused.status_code == 429 and refused.json()["policyName"] == "DAILY"


def test_search_has_its_own_five_per_second_limit_and_no_limit_headers(hubspot, client):
    answers = [client.search("contacts") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[-1].json()["message"] == "You have reached your secondly limit."
    assert not [h for h in answers[0].headers if h.startswith("X-HubSpot-RateLimit")]  # §1.3
    assert client.get("/crm/v3/objects/contacts").status_code == 200


# -- faults ------------------------------------------------------------------------------------


def test_random_faults_hit_the_set_share_of_requests(hubspot, client):
    hubspot.set_rate_limit(10_000, 10)
    hubspot.set_faults(error_rate=0.1, seed=7)
    statuses = [client.get("/crm/v3/objects/contacts").status_code for _ in range(150)]
    faults = [s for s in statuses if s != 200]
    assert 7 <= len(faults) <= 25 and set(faults) <= {429, 500, 502, 503, 504} and len(set(faults)) > 2
    assert hubspot.count(status=429) == faults.count(429)


def test_the_same_seed_replays_the_same_faults():
    def drawn(seed: int) -> list[Fault]:
        faults = Faults()
        faults.configure(error_rate=0.1, drop_rate=0.05, drop_after_write_rate=0.05, seed=seed)
        return [faults.draw("batchUpdateObjects", is_write=True) for _ in range(300)]
    assert drawn(7) == drawn(7) != drawn(8)
    assert {fault.drop for fault in drawn(7)} == {True, False}


def test_an_injected_error_comes_before_any_state_change(hubspot, client):
    [acme] = hubspot.seed("companies", [{"name": "Acme"}])
    hubspot.fail_next(503, operation="batchUpdateObjects")
    response = client.post("/crm/v3/objects/companies/batch/update", updates((acme, {"name": "Changed"})))
    assert response.status_code == 503 and hubspot.record("companies", acme)["name"] == "Acme"
    assert client.post("/crm/v3/objects/companies/batch/update", updates((acme, {"name": "Changed"}))).ok


def test_a_dropped_connection_before_or_after_the_write(hubspot, client):
    [acme] = hubspot.seed("companies", [{"name": "Acme"}])
    hubspot.drop_next()
    with pytest.raises(requests.ConnectionError):
        client.patch(f"/crm/v3/objects/companies/{acme}", {"properties": {"name": "First"}})
    assert hubspot.record("companies", acme)["name"] == "Acme"
    hubspot.drop_next(after_write=True)
    with pytest.raises(requests.ConnectionError):
        client.patch(f"/crm/v3/objects/companies/{acme}", {"properties": {"name": "Second"}})
    assert hubspot.record("companies", acme)["name"] == "Second"  # the client saw an error; it landed
    assert [r.dropped for r in hubspot.requests] == ["before_handling", "after_write"]
    assert [r.status for r in hubspot.requests] == [None, None]


def test_slow_answers_run_into_the_client_timeout(hubspot, client):
    hubspot.set_faults(delay_seconds=0.3)
    with pytest.raises(requests.Timeout):
        client.get("/crm/v3/objects/contacts", timeout=0.1)
    started = time.monotonic()
    assert client.get("/crm/v3/objects/contacts").ok and time.monotonic() - started >= 0.3


# -- the contract, both ways ---------------------------------------------------------------------


def test_a_request_outside_the_contract_is_refused_and_reported(hubspot, client):
    unknown_route = client.get("/crm/v3/owners")
    wrong_body = client.search("contacts", sort="lastmodifieddate")  # HubSpot's field is "sorts"
    assert unknown_route.status_code == wrong_body.status_code == 400
    violations = hubspot.violations
    assert len(violations) == 2 and "/crm/v3/owners" in violations[0] and "'sort' was unexpected" in violations[1]
    with pytest.raises(AssertionError, match="2 contract violation"):
        hubspot.assert_no_violations()  # what the fixture does at teardown
    hubspot.take_violations()


def test_more_than_18_filters_break_the_contract_in_words(hubspot, client):
    groups = [{"filters": [rule("name", "HAS_PROPERTY")] * 6}] * 3 + [{"filters": [rule("name", "HAS_PROPERTY")]}]
    assert client.search("companies", filterGroups=groups).status_code == 400
    only_violation(hubspot, "19 filters")


def test_every_operation_answers_within_the_contract(hubspot, client):
    """Success and error answers of all 16 operations; the fixture's teardown fails the test
    if any answer of the fake breaks the contract."""
    hubspot.set_search_rate_limit(100)
    [acme] = hubspot.seed("companies", [{"name": "Acme", "domain": "acme.com"}])
    [ana] = hubspot.seed("contacts", [{"email": "ana@acme.com"}])
    hubspot.associate(ana, acme, primary=True)
    calls = [
        client.get("/crm/v3/objects/contacts", properties="email", propertiesWithHistory="email",
                   associations="companies"),
        client.get(f"/crm/v3/objects/companies/{acme}"), client.get("/crm/v3/objects/companies/1"),
        client.patch(f"/crm/v3/objects/contacts/{ana}", {"properties": {"firstname": "Ana"}}),
        client.patch(f"/crm/v3/objects/contacts/{ana}", {"properties": {"hs_persona": "nope"}}),
        client.search("contacts", query="ana", filterGroups=[{"filters": [rule("email", "HAS_PROPERTY")]}]),
        client.search("contacts", after="x"),
        client.post("/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": ana}, {"id": "1"}],
                                                           "propertiesWithHistory": ["firstname"]}),
        client.post("/crm/v3/objects/contacts/batch/update", updates((ana, {"jobtitle": "CTO"}), ("1", {}))),
        client.post("/crm/v3/objects/contacts/batch/upsert", {"inputs": [
            {"id": "new@acme.com", "idProperty": "email", "properties": {"firstname": "New"}}]}),
        client.get("/crm/v3/properties/contacts"), client.get("/crm/v3/properties/contacts/email"),
        client.post("/crm/v3/properties/contacts/groups", {"name": "enrichment", "label": "Enrichment"}),
        client.get("/crm/v3/properties/contacts/groups"),
        client.post("/crm/v3/properties/contacts", {**ICP_TIER, "name": "persona"}),
        client.patch("/crm/v3/properties/contacts/persona", {"label": "Persona"}),
        client.post("/crm/v4/associations/contacts/companies/batch/read", {"inputs": [{"id": ana}]}),
        client.post("/crm/v4/associations/companies/contacts/batch/associate/default",
                    {"inputs": [{"from": {"id": acme}, "to": {"id": ana}}]}),
        client.get(f"/crm/v4/objects/contacts/{ana}/associations/companies", limit=1),
    ]
    hubspot.set_rate_limit(1, 60)
    calls += [client.get("/crm/v3/objects/contacts"), client.get("/crm/v3/objects/contacts")]
    assert {c.status_code for c in calls} == {200, 201, 207, 400, 404, 429}
    assert len({r.operation for r in hubspot.requests}) == 16
    assert hubspot.violations == []


def test_concurrent_clients_see_every_write_applied(hubspot):
    hubspot.set_rate_limit(10_000, 10)
    ids = hubspot.seed("companies", 40)
    statuses: list[int] = []

    def write(chunk: list[str]) -> None:
        client = Client(hubspot)
        for n in range(5):
            statuses.append(client.post("/crm/v3/objects/companies/batch/update",
                                        updates(*[(i, {"numberofemployees": str(n)}) for i in chunk])).status_code)

    threads = [threading.Thread(target=write, args=(ids[k::4],)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 20
    assert all(hubspot.record("companies", i)["numberofemployees"] == "4" for i in ids)
    assert all(len(hubspot.history("companies", i, "numberofemployees")) == 5 for i in ids)
