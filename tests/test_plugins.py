"""Plugins come in through the ``crm_enrich`` entry points: ours and a third party's alike."""

from __future__ import annotations

import json

import pytest

import crm_enrich
import pyarrow as pa

from crm_enrich.config import load_config
from crm_enrich.engine import Engine
from crm_enrich.errors import ConfigError
from crm_enrich.protocols import Field, NoSettings
from crm_enrich.registry import load_registry
from crm_enrich.state import StateStore

from conftest import BUILTINS, JSONL_CONFIG, read_csv, write_jsonl


def test_builtins_are_entry_point_plugins(project):
    listed = json.loads(project.enrich("--json", "plugins", check=True).stdout)
    by_name = {p["name"]: p for p in listed}
    assert set(by_name) == set(BUILTINS.split(","))
    assert by_name["files"]["distribution"] == "crm-enrich"
    assert by_name["files"]["version"] == crm_enrich.__version__
    assert by_name["icp"]["hooks"] == ["register_scorers"]
    assert by_name["files"]["provides"] == {"connectors": ["files"]}


def test_third_party_plugin_is_picked_up_through_its_entry_point(project, with_jsonl):
    listed = json.loads(project.enrich("--json", "plugins", env=with_jsonl, check=True).stdout)
    jsonl = next(p for p in listed if p["name"] == "jsonl")
    assert jsonl["distribution"] == "crm-enrich-jsonl-example"
    assert jsonl["version"] == "0.3.1"
    assert jsonl["hooks"] == ["register_commands", "register_connectors"]
    assert jsonl["provides"] == {"connectors": ["jsonl"]}
    human = project.enrich("plugins", env=with_jsonl, check=True).stdout
    assert "crm-enrich-jsonl-example" in human and "connectors: jsonl" in human


def test_hook_register_commands(project, with_jsonl):
    result = project.enrich("jsonl-hello", env=with_jsonl, check=True)
    assert result.stdout.strip() == "hello from crm-enrich-jsonl-example"
    assert "jsonl-hello" in project.enrich("--help", env=with_jsonl, check=True).stdout


def test_hook_register_connectors(project, with_jsonl):
    """A connector that cannot read labels back: the diff uses the hashes we wrote."""
    write_jsonl(project.root / "data/companies.jsonl", [
        {"id": "c1", "industry": "INTERNET", "employees": 200, "country": "US"},
        {"id": "c2", "industry": "RETAIL", "employees": 3, "country": "FR"},
    ])
    write_jsonl(project.root / "data/contacts.jsonl", [
        {"id": "p1", "email": "a@c1.com", "company_id": "c1"},
        {"id": "p2", "email": "b@c2.com", "company_id": "c2"},
    ])
    project.write_config(head=JSONL_CONFIG, files="")
    log = project.root / "written.jsonl"

    project.enrich("sync", env=with_jsonl, check=True)
    first = [json.loads(line) for line in log.read_text().splitlines()]
    assert {(e["object"], e["id"]) for e in first} == {
        ("companies", "c1"), ("companies", "c2"), ("contacts", "p1"), ("contacts", "p2")
    }
    c1 = next(e for e in first if e["id"] == "c1")
    assert (c1["icp_score"], c1["icp_tier"]) == (90, "A")  # 40 + 30 + 20 of 100

    project.enrich("sync", env=with_jsonl, check=True)
    assert len(log.read_text().splitlines()) == len(first), "an unchanged second run wrote"

    write_jsonl(project.root / "data/companies.jsonl", [
        {"id": "c1", "industry": "INTERNET", "employees": 200, "country": "US"},
        {"id": "c2", "industry": "INTERNET", "employees": 3, "country": "FR"},
    ])
    project.enrich("sync", env=with_jsonl, check=True)
    third = [json.loads(line) for line in log.read_text().splitlines()][len(first):]
    assert [(e["object"], e["id"]) for e in third] == [("companies", "c2"), ("contacts", "p2")]
    assert third[0]["icp_tier"] == "C" and third[1] == {"object": "contacts", "id": "p2", "icp_tier": "C"}


def test_incremental_connector_gets_the_contacts_watermark(project, with_jsonl):
    """Companies are read whole, contacts since the last successful run; a config change reads all."""
    write_jsonl(project.root / "data/companies.jsonl", [
        {"id": "c1", "industry": "INTERNET", "employees": 200, "updated_at": "2026-01-01T00:00:00+00:00"},
    ])
    contacts = [
        {"id": "p1", "company_id": "c1", "updated_at": "2026-01-01T00:00:00+00:00"},
        {"id": "p2", "company_id": "c1", "updated_at": "2026-01-05T00:00:00+00:00"},
    ]
    write_jsonl(project.root / "data/contacts.jsonl", contacts)
    project.write_config(head=JSONL_CONFIG, files="")

    def sync() -> dict:
        out = project.enrich("--json", "sync", env=with_jsonl, check=True).stdout
        return json.loads(out.splitlines()[-1])["figures"]

    first = sync()
    assert (first["companies"]["read"], first["contacts"]["read"]) == (1, 2)
    state = StateStore(project.root / ".enrich/state.db")
    assert state.watermark("jsonl", "contacts").isoformat() == "2026-01-05T00:00:00+00:00"

    write_jsonl(project.root / "data/contacts.jsonl", contacts + [
        {"id": "p3", "company_id": "c1", "updated_at": "2026-02-01T00:00:00+00:00"},
    ])
    second = sync()
    assert (second["companies"]["read"], second["contacts"]["read"]) == (1, 1)  # only p3
    assert second["contacts"]["written"] == 1
    assert state.watermark("jsonl", "contacts").isoformat() == "2026-02-01T00:00:00+00:00"

    project.write_config(head=JSONL_CONFIG.replace('scorers = ["icp"]', 'scorers = ["icp"]  # edited'), files="")
    third = sync()
    assert third["contacts"]["read"] == 3  # a changed configuration reads everything again
    assert project.enrich("--json", "sync", "--full", env=with_jsonl, check=True).returncode == 0
    assert sync()["contacts"]["read"] == 0  # nothing new since the --full run


