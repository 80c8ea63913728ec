"""``contact_country``: fills a contact's blank ``country`` (ISO 3166-1 alpha-2, ``DE``).

A country the source already holds is returned unchanged, whatever its form: this
plugin fills blanks and never corrects what a person typed. A blank is filled from the
phone number first, then from the email's domain.

**Phone.** Only numbers written internationally name a country: a leading ``+`` or
``00``, with any spaces, punctuation, a ``tel:`` prefix, a ``(0)`` trunk digit and an
extension (``x12``, ``ext. 12``, ``#12``, ``;ext=12``) allowed. National-format numbers
(``030 1234567``, ``(415) 555-0100``, or ``011`` followed by a code) give nothing: without
a prefix the country is a guess. The calling code is looked up in phonenumbers' table
(Google's libphonenumber metadata). Where several countries share a code:

- ``+1`` (NANP): the area code decides. Each distinct area code is classified once by
  phonenumbers, through a representative number in it (``<area> 234-5678``): US, CA, or
  one of the Caribbean and Pacific members. Toll-free codes (800, 888...) come out US;
  an area code the metadata does not know (unassigned, or newer than it) gives nothing.
- the other shared codes give their main country (``+7`` RU, ``+44`` GB, ``+39`` IT,
  ``+47`` NO, ``+61`` AU, ``+358`` FI...) unless the number starts with the leading digits
  the metadata gives another member: ``+7 7`` KZ, ``+44 7624`` IM, ``+39 06698`` VA,
  ``+47 79`` SJ, ``+358 18`` AX, ``+599 3/4/7`` BQ. Members it tells apart only by whole
  number patterns (Guernsey, Jersey, Cocos and Christmas Islands, Mayotte, Western
  Sahara, St Barthélemy, St Martin) come out as the main country.
- non-geographic codes (``+800``, ``+882``...) and Kosovo's ``+383`` (``XK`` is not an ISO
  3166-1 code) give nothing; Ascension and Tristan da Cunha give ``SH``, which covers them.

**Email.** The last label of the domain, when it is an ISO 3166-1 code (``.de`` -> DE,
``.co.uk`` and ``.uk`` -> GB), except the country-code domains registered worldwide as
brand names (:data:`GENERIC_TLDS`): ``x@startup.io`` says nothing about where x is.

Each distinct calling-code key is classified once per batch and joined back to the rows;
everything else is column expressions.
"""

from __future__ import annotations

import re

import phonenumbers
import polars as pl
import pyarrow as pa
import pycountry
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as SettingField

import crm_enrich
from crm_enrich.columns import with_column
from crm_enrich.plugins.email_type import normalised_addresses
from crm_enrich.protocols import Field

ISO_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)
# phonenumbers' regions that are not ISO 3166-1 codes but lie within one.
ISO_ALIASES = {"AC": "SH", "TA": "SH"}

CALLING_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
NANP_SUBSCRIBER = "2345678"  # an ordinary exchange and line, so the area code alone decides


def _members_by_leading_digits() -> dict[int, list[tuple[str, re.Pattern]]]:
    """Members of a shared calling code (not NANP) that the metadata recognises by their
    leading digits, by code: ``{7: [("KZ", "7")], 44: [("IM", "74576|(?:16|7[56])24")]...}``.
    The code's main country takes its other numbers.
    """
    members = {}
    for code, (_main, *others) in COUNTRY_CODE_TO_REGION_CODE.items():
        patterns = [(r, PhoneMetadata.metadata_for_region(r).leading_digits) for r in others]
        if code != 1 and any(leading for _, leading in patterns):
            members[code] = [(r, re.compile(leading)) for r, leading in patterns if leading]
    return members


LEADING_DIGITS = _members_by_leading_digits()
LEADING_CODES = frozenset(str(code) for code in LEADING_DIGITS)
LEADING_PREFIX_DIGITS = 5  # enough for every such pattern (+39 06698 VA, +44 74576 IM)

EXTENSION = r"(?:ext(?:ension|n)?\.?|x|#|,+)\s*:?\s*\d+\s*$"

# Google's list of country-code domains it treats as generic (Search Central, "Managing
# multi-regional and multilingual sites"), plus our own few that startups favour for
# the word, not the country: gg, ly, sh, to, vc.
GENERIC_TLDS = frozenset(
    "ad ai as bz cc cd co dj fm io la me ms nu sc sr su tk tv ws".split() + "gg ly sh to vc".split()
)
# ccTLDs whose letters differ from the ISO code: the United Kingdom uses .uk, not .gb.
TLD_ALIASES = {"uk": "GB"}


