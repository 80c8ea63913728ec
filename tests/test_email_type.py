"""``email_type``: messy addresses against labels written by hand, settings, the real CLI."""

from __future__ import annotations


import pyarrow as pa
import pytest
from pydantic import ValidationError

from crm_enrich.columns import CONTACTS
from crm_enrich.plugins import email_type
from crm_enrich.plugins.email_type import EmailType, EmailTypeSettings

from conftest import read_csv, write_csv

PLUGINS = {"CRM_ENRICH_PLUGINS": "files,icp,employee_band,email_type,contact_country"}


def contacts(emails: list[str | None], layout=pa.large_string()) -> pa.Table:
    """A contacts table as the engine hands it over, emails in the given text layout."""
    table = pa.table({f.name: pa.nulls(len(emails), f.type) for f in CONTACTS})
    table = table.set_column(0, "id", pa.array([f"p{i}" for i in range(len(emails))]))
    return table.set_column(1, "email", pa.array(emails, layout))


def labels(emails: list[str | None], **settings) -> dict[str | None, str | None]:
    enricher = EmailType(EmailTypeSettings.model_validate(settings), context=None)
    out = enricher.enrich(contacts(emails))
    return dict(zip(emails, out.column("email_type").to_pylist()))


CASES = {
    # no email
    None: None,
    "   ": None,
    # case, spaces, display names and mailto: are ignored
    " John.Doe@GMAIL.com ": "free",
    "ana@acme.com": "corporate",
    "Ana Lopez <Ana@Acme.com>": "corporate",
    '"Lopez, Ana" <ana@acme.com>': "corporate",
    "mailto:ana@acme.com": "corporate",
    "ana@sub.acme.co.uk": "corporate",
    "ana@münchen.de": "corporate",
    # broken syntax
    "bad@@x": "invalid",
    "a@b@acme.com": "invalid",
    "ana lopez@acme.com": "invalid",
    "@acme.com": "invalid",
    "ana@": "invalid",
    "ana@acme": "invalid",
    "ana@acme..com": "invalid",
    "ana@.acme.com": "invalid",
    "ana@acme.com, bo@acme.com": "invalid",
    "Ana Lopez <>": "invalid",
    "ana.acme.com": "invalid",
    # disposable, the domain or a parent of it
    "a@x.mailinator.com": "disposable",
    "Jo@GUERRILLAMAIL.COM": "disposable",
    "info@mailinator.com": "disposable",  # disposable before role
    # role mailboxes: whole local part, first word, +tag, separators
    "info@acme.com": "role",
    "SALES.emea@acme.com": "role",
    "support-de@acme.com": "role",
    "hr_team@acme.com": "role",
    "no-reply@acme.com": "role",
    "do.not.reply@acme.com": "role",
    "info+crm@acme.com": "role",
    "info@gmail.com": "role",  # role before free
    "steve.jobs@apple.com": "corporate",  # only the first word counts
    "salesforce.admin@acme.com": "corporate",  # a word that merely starts like one
    # free webmail
    "ana+newsletter@gmail.com": "free",
    "jo@yahoo.co.uk": "free",
    "jo@web.de": "free",
    "jo@outlook.com": "free",
}


def test_each_kind_of_address_gets_its_label():
    assert labels(list(CASES)) == CASES


def test_settings_extend_the_lists_and_corporate_domains_win_over_them():
    emails = [
        "jo@fastmail.com", "jo@team.fastmail.com", "info@fastmail.com",
        "jo@acme-mail.com", "jo@a.burner.test", "vertrieb.nord@acme.de", "bad@@fastmail.com",
    ]
    assert labels(emails) == {
        "jo@fastmail.com": "free", "jo@team.fastmail.com": "corporate", "info@fastmail.com": "role",
        "jo@acme-mail.com": "corporate", "jo@a.burner.test": "corporate",
        "vertrieb.nord@acme.de": "corporate", "bad@@fastmail.com": "invalid",
    }
    assert labels(
        emails,
        corporate_domains=[" FastMail.com "],
        extra_free_domains=["@Acme-Mail.com"],
        extra_disposable_domains=["burner.test"],
        extra_role_local_parts=["Vertrieb"],
    ) == {
        "jo@fastmail.com": "corporate", "jo@team.fastmail.com": "corporate",
        "info@fastmail.com": "role",  # an allow-listed domain still has role mailboxes
        "jo@acme-mail.com": "free", "jo@a.burner.test": "disposable",
        "vertrieb.nord@acme.de": "role", "bad@@fastmail.com": "invalid",
    }


