"""``enrich sync`` against a fake HubSpot over real HTTP (tests/hubspot_fake).

The fake follows HubSpot's documented behaviour and checks every request against the
contract; the ``hubspot`` fixture fails a test on any request outside it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import requests

from crm_enrich.connectors.hubspot import HubSpotConnector, Settings
from crm_enrich.protocols import ChangeSet, Field, PluginContext, Quarantined
from hubspot_fake import DEFAULT_TOKEN, FakeHubSpot

from conftest import BUILTINS, ICP, Project

ENV = {"HUBSPOT_ACCESS_TOKEN": DEFAULT_TOKEN, "CRM_ENRICH_PLUGINS": BUILTINS + ",hubspot"}
TITLES = ["CEO", "VP Sales", "Head of Marketing", "Software Engineer", "Account Executive",
          "Directeur Commercial", "Leiter Vertrieb", "Data Scientist", "Office Manager", "Intern"]
LABELS = ("enrich_seniority", "enrich_department", "enrich_persona", "enrich_priority", "enrich_icp_tier")


def config(hubspot: FakeHubSpot, **settings) -> str:
    """plugins.toml for a run against ``hubspot``; budgets raised on both sides (tests of the
    limits set their own) so a test spends its time on behaviour, not waiting."""
    if "requests_per_10s" not in settings:
        hubspot.set_rate_limit(2000, 10)
        hubspot.set_search_rate_limit(100)
    values = {"requests_per_10s": 2000, "search_per_second": 50, "retries": 8, "max_backoff_seconds": 0.05,
              "overlap_minutes": 5} | settings
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in values.items())
    return (
        'connector = "hubspot"\nenrichers = ["job_title"]\nscorers = ["icp", "persona"]\n\n'
        f'[plugins.hubspot]\ntoken = {{ env = "HUBSPOT_ACCESS_TOKEN" }}\nbase_url = "{hubspot.base_url}"\n'
        f"{lines}\n\n[plugins.persona]\ntarget_departments = [\"sales\"]\n" + ICP
    )


def seed(hubspot: FakeHubSpot, companies: int, contacts: int, *, modified_at=None) -> tuple[list[str], list[str]]:
    company_ids = hubspot.seed("companies", [
        {"name": f"Co {i}", "domain": f"co{i}.com", "industry": "COMPUTER_SOFTWARE" if i % 2 else "RETAIL",
         "numberofemployees": str(20 + 37 * i), "country": "US" if i % 3 else "FR"}
        for i in range(companies)
    ], modified_at=modified_at)
    contact_ids = hubspot.seed("contacts", [
        {"email": f"p{i}@co{i % companies}.com", "jobtitle": TITLES[i % len(TITLES)]} for i in range(contacts)
    ], modified_at=modified_at)
    for i, contact in enumerate(contact_ids):
        hubspot.associate(contact, company_ids[i % companies], primary=True)
    return company_ids, contact_ids


def sync(project, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return project.enrich("--json", "sync", *args, env=ENV, check=check)


def figures(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout.splitlines()[-1])["figures"]


def labels(hubspot: FakeHubSpot, object_type: str = "contacts") -> dict[str, tuple]:
    names = LABELS if object_type == "contacts" else ("enrich_icp_score", "enrich_icp_tier", "enrich_committee_missing")
    return {r["hs_object_id"]: tuple(r.get(n) for n in names) for r in hubspot.records(object_type)}


def test_full_then_incremental_reads_nothing_twice_and_an_unchanged_run_writes_nothing(project, hubspot):
    hubspot.set_search_cap(1000)  # HubSpot's is 10,000: a smaller one shows it is never hit
    _, contact_ids = seed(hubspot, 300, 15_000, modified_at=datetime(2026, 1, 1, tzinfo=UTC))
    project.config.write_text(config(hubspot, overlap_minutes=0))

    first = figures(sync(project))
    assert (first["companies"]["read"], first["contacts"]["read"]) == (300, 15_000)
    assert first["contacts"]["written"] == 15_000 and first["companies"]["written"] == 300
    contacts = labels(hubspot)
    assert all(all(v for v in values[:4]) for values in contacts.values())  # every contact labelled
    assert contacts[contact_ids[0]][:3] == ("c_suite", "executive", "economic_buyer")
    assert hubspot.count(operation="searchObjects") <= 2  # the first read lists; it does not search

    second = figures(sync(project))  # our own writes moved lastmodifieddate: read again, write nothing
    assert second["contacts"]["read"] == 15_000 and second["contacts"]["written"] == 0
    assert second["companies"]["written"] == 0

    # a bulk import: 3,000 new contacts stamped with one timestamp, more than the search cap
    stamp = datetime.now(UTC) - timedelta(seconds=1)
    new = hubspot.seed("contacts", [{"email": f"n{i}@co1.com", "jobtitle": "Sales Manager"} for i in range(3000)],
                       modified_at=stamp)
    searches_before = hubspot.count(operation="searchObjects")
    third = figures(sync(project))
    assert third["contacts"]["written"] == 3000  # every new contact, each once
    assert third["contacts"]["read"] < 15_000 and third["contacts"]["changed"] == 3000
    assert all(hubspot.record("contacts", i).get("enrich_seniority") == "manager" for i in new)
    assert hubspot.count(operation="searchObjects") - searches_before >= 15  # 200 a page, past the cap
    assert hubspot.count(status=429) == 0


def test_contacts_of_a_company_whose_tier_changed_are_relabelled_although_unmodified(project, hubspot):
    company_ids, contact_ids = seed(hubspot, 10, 100, modified_at=datetime(2026, 1, 1, tzinfo=UTC))
    project.config.write_text(config(hubspot, overlap_minutes=0))
    sync(project)
    sync(project)  # reads our own writes back; the watermark is now past them
    mine = [c for i, c in enumerate(contact_ids) if i % 10 == 1]  # company_ids[1]'s contacts
    before = {c: hubspot.record("contacts", c)["enrich_icp_tier"] for c in mine}
    assert set(before.values()) == {hubspot.record("companies", company_ids[1])["enrich_icp_tier"]}

    requests.patch(f"{hubspot.base_url}/crm/v3/objects/companies/{company_ids[1]}",  # a person edits it
                   json={"properties": {"industry": "RETAIL", "country": "FR"}},
                   headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=10).raise_for_status()
    result = figures(sync(project))
    tier = hubspot.record("companies", company_ids[1])["enrich_icp_tier"]
    assert tier != next(iter(before.values()))
    assert {hubspot.record("contacts", c)["enrich_icp_tier"] for c in mine} == {tier}
    assert result["contacts"]["written"] == len(mine)  # those contacts only


def test_properties_are_created_once_in_their_group_with_options(project, hubspot):
    seed(hubspot, 5, 20)
    project.config.write_text(config(hubspot))
    sync(project)
    persona = hubspot.property_definition("contacts", "enrich_persona")
    assert persona["groupName"] == "crm_enrich" and persona["type"] == "enumeration"
    assert {o["value"] for o in persona["options"]} >= {"economic_buyer", "champion", "other"}
    missing = hubspot.property_definition("companies", "enrich_committee_missing")
    assert missing["fieldType"] == "checkbox"  # a multi-select
    created = hubspot.count(operation="createProperty")
    sync(project)
    assert hubspot.count(operation="createProperty") == created  # idempotent


def test_persona_can_also_go_to_hubspots_buying_role(project, hubspot):
    hubspot.define_property("contacts", "hs_buying_role", type="enumeration", field_type="checkbox",
                            options=("BUDGET_HOLDER", "EXECUTIVE_SPONSOR", "CHAMPION", "INFLUENCER", "END_USER", "OTHER"))
    _, contacts = seed(hubspot, 4, 12)
    project.config.write_text(config(hubspot, buying_role=True))
    sync(project)
    pairs = {(r.get("enrich_persona"), r.get("hs_buying_role")) for r in map(lambda c: hubspot.record("contacts", c), contacts)}
    assert ("economic_buyer", "BUDGET_HOLDER") in pairs and ("technical_evaluator", "INFLUENCER") in pairs
    assert all(role for _, role in pairs)


def test_an_existing_enumeration_gains_only_the_missing_options(project, hubspot):
    hubspot.define_property("contacts", "enrich_persona", type="enumeration", options=("champion", "legacy_value"),
                            group="crm_enrich")
    seed(hubspot, 5, 20)
    project.config.write_text(config(hubspot))
    sync(project)
    values = [o["value"] for o in hubspot.property_definition("contacts", "enrich_persona")["options"]]
    assert values[:2] == ["champion", "legacy_value"] and "economic_buyer" in values and values.count("champion") == 1


def test_values_a_mapped_property_has_no_option_for_are_quarantined_not_sent(project, hubspot):
    hubspot.define_property("contacts", "buyer_role", type="enumeration", options=("economic_buyer", "champion"))
    _, contacts = seed(hubspot, 10, 40)
    project.config.write_text(config(hubspot) + '\n[plugins.hubspot.properties.contacts]\npersona = "buyer_role"\n')
    result = sync(project)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    refused = {e["record_id"]: e for e in events if e.get("event") == "quarantined"}
    written = {c: hubspot.record("contacts", c).get("buyer_role") for c in contacts}
    assert {v for v in written.values() if v} == {"economic_buyer", "champion"}
    assert set(refused) == {c for c, v in written.items() if not v} and refused
    assert all("not an option of the HubSpot property 'buyer_role'" in e["reason"] and e["field"] == "persona"
               for e in refused.values())
    assert [o["value"] for o in hubspot.property_definition("contacts", "buyer_role")["options"]] == [
        "economic_buyer", "champion"]  # not ours to change
    assert all(hubspot.record("contacts", c).get("enrich_seniority") for c in refused)  # the rest was sent


def fault_free_labels(seed_rows, folder) -> tuple[dict, dict]:
    """The labels a run without faults leaves, in a fake of its own."""
    folder.mkdir()
    with FakeHubSpot() as clean:
        seed_rows(clean)
        project = Project(folder)
        project.config.write_text(config(clean))
        sync(project)
        result = labels(clean), labels(clean, "companies")
    clean.assert_no_violations()
    return result


def test_faults_end_in_exactly_the_state_of_a_fault_free_run(project, hubspot):
    def rows(fake):
        seed(fake, 40, 2000, modified_at=datetime(2026, 1, 1, tzinfo=UTC))

    expected = fault_free_labels(rows, project.root / "clean")
    rows(hubspot)
    hubspot.set_faults(error_rate=0.1, drop_rate=0.03, drop_after_write_rate=0.05, seed=7)
    project.config.write_text(config(hubspot))
    result = figures(sync(project))
    assert result["contacts"]["written"] == 2000
    assert (labels(hubspot), labels(hubspot, "companies")) == expected
    assert hubspot.count(status=500) + hubspot.count(status=429) + hubspot.count(status=503) > 5  # faults happened


def test_a_run_killed_mid_write_completes_on_the_next_run(project, hubspot):
    def rows(fake):
        seed(fake, 40, 3000, modified_at=datetime(2026, 1, 1, tzinfo=UTC))

    expected = fault_free_labels(rows, project.root / "clean")
    rows(hubspot)
    hubspot.set_faults(delay_seconds=0.02)  # slow enough to kill it part-way
    project.config.write_text(config(hubspot))
    running = subprocess.Popen(
        [sys.executable, "-c", "from crm_enrich.cli import main; main()", "sync"],
        cwd=project.root, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while hubspot.count(operation="batchUpdateObjects") < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    running.send_signal(signal.SIGKILL)
    running.wait()
    assert 0 < hubspot.count(operation="batchUpdateObjects") < 30  # it died part-way through the writes

    hubspot.set_faults()
    sync(project)
    assert (labels(hubspot), labels(hubspot, "companies")) == expected


def test_a_record_hubspot_rejects_is_quarantined_and_the_rest_lands(project, hubspot):
    hubspot.define_property("companies", "enrich_employee_band", type="number")  # a band is text
    sized = hubspot.seed("companies", [{"name": f"S{i}", "numberofemployees": str(10 + i)} for i in range(130)])
    unsized = hubspot.seed("companies", [{"name": f"U{i}"} for i in range(70)])  # no band to send
    project.config.write_text(
        config(hubspot).replace('enrichers = ["job_title"]', 'enrichers = ["employee_band", "job_title"]')
    )
    result = sync(project)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    rejected = [e for e in events if e.get("event") == "quarantined" and e.get("stage") == "write"]
    assert {e["record_id"] for e in rejected} == set(sized)  # split down to each bad record
    assert all(e["reason"].startswith("HubSpot: ") and e["plugin"] == "hubspot" for e in rejected)
    assert all(hubspot.record("companies", c).get("enrich_icp_tier") for c in unsized)  # the rest landed
    assert not any(hubspot.record("companies", c).get("enrich_icp_tier") for c in sized)


def test_the_client_keeps_under_the_rate_limit(project, hubspot):
    hubspot.set_rate_limit(25, 1.0)
    seed(hubspot, 30, 1500)
    project.config.write_text(config(hubspot, requests_per_10s=25, rate_window_seconds=1.0))
    result = figures(sync(project))
    assert result["contacts"]["written"] == 1500
    assert hubspot.count(status=429) == 0
    batch = [r for r in hubspot.requests if r.operation == "batchUpdateObjects"]
    assert len(batch) == 15 + 1  # 1,500 contacts and 30 companies, 100 per call


def test_the_daily_limit_stops_with_exit_6_and_the_next_run_resumes(project, hubspot):
    seed(hubspot, 20, 1000)
    project.config.write_text(config(hubspot))
    hubspot.set_daily_limit(20)
    stopped = sync(project, check=False)
    assert stopped.returncode == 6
    assert "daily API limit" in json.loads(stopped.stdout.splitlines()[-1])["message"]
    hubspot.set_daily_limit(1_000_000)
    sync(project)
    assert all(values[2] for values in labels(hubspot).values())


def test_a_bad_token_or_a_missing_scope_stops_naming_the_cause_never_the_token(project, hubspot):
    seed(hubspot, 2, 4)
    project.config.write_text(config(hubspot))
    wrong = project.enrich("sync", env={**ENV, "HUBSPOT_ACCESS_TOKEN": "pat-na1-wrong"})
    assert wrong.returncode == 3 and "401" in wrong.stderr and "$HUBSPOT_ACCESS_TOKEN" in wrong.stderr
    assert "pat-na1-wrong" not in wrong.stderr + wrong.stdout
    assert hubspot.count(status=401) == 1  # never retried

    hubspot.revoke_scopes("crm.schemas.contacts.write")
    refused = project.enrich("sync", env=ENV)
    assert refused.returncode == 3 and "crm.schemas.contacts.write" in refused.stderr
    assert DEFAULT_TOKEN not in refused.stderr + refused.stdout


def test_the_client_backs_off_when_hubspot_says_the_window_is_spent(project, hubspot):
    """Other apps share the budget: X-HubSpot-RateLimit-Remaining 0 pauses us before a 429."""
    hubspot.set_rate_limit(20, 0.5)
    hubspot.set_search_rate_limit(100)
    seed(hubspot, 10, 600)
    project.config.write_text(config(hubspot, requests_per_10s=1000))  # more than HubSpot allows
    assert figures(sync(project))["contacts"]["written"] == 600
    assert hubspot.count(status=429) <= 1  # at most the one that told us, if the header came late


def test_a_batch_with_a_record_hubspot_no_longer_has_lands_the_others(hubspot, monkeypatch, tmp_path):
    """207: the missing record is quarantined with HubSpot's message; the others are written."""
    ids = hubspot.seed("contacts", 3)
    hubspot.archive("contacts", ids[1])  # deleted in HubSpot after our read
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", DEFAULT_TOKEN)
    quarantined: list[Quarantined] = []
    settings = Settings.model_validate({"token": {"env": "HUBSPOT_ACCESS_TOKEN"}, "base_url": hubspot.base_url})
    writer = HubSpotConnector(settings, PluginContext(tmp_path, quarantined.append)).writer(
        "contacts", {"department": Field(pa.string(), "Department")}
    )
    writer.write(ChangeSet("contacts", pa.table({"id": ids, "department": ["sales", "data", "legal"]}),
                           pa.table({"department": [True, True, True]})))
    writer.commit()
    assert [hubspot.record("contacts", i).get("enrich_department") for i in (ids[0], ids[2])] == ["sales", "legal"]
    assert [(q.record_id, q.stage, q.plugin) for q in quarantined] == [(ids[1], "write", "hubspot")]
    assert quarantined[0].reason.startswith("HubSpot: ")