def test_secrets_only_by_indirection_and_never_printed(project, with_jsonl):
    project.write_config(head=JSONL_CONFIG + 'token = "hunter2-inline"\n', files="")
    result = project.enrich("check", env=with_jsonl)
    assert result.returncode == 2
    assert "plugins.jsonl.token: secrets are never written in the file" in result.stderr
    assert "hunter2-inline" not in result.stderr + result.stdout

    project.write_config(head=JSONL_CONFIG + 'token = { env = "JSONL_TOKEN" }\n', files="")
    unset = project.enrich("check", env={**with_jsonl, "JSONL_TOKEN": ""})
    assert unset.returncode == 2
    assert "plugins.jsonl.token: environment variable JSONL_TOKEN is not set" in unset.stderr

    write_jsonl(project.root / "data/companies.jsonl", [{"id": "c1"}])
    write_jsonl(project.root / "data/contacts.jsonl", [{"id": "p1"}])
    ok = project.enrich("--json", "check", env={**with_jsonl, "JSONL_TOKEN": "s3cr3t-value"})
    assert ok.returncode == 0, ok.stderr
    assert "s3cr3t-value" not in ok.stdout + ok.stderr


def test_plugins_env_var_selects_what_loads(project):
    result = project.enrich("--json", "plugins", env={"CRM_ENRICH_PLUGINS": "icp"}, check=True)
    assert [p["name"] for p in json.loads(result.stdout)] == ["icp"]
    missing = project.enrich("check", env={"CRM_ENRICH_PLUGINS": "icp"})
    assert missing.returncode == 2
    assert "connector: no connector named 'files'" in missing.stderr


class _Misspelled:
    @crm_enrich.hookimpl
    def register_conectors(self, register):  # sic: the typo must not pass silently
        pass


class _Clash:
    __name__ = "clash"

    @crm_enrich.hookimpl
    def register_connectors(self, register):
        register(type("Other", (), {"name": "files"}))


def test_a_misspelled_hook_is_an_error():
    with pytest.raises(ConfigError, match="register_conectors"):
        load_registry(extra_plugins=(_Misspelled(),))


def test_two_plugins_registering_one_name_is_an_error():
    with pytest.raises(ConfigError) as caught:
        load_registry(extra_plugins=(_Clash(),))
    assert "'files' is registered by both plugin 'files' (a connector) and plugin 'clash' (a connector)" in str(caught.value)


class TopLevelDomain:
    """A firmographic enricher, registered in-process the way an entry point would."""

    name = "tld"
    object_type = "companies"
    Settings = NoSettings
    outputs = {"tld": Field(pa.string(), "top-level domain")}

    def __init__(self, settings, context):
        pass

    def enrich(self, table):
        domains = table.column("domain").to_pylist()
        return table.append_column("tld", pa.array([d.rsplit(".", 1)[-1] if d else None for d in domains]))


class SizeOnly:
    """A second company scorer, after icp, that only looks at head count."""

    name = "big"
    object_type = "companies"
    Settings = NoSettings
    outputs = {"is_big": Field(pa.string(), "large company", options=("yes", "no"))}

    def __init__(self, settings, context):
        pass

    def score(self, table):
        sizes = table.column("employees").to_pylist()
        return table.append_column("is_big", pa.array([None if s is None else ("yes" if s > 1000 else "no") for s in sizes]))


class _InProcess:
    __name__ = "in_process"

    @crm_enrich.hookimpl
    def register_enrichers(self, register):
        register(TopLevelDomain)

    @crm_enrich.hookimpl
    def register_scorers(self, register):
        register(SizeOnly)


def run_in_process(project, head):
    project.write_config(head=head)
    config = load_config(project.config, load_registry(extra_plugins=(_InProcess(),)))
    return Engine(config, StateStore(project.root / ".enrich/state.db")).run()


def test_hook_register_enrichers(project):
    run_in_process(project, 'connector = "files"\nenrichers = ["tld"]\nscorers = ["icp"]\n')
    rows = {r["id"]: r for r in read_csv(project.companies)}
    assert (rows["c1"]["tld"], rows["c2"]["tld"], rows["c3"]["tld"]) == ("com", "de", "io")


def test_hook_register_scorers(project):
    result = run_in_process(project, 'connector = "files"\nscorers = ["icp", "big"]\n')
    rows = {r["id"]: r for r in read_csv(project.companies)}
    assert [rows[i]["is_big"] for i in ("c1", "c2", "c3", "c5")] == ["no", "no", "", "yes"]
    assert rows["c1"]["icp_tier"] == "A"  # both scorers ran, in order
    assert dict(result.figures["companies"].distributions["is_big"]) == {"no": 3, "yes": 1, "(none)": 1}


def test_an_enabled_false_plugin_does_not_run(project):
    project.write_config(head='connector = "files"\nscorers = ["icp"]\nenrichers = ["employee_band"]\n',
                         files='[plugins.files]\ncompanies = { path = "companies.csv" }\ncontacts = { path = "contacts.csv" }\n'
                               '[plugins.employee_band]\nenabled = false\n')
    project.enrich("sync", check=True)
    assert "employee_band" not in read_csv(project.companies)[0]
