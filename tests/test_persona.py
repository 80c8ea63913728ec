"""Persona rules, priority, and the buying committee rolled up to companies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa

from crm_enrich.plugins.persona import PersonaScorer, Rule, Settings

from conftest import BUILTINS, COMPANY_HEADER, CONTACT_HEADER, JSONL_CONFIG, read_csv, write_csv, write_jsonl

HEAD = 'connector = "files"\nenrichers = ["job_title"]\nscorers = ["icp", "persona"]\n'


def score(settings: Settings, rows: list[tuple]) -> list[tuple]:
    """rows: (seniority, department, company employees, icp tier) -> (persona, priority)."""
    seniority, department, employees, tier = (list(c) for c in zip(*rows))
    table = pa.table({
        "id": [str(i) for i in range(len(rows))], "seniority": seniority, "department": department,
        "company_employees": pa.array(employees, pa.int64()), "icp_tier": tier,
    })
    out = PersonaScorer(settings, context=None).score(table)
    return list(zip(out.column("persona").to_pylist(), out.column("priority").to_pylist()))


def test_default_rules_follow_size_target_teams_and_tier():
    got = score(Settings(target_departments=["sales"]), [
        ("founder", "executive", 10, "A"),         # the top of a small company holds the budget
        ("founder", "executive", 5000, "A"),       # at 5,000 people, a sponsor at most
        ("vp", "sales", 5000, "B"),                # the executive of the target team
        ("director", "sales", 120, "C"),           # a target-team leader in a small company
        ("director", "sales", 900, "A"),           # ... in a large one champions it
        ("senior", "engineering", 900, "A"),       # technical teams evaluate
        ("entry", "sales", 900, "D"),              # the target team uses it
        ("director", "finance", 900, "B"),         # leaders elsewhere influence
        ("intern", "marketing", 900, "A"),
        (None, None, 900, "A"),                    # no title: nothing to go by
        ("c_suite", "executive", None, None),      # unknown size: not the small-company rule
    ])
    assert got == [
        ("economic_buyer", "P1"), ("executive_sponsor", "P1"), ("economic_buyer", "P2"),
        ("economic_buyer", "P3"), ("champion", "P1"), ("technical_evaluator", "P2"),
        ("end_user", "P5"), ("influencer", "P3"), ("other", "P3"), ("other", "P3"),
        ("executive_sponsor", "P4"),
    ]


def test_reasons_name_the_rule_and_its_facts():
    table = pa.table({"id": ["a", "b"], "seniority": ["founder", None], "department": ["executive", None],
                      "company_employees": pa.array([40, None], pa.int64()), "icp_tier": ["A", None]})
    reasons = PersonaScorer(Settings(), context=None).score(table).column("persona_reasons").to_pylist()
    assert reasons == [
        "economic_buyer: rule 1 'top of a small company': founder in executive, 40 employees",
        "other: no job title to go by",
    ]


def test_rules_and_priorities_are_the_users_to_define():
    settings = Settings(
        target_departments=["engineering"],
        rules=[
            Rule(name="A-tier engineers", persona="champion", department=["target"], icp_tier=["A"]),
            Rule(name="big-company engineers", persona="end_user", department=["engineering"], min_employees=1000),
        ],
        priority_offsets={"economic_buyer": 0, "executive_sponsor": 0, "champion": 0,
                          "technical_evaluator": 0, "end_user": 3, "influencer": 0, "other": 4},
    )
    got = score(settings, [
        ("entry", "engineering", 50, "A"), ("entry", "engineering", 5000, "B"),
        ("entry", "engineering", 50, "B"), ("vp", "sales", 50, "A"),
    ])
    assert got == [("champion", "P1"), ("end_user", "P5"), ("other", "P5"), ("other", "P5")]


def test_roll_up_lists_present_and_missing_roles_in_order():
    members = pa.table({
        "company_id": ["c1", "c1", "c1", "c2", "c3"],
        "persona": ["technical_evaluator", "economic_buyer", "other", "end_user", None],
    })
    out = PersonaScorer(Settings(), context=None).roll_up(members).to_pylist()
    assert sorted(out, key=lambda r: r["id"]) == [
        {"id": "c1", "committee_present": "economic_buyer;technical_evaluator",
         "committee_missing": "executive_sponsor;champion"},
        {"id": "c2", "committee_present": None,
         "committee_missing": "economic_buyer;executive_sponsor;champion;technical_evaluator"},
        {"id": "c3", "committee_present": None,
         "committee_missing": "economic_buyer;executive_sponsor;champion;technical_evaluator"},
    ]


def test_persona_without_the_title_parser_is_a_config_error(project):
    project.write_config(head='connector = "files"\nscorers = ["icp", "persona"]\n')
    result = project.enrich("sync")
    assert result.returncode == 2
    assert "'persona' needs the columns department, seniority" in result.stderr


COMPANIES = [
    ["c1", "Acme", "acme.com", "COMPUTER_SOFTWARE", "40", "", "US", "hubspot"],
    ["c2", "Bigco", "bigco.com", "COMPUTER_SOFTWARE", "5000", "", "US", "hubspot"],
    ["c3", "Empty", "empty.com", "RETAIL", "10", "", "FR", ""],
]
CONTACTS = [
    ["p1", "ann@acme.com", "Ann", "A", "Founder & CEO", "c1"],
    ["p2", "bob@acme.com", "Bob", "B", "Software Engineer", "c1"],
    ["p3", "cat@bigco.com", "Cat", "C", "Founder", "c2"],
    ["p4", "dan@bigco.com", "Dan", "D", "Directeur Commercial", ""],  # linked by domain
]


def test_sync_writes_persona_to_contacts_and_the_committee_to_companies(project):
    write_csv(project.companies, COMPANY_HEADER, COMPANIES)
    write_csv(project.contacts, CONTACT_HEADER, CONTACTS)
    project.write_config('[plugins.persona]\ntarget_departments = ["sales"]\n', head=HEAD)
    summary = project.enrich("sync", check=True).stdout
    assert "persona by icp_tier:" in summary

    contacts = {r["id"]: r for r in read_csv(project.contacts)}
    assert [contacts[p]["persona"] for p in ("p1", "p2", "p3", "p4")] == [
        "economic_buyer", "technical_evaluator", "executive_sponsor", "champion"
    ]
    companies = {r["id"]: r for r in read_csv(project.companies)}
    assert companies["c1"]["committee_present"] == "economic_buyer;technical_evaluator"
    assert companies["c1"]["committee_missing"] == "executive_sponsor;champion"
    assert companies["c2"]["committee_present"] == "executive_sponsor;champion"
    assert companies["c3"]["committee_present"] == ""
    assert companies["c3"]["committee_missing"] == "economic_buyer;executive_sponsor;champion;technical_evaluator"
    assert companies["c1"]["icp_tier"] and companies["c2"]["icp_score"]  # written in the same pass

    second = project.sync()
    assert (second["companies"]["written"], second["contacts"]["written"]) == (0, 0)

    rows = read_csv(project.contacts)
    rows[1]["job_title"] = "Head of Sales"  # Bob's new role, labels left as they were
    write_csv(project.contacts, list(rows[0]), [list(r.values()) for r in rows])
    third = project.sync()
    assert (third["companies"]["written"], third["contacts"]["written"]) == (1, 1)
    assert {r["id"]: r for r in read_csv(project.companies)}["c1"]["committee_missing"] == (
        "executive_sponsor;champion;technical_evaluator"
    )


def test_incremental_runs_roll_up_contacts_they_did_not_read(project, with_jsonl):
    """Coverage counts every contact of the company, not only those read this run."""
    write_jsonl(project.root / "data/companies.jsonl", [{"id": "c1", "employees": 900}])
    contacts = [
        {"id": "p1", "company_id": "c1", "job_title": "CTO", "updated_at": "2026-01-01T00:00:00+00:00"},
        {"id": "p2", "company_id": "c1", "job_title": "Sales Director", "updated_at": "2026-01-02T00:00:00+00:00"},
    ]
    write_jsonl(project.root / "data/contacts.jsonl", contacts)
    project.write_config(
        '[plugins.persona]\ntarget_departments = ["sales"]\n',
        head=JSONL_CONFIG.replace('scorers = ["icp"]', 'enrichers = ["job_title"]\nscorers = ["icp", "persona"]'),
        files="",
    )
    log = project.root / "written.jsonl"

    def committee() -> dict:
        written = [json.loads(line) for line in log.read_text().splitlines()]
        return [e for e in written if e["object"] == "companies" and "committee_present" in e][-1]

    project.enrich("sync", env=with_jsonl, check=True)
    assert committee()["committee_present"] == "executive_sponsor;champion"

    write_jsonl(project.root / "data/contacts.jsonl", contacts + [
        {"id": "p3", "company_id": "c1", "job_title": "Software Engineer", "updated_at": "2026-02-01T00:00:00+00:00"},
    ])
    assert project.sync(env=with_jsonl)["contacts"]["read"] == 1  # only p3, yet p1 and p2 still count
    assert committee()["committee_present"] == "executive_sponsor;champion;technical_evaluator"
    assert committee()["committee_missing"] == "economic_buyer"


def test_explain_a_contact_without_a_company_in_the_demo(tmp_path):
    """The persona scorer explains from the labelled row; a contact nobody's company fits
    (webmail, no company id) still gets its persona explained."""
    root = Path(__file__).parents[1]
    shutil.copy(root / "plugins.toml", tmp_path / "plugins.toml")
    shutil.copytree(root / "core" / "demo", tmp_path / "core" / "demo")
    env = {**os.environ, "CRM_ENRICH_PLUGINS": BUILTINS}
    run = [sys.executable, "-c", "from crm_enrich.cli import main; main()"]
    out = subprocess.run([*run, "explain", "4004669798"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "no company: not linked" in out.stdout
    assert "persona champion: champion: rule 5" in out.stdout
