"""The engine end to end over real files and a real SQLite state store."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

import crm_enrich
from crm_enrich.config import load_config
from crm_enrich.engine import Engine
from crm_enrich.errors import LockedError, PluginError
from crm_enrich.protocols import Field, NoSettings
from crm_enrich.registry import load_registry
from crm_enrich.state import StateStore

from conftest import COMPANY_HEADER, read_csv, write_csv


class Fragile:
    """A scorer that raises on companies whose name contains 'boom' (or on all, if asked)."""

    name = "fragile"
    object_type = "companies"
    Settings = NoSettings
    outputs = {"fragile_flag": Field(pa.string(), "test flag")}
    always = False

    def __init__(self, settings, context):
        pass

    def score(self, table: pa.Table) -> pa.Table:
        names = table.column("name").to_pylist()
        if self.always or any("boom" in (n or "") for n in names):
            raise ValueError("cannot score this")
        return table.append_column("fragile_flag", pa.array(["ok"] * table.num_rows))


class Broken(Fragile):
    name = "broken"
    always = True


class _Plugin:
    __name__ = "fragile_plugin"

    @crm_enrich.hookimpl
    def register_scorers(self, register):
        register(Fragile)
        register(Broken)


def engine_for(project, scorers='["icp", "fragile"]', **options) -> Engine:
    project.write_config(head=f'connector = "files"\nscorers = {scorers}\n')
    config = load_config(project.config, load_registry(extra_plugins=(_Plugin(),)))
    return Engine(config, StateStore(project.root / ".enrich/state.db"), **options)


def many_companies(project, n: int, bad: set[int]) -> None:
    rows = [[f"c{i}", f"boom {i}" if i in bad else f"Co {i}", f"co{i}.com", "INTERNET", "100", "", "US", ""]
            for i in range(n)]
    write_csv(project.companies, COMPANY_HEADER, rows)


def test_a_failing_plugin_quarantines_only_the_rows_it_fails_on(project):
    many_companies(project, 200, bad={17, 150})
    result = engine_for(project, batch_size=64).run()
    quarantined = [q for q in result.quarantined if q.plugin == "fragile"]
    assert sorted(q.record_id for q in quarantined) == ["c150", "c17"]
    assert all(q.stage == "scorer companies" and "ValueError: cannot score this" in q.reason for q in quarantined)
    rows = {r["id"]: r for r in read_csv(project.companies)}
    assert rows["c17"].get("icp_tier", "") == "" and rows["c18"]["icp_tier"] == "A"
    assert rows["c18"]["fragile_flag"] == "ok"
    assert result.figures["companies"].changed == 198
    state = StateStore(project.root / ".enrich/state.db")
    saved = state.quarantine(result.run_id)
    assert {(q["record_id"], q["plugin"]) for q in saved} == {("c17", "fragile"), ("c150", "fragile")}


def test_fail_fast_stops_naming_plugin_stage_and_records(project):
    many_companies(project, 10, bad={3})
    before = project.companies.read_bytes()
    with pytest.raises(PluginError) as caught:
        engine_for(project, fail_fast=True).run()
    message = str(caught.value)
    assert "plugin 'fragile' failed in stage scorer companies" in message
    assert "c3" in message and "ValueError: cannot score this" in message
    assert project.companies.read_bytes() == before
    runs = StateStore(project.root / ".enrich/state.db").runs()
    assert runs[0]["status"] == "failed" and "fragile" in runs[0]["error"]


def test_a_plugin_failing_on_everything_stops_the_run_as_a_bug(project):
    many_companies(project, 300, bad=set())
    before = project.companies.read_bytes()
    with pytest.raises(PluginError, match="fails on most records"):
        engine_for(project, scorers='["icp", "broken"]').run()
    assert project.companies.read_bytes() == before


def test_second_run_writes_nothing_and_a_change_writes_only_its_records(project):
    first = project.enrich("--json", "sync", check=True)
    figures = json.loads(first.stdout.splitlines()[-1])["figures"]
    assert (figures["companies"]["changed"], figures["contacts"]["changed"]) == (5, 3)

    second = json.loads(project.enrich("--json", "sync", check=True).stdout.splitlines()[-1])["figures"]
    assert (second["companies"]["written"], second["contacts"]["written"]) == (0, 0)

    rows = read_csv(project.companies)
    rows[1]["industry"] = "INTERNET"  # c2 Tiny Shop: D -> B (40 + 20 of 100 = 60)
    write_csv(project.companies, list(rows[0]), [list(r.values()) for r in rows])
    third = json.loads(project.enrich("--json", "sync", check=True).stdout.splitlines()[-1])["figures"]
    assert third["companies"]["changed"] == 1
    assert third["companies"]["fields"] == {"icp_score": 1, "icp_tier": 1, "icp_reasons": 1, "employee_band": 0}
    assert third["contacts"]["changed"] == 1  # p2 inherits B
    assert {r["id"]: r["icp_tier"] for r in read_csv(project.contacts)}["p2"] == "B"


def test_contacts_link_by_email_domain_only_when_unambiguous(project):
    write_csv(project.companies, COMPANY_HEADER, [
        ["c1", "Acme", "acme.com", "INTERNET", "100", "", "US", ""],
        ["c2", "Dup A", "dup.com", "INTERNET", "100", "", "US", ""],
        ["c3", "Dup B", "dup.com", "RETAIL", "1", "", "FR", ""],
        ["c4", "Site only", "", "INTERNET", "100", "", "US", ""],
    ])
    write_csv(project.contacts, ["id", "email", "company_id"], [
        ["p1", "x@ACME.com", ""], ["p2", "y@dup.com", ""], ["p3", "z@gmail.com", ""], ["p4", "w@acme.com", "c3"],
    ])
    project.enrich("sync", check=True)
    tiers = {r["id"]: r["icp_tier"] for r in read_csv(project.contacts)}
    assert tiers == {"p1": "A", "p2": "", "p3": "", "p4": "D"}  # an explicit company id wins


def test_dry_run_prints_old_to_new_and_writes_nothing(project):
    before = project.companies.read_bytes(), project.contacts.read_bytes()
    out = project.enrich("sync", "--dry-run", check=True).stdout
    assert "dry run" in out
    assert "would change 5 companies" in out
    assert "c1" in out and "icp_tier" in out and "A" in out
    assert (project.companies.read_bytes(), project.contacts.read_bytes()) == before
    planned = [json.loads(line) for line in project.enrich("--json", "sync", "--dry-run", check=True).stdout.splitlines()]
    changes = [e for e in planned if e["event"] == "planned_change"]
    c1_tier = [e for e in changes if e["record_id"] == "c1" and e["field"] == "icp_tier"]
    assert [(e["object_type"], e["old"], e["new"]) for e in c1_tier] == [("companies", None, "A")]
    assert len(changes) == 5 * 4 - 1 + 3  # c3 has no employee count, so no band; three contacts
    assert planned[-1]["event"] == "run_finished" and planned[-1]["dry_run"] is True


def test_a_second_run_is_refused_while_one_holds_the_lock(project):
    state = StateStore(project.root / ".enrich/state.db")
    with state.lock():
        result = project.enrich("sync")
        assert result.returncode == 75
        assert "another run holds the state store" in result.stderr
        assert f"pid {__import__('os').getpid()}" in result.stderr
        with pytest.raises(LockedError):
            with StateStore(project.root / ".enrich/state.db").lock():
                pass
    assert project.enrich("sync").returncode == 0  # free again once the holder is done


def test_a_killed_run_is_marked_interrupted_by_the_next(project):
    state = StateStore(project.root / ".enrich/state.db")
    dead = state.start_run("files", "x", dry_run=False)  # as a SIGKILLed run leaves it
    project.enrich("sync", check=True)
    runs = {r["id"]: r for r in state.runs()}
    assert runs[dead]["status"] == "interrupted"
    assert runs[max(runs)]["status"] == "ok"
    listing = project.enrich("runs", check=True).stdout
    assert "interrupted" in listing and "ok" in listing


def test_json_logs_are_one_object_per_line(project):
    lines = project.enrich("--json", "sync", check=True).stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["event"] == "run_started"
    assert {"stage_finished", "run_finished"} <= {e["event"] for e in events}
    assert all("ts" in e for e in events)


def test_progress_is_plain_lines_when_piped(project):
    result = project.enrich("sync", check=True)
    assert "companies: 5 records read" in result.stderr
    assert "\r" not in result.stderr


def test_quarantine_exit_code_only_when_asked(project):
    rows = read_csv(project.companies)
    rows[0]["employees"] = "about 200"
    write_csv(project.companies, list(rows[0]), [list(r.values()) for r in rows])
    assert project.enrich("sync").returncode == 0
    result = project.enrich("sync", "--fail-on-quarantine")
    assert result.returncode == 5
    listed = project.enrich("quarantine", check=True).stdout
    assert "companies.csv row 2, id c1, plugin files: employees: 'about 200' is not a whole number" in listed


def test_explain_a_contact_shows_its_company_fit(project):
    project.enrich("sync", check=True)
    out = project.enrich("explain", "p3", check=True).stdout  # linked by email domain
    assert out.startswith("contact p3: Cy Chen <cy@acme.com>, Engineer")
    assert "icp_tier A" in out
    assert "company c1: Acme Software (acme.com)" in out
    assert "ICP score 100, tier A" in out
    missing = project.enrich("explain", "nobody")
    assert missing.returncode == 1 and "no company or contact with id 'nobody'" in missing.stderr


def test_explain_json(project):
    data = json.loads(project.enrich("--json", "explain", "c5", check=True).stdout)
    assert data["company"]["labels"]["icp_score"] == 70
    assert "To reach tier A (>= 80): also match size (50-5000)." in data["company"]["explanations"]["icp"][-1]


def test_write_policy_fill_missing_keeps_what_a_person_entered_and_never_writes_nothing(project):
    rows = read_csv(project.companies)
    for row in rows:
        row["employee_band"] = "typed by hand" if row["id"] == "c1" else ""
    write_csv(project.companies, list(rows[0]), [list(r.values()) for r in rows])
    project.write_config('[write.policy]\nemployee_band = "fill_missing"\nicp_reasons = "never"\n')
    project.enrich("sync", check=True)
    after = {r["id"]: r for r in read_csv(project.companies)}
    assert after["c1"]["employee_band"] == "typed by hand"  # not overwritten
    assert after["c2"]["employee_band"] == "2-10"  # a blank is filled
    assert all(r.get("icp_reasons", "") == "" for r in after.values())  # never written
    assert after["c1"]["icp_tier"] == "A"


def test_json_mode_reports_failures_as_json_too(project):
    project.config.write_text(project.config.read_text().replace('weight = 40', 'weight = -40'))
    result = project.enrich("--json", "sync")
    assert result.returncode == 2
    error = json.loads(result.stdout.splitlines()[-1])
    assert (error["event"], error["exit_code"], error["error"]) == ("error", 2, "ConfigError")
    assert error["problems"] == ["plugins.icp.criteria[0].weight: Input should be greater than 0 (got -40)"]
    assert "plugins.icp.criteria[0].weight" in result.stderr