def test_unknown_setting_is_refused():
    with pytest.raises(ValidationError, match="extra_free_domain"):
        EmailTypeSettings.model_validate({"extra_free_domain": ["x.com"]})


@pytest.mark.parametrize("layout", [pa.string(), pa.large_string(), pa.string_view()])
def test_rows_keep_their_order_whatever_the_text_layout(layout):
    emails = ["info@acme.com", None, "a@gmail.com", "bad@@x", "a@acme.com"]
    out = EmailType(EmailTypeSettings(), None).enrich(contacts(emails, layout))
    assert out.column("id").to_pylist() == ["p0", "p1", "p2", "p3", "p4"]
    assert out.column("email_type").to_pylist() == ["role", None, "free", "invalid", "corporate"]
    assert out.schema.field("email_type").type == pa.string()


def test_empty_and_all_null_tables():
    enricher = EmailType(EmailTypeSettings(), None)
    assert enricher.enrich(contacts([])).column("email_type").to_pylist() == []
    all_null = contacts([None, None]).set_column(1, "email", pa.nulls(2, pa.null()))
    assert enricher.enrich(all_null).column("email_type").to_pylist() == [None, None]


def test_a_held_label_is_replaced_not_duplicated():
    table = contacts(["info@acme.com"]).append_column("email_type", pa.array(["free"]))
    out = EmailType(EmailTypeSettings(), None).enrich(table)
    assert out.column_names.count("email_type") == 1
    assert out.column("email_type").to_pylist() == ["role"]


def test_each_distinct_domain_is_classified_once(monkeypatch):
    seen: list[list[str]] = []
    classify = email_type.classify_domains

    def counting(domains, **lists):
        seen.append(domains.to_list())
        return classify(domains, **lists)

    monkeypatch.setattr(email_type, "classify_domains", counting)
    domains = ["gmail.com", "mailinator.com"] + [f"firm{i}.com" for i in range(48)]
    emails = [f"person{i}@{domains[i % 50].upper()}" for i in range(100_000)]
    out = EmailType(EmailTypeSettings(), None).enrich(contacts(emails)).column("email_type").to_pylist()
    assert len(seen) == 1 and sorted(seen[0]) == sorted(domains)
    assert out[:3] == out[99_950:99_953] == ["free", "disposable", "corporate"]


def test_sync_labels_contacts_overwrites_edited_labels_and_then_writes_nothing(project):
    write_csv(project.contacts, ["id", "email", "first_name", "company_id"], [
        ["p1", " Ana.Lopez@GMAIL.com ", "Ana", ""],
        ["p2", "info@acme.com", "", "c1"],
        ["p3", "bo@x.mailinator.com", "Bo", ""],
        ["p4", "cy@@acme.com", "Cy", ""],
        ["p5", "di@acme.com", "Di", "c1"],
        ["p6", "", "Ed", ""],
    ])
    project.write_config(head='connector = "files"\nenrichers = ["email_type"]\nscorers = ["icp"]\n')

    def sync() -> dict:
        return project.sync(env=PLUGINS)["contacts"]

    first = sync()
    rows = read_csv(project.contacts)
    assert {r["id"]: r["email_type"] for r in rows} == {
        "p1": "free", "p2": "role", "p3": "disposable", "p4": "invalid", "p5": "corporate", "p6": "",
    }
    assert first["fields"]["email_type"] == 5
    assert sync()["written"] == 0

    rows[4]["email_type"] = "free"  # a person edits the label: it is the engine's to keep right
    write_csv(project.contacts, list(rows[0]), [list(r.values()) for r in rows])
    third = sync()
    assert (third["written"], third["fields"]["email_type"]) == (1, 1)
    assert {r["id"]: r["email_type"] for r in read_csv(project.contacts)}["p5"] == "corporate"


def test_a_misspelled_setting_stops_enrich_check_with_its_key_path(project):
    project.write_config(
        "[plugins.email_type]\nextra_free_domain = ['mail.acme.com']\n",
        head='connector = "files"\nenrichers = ["email_type"]\nscorers = ["icp"]\n',
    )
    result = project.enrich("check", env=PLUGINS)
    assert result.returncode == 2
    assert (
        "plugins.email_type.extra_free_domain: unknown key (did you mean 'extra_free_domains'?)"
        in result.stderr
    )
