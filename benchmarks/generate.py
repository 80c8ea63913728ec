#!/usr/bin/env python3
"""Synthetic CRM data for benchmarks: DIR/companies.parquet and DIR/contacts.parquet.

    python benchmarks/generate.py --companies 200000 --contacts 1000000 --out DIR [--seed 1]

Columns and Arrow types are the engine's canonical ones (docs: DESIGN.md, "Canonical
columns"). Everything is vectorised: numpy draws indices into small vocabulary arrays and
pyarrow.compute concatenates strings; there is no per-row Python loop. Contacts are made
and written in chunks of CHUNK rows (one Parquet row group each), so memory stays bounded
by the chunk and the company table, not by the number of contacts (5,000,000 contacts
stay well under 1.5 GB). Output is deterministic for a given seed.

The vocabulary (names, titles, industries, places, technologies) is shared with the demo
generator, scripts/make_demo.py; the tier mix under the demo ICP is shaped the same way
(rejection sampling by tier), so both data sets score alike.

Importable: ``from generate import generate`` (with benchmarks/ on sys.path).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CHUNK = 250_000

_DEMO_PATH = Path(__file__).resolve().parent.parent / "scripts" / "make_demo.py"


def _load_demo():
    spec = importlib.util.spec_from_file_location("_crm_enrich_make_demo", _DEMO_PATH)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


D = _load_demo()

COMPANY_SCHEMA = pa.schema([
    ("id", pa.string()), ("name", pa.string()), ("domain", pa.string()), ("website", pa.string()),
    ("industry", pa.string()), ("employees", pa.int64()), ("annual_revenue", pa.float64()),
    ("country", pa.string()), ("state", pa.string()), ("city", pa.string()),
    ("founded_year", pa.int64()), ("funding_total", pa.float64()), ("funding_stage", pa.string()),
    ("technologies", pa.list_(pa.string())), ("lifecycle_stage", pa.string()),
    ("updated_at", pa.timestamp("us", tz="UTC")),
])
CONTACT_SCHEMA = pa.schema([
    ("id", pa.string()), ("email", pa.string()), ("first_name", pa.string()), ("last_name", pa.string()),
    ("job_title", pa.string()), ("company_id", pa.string()), ("company_name", pa.string()),
    ("phone", pa.string()), ("country", pa.string()), ("lifecycle_stage", pa.string()),
    ("updated_at", pa.timestamp("us", tz="UTC")),
])

# acceptance probability by demo-ICP tier (keeps roughly A 12 %, B 20 %, C 27 %, D 40 %)
TIER_ACCEPT = np.array([0.66, 1.0, 0.68, 0.86])  # A, B, C, D

# updated_at window, as in the demo: 2025-01-01 00:00:00 to 2026-10-31 23:59:59 UTC, in microseconds
T0_US = 1_735_689_600_000_000
T1_US = 1_793_491_199_000_000


# ---------------------------------------------------------------------------
# small helpers (all vectorised over rows; loops only run over vocabularies)
# ---------------------------------------------------------------------------
class Vocab:
    """An Arrow string array plus name -> index lookup, for take()-based column building."""

    def __init__(self, items):
        self.items = list(items)
        self.arr = pa.array(self.items, pa.string())
        self.index = {s: i for i, s in enumerate(self.items)}

    def __len__(self):
        return len(self.items)

    def take(self, idx: np.ndarray) -> pa.Array:
        return self.arr.take(pa.array(idx, pa.int64()))


def weighted(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right")


class Grouped:
    """Per-group weighted choice: items of group g occupy [g, g+1) on a common axis.

    ``sample(rng, groups)`` draws, for each row, an item index from the row's group in one
    searchsorted call.
    """

    def __init__(self, groups: list[list[tuple[object, float]]]):
        self.values: list = []
        edges: list[float] = []
        for g, items in enumerate(groups):
            tot = sum(w for _, w in items) or 1.0
            acc = 0.0
            for v, w in items:
                acc += w / tot
                self.values.append(v)
                edges.append(g + min(acc, 1.0))
            edges[-1] = g + 1.0
        self.edges = np.array(edges)

    def sample(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        u = rng.random(len(groups)) * 0.999999999
        return np.searchsorted(self.edges, groups + u, side="right")


def join(*parts, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def lit(s: str, n: int) -> pa.Array:
    return pa.array(np.full(n, s, dtype=object), pa.string())


def null_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(arr), arr.type), arr)


def ids_for(n_start: int, n: int, base: int, seed: int, salt: int) -> pa.Array:
    """Unique numeric id strings: an odd-multiplier bijection on [0, 2**33) plus an offset."""
    i = np.arange(n_start, n_start + n, dtype=np.uint64)
    mult = np.uint64(0x9E3779B1 | 1)
    add = np.uint64((seed * 0x632BE5AB + salt * 0x85EBCA77) % (1 << 33))
    v = (i * mult + add) & np.uint64((1 << 33) - 1)
    return pa.array(v.astype(np.int64) + base).cast(pa.string())


def zipf_index(rng: np.random.Generator, lengths: np.ndarray, power: float) -> np.ndarray:
    """Index in [0, length) skewed towards 0 (power > 1 = stronger skew)."""
    return np.minimum((lengths * rng.random(len(lengths)) ** power).astype(np.int64), lengths - 1)


# ---------------------------------------------------------------------------
# vocabularies derived from the demo generator
# ---------------------------------------------------------------------------
INDUSTRIES = D.HUBSPOT_INDUSTRIES
IND_W = np.array([D.INDUSTRY_WEIGHT.get(k, D.DEFAULT_INDUSTRY_WEIGHT) for k in INDUSTRIES])
GROUPS = ["tech", "finance", "marketing", "health", "retail", "logistics", "construction", "industrial",
          "education", "professional", "general"]
IND_GROUP = np.array([GROUPS.index(D.INDUSTRY_GROUP.get(k, "general")) for k in INDUSTRIES])
DIGITAL_P = np.array([D.DIGITAL_P.get(g, 0.1) for g in GROUPS])
ICP_IND = np.isin(np.array(INDUSTRIES), D.ICP_INDUSTRIES)

COUNTRIES = list(D.COUNTRY_WEIGHT)
COUNTRY_W = np.array([D.COUNTRY_WEIGHT[c] for c in COUNTRIES])
ICP_COUNTRY = np.isin(np.array(COUNTRIES), D.ICP_COUNTRIES)
LOCALES = ["en", "fr", "de", "es", "pt", "nl", "sv", "in", "it", "pl", "ja"]
COMPANY_LOC = np.array([LOCALES.index(D.COMPANY_LOCALE[c]) for c in COUNTRIES])

TECHS = sorted(D.TECH_P)  # alphabetical, so list values come out sorted
TECH_P = np.array([D.TECH_P[t] for t in TECHS])  # (T, 2): non-digital, digital
ICP_TECH = np.isin(np.array(TECHS), D.ICP_TECH)
TECH_V = Vocab(TECHS)
SF = TECHS.index("salesforce")
HS = TECHS.index("hubspot")

STAGES = ["", "pre_seed", "angel", "seed", "series_a", "series_b", "series_c", "series_d", "series_e",
          "private_equity", "post_ipo_equity", "debt_financing", "series_unknown", "grant"]
ICP_STAGE = np.isin(np.array(STAGES), D.ICP_STAGES)
# stage mix by headcount band (<15, <80, <400, <3000, more), as in the demo
_STAGE_BANDS = [
    {"pre_seed": 20, "angel": 12, "seed": 50, "series_a": 12, "grant": 4, "series_unknown": 2},
    {"seed": 30, "series_a": 38, "series_b": 14, "angel": 4, "debt_financing": 6, "series_unknown": 8},
    {"series_a": 20, "series_b": 32, "series_c": 20, "series_d": 6, "private_equity": 10, "debt_financing": 7,
     "series_unknown": 5},
    {"series_b": 12, "series_c": 22, "series_d": 18, "series_e": 8, "private_equity": 22, "post_ipo_equity": 12,
     "debt_financing": 6},
    {"series_d": 8, "series_e": 6, "private_equity": 30, "post_ipo_equity": 50, "debt_financing": 6},
]
STAGE_BY_BAND = Grouped([[(STAGES.index(s), w) for s, w in band.items()] for band in _STAGE_BANDS])
FUND_LO = np.array([0.0] + [D.FUNDING_RANGES[s][0] for s in STAGES[1:]])
FUND_HI = np.array([1.0] + [D.FUNDING_RANGES[s][1] for s in STAGES[1:]])

LIFECYCLE = list(D.LIFECYCLE)
LIFECYCLE_W = np.array([D.LIFECYCLE[k] for k in LIFECYCLE])
CONTACT_LC = {"subscriber": 10, "lead": 40, "marketingqualifiedlead": 15, "salesqualifiedlead": 8,
              "opportunity": 6, "customer": 3, "other": 4, "": 14}

# places: (state, city) per country
_places = [[((st, city), w / len(cities)) for st, cities, w in D.REGIONS[c] for city in cities] for c in COUNTRIES]
PLACES = Grouped(_places)
STATE_V = Vocab([s for s, _ in PLACES.values])
CITY_V = Vocab([c for _, c in PLACES.values])

# TLDs by country (digital companies favour .io)
TLD_V = Vocab(sorted({t for c in COUNTRIES for t in D.TLDS[c]} | {"io"}))
_tld_groups = []
for c in COUNTRIES:
    _tld_groups.append([(TLD_V.index[t], w) for t, w in D.TLDS[c].items()])
for c in COUNTRIES:  # same again, for digital companies: group index + len(COUNTRIES)
    d = dict(D.TLDS[c])
    d["io"] = max(d.get("io", 0), 6) * 2.5
    _tld_groups.append([(TLD_V.index[t], w) for t, w in d.items()])
TLDS = Grouped(_tld_groups)

LEGAL = Grouped([[(s, w) for s, w in D.LEGAL.get(c, {"": 1}).items()] for c in COUNTRIES])
LEGAL_V = Vocab([(" " + s) if s else "" for s in LEGAL.values])

# brands: per locale, "compound" brands (domain from the brand alone) and plain words
# (stems, surnames, places: always followed by a sector word, which joins the domain)
_COMPOUND: dict[str, list[str]] = {"en": [a + b for a in D.EN_STEMS for b in D.EN_SUFFIXES]
                                   + [a + b.lower() for a in D.EN_STEMS for b in D.EN_STEMS if a != b]}
_COMPOUND["in"] = [a + b for a in D.IN_STEMS for b in D.EN_SUFFIXES]
_PLAIN: dict[str, list[str]] = {"en": D.EN_STEMS + D.LAST["en"] + D.PLACES_EN, "in": D.IN_STEMS + D.LAST["in"]}
for loc in LOCALES:
    if loc not in _PLAIN:
        _PLAIN[loc] = D.LOCAL_WORDS[loc] + (D.LAST[loc] if loc != "ja" else [])
        _COMPOUND[loc] = _COMPOUND["en"]  # local digital companies often carry an English brand
def _grouped(word_lists: list[list[str]]) -> tuple[Grouped, Vocab, Vocab]:
    """Equally weighted groups of words, their vocabulary and its slugs (for domains)."""
    items: list[str] = []
    groups: list[list[tuple[int, float]]] = []
    for words in word_lists:
        groups.append([(len(items) + i, 1.0) for i in range(len(words))])
        items.extend(words)
    return Grouped(groups), Vocab(items), Vocab([D.slug(w, german=True) for w in items])


# group = loc * 2 + (1 if compound)
BRANDS, BRAND_V, BRAND_SLUG_V = _grouped([_PLAIN[loc] if kind == "plain" else _COMPOUND[loc]
                                          for loc in LOCALES for kind in ("plain", "compound")])


def _sector_words(loc: str, group: str) -> list[str]:
    if loc in ("en", "in") or loc not in D.LOCAL_SECTOR:
        return D.SECTOR_EN.get(group, D.SECTOR_EN["general"])
    return D.LOCAL_SECTOR[loc].get(group) or D.LOCAL_SECTOR[loc]["general"]


# group = loc * len(GROUPS) + group
SECTORS, SECTOR_V, SECTOR_SLUG_V = _grouped([_sector_words(loc, g) for loc in LOCALES for g in GROUPS])

WEBSITE_PREFIX = Vocab(["https://www.", "https://", "http://www.", "www.", ""])
WEBSITE_W = [45, 25, 5, 13, 12]

# people
FIRST_GROUPS, LAST_GROUPS = [], []
_first_items: list[str] = []
_last_items: list[str] = []
for loc in LOCALES:
    s = len(_first_items)
    _first_items.extend(D.FIRST[loc])
    FIRST_GROUPS.append([(s + i, 1.0) for i in range(len(D.FIRST[loc]))])
    s = len(_last_items)
    _last_items.extend(D.LAST[loc])
    LAST_GROUPS.append([(s + i, 1.0) for i in range(len(D.LAST[loc]))])
FIRSTS, LASTS = Grouped(FIRST_GROUPS), Grouped(LAST_GROUPS)
FIRST_V, LAST_V = Vocab(_first_items), Vocab(_last_items)


def _fold(s: str, german: bool) -> str:
    return "".join(ch for ch in D.ascii_fold(s, german).lower() if ch.isalnum())


_first_loc = [loc for loc in LOCALES for _ in D.FIRST[loc]]
_last_loc = [loc for loc in LOCALES for _ in D.LAST[loc]]
FIRST_F = Vocab([_fold(f, loc == "de") for f, loc in zip(_first_items, _first_loc)])
FIRST_I = Vocab([_fold(f, loc == "de")[:1] for f, loc in zip(_first_items, _first_loc)])
LAST_F = Vocab([_fold(s, loc == "de") for s, loc in zip(_last_items, _last_loc)])
CONTACT_LOCS = Grouped([[(LOCALES.index(loc), w) for loc, w in D.COUNTRY_LOCALES[c].items()] for c in COUNTRIES])
# email patterns: (use initial, separator, with last name), weights as in the demo
EMAIL_PATTERNS = [(False, ".", True, 70), (True, "", True, 12), (False, "", False, 8), (False, "", True, 4),
                  (False, "_", True, 3), (True, ".", True, 3)]
SEP_V = Vocab(["", ".", "_"])
WEBMAIL = Grouped([[(h, 1.0) for h in D.WEBMAIL.get(c, D.WEBMAIL["_"])] for c in COUNTRIES])
WEBMAIL_V = Vocab(["@" + h for h in WEBMAIL.values])

PHONE_CC = Vocab(["+" + D.PHONE_CC[c] for c in COUNTRIES])
_NAT_LEN = {"US": 10, "CA": 10, "GB": 10, "DE": 10, "FR": 9, "ES": 9, "MX": 10, "BR": 11, "NL": 9, "SE": 9,
            "DK": 8, "IN": 10, "AU": 9, "IE": 9, "CH": 9, "IT": 10, "PL": 9, "SG": 8, "JP": 10}
PHONE_LEN = np.array([_NAT_LEN[c] for c in COUNTRIES], dtype=np.int64)


# ---------------------------------------------------------------------------
# job titles: ~60,000 distinct over a million contacts, heavily skewed
# ---------------------------------------------------------------------------
# function: (name used by leaders, IC roles, specialisations)
FUNCTIONS = [
    ("Engineering", ["Software Engineer", "Developer", "Engineer", "Software Developer", "Architect",
                     "Programmer", "Software Development Engineer"],
     ["Backend", "Frontend", "Full Stack", "Mobile", "iOS", "Android", "Platform", "Infrastructure", "Cloud",
      "DevOps", "Site Reliability", "Embedded", "Security", "Machine Learning", "Data", "QA", "Test Automation",
      "Java", "Python", ".NET", "Go", "Salesforce", "SAP", "Firmware", "Systems", "Network", "Game", "API",
      "Integration", "Web", "Ruby", "C++", "JavaScript", "Kubernetes", "AI", "Blockchain", "Robotics",
      "Hardware", "Release", "Build"]),
    ("Data", ["Analyst", "Data Scientist", "Data Engineer", "Data Analyst", "Analytics Engineer", "Scientist"],
     ["Business Intelligence", "Analytics", "Marketing", "Product", "Research", "Quantitative", "Decision",
      "Insights", "Reporting", "Pricing", "Risk", "Fraud", "Customer", "Growth", "Supply Chain", "Clinical",
      "Geospatial", "NLP", "Computer Vision", "Applied"]),
    ("Marketing", ["Marketing Specialist", "Marketing Manager", "Marketing Coordinator", "Marketing Associate",
                   "Strategist", "Marketing Executive", "Specialist"],
     ["Product Marketing", "Content", "Demand Generation", "Growth", "Digital", "Performance", "Field", "Brand",
      "Partner", "Email", "Lifecycle", "SEO", "Social Media", "Events", "Marketing Operations", "Communications",
      "PR", "Community", "Account-Based", "Paid Media", "Influencer", "Trade", "Channel", "Web", "Creative"]),
    ("Sales", ["Account Executive", "Account Manager", "Sales Representative", "Sales Executive",
               "Business Development Manager", "Sales Development Representative",
               "Business Development Representative", "Sales Engineer", "Solutions Consultant"],
     ["Enterprise", "Mid-Market", "SMB", "Commercial", "Strategic", "Inside", "Field", "Channel",
      "Public Sector", "Named", "Key", "Global", "Regional", "New Business", "Outbound", "Inbound",
      "Major", "Territory", "Healthcare", "Financial Services"]),
    ("Product", ["Product Manager", "Product Owner", "Product Analyst", "Technical Product Manager",
                 "Product Specialist"],
     ["Growth", "Platform", "Data", "Mobile", "Payments", "Core", "Consumer", "B2B", "API", "AI", "Search",
      "Checkout", "Identity", "Billing", "Integrations"]),
    ("Design", ["Designer", "UX Designer", "Product Designer", "UI Designer", "Researcher", "Graphic Designer"],
     ["UX", "Visual", "Interaction", "Brand", "Motion", "Service", "Content", "Design Systems", "Web", "Print"]),
    ("Customer Success", ["Customer Success Manager", "Customer Success Associate", "Support Specialist",
                          "Support Engineer", "Account Manager", "Implementation Consultant", "Onboarding Specialist"],
     ["Enterprise", "Technical", "Strategic", "Mid-Market", "Global", "Premium", "Tier 2", "Tier 1",
      "Digital", "Scaled", "Partner", "Renewals"]),
    ("Operations", ["Operations Manager", "Operations Analyst", "Operations Specialist", "Coordinator",
                    "Program Manager", "Project Manager", "Business Analyst"],
     ["Revenue", "Sales", "Business", "Supply Chain", "Logistics", "Warehouse", "Fleet", "Facilities",
      "Production", "Plant", "Quality", "Process", "Procurement", "Vendor", "Strategy", "Planning"]),
    ("Finance", ["Accountant", "Financial Analyst", "Controller", "Finance Manager", "Auditor", "Bookkeeper",
                 "Treasury Analyst", "Payroll Specialist"],
     ["FP&A", "Tax", "Corporate", "Group", "Management", "Revenue", "Cost", "Accounts Payable",
      "Accounts Receivable", "Investment", "Credit", "Internal", "Statutory"]),
    ("People", ["Recruiter", "HR Manager", "HR Business Partner", "Talent Acquisition Specialist",
                "HR Generalist", "People Partner", "Sourcer", "Learning and Development Specialist"],
     ["Technical", "Executive", "Campus", "Global", "Regional", "Compensation", "Benefits",
      "Employer Brand", "Diversity", "People Operations", "HRIS"]),
    ("IT", ["Systems Administrator", "IT Manager", "Network Engineer", "IT Support Specialist",
            "Help Desk Technician", "IT Analyst", "Security Analyst", "Database Administrator"],
     ["Infrastructure", "Cloud", "Windows", "Linux", "End User", "Identity", "Cybersecurity", "ERP",
      "Microsoft 365", "Service Desk", "Enterprise", "Workplace"]),
    ("Legal", ["Legal Counsel", "Paralegal", "Attorney", "Compliance Officer", "Contract Manager", "Associate"],
     ["Corporate", "Commercial", "Privacy", "Employment", "IP", "Regulatory", "Litigation", "Product"]),
    ("Procurement", ["Buyer", "Procurement Specialist", "Category Manager", "Sourcing Manager",
                     "Purchasing Agent"],
     ["Strategic", "Indirect", "Direct", "IT", "Global", "Technical", "Packaging", "Raw Materials"]),
    ("Healthcare", ["Registered Nurse", "Physician", "Nurse Practitioner", "Pharmacist", "Physical Therapist",
                    "Medical Assistant", "Clinical Research Associate"],
     ["ICU", "ER", "Pediatric", "Oncology", "Surgical", "Clinical", "Home Health", "Cardiology", "Primary Care"]),
    ("Education", ["Teacher", "Lecturer", "Professor", "Instructor", "Curriculum Developer", "Tutor"],
     ["Math", "Science", "English", "History", "Computer Science", "Adjunct", "Assistant", "Associate", "Online"]),
]
FUNC_W = np.array([22, 8, 12, 16, 6, 3, 6, 8, 6, 4, 4, 1.5, 1.2, 1.5, 1.3])
IC_SENIORITY = ["", "Senior ", "Sr. ", "Lead ", "Principal ", "Staff ", "Junior ", "Associate ", "Senior Staff ",
                "Distinguished ", "Jr. "]
IC_SEN_W = np.array([55, 16, 6, 5, 2.5, 2, 4, 3, 0.6, 0.2, 0.8])
LEAD_FORMS = [("Head of ", ""), ("Director of ", ""), ("Director, ", ""), ("Senior Director, ", ""),
              ("VP of ", ""), ("VP ", ""), ("SVP ", ""), ("EVP ", ""), ("Global Head of ", ""),
              ("Associate Director, ", ""), ("Vice President, ", ""), ("", " Manager"), ("Senior ", " Manager"),
              ("Manager, ", ""), ("", " Team Lead"), ("", " Lead"), ("Associate ", " Manager"),
              ("", " Supervisor"), ("", " Director"), ("Group ", " Manager"), ("Regional ", " Manager"),
              ("Interim Head of ", ""), ("", " Intern"), ("", " Trainee"), ("Working Student, ", ""),
              ("Graduate ", " Trainee")]
# leader forms that may name a specialisation ("Director, Demand Generation") rather than the function
LEAD_AREA_OK = np.array([p.strip() not in ("VP", "VP of", "SVP", "EVP", "Vice President,", "Global Head of",
                                           "Interim Head of") for p, _ in LEAD_FORMS])
LEAD_W = np.array([14, 8, 4, 1.5, 5, 4, 1, 0.4, 1.2, 1.2, 1.5, 22, 6, 2.5, 4, 4, 2, 1.5, 8, 0.6, 1.5, 0.3,
                   2.5, 0.4, 0.3, 0.3])
QUALIFIERS = ["", ", EMEA", " EMEA", " - DACH", " APAC", ", North America", " - North America", " (Remote)",
              " II", " III", " (Contract)", " UK&I", " Nordics", " LATAM", ", US", " - France", " - Benelux",
              " (Part-time)", " I", " IV", ", Americas", " - Germany", " - Iberia", " (Maternity Cover)"]
QUAL_W = np.array([86] + [14 / 23] * 23)
EXEC = [t for t, w in zip(*D.TITLES["en"]) if w and t.split()[0] in
        ("CEO", "Founder", "Co-Founder", "Chief", "President", "Owner", "Managing", "COO", "CFO", "CTO", "CMO",
         "CIO", "CRO", "General", "Partner")]

_title_v: list[str] = [""]
_func_name_idx, _role_groups, _spec_groups = [], [], []
for fname, roles, specs in FUNCTIONS:
    _func_name_idx.append(len(_title_v))
    _title_v.append(fname)
    start = len(_title_v)
    _title_v.extend(roles)
    _role_groups.append((start, len(roles)))
    start = len(_title_v)
    _title_v.extend(s + " " for s in specs)
    _spec_groups.append((start, len(specs)))
_sen_start = len(_title_v)
_title_v.extend(IC_SENIORITY)
_lead_pre_start = len(_title_v)
_title_v.extend(p for p, _ in LEAD_FORMS)
_lead_suf_start = len(_title_v)
_title_v.extend(s for _, s in LEAD_FORMS)
_qual_start = len(_title_v)
_title_v.extend(QUALIFIERS)
_exec_start = len(_title_v)
_title_v.extend(EXEC)
_local_groups = {}
for lang in ("fr", "de", "es", "pt"):
    t, w = D.TITLES[lang]
    _local_groups[lang] = (len(_title_v), np.array(w))
    _title_v.extend(t)
_spec_plain_start = len(_title_v)  # specialisations without the trailing space, as leader areas
for _fname, _roles, specs in FUNCTIONS:
    _title_v.extend(specs)
TITLE_V = Vocab(_title_v)
FUNC_NAME_IDX = np.array(_func_name_idx)
ROLE_START = np.array([s for s, _ in _role_groups])
ROLE_LEN = np.array([n for _, n in _role_groups])
SPEC_START = np.array([s for s, _ in _spec_groups])
SPEC_LEN = np.array([n for _, n in _spec_groups])
SPEC_PLAIN_START = _spec_plain_start + np.concatenate([[0], np.cumsum(SPEC_LEN)[:-1]])
LOCAL_TITLE_LANG = {"FR": "fr", "DE": "de", "CH": "de", "ES": "es", "MX": "es", "BR": "pt"}
LOCAL_TITLE_P = {"fr": 0.7, "de": 0.5, "es": 0.65, "pt": 0.7}


def job_titles(rng: np.random.Generator, country_idx: np.ndarray) -> pa.Array:
    n = len(country_idx)
    func = weighted(rng, FUNC_W, n)
    kind = weighted(rng, [60, 30, 4.5], n)  # 0 = individual contributor, 1 = leader/manager, 2 = executive
    # individual contributors: [seniority] [specialisation] role [qualifier]
    sen = _sen_start + weighted(rng, IC_SEN_W, n)
    has_spec = rng.random(n) < 0.45
    spec = np.where(has_spec, SPEC_START[func] + zipf_index(rng, SPEC_LEN[func], 2.2), 0)
    role = ROLE_START[func] + zipf_index(rng, ROLE_LEN[func], 1.8)
    # leaders: prefix (function | area) suffix
    form = weighted(rng, LEAD_W, n)
    area_spec = (rng.random(n) < 0.45) & LEAD_AREA_OK[form]
    area = np.where(area_spec, SPEC_PLAIN_START[func] + zipf_index(rng, SPEC_LEN[func], 2.0), FUNC_NAME_IDX[func])
    qual = _qual_start + weighted(rng, QUAL_W, n)
    a = np.where(kind == 0, sen, _lead_pre_start + form)
    b = np.where(kind == 0, spec, area)
    c = np.where(kind == 0, role, _lead_suf_start + form)
    # executives: a fixed list, no qualifier
    is_exec = kind == 2
    a = np.where(is_exec, _exec_start + zipf_index(rng, np.full(n, len(EXEC)), 1.5), a)
    b = np.where(is_exec, 0, b)
    c = np.where(is_exec, 0, c)
    qual = np.where(is_exec | ((kind == 0) & (rng.random(n) < 0.5)), _qual_start, qual)
    # local-language titles in FR/DE/ES/BR
    for lang, (start, w) in _local_groups.items():
        cc = [COUNTRIES.index(c) for c, lg in LOCAL_TITLE_LANG.items() if lg == lang]
        m = np.isin(country_idx, cc) & (rng.random(n) < LOCAL_TITLE_P[lang])
        k = int(m.sum())
        if k:
            a[m] = start + weighted(rng, w, k)
            b[m] = 0
            c[m] = 0
            qual[m] = _qual_start
    title = join(TITLE_V.take(a), TITLE_V.take(b), TITLE_V.take(c), TITLE_V.take(qual))
    for word in ("Marketing", "Data", "Product", "Sales", "Account", "Customer", "Analytics", "Security"):
        title = pc.replace_substring(title, f"{word} {word}", word)
    r = rng.random(n)
    title = pc.if_else(pa.array(r < 0.01), pc.utf8_upper(title), title)
    title = pc.if_else(pa.array((r >= 0.01) & (r < 0.016)), pc.utf8_lower(title), title)
    return null_where(title, rng.random(n) < 0.05)


# ---------------------------------------------------------------------------
# companies
# ---------------------------------------------------------------------------
def _company_draw(rng: np.random.Generator, n: int) -> dict:
    ind = weighted(rng, IND_W, n)
    grp = IND_GROUP[ind]
    digital = rng.random(n) < DIGITAL_P[grp]
    country = weighted(rng, COUNTRY_W, n)
    # employees: log-normal, the ICP industries a little larger, a thin enterprise tail
    mu = np.where(ICP_IND[ind], np.log(D.EMP_MEDIAN_ICP), np.log(D.EMP_MEDIAN_OTHER))
    sigma = np.full(n, 1.65)
    ent = rng.random(n) < 0.02
    mu[ent], sigma[ent] = np.log(9000), 0.75
    emp = np.clip(np.rint(np.exp(rng.normal(mu, sigma))), 1, 50_000).astype(np.int64)
    emp_null = rng.random(n) < 0.08
    rpe = np.exp(rng.normal(np.where(np.isin(grp, [0, 1, 4]), np.log(160_000), np.log(120_000)), D.RPE_SIGMA))
    rev = np.round(emp * rpe, -4)
    rev_null = rng.random(n) < D.REVENUE_BLANK
    # funding: stage by headcount band
    funded = rng.random(n) < np.where(digital, D.FUNDED_P[True], D.FUNDED_P[False])
    band = np.searchsorted([15, 80, 400, 3000], emp, side="right")
    stage = np.where(funded, np.array(STAGE_BY_BAND.values)[STAGE_BY_BAND.sample(rng, band)], 0)
    lo, hi = FUND_LO[stage], FUND_HI[stage]
    total = np.round(np.exp(rng.uniform(np.log(np.maximum(lo, 1)), np.log(hi))), -4)
    total_null = (stage == 0) | (rng.random(n) < 0.15)
    stage = np.where(rng.random(n) < 0.12, 0, stage)  # amount known, stage not recorded
    # technologies: independent Bernoulli per technology, salesforce growing with size
    # (a loop over the ~60 technologies, each step vectorised over all rows)
    has_tech = np.empty((n, len(TECHS)), dtype=bool)
    log_emp = np.log10(emp + 1)
    for t in range(len(TECHS)):
        p = np.where(digital, TECH_P[t, 1], TECH_P[t, 0])
        if t == SF:
            p = np.minimum(0.75, p + 0.09 * log_emp - 0.1)
        elif t == HS:
            p = np.where(emp > 1000, p * 0.5, p)
        has_tech[:, t] = rng.random(n) < p
    tech_null = rng.random(n) < 0.14
    has_tech[tech_null] = False
    # demo-ICP tier, to shape the mix
    score = (30 * ICP_IND[ind] + 25 * (~emp_null & (emp >= 50) & (emp <= 5000))
             + 15 * (~rev_null & (rev >= 5e6) & (rev <= 5e8)) + 15 * ICP_COUNTRY[country]
             + 10 * (has_tech & ICP_TECH[None, :]).any(axis=1) + 5 * ICP_STAGE[stage])
    tier = np.select([score >= 80, score >= 60, score >= 40], [0, 1, 2], 3)
    return dict(ind=ind, grp=grp, digital=digital, country=country, emp=emp, emp_null=emp_null, rev=rev,
                rev_null=rev_null, stage=stage, total=total, total_null=total_null, has_tech=has_tech,
                tech_null=tech_null, tier=tier)


def _companies(rng: np.random.Generator, n: int) -> dict:
    """Draw companies until n are accepted by the tier-mix rejection step."""
    parts: list[dict] = []
    got = 0
    while got < n:
        batch = _company_draw(rng, max(1000, int((n - got) * 1.35)))
        keep = rng.random(len(batch["tier"])) < TIER_ACCEPT[batch["tier"]]
        batch = {k: v[keep] for k, v in batch.items()}
        parts.append(batch)
        got += int(keep.sum())
    return {k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}


DOMAIN_VARIANTS = [("", ""), ("get", ""), ("", "hq"), ("try", ""), ("", "app"), ("", "group"), ("the", ""),
                   ("", "global"), ("", "labs"), ("use", ""), ("", "online"), ("my", ""), ("go", ""),
                   ("", "team"), ("join", ""), ("", "inc")]
DOMAIN_PRE = Vocab([p for p, _ in DOMAIN_VARIANTS])
DOMAIN_SUF = Vocab([s for _, s in DOMAIN_VARIANTS])


def _dup_rank(keys: pa.Array) -> np.ndarray:
    """For each row, how many earlier rows have the same key (0 for the first occurrence)."""
    n = len(keys)
    inv = pc.dictionary_encode(keys).indices.to_numpy()
    order = np.argsort(inv, kind="stable")
    sorted_inv = inv[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_inv)) + 1]
    run_start = np.repeat(first, np.diff(np.r_[first, n]))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - run_start
    return rank


def build_companies(n: int, seed: int) -> tuple[pa.Table, dict]:
    rng = np.random.default_rng([seed, 0])
    c = _companies(rng, n)
    country, grp, digital = c["country"], c["grp"], c["digital"]
    loc = COMPANY_LOC[country]
    # brand + optional sector word + legal suffix; domain from brand (+ sector), de-duplicated
    compound = (digital & (rng.random(n) < 0.6)) | (np.isin(loc, [0, 7]) & (rng.random(n) < 0.55))
    brand = BRANDS.sample(rng, loc * 2 + compound)
    sector = SECTORS.sample(rng, loc * len(GROUPS) + grp)
    with_sector = ~compound | (rng.random(n) < 0.45)
    sector_in_domain = ~compound
    tld = TLDS.sample(rng, country + len(COUNTRIES) * digital)
    tld_idx = np.array(TLDS.values)[tld]
    legal = LEGAL.sample(rng, country)
    sec_slug = pc.if_else(pa.array(sector_in_domain), SECTOR_SLUG_V.take(sector), lit("", n))
    base = join(BRAND_SLUG_V.take(brand), sec_slug)
    tld_s = join(lit(".", n), TLD_V.take(tld_idx))
    # unique domains: the k-th company on the same base and TLD gets a variant ("get" + base,
    # base + "hq", ...); what still collides after that gets "-2", "-3", ... (slugs have no '-')
    k = _dup_rank(join(base, tld_s))
    v = np.minimum(k, len(DOMAIN_VARIANTS) - 1)
    base = join(DOMAIN_PRE.take(v), base, DOMAIN_SUF.take(v))
    k = _dup_rank(join(base, tld_s))
    dup_s = pc.if_else(pa.array(k > 0), join(lit("-", n), pa.array(k + 1).cast(pa.string())), lit("", n))
    name = join(BRAND_V.take(brand),
                pc.if_else(pa.array(with_sector), join(lit(" ", n), SECTOR_V.take(sector)), lit("", n)),
                LEGAL_V.take(legal))
    domain = join(base, dup_s, tld_s)
    website = null_where(join(WEBSITE_PREFIX.take(weighted(rng, WEBSITE_W, n)), domain),
                         rng.random(n) < 0.12)
    place = PLACES.sample(rng, country)
    state = STATE_V.take(place)
    state = null_where(state, (rng.random(n) < 0.1) | pc.equal(state, "").to_numpy(zero_copy_only=False))
    city = null_where(CITY_V.take(place), rng.random(n) < 0.05)
    emp = c["emp"]
    age = np.where(digital,
                   np.minimum(np.exp(rng.normal(np.log(7 + 2 * np.log10(emp + 1)), 0.55)), 35),
                   np.minimum(np.exp(rng.normal(np.log(14 + 6 * np.log10(emp + 1)), 0.75)), 160))
    founded = pa.array(2026 - age.astype(np.int64), mask=rng.random(n) < 0.09)
    # technologies: list<string> from the boolean matrix
    rows, cols = np.nonzero(c["has_tech"])
    offsets = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))].astype(np.int32)
    techs = pa.ListArray.from_arrays(pa.array(offsets), TECH_V.take(cols),
                                     mask=pa.array(c["tech_null"]))
    stage_v = Vocab(STAGES)
    lifecycle_v = Vocab(LIFECYCLE)
    lc = weighted(rng, LIFECYCLE_W, n)
    ids = ids_for(0, n, 1_000_000_000, seed, 1)
    table = pa.table({
        "id": ids, "name": name, "domain": domain, "website": website,
        "industry": Vocab(INDUSTRIES).take(c["ind"]),
        "employees": pa.array(emp, pa.int64(), mask=c["emp_null"]),
        "annual_revenue": pa.array(c["rev"], pa.float64(), mask=c["rev_null"]),
        "country": Vocab(COUNTRIES).take(country), "state": state, "city": city,
        "founded_year": founded,
        "funding_total": pa.array(c["total"], pa.float64(), mask=c["total_null"]),
        "funding_stage": null_where(stage_v.take(c["stage"]), c["stage"] == 0),
        "technologies": techs,
        "lifecycle_stage": null_where(lifecycle_v.take(lc), np.array(LIFECYCLE)[lc] == ""),
        "updated_at": pa.array(rng.integers(T0_US, T1_US, n), pa.timestamp("us", tz="UTC")),
    }, schema=COMPANY_SCHEMA)
    # what the contacts need
    ref = {"id": ids, "name": name, "domain": domain, "country": country, "lifecycle": lc,
           "weight": np.cumsum(1.0 + 1.05 * np.log10(emp + 1))}
    return table, ref


# ---------------------------------------------------------------------------
# contacts
# ---------------------------------------------------------------------------
def build_contacts_chunk(ref: dict, start: int, n: int, seed: int, chunk_no: int) -> pa.Table:
    rng = np.random.default_rng([seed, 1, chunk_no])
    cum = ref["weight"]
    comp = np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(cum) - 1)
    ccountry = ref["country"][comp]
    loc = CONTACT_LOCS.sample(rng, ccountry)
    loc_i = np.array(CONTACT_LOCS.values)[loc]
    first = FIRSTS.sample(rng, loc_i)
    last = LASTS.sample(rng, loc_i)
    # email
    pat = weighted(rng, [p[3] for p in EMAIL_PATTERNS], n)
    use_init = np.array([p[0] for p in EMAIL_PATTERNS])[pat]
    sep = np.array([SEP_V.index[p[1]] for p in EMAIL_PATTERNS])[pat]
    with_last = np.array([p[2] for p in EMAIL_PATTERNS])[pat]
    fpart = pc.if_else(pa.array(use_init), FIRST_I.take(first), FIRST_F.take(first))
    lpart = pc.if_else(pa.array(with_last), LAST_F.take(last), lit("", n))
    webmail = rng.random(n) < 0.06
    digits = rng.integers(1, 99, n)
    year = rng.integers(1960, 2004, n)
    suffix = np.where(rng.random(n) < 0.5, digits, year)
    num = pc.if_else(pa.array(webmail & (rng.random(n) < 0.6)), pa.array(suffix).cast(pa.string()), lit("", n))
    at_domain = pc.if_else(pa.array(webmail), WEBMAIL_V.take(WEBMAIL.sample(rng, ccountry)),
                           join(lit("@", n), ref["domain"].take(pa.array(comp))))
    email = join(fpart, SEP_V.take(np.where(with_last, sep, 0)), lpart, num, at_domain)
    # country: mostly the company's
    r = rng.random(n)
    other = weighted(rng, COUNTRY_W, n)
    kcountry = np.where(r < 0.93, ccountry, other)
    country = null_where(Vocab(COUNTRIES).take(kcountry), (r >= 0.86) & (r < 0.93))
    # phone: +CC then the national number, compact (E.164) or grouped
    nlen = PHONE_LEN[kcountry]
    lo = 2 * 10 ** (nlen - 1)
    nat = lo + (rng.random(n) * (10 ** nlen - lo)).astype(np.int64)
    nat_s = pa.array(nat).cast(pa.string())
    grouped = join(pc.utf8_slice_codeunits(nat_s, 0, 3), lit(" ", n), pc.utf8_slice_codeunits(nat_s, 3, 6),
                   lit(" ", n), pc.utf8_slice_codeunits(nat_s, 6, 20))
    cc = PHONE_CC.take(kcountry)
    phone = pc.if_else(pa.array(rng.random(n) < 0.4), join(cc, nat_s), join(cc, lit(" ", n), grouped))
    phone = null_where(phone, rng.random(n) < 0.35)
    # lifecycle: customers' contacts are mostly customers
    lc_keys = list(CONTACT_LC)
    lc = weighted(rng, list(CONTACT_LC.values()), n)
    cust = np.isin(np.array(LIFECYCLE)[ref["lifecycle"][comp]], ["customer", "evangelist"]) & (rng.random(n) < 0.75)
    lc = np.where(cust, lc_keys.index("customer"), lc)
    lc_arr = Vocab(lc_keys).take(lc)
    no_company = rng.random(n) < 0.03
    return pa.table({
        "id": ids_for(start, n, 10_000_000_000, seed, 2),
        "email": email,
        "first_name": FIRST_V.take(first),
        "last_name": LAST_V.take(last),
        "job_title": job_titles(rng, ccountry),
        "company_id": null_where(ref["id"].take(pa.array(comp)), no_company),
        "company_name": null_where(ref["name"].take(pa.array(comp)), no_company | (rng.random(n) < 0.03)),
        "phone": phone,
        "country": country,
        "lifecycle_stage": null_where(lc_arr, np.array(lc_keys)[lc] == ""),
        "updated_at": pa.array(rng.integers(T0_US, T1_US, n), pa.timestamp("us", tz="UTC")),
    }, schema=CONTACT_SCHEMA)


# ---------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------
def generate(out_dir, companies: int, contacts: int, seed: int = 1) -> tuple[Path, Path]:
    """Write out_dir/companies.parquet and out_dir/contacts.parquet; return their paths."""
    if companies < 1:
        raise ValueError("need at least one company")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cpath, kpath = out / "companies.parquet", out / "contacts.parquet"
    table, ref = build_companies(companies, seed)
    with pq.ParquetWriter(cpath, COMPANY_SCHEMA) as w:
        for s in range(0, companies, CHUNK):
            w.write_table(table.slice(s, CHUNK), row_group_size=CHUNK)
    del table
    with pq.ParquetWriter(kpath, CONTACT_SCHEMA) as w:
        for i, s in enumerate(range(0, contacts, CHUNK)):
            n = min(CHUNK, contacts - s)
            w.write_table(build_contacts_chunk(ref, s, n, seed, i), row_group_size=CHUNK)
    return cpath, kpath


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Write synthetic companies.parquet and contacts.parquet.")
    ap.add_argument("--companies", type=int, default=200_000)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    cpath, kpath = generate(args.out, args.companies, args.contacts, args.seed)
    dt = time.perf_counter() - t
    print(f"generated {args.companies:,} companies and {args.contacts:,} contacts in {dt:.1f} s: "
          f"{cpath} ({cpath.stat().st_size / 1e6:.1f} MB), {kpath} ({kpath.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    sys.exit(main())
