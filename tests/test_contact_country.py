"""``contact_country``: phones and emails against countries written by hand, and the real CLI."""

from __future__ import annotations


import pyarrow as pa
import pytest
from pydantic import ValidationError

from crm_enrich.columns import CONTACTS
from crm_enrich.plugins import contact_country
from crm_enrich.plugins.contact_country import ContactCountry, ContactCountrySettings

from conftest import read_csv, write_csv

PLUGINS = {"CRM_ENRICH_PLUGINS": "files,icp,employee_band,email_type,contact_country"}


def contacts(rows: list[tuple], layout=pa.large_string()) -> pa.Table:
    """A contacts table as the engine hands it over from ``(phone, email, country)`` rows."""
    phones, emails, countries = (list(c) for c in zip(*rows)) if rows else ([], [], [])
    table = pa.table({f.name: pa.nulls(len(rows), f.type) for f in CONTACTS})
    for name, values in (("id", [f"p{i}" for i in range(len(rows))]), ("phone", phones),
                         ("email", emails), ("country", countries)):
        table = table.set_column(table.column_names.index(name), name, pa.array(values, layout))
    return table


def countries(rows: list[tuple], **settings) -> list[str | None]:
    enricher = ContactCountry(ContactCountrySettings.model_validate(settings), context=None)
    return enricher.enrich(contacts(rows)).column("country").to_pylist()


CASES = [
    # (phone, email, country the source holds) -> country
    (("+1 (416) 555-0199", None, None), "CA"),
    (("+1 415 555 0100", None, None), "US"),
    (("+1-604-555-0123", None, None), "CA"),
    (("+1 242 555 0100", None, None), "BS"),  # Bahamas, inside NANP
    (("+1 787 555 0100", None, None), "PR"),
    (("0049 30 1234567", None, None), "DE"),
    (("+44 20 7946 0958", None, None), "GB"),
    (("+44 (0)20 7946 0958", None, None), "GB"),
    (("+44 7624 123456", None, None), "IM"),  # Isle of Man's mobile range
    (("+7 495 123 4567", None, None), "RU"),
    (("+7 727 123 4567", None, None), "KZ"),
    (("+33 1 23 45 67 89", None, None), "FR"),
    (("tel:+1-604-555-0123;ext=42", None, None), "CA"),
    (("+1 212 555 0100 x23", None, None), "US"),
    (("+49 30 1234567 ext. 12", None, None), "DE"),
    (("Fax: +353 1 234 5678", None, None), "IE"),
    (("+800 1234 5678", None, None), None),  # international freephone: no country
    (("+383 44 123 456", None, None), None),  # Kosovo: XK is not ISO 3166-1
    (("030 1234567", None, None), None),  # national format: no prefix, no country
    (("(415) 555-0100", None, None), None),
    (("+49", None, None), None),
    (("+1-800-FLOWERS", None, None), None),
    # email's country-code domain, when the phone gives nothing
    ((None, "jean@societe.fr", None), "FR"),
    ((None, "ana@acme.co.uk", None), "GB"),
    ((None, "Ana <ana@FIRMA.DE>", None), "DE"),
    ((None, "x@startup.io", None), None),
    ((None, "x@startup.ai", None), None),
    ((None, "x@startup.co", None), None),
    ((None, "ana@acme.com", None), None),
    ((None, "bad@@x.fr", None), None),
    (("030 1234567", "jean@societe.fr", None), "FR"),
    (("+1 415 555 0100", "jean@societe.fr", None), "US"),  # the phone comes first
    # what the source holds is kept as it is; only blanks are filled
    (("+1 415 555 0100", "jean@societe.fr", "Deutschland"), "Deutschland"),
    (("+1 415 555 0100", None, "de"), "de"),
    (("+1 415 555 0100", None, ""), "US"),
    (("+1 415 555 0100", None, "   "), "US"),
]


def test_blank_countries_are_filled_from_phone_then_email():
    rows = [row for row, _ in CASES]
    assert dict(zip(rows, countries(rows))) == dict(CASES)


