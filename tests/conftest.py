"""Shared fixtures: a throwaway project folder with a plugins.toml and real data files.

Only the built-in plugins load in this suite (``CRM_ENRICH_PLUGINS``), so plugins
installed in the environment never leak into it; tests that need a third-party plugin
install one and widen the list themselves.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from hubspot_fake import FakeHubSpot

BUILTINS = "files,icp,firmographics,reference,pdl,employee_band,job_title,email_type,contact_country,persona"
os.environ["CRM_ENRICH_PLUGINS"] = BUILTINS

COMPANY_HEADER = ["id", "name", "domain", "industry", "employees", "annual_revenue", "country", "technologies"]
CONTACT_HEADER = ["id", "email", "first_name", "last_name", "job_title", "company_id"]

ICP = """
[plugins.icp.tiers]
A = 80
B = 60
C = 40

[[plugins.icp.criteria]]
name = "industry"
column = "industry"
in = ["COMPUTER_SOFTWARE", "INTERNET"]
weight = 40

[[plugins.icp.criteria]]
name = "size"
column = "employees"
min = 50
max = 5000
weight = 30

[[plugins.icp.criteria]]
name = "country"
column = "country"
in = ["US", "DE"]
weight = 20

[[plugins.icp.criteria]]
name = "stack"
column = "technologies"
includes_any = ["salesforce", "hubspot"]
weight = 10

[[plugins.icp.disqualifiers]]
name = "competitor"
column = "domain"
in = ["rival.com"]
"""


def write_csv(path: Path, header: list[str], rows: list[list], *, bom=False, delimiter=",", eol="\r\n") -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator=eol)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


@dataclass
class Project:
    """A folder with plugins.toml, companies and contacts files, and a state store."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "plugins.toml"

    @property
    def companies(self) -> Path:
        return self.root / "companies.csv"

    @property
    def contacts(self) -> Path:
        return self.root / "contacts.csv"

    def write_config(self, extra: str = "", *, files: str | None = None, head: str | None = None) -> None:
        files = files if files is not None else (
            '[plugins.files]\ncompanies = { path = "companies.csv" }\ncontacts = { path = "contacts.csv" }\n'
        )
        head = head if head is not None else (
            'connector = "files"\nenrichers = ["employee_band"]\nscorers = ["icp"]\n'
        )
        self.config.write_text(head + "\n" + files + "\n" + ICP + "\n" + textwrap.dedent(extra))

    def enrich(self, *args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
        """Run the real ``enrich`` command in this folder."""
        full_env = {**os.environ, **(env or {})}
        result = subprocess.run(
            [sys.executable, "-c", "from crm_enrich.cli import main; main()", *args],
            cwd=self.root, capture_output=True, text=True, env=full_env, timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"enrich {args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def sync(self, *args: str, env: dict | None = None) -> dict:
        """``enrich --json sync``: the run's figures per object type."""
        result = self.enrich("--json", "sync", *args, env=env, check=True)
        return json.loads(result.stdout.splitlines()[-1])["figures"]


COMPANIES = [
    # id, name, domain, industry, employees, revenue, country, technologies
    ["c1", "Acme Software", "acme.com", "COMPUTER_SOFTWARE", "250", "20000000", "US", "salesforce;aws"],
    ["c2", "Tiny Shop", "tinyshop.de", "RETAIL", "4", "", "DE", ""],
    ["c3", "Mystery Co", "mystery.io", "", "", "", "", ""],
    ["c4", "Rival Inc", "rival.com", "COMPUTER_SOFTWARE", "300", "", "US", "hubspot"],
    ["c5", "Netz GmbH", "netz.de", "INTERNET", "12000", "", "DE", "hubspot"],
]
CONTACTS = [
    ["p1", "ana@acme.com", "Ana", "Lopez", "VP Engineering", "c1"],
    ["p2", "bo@tinyshop.de", "Bo", "Berg", "Owner", "c2"],
    ["p3", "cy@acme.com", "Cy", "Chen", "Engineer", ""],  # linked by email domain
    ["p4", "di@gmail.com", "Di", "Diaz", "Consultant", ""],  # no company
]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(tmp_path)
    write_csv(p.companies, COMPANY_HEADER, COMPANIES)
    write_csv(p.contacts, CONTACT_HEADER, CONTACTS)
    p.write_config()
    return p


# -- a third-party plugin: tests/plugin_dist, an incremental connector without read-back --

PLUGIN_DIST = Path(__file__).parent / "plugin_dist"

JSONL_CONFIG = """
connector = "jsonl"
scorers = ["icp"]

[plugins.jsonl]
source = "data"
log = "written.jsonl"
"""


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The example plugin distribution, really built and installed into its own folder."""
    target = tmp_path_factory.mktemp("site-packages")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(PLUGIN_DIST)],
        check=True, capture_output=True,
    )
    return target


@pytest.fixture
def with_jsonl(site):
    return {"PYTHONPATH": str(site), "CRM_ENRICH_PLUGINS": BUILTINS + ",jsonl"}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


# -- the fake HubSpot (tests/hubspot_fake): real HTTP on loopback, checked against the contract --


@pytest.fixture
def hubspot():
    """A fresh fake HubSpot for one test; a request outside the contract, or an answer of
    the fake outside it, fails the test at teardown with the list of violations."""
    with FakeHubSpot() as fake:
        yield fake
    fake.assert_no_violations()
