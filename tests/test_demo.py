"""The main job: ``enrich sync`` on the bundled demo CRM, as the README runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import Project, read_csv

ROOT = Path(__file__).resolve().parent.parent


def test_demo_sync_labels_every_record_quarantines_the_messy_rows_and_then_writes_nothing(tmp_path):
    shutil.copy(ROOT / "plugins.toml", tmp_path / "plugins.toml")
    shutil.copytree(ROOT / "core" / "demo", tmp_path / "core" / "demo")
    inputs = {p.name: p.read_bytes() for p in (tmp_path / "core" / "demo").glob("*.csv")}
    demo = Project(tmp_path)

    first = [json.loads(line) for line in demo.enrich("--json", "sync", check=True).stdout.splitlines()]
    figures = first[-1]["figures"]
    assert figures["companies"]["read"] == 3000 and figures["contacts"]["read"] == 12000
    quarantined = {(e["object_type"], e.get("record_id"), e.get("line")) for e in first if e["event"] == "quarantined"}
    assert quarantined == {  # the rows core/demo/README.md documents as broken
        ("companies", None, 62),  # one field too many
        ("companies", "84602298834", 413),  # employees 'about 200'
        ("companies", "7180177909", 708),  # 'n/a'
        ("companies", "5023157923", 2569),  # '50-200'
        ("contacts", None, 42),  # one field too few
    }
    assert figures["companies"]["changed"] == 2996
    tiers = figures["companies"]["distributions"]["icp_tier"]
    assert sum(tiers.values()) == 2996 and all(tiers[t] > 200 for t in "ABCD")

    out = {r["Record ID"]: r for r in read_csv(tmp_path / ".enrich/demo-crm/companies.csv")}
    assert len(out) == 3000  # every row, the quarantined and the malformed one included
    malformed = next(line for line in inputs["companies.csv"].split(b"\r\n") if line.startswith(b"442053842,"))
    assert malformed + b"\r\n" in (tmp_path / ".enrich/demo-crm/companies.csv").read_bytes()  # kept as it was
    for competitor in ("6498332757", "3045708751"):  # rivalcrm.com, rival-analytics.io
        assert out[competitor]["ICP Tier"] == "D"
        assert out[competitor]["ICP Reasons"].startswith("DISQUALIFIED: competitor")
    assert out["84602298834"]["ICP Tier"] == ""
    assert {p.name: p.read_bytes() for p in (tmp_path / "core" / "demo").glob("*.csv")} == inputs

    people = {r["Record ID"]: r for r in read_csv(tmp_path / ".enrich/demo-crm/contacts.csv")}
    titled = [r for r in people.values() if r["Job Title"].strip() and r["Record ID"] != "6871637742"]
    assert all(r["Seniority"] and r["Department"] and r["Buyer Persona"] and r["Priority"] for r in titled)
    assert sum(1 for r in titled if r["Department"] == "other") < len(titled) * 0.1
    personas = first[-1]["figures"]["contacts"]["crosstabs"]["persona by icp_tier"]
    assert sum(personas.values()) == 11999 and personas["economic_buyer / A"] > 0
    for role_address in ("1420604804", "2494936673", "81538703031"):  # core/demo/README.md
        assert people[role_address]["Email Type"] == "role" and people[role_address]["Buyer Persona"] == "other"
    for webmail in ("4004669798", "8060658203", "3307013310"):
        assert people[webmail]["Email Type"] == "free"
    caps = {"9431254751": ("director", "customer_success"), "505121918": ("vp", "finance")}  # ALL CAPS titles
    assert {i: (people[i]["Seniority"], people[i]["Department"]) for i in caps} == caps
    companies = {r["Record ID"]: r for r in read_csv(tmp_path / ".enrich/demo-crm/companies.csv")}
    assert all(r["Buying Committee Missing"] or r["Buying Committee Present"] for r in companies.values()
               if r["ICP Tier"])

    second = json.loads(demo.enrich("--json", "sync", check=True).stdout.splitlines()[-1])["figures"]
    assert (second["companies"]["written"], second["contacts"]["written"]) == (0, 0)