def test_settings_choose_the_sources_and_extend_the_generic_domains():
    rows = [
        ("+1 415 555 0100", "jean@societe.fr", None),
        (None, "jean@societe.fr", None),
        (None, "ana@bit.ly", None),
    ]
    assert countries(rows) == ["US", "FR", None]
    assert countries(rows, from_phone=False) == ["FR", "FR", None]
    assert countries(rows, from_email=False) == ["US", None, None]
    assert countries(rows, extra_generic_tlds=[".FR"]) == ["US", None, None]
    with pytest.raises(ValidationError, match="nothing would be filled"):
        ContactCountrySettings(from_phone=False, from_email=False)


@pytest.mark.parametrize("layout", [pa.string(), pa.large_string(), pa.string_view()])
def test_rows_keep_their_order_whatever_the_text_layout(layout):
    rows = [("+1 416 555 0199", None, None), (None, None, None), (None, "a@b.fr", "IT")]
    out = ContactCountry(ContactCountrySettings(), None).enrich(contacts(rows, layout))
    assert out.column("id").to_pylist() == ["p0", "p1", "p2"]
    assert out.column("country").to_pylist() == ["CA", None, "IT"]
    assert out.column_names == CONTACTS.names  # the input column is replaced in place
    assert out.schema.field("country").type == pa.string()


def test_empty_and_all_null_tables():
    enricher = ContactCountry(ContactCountrySettings(), None)
    assert enricher.enrich(contacts([])).column("country").to_pylist() == []
    assert enricher.enrich(contacts([(None, None, None)] * 3)).column("country").to_pylist() == [None] * 3


def test_each_distinct_area_code_is_classified_once(monkeypatch):
    calls: list[tuple[str, str]] = []
    classify = contact_country.country_for_calling_key

    def counting(calling_code, national_prefix):
        calls.append((calling_code, national_prefix))
        return classify(calling_code, national_prefix)

    monkeypatch.setattr(contact_country, "country_for_calling_key", counting)
    areas = [str(a) for a in range(201, 251)]  # 50 area codes: US, CA and Caribbean ones
    rows = [(f"+1 ({areas[i % 50]}) {200 + i % 800:03d}-{i % 10_000:04d}", None, None) for i in range(100_000)]
    out = countries(rows)
    assert sorted(calls) == [("1", a) for a in areas]
    by_area = set(zip((r[0][4:7] for r in rows), out))
    assert len(by_area) == 50  # every number of an area code got that area code's country
    assert {("212", "US"), ("204", "CA"), ("242", "BS"), ("246", "BB"), ("250", "CA")} <= by_area


def test_sync_fills_blank_countries_never_overwrites_typed_ones_then_writes_nothing(project):
    header = ["id", "email", "first_name", "company_id", "phone", "country"]
    write_csv(project.contacts, header, [
        ["p1", "ana@acme.com", "Ana", "c1", "+1 (416) 555-0199", ""],
        ["p2", "bo@tinyshop.de", "Bo", "c2", "+1 415 555 0100", "Deutschland"],  # typed: kept
        ["p3", "jean@societe.fr", "Jean", "", "", ""],
        ["p4", "x@startup.io", "X", "", "030 1234567", ""],  # nothing to go on
        ["p5", "ed@netz.de", "Ed", "c5", "0049 30 1234567", "DE"],
    ])
    project.write_config(head='connector = "files"\nenrichers = ["contact_country"]\nscorers = ["icp"]\n')

    def sync() -> dict:
        return project.sync(env=PLUGINS)["contacts"]

    first = sync()
    rows = read_csv(project.contacts)
    assert {r["id"]: r["country"] for r in rows} == {
        "p1": "CA", "p2": "Deutschland", "p3": "FR", "p4": "", "p5": "DE",
    }
    assert first["fields"]["country"] == 2
    assert list(rows[0]) == header + ["icp_tier"]  # filled in its own column, no new one
    second = sync()
    assert (second["changed"], second["written"]) == (0, 0)


def test_a_misspelled_setting_stops_enrich_sync_with_its_key_path(project):
    project.write_config(
        "[plugins.contact_country]\nfrom_phones = false\n",
        head='connector = "files"\nenrichers = ["contact_country"]\nscorers = ["icp"]\n',
    )
    before = project.contacts.read_bytes()
    result = project.enrich("sync", env=PLUGINS)
    assert result.returncode == 2
    assert "plugins.contact_country.from_phones: unknown key (did you mean 'from_phone'?)" in result.stderr
    assert project.contacts.read_bytes() == before