def country_for_calling_key(calling_code: str, national_prefix: str) -> str | None:
    """The country of numbers with ``calling_code`` whose national number starts with
    ``national_prefix`` (the NANP area code, the first digits under another shared code,
    or empty). Called once per distinct key, not per row.
    """
    code = int(calling_code)
    if code == 1:
        representative = phonenumbers.PhoneNumber(
            country_code=1, national_number=int(national_prefix + NANP_SUBSCRIBER)
        )
        region = phonenumbers.region_code_for_number(representative)
    else:
        members = LEADING_DIGITS.get(code, [])
        region = next((r for r, leading in members if leading.match(national_prefix)), None)
        region = region or COUNTRY_CODE_TO_REGION_CODE[code][0]
    region = ISO_ALIASES.get(region, region)
    return region if region in ISO_COUNTRIES else None


def phone_countries(phone: pl.Series) -> pl.Series:
    """The country of each internationally written phone number, null for the rest."""
    digits = (
        phone.cast(pl.String)
        .str.to_lowercase()
        .str.replace(r";.*$", "")  # RFC 3966 parameters: tel:+1-201-555-0123;ext=1234
        .str.replace(EXTENSION, "")
        .str.replace_all("(0)", "", literal=True)  # +44 (0)20 ...: not dialled from abroad
        .str.replace_all(r"[^\d+]", "")
        .str.extract(r"^(?:\+|00)(\d{7,15})$")
    )
    number, code = pl.col("number"), pl.col("code")
    prefix_digits = pl.when(code == "1").then(3).when(code.is_in(LEADING_CODES)).then(LEADING_PREFIX_DIGITS)
    keys = (
        pl.LazyFrame({"number": digits})
        .with_columns(
            # calling codes are prefix-free: at most one of these matches
            code=pl.coalesce(
                pl.when(number.str.head(n).is_in(CALLING_CODES)).then(number.str.head(n)) for n in (1, 2, 3)
            )
        )
        .select(code, prefix=number.str.slice(code.str.len_chars()).str.head(prefix_digits.otherwise(0)))
        .collect()
    )
    distinct = keys.drop_nulls().unique()
    found = [country_for_calling_key(code, prefix) for code, prefix in distinct.iter_rows()]
    countries = distinct.with_columns(pl.Series("country", found, dtype=pl.String))
    return keys.join(countries, on=["code", "prefix"], how="left", maintain_order="left").get_column("country")


class ContactCountrySettings(BaseModel):
    """Where a blank country may be filled from."""

    model_config = ConfigDict(extra="forbid")

    from_phone: bool = SettingField(True, description="fill from phone numbers written with +CC or 00CC")
    from_email: bool = SettingField(
        True, description="fill from the email's country-code domain where the phone gives nothing"
    )
    extra_generic_tlds: list[str] = SettingField(
        [], description="more country-code domains to ignore because they are used as brand names"
    )

    @field_validator("extra_generic_tlds")
    @classmethod
    def _as_compared(cls, values: list[str]) -> list[str]:
        """``.LY`` -> ``ly``, as domains are compared."""
        return [v.strip().lower().removeprefix(".") for v in values if v.strip()]

    @model_validator(mode="after")
    def _something_to_fill_from(self) -> ContactCountrySettings:
        if not (self.from_phone or self.from_email):
            raise ValueError(
                "from_phone and from_email are both false, so nothing would be filled; "
                "switch the plugin off with enabled = false instead"
            )
        return self


class ContactCountry:
    """Fills blank ``country`` from the phone's calling code, else the email's ccTLD."""

    name = "contact_country"
    object_type = "contacts"
    Settings = ContactCountrySettings
    outputs = {
        "country": Field(
            pa.string(),
            "Country (ISO 3166-1 alpha-2), filled from the phone number or email domain",
            policy="fill_missing",
        )
    }

    def __init__(self, settings: ContactCountrySettings, context):
        self.settings = settings
        ignored = GENERIC_TLDS | set(settings.extra_generic_tlds)
        self.tld_countries = {
            tld: country
            for tld, country in ({c.lower(): c for c in ISO_COUNTRIES} | TLD_ALIASES).items()
            if tld not in ignored
        }

    def enrich(self, table: pa.Table) -> pa.Table:
        existing = pl.from_arrow(table.column("country")).cast(pl.String)
        found = []
        if self.settings.from_phone:
            found.append(phone_countries(pl.from_arrow(table.column("phone"))))
        if self.settings.from_email:
            addresses = pl.from_arrow(table.select(["email"])).select(normalised_addresses(pl.col("email")))
            tld = addresses.get_column("domain").str.extract(r"\.([^.]+)$")
            found.append(tld.replace_strict(self.tld_countries, default=None, return_dtype=pl.String))
        blank = existing.str.strip_chars().fill_null("") == ""
        country = pl.select(pl.when(blank).then(pl.coalesce(found)).otherwise(existing)).to_series()
        return with_column(table, "country", country.to_arrow().cast(pa.string()))


@crm_enrich.hookimpl
def register_enrichers(register):
    register(ContactCountry)