def test_check_reaches_hubspot_and_counts_the_records(project, hubspot):
    seed(hubspot, 3, 7)
    project.config.write_text(config(hubspot))
    out = project.enrich("check", env=ENV, check=True).stdout
    assert "companies: 3 records at http://127.0.0.1" in out and "contacts: 7 records" in out
    assert hubspot.count(operation="batchUpdateObjects") == 0  # it writes nothing


def test_a_value_that_cannot_be_read_quarantines_its_record_and_names_it(project, hubspot):
    """HubSpot's founded_year is free text: a year in words cannot be an integer column."""
    good, bad = hubspot.seed("companies", [{"name": "Good", "founded_year": "1999"},
                                           {"name": "Words", "founded_year": "nineteen ninety"}])
    project.config.write_text(config(hubspot))
    events = [json.loads(line) for line in sync(project).stdout.splitlines()]
    quarantined = [e for e in events if e.get("event") == "quarantined"]
    assert [(q["record_id"], q["field"], q["source"], q["stage"]) for q in quarantined] == [
        (bad, "founded_year", "founded_year", "read")
    ]
    assert "'nineteen ninety' cannot be read as int64" in quarantined[0]["reason"]
    assert hubspot.record("companies", good).get("enrich_icp_tier") and not hubspot.record("companies", bad).get("enrich_icp_tier")
