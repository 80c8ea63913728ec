"""Every built-in plugin through the contract kit, exactly as a third party uses it
(``crm_enrich.testing``): a subclass per plugin, saying only how to build it."""

from __future__ import annotations

import pyarrow as pa
from crm_enrich.connectors.files import FilesConnector
from crm_enrich.plugins.contact_country import ContactCountry
from crm_enrich.plugins.email_type import EmailType
from crm_enrich.plugins.employee_band import EmployeeBand
from crm_enrich.plugins.firmographics import Firmographics
from crm_enrich.plugins.icp import IcpScorer
from crm_enrich.plugins.job_title import JobTitle
from crm_enrich.plugins.persona import PersonaScorer
from crm_enrich.plugins.reference import ReferenceFile
from crm_enrich.testing import (
    ConnectorContract,
    EnricherContract,
    ProviderContract,
    ScorerContract,
    canonical_table,
)


class TestFilesConnector(ConnectorContract):
    plugin = FilesConnector

    def seed(self, tmp_path, companies, contacts):
        for name, object_type, rows in (("companies", "companies", companies), ("contacts", "contacts", contacts)):
            table = canonical_table(object_type, rows)
            if object_type == "companies":  # a CSV cell holds the list as "a;b"
                table = table.set_column(table.column_names.index("technologies"), "technologies",
                                         pa.array([";".join(v) if v else None for v in table["technologies"].to_pylist()]))
            pa.csv.write_csv(table, tmp_path / f"{name}.csv")
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
        (plugin_context.config_dir / "vendor.csv").write_text(
            "website,name,industry,employee_count\n"
            "www.Acme.com,acme,computer software,250\n"
            "mueller-logistik.de,müller,logistics and supply chain,40\n"
        )
        return super().build(plugin_context, {"path": "vendor.csv"})
