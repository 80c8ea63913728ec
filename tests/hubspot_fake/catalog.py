"""The properties a fresh portal has: HubSpot's defaults that the engine reads or writes.

Names, types and field types follow HUBSPOT_API_NOTES.md §1.7 (community dumps of the
``hubspotDefined`` properties). Enumeration options are a small subset of HubSpot's (the
real ``industry`` list has about 150 values); a test that needs more adds them with the
properties API or ``FakeHubSpot.define_property``.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_enrich.normalise import industries

# The object types of the contract; paths accept the name, the singular or the type id.
OBJECT_TYPES = {
    "contacts": "contacts", "contact": "contacts", "0-1": "contacts",
    "companies": "companies", "company": "companies", "0-2": "companies",
}

# The cursor property differs by object (§0.5); contacts carry hs_lastmodifieddate too,
# and every write moves both.
LAST_MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"}
MODIFIED_DATES = {"contacts": ("lastmodifieddate", "hs_lastmodifieddate"), "companies": ("hs_lastmodifieddate",)}

# Returned whatever ``properties`` asks for, as HubSpot does.
ALWAYS_RETURNED = {
    "contacts": ("createdate", "hs_object_id", "lastmodifieddate"),
    "companies": ("createdate", "hs_lastmodifieddate", "hs_object_id"),
}

# Returned when ``properties`` is absent (§1.3 lists them for search; list and get agree).
DEFAULT_RETURNED = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
}

# What a search ``query`` looks in.
QUERY_SEARCHED = {"contacts": ("firstname", "lastname", "email", "company"), "companies": ("name", "domain")}

# type -> the field types HubSpot allows with it (§1.6).
FIELD_TYPES = {
    "bool": {"booleancheckbox", "calculation_equation"},
    "enumeration": {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "string": {"text", "textarea", "file", "html", "phonenumber", "calculation_equation"},
    "number": {"number", "calculation_equation"},
}

# The usual field type of each type, for properties a test defines.
USUAL_FIELD_TYPE = {"bool": "booleancheckbox", "enumeration": "select", "date": "date", "datetime": "date",
                    "string": "text", "number": "number"}

DEFAULT_GROUPS = {
    "contacts": {"contactinformation": "Contact information", "analyticsinformation": "Web analytics history"},
    "companies": {"companyinformation": "Company information", "analyticsinformation": "Web analytics history"},
}


@dataclass(frozen=True)
class Default:
    """One HubSpot-defined property; ``read_only`` values are set by HubSpot, never by a client."""

    name: str
    type: str = "string"
    field_type: str = "text"
    options: tuple[str, ...] = ()
    read_only: bool = False
    group: str = ""


LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
             "customer", "evangelist", "other")
# HubSpot's 147 internal industry values (crm_enrich ships the list with its sources).
INDUSTRIES = industries()

_TIMESTAMPS = (
    Default("createdate", "datetime", "date", read_only=True),
    Default("hs_object_id", "number", "number", read_only=True),
)

DEFAULTS: dict[str, tuple[Default, ...]] = {
    "companies": _TIMESTAMPS + (
        Default("hs_lastmodifieddate", "datetime", "date", read_only=True),
        Default("name"), Default("domain"), Default("website"), Default("phone"),
        Default("industry", "enumeration", "select", INDUSTRIES),
        Default("numberofemployees", "number", "number"),
        Default("annualrevenue", "number", "number"),
        Default("country"), Default("state"), Default("city"),
        Default("founded_year"), Default("total_money_raised"),
        Default("is_public", "bool", "booleancheckbox", ("true", "false")),
        Default("web_technologies", "enumeration", "checkbox",
                ("salesforce", "hubspot", "google_analytics", "aws", "shopify", "wordpress")),
        Default("lifecyclestage", "enumeration", "radio", LIFECYCLE),
        # Option values assumed; §1.7 says to read them from the portal.
        Default("hs_ideal_customer_profile", "enumeration", "radio", ("tier_1", "tier_2", "tier_3")),
        Default("hs_employee_range"), Default("hs_revenue_range"),
        Default("hs_analytics_num_page_views", "number", "number", group="analyticsinformation"),
        Default("hs_analytics_num_visits", "number", "number", group="analyticsinformation"),
    ),
    "contacts": _TIMESTAMPS + (
        Default("lastmodifieddate", "datetime", "date", read_only=True),
        Default("hs_lastmodifieddate", "datetime", "date", read_only=True),
        Default("email"), Default("firstname"), Default("lastname"), Default("jobtitle"),
        Default("phone"), Default("company"), Default("country"),
        # Contact-level industry and annualrevenue are strings, numemployees an enumeration (§1.7).
        Default("industry"), Default("annualrevenue"),
        Default("numemployees", "enumeration", "select",
                ("1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+")),
        Default("hs_role", "enumeration", "select",
                ("consulting", "engineering", "finance", "marketing", "operations", "sales")),
        Default("hs_sub_role", "enumeration", "select", ("account_manager", "software_engineer")),
        Default("hs_seniority", "enumeration", "select", ("entry", "manager", "director", "vp", "executive")),
        Default("hs_persona", "enumeration", "select", ("persona_1", "persona_2", "persona_3")),
        Default("hs_buying_role", "enumeration", "checkbox",
                ("BLOCKER", "BUDGET_HOLDER", "CHAMPION", "DECISION_MAKER", "END_USER",
                 "EXECUTIVE_SPONSOR", "INFLUENCER", "LEGAL_AND_COMPLIANCE", "OTHER")),
        Default("lifecyclestage", "enumeration", "radio", LIFECYCLE),
        # "Primary Associated Company ID": the fake derives it from the primary association.
        Default("associatedcompanyid", "number", "number", read_only=True),
        Default("hs_analytics_num_page_views", "number", "number", group="analyticsinformation"),
        Default("hs_analytics_num_visits", "number", "number", group="analyticsinformation"),
    ),
}
