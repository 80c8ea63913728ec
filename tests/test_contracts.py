"""Every built-in plugin through the contract kit, exactly as a third party uses it
(``crm_enrich.testing``): a subclass per plugin, saying only how to build it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.csv  # noqa: F401 - makes pa.csv available
import pytest
import requests
from crm_enrich.columns import with_column
from crm_enrich.connectors.files import FilesConnector
from crm_enrich.connectors.hubspot import DEFAULT_PROPERTIES, HubSpotConnector
from crm_enrich.plugins.contact_country import ContactCountry
from crm_enrich.plugins.email_type import EmailType
from crm_enrich.plugins.employee_band import EmployeeBand
from crm_enrich.plugins.firmographics import Firmographics
from crm_enrich.plugins.icp import IcpScorer
from crm_enrich.plugins.job_title import JobTitle
from crm_enrich.plugins.pdl import PDLCompanies
from crm_enrich.plugins.persona import PersonaScorer
from crm_enrich.plugins.reference import ReferenceFile
from crm_enrich.testing import (
    SAMPLE_COMPANIES,
    SAMPLE_CONTACTS,
    ConnectorContract,
    EnricherContract,
    ProviderContract,
    ScorerContract,
    canonical_table,
)
from hubspot_fake import DEFAULT_TOKEN
from pdl_fake import FakePDL


class TestFilesConnector(ConnectorContract):
    plugin = FilesConnector

    def seed(self, tmp_path, companies, contacts):
        for object_type, rows in (("companies", companies), ("contacts", contacts)):
            table = canonical_table(object_type, rows)
            if object_type == "companies":  # a CSV cell holds the list as "a;b"
                table = with_column(table, "technologies",
                                    pa.array([";".join(v) if v else None for v in table["technologies"].to_pylist()]))
            pa.csv.write_csv(table, tmp_path / f"{object_type}.csv")
        return {"companies": {"path": "companies.csv"}, "contacts": {"path": "contacts.csv"}}

    def unreachable(self, tmp_path):
        return {"companies": {"path": "nowhere/companies.csv"}, "contacts": {"path": "nowhere/contacts.csv"}}


class TestFilesConnectorWritingCopies(TestFilesConnector):
    """The same contract with ``output_dir``: the inputs stay, labelled copies hold the labels."""

    def seed(self, tmp_path, companies, contacts):
        return {**super().seed(tmp_path, companies, contacts), "output_dir": "out"}


class TestEmployeeBand(EnricherContract):
    plugin = EmployeeBand


class TestFirmographics(EnricherContract):
    plugin = Firmographics


class TestJobTitle(EnricherContract):
    plugin = JobTitle


class TestEmailType(EnricherContract):
    plugin = EmailType


class TestContactCountry(EnricherContract):
    plugin = ContactCountry


class TestIcp(ScorerContract):
    plugin = IcpScorer
    settings = {
        "criteria": [
            {"name": "industry", "column": "industry", "in": ["COMPUTER_SOFTWARE"], "weight": 50},
            {"name": "size", "column": "employees", "min": 50, "max": 5000, "weight": 50},
        ],
    }


class TestPersona(ScorerContract):
    plugin = PersonaScorer
    settings = {"target_departments": ["sales", "engineering"]}

    def input(self):
        table = super().input()  # persona reads the title's labels, which job_title gives
        return JobTitle(JobTitle.Settings(), None).enrich(table)


class TestReferenceFile(ProviderContract):
    plugin = ReferenceFile
    known = ["acme.com", "mueller-logistik.de"]

    def build(self, plugin_context, settings=None):
        vendor = plugin_context.config_dir / "vendor.csv"
        if not vendor.exists():  # built again: the same file, so its prepared keys are reused
            vendor.write_text(
                "website,name,industry,employee_count\n"
                "www.Acme.com,acme,computer software,250\n"
                "mueller-logistik.de,müller,logistics and supply chain,40\n"
            )
        return super().build(plugin_context, {"path": "vendor.csv"})


# -- the connectors and providers of vendor APIs, against their fakes ---------------------------



def _hubspot_properties(object_type: str, row: dict) -> dict:
    """A sample record as HubSpot properties (text), without the ones HubSpot derives."""
    out = {}
    for column, value in row.items():
        prop = DEFAULT_PROPERTIES[object_type].get(column)
        if value is None or prop is None or column in ("id", "company_id", "updated_at"):
            continue
        out[prop] = ";".join(value) if isinstance(value, list) else str(value)
    return out


class TestHubSpotConnector(ConnectorContract):
    plugin = HubSpotConnector
    exemptions = {"abort": "HubSpot applies each batch update when it is sent; there is no transaction to roll back"}

    @pytest.fixture(autouse=True)
    def _token(self, monkeypatch):
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", DEFAULT_TOKEN)

    @pytest.fixture
    def source(self, hubspot):
        companies = hubspot.seed("companies", [_hubspot_properties("companies", r) for r in SAMPLE_COMPANIES])
        contacts = hubspot.seed("contacts", [_hubspot_properties("contacts", r) for r in SAMPLE_CONTACTS])
        self.ids = {r["id"]: i for r, i in zip(SAMPLE_COMPANIES + SAMPLE_CONTACTS, companies + contacts)}
        for row in SAMPLE_CONTACTS:
            if row.get("company_id"):
                hubspot.associate(self.ids[row["id"]], self.ids[row["company_id"]], primary=True)
        return {"token": {"env": "HUBSPOT_ACCESS_TOKEN"}, "base_url": hubspot.base_url,
                "overlap_minutes": 0, "max_backoff_seconds": 0.01}

    def touch(self, settings, object_type, record_id):
        answer = requests.patch(f"{settings['base_url']}/crm/v3/objects/{object_type}/{self.id_of(record_id)}",
                                headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
                                json={"properties": {"jobtitle": "Chief Touch Officer"}}, timeout=10)
        answer.raise_for_status()

    def unreachable(self, tmp_path):  # a closed port: nothing answers
        return {"token": {"env": "HUBSPOT_ACCESS_TOKEN"}, "base_url": "http://127.0.0.1:9", "retries": 1,
                "timeout_seconds": 1}


class TestPDLProvider(ProviderContract):
    plugin = PDLCompanies
    known = ["acme.com", "mueller-logistik.de"]

    @pytest.fixture(autouse=True)
    def pdl(self, monkeypatch):
        with FakePDL() as pdl:
            pdl.seed([{"website": "acme.com", "name": "acme", "industry": "computer software", "likelihood": 9},
                      {"website": "mueller-logistik.de", "name": "müller", "employee_count": 40}])
            monkeypatch.setenv("PDL_API_KEY", pdl.api_key)
            self.settings = {"api_key": {"env": "PDL_API_KEY"}, "base_url": pdl.url}
            yield pdl
