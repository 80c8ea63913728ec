"""crm-enrich benchmark: firmographics, the reference file and the domain normalisers, against join floors.

    pip install -e '.[bench]' && python benchmarks/firmographics.py [--repeat N] [--quick]

Two parts, each against a floor measured in the same process, the same rounds:

1. Reference enrichment. A 2,000,000-row file in People Data Labs' free company dataset
   layout, in Parquet and in CSV, and 200,000 CRM companies (about 70 % of them in the
   file; a fifth with a blank domain and a messy website instead; industry, employees,
   city... blank at CRM rates).
     engine  ``ReferenceFile`` built on the file (default PDL layout) and
             ``Waterfall.fill`` over the companies in batches of ``--batch-size``, end to
             end, as a run does it. Two cases: the first run on a file (read it, normalise
             its 2M keys, keep the prepared table in the cache directory) and every later
             run while the file is unchanged (read the prepared table back), the case a
             nightly rescoring lives in and the headline. Both: the lookups, the values
             of matched rows parsed, the fill;
     floor   polars alone: read the same file (same format, same columns), left-join the
             companies on a domain column that is already clean, ``coalesce`` the fields.
   Check: every filled column equals the floor's, row for row (the floor's industry and
   country mapped to canonical values by the generator's own table, outside the timing).
2. Normalisers. 1,000,000 messy websites (about 200,000 registrable domains, suffixes
   from .com to .co.uk and .com.au, 2 % internationalised) and 1,000,000 emails (10 %
   free webmail).
     engine  ``normalise.domain`` / ``normalise.email_domain`` over the column;
     floor   a left join of the same rows to a table raw value -> domain, computed once
             with the engine's own function outside the timing: "classify each distinct
             value once, then join" when classifying is free.
   Check: the outputs equal the table's, row for row, and ~20 hand-written samples are right.

Target for each: engine / floor <= 1.50 (median of the per-round ratios; for the reference
file, the later runs; the first run's ratio is printed beside it). A missed target
prints where the engine's time goes, step by step (``--profile`` always does). Figures are
ratios, because these machines are noisy. Generated data is cached in benchmarks/.data/.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
from crm_enrich import columns, normalise
from crm_enrich.plugins import reference
from crm_enrich.plugins.reference import PDL_LAYOUT, ReferenceFile
from crm_enrich.protocols import PluginContext
from crm_enrich.waterfall import Waterfall, WaterfallSettings, _keys

HERE = Path(__file__).resolve().parent
VERSION = 1  # of the generator: part of the cache folders' names
TARGET = 1.50
WIDTH = 50  # of the figures' labels

# ---------------------------------------------------------------------------
# Vocabulary. Labels are syllables, sometimes a word ("labs", "health") and digits;
# values follow People Data Labs' free company dataset (lowercase names and places).
# ---------------------------------------------------------------------------
SYLLABLES = [
    "ac", "ad", "al", "am", "an", "ar", "as", "at", "ba", "be", "bi", "bo", "bra", "bri", "ca",
    "ce", "chi", "co", "cor", "cu", "da", "de", "di", "do", "dra", "du", "el", "em", "en", "er",
    "es", "fa", "fe", "fi", "fo", "fra", "fu", "ga", "ge", "gi", "go", "gra", "gu", "ha", "he",
    "hi", "ho", "hu", "id", "il", "im", "in", "io", "ka", "ke", "ki", "ko", "kra", "ku", "la", "le",
    "li", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na", "ne", "ni", "no", "nu", "ob", "ol", "om",
    "on", "or", "os", "pa", "pe", "pi", "po", "pra", "pu", "qua", "ra", "re", "ri", "ro", "ru",
    "sa", "se", "si", "so", "sta", "su", "ta", "te", "ti", "to", "tra", "tu", "um", "un", "ur",
    "va", "ve", "vi", "vo", "wa", "we", "wi", "xa", "xi", "ya", "yo", "za", "ze", "zi", "zo",
]
WORDS = [("", 40), ("labs", 3), ("tech", 3), ("group", 3), ("soft", 2), ("data", 2), ("cloud", 2),
         ("systems", 2), ("works", 2), ("hq", 1), ("media", 2), ("health", 2), ("analytics", 1),
         ("bio", 1), ("energy", 1), ("capital", 1), ("logistics", 1), ("design", 1), ("studio", 1),
         ("solutions", 2), ("partners", 1), ("ai", 1), ("app", 1), ("consulting", 1), ("legal", 0.5),
         ("foods", 0.5), ("travel", 0.5), ("finance", 0.5)]
# suffixes of the reference file's companies: every one a public suffix, so label.suffix
# is its own registrable domain
FILE_SUFFIXES = [("com", 55), ("co.uk", 6), ("de", 6), ("io", 4), ("net", 4), ("org", 3), ("com.au", 3),
                 ("fr", 3), ("nl", 2), ("ca", 2), ("es", 1.5), ("it", 1.5), ("ch", 1), ("se", 1), ("co", 1),
                 ("ai", 1), ("co.nz", 0.5), ("com.br", 1), ("in", 1), ("co.jp", 0.5), ("be", 0.5),
                 ("at", 0.5), ("dk", 0.5), ("pl", 0.5), ("ie", 0.5)]
# the normalisers' websites: the same and more, with the List's private section
WEB_SUFFIXES = FILE_SUFFIXES + [("org.uk", 0.5), ("ac.uk", 0.2), ("com.sg", 0.3), ("com.mx", 0.4),
                                ("co.za", 0.4), ("co.in", 0.4), ("net.au", 0.3), ("us", 0.5), ("eu", 0.4),
                                ("github.io", 0.3), ("herokuapp.com", 0.2), ("blogspot.com", 0.2)]
IDN_SHARE = 0.02
IDN_LATIN = str.maketrans({"a": "ä", "o": "ö", "u": "ü", "e": "é"})
IDN_CYRILLIC = ["мо", "ск", "ва", "пр", "ри", "ме", "то", "ка", "но", "ви", "ло", "ра", "де", "сп", "ор", "те"]
IDN_SUFFIXES = ["de", "at", "ch", "fr", "com", "se", "рф"]

# (PDL country name, ISO alpha-2, weight, (region, locality) pairs)
COUNTRIES = [
    ("united states", "US", 45, [("california", "san francisco"), ("california", "los angeles"),
                                 ("new york", "new york"), ("texas", "austin"), ("texas", "houston"),
                                 ("florida", "miami"), ("illinois", "chicago"), ("massachusetts", "boston"),
                                 ("washington", "seattle"), ("georgia", "atlanta"), ("colorado", "denver"),
                                 ("pennsylvania", "philadelphia"), ("california", "san diego")]),
    ("united kingdom", "GB", 9, [("england", "london"), ("england", "manchester"), ("scotland", "edinburgh"),
                                 ("england", "bristol"), ("wales", "cardiff")]),
    ("germany", "DE", 6, [("berlin", "berlin"), ("bavaria", "munich"), ("hamburg", "hamburg"),
                          ("hesse", "frankfurt"), ("north rhine-westphalia", "cologne")]),
    ("india", "IN", 6, [("karnataka", "bangalore"), ("maharashtra", "mumbai"), ("delhi", "new delhi"),
                        ("telangana", "hyderabad")]),
    ("france", "FR", 4, [("île-de-france", "paris"), ("auvergne-rhône-alpes", "lyon"),
                         ("provence-alpes-côte d'azur", "marseille"), ("occitanie", "toulouse")]),
    ("canada", "CA", 4, [("ontario", "toronto"), ("quebec", "montreal"), ("british columbia", "vancouver")]),
    ("australia", "AU", 3, [("new south wales", "sydney"), ("victoria", "melbourne"), ("queensland", "brisbane")]),
    ("brazil", "BR", 3, [("são paulo", "são paulo"), ("rio de janeiro", "rio de janeiro")]),
    ("netherlands", "NL", 2.5, [("north holland", "amsterdam"), ("south holland", "rotterdam"), ("utrecht", "utrecht")]),
    ("spain", "ES", 2, [("madrid", "madrid"), ("catalonia", "barcelona")]),
    ("italy", "IT", 2, [("lombardy", "milan"), ("lazio", "rome")]),
    ("sweden", "SE", 1.5, [("stockholm", "stockholm"), ("västra götaland", "gothenburg")]),
    ("mexico", "MX", 1.5, [("mexico city", "mexico city"), ("jalisco", "guadalajara")]),
    ("switzerland", "CH", 1.2, [("zurich", "zurich"), ("geneva", "geneva")]),
    ("ireland", "IE", 1, [("dublin", "dublin"), ("cork", "cork")]),
    ("israel", "IL", 1, [("tel aviv", "tel aviv"), ("jerusalem", "jerusalem")]),
    ("singapore", "SG", 1, [("singapore", "singapore")]),
    ("japan", "JP", 1, [("tokyo", "tokyo"), ("osaka", "osaka")]),
    ("poland", "PL", 1, [("masovia", "warsaw"), ("lesser poland", "kraków")]),
    ("belgium", "BE", 1, [("brussels", "brussels"), ("flanders", "antwerp")]),
    ("south africa", "ZA", 1, [("gauteng", "johannesburg"), ("western cape", "cape town")]),
    ("denmark", "DK", 0.8, [("capital region of denmark", "copenhagen")]),
    ("austria", "AT", 0.8, [("vienna", "vienna")]),
    ("norway", "NO", 0.7, [("oslo", "oslo")]),
    ("new zealand", "NZ", 0.6, [("auckland", "auckland"), ("wellington", "wellington")]),
]
# used only if core/data/industries.tsv is missing: (HubSpot value, PDL label)
FALLBACK_INDUSTRIES = [
    ("COMPUTER_SOFTWARE", "computer software"), ("INFORMATION_TECHNOLOGY_AND_SERVICES", "information technology and services"),
    ("INTERNET", "internet"), ("MARKETING_AND_ADVERTISING", "marketing and advertising"),
    ("FINANCIAL_SERVICES", "financial services"), ("HOSPITAL_HEALTH_CARE", "hospital & health care"),
    ("CONSTRUCTION", "construction"), ("REAL_ESTATE", "real estate"), ("RETAIL", "retail"),
    ("MANAGEMENT_CONSULTING", "management consulting"), ("EDUCATION_MANAGEMENT", "education management"),
    ("HIGHER_EDUCATION", "higher education"), ("NONPROFIT_ORGANIZATION_MANAGEMENT", "nonprofit organization management"),
    ("AUTOMOTIVE", "automotive"), ("FOOD_BEVERAGES", "food & beverages"), ("TELECOMMUNICATIONS", "telecommunications"),
    ("ACCOUNTING", "accounting"), ("BANKING", "banking"), ("BIOTECHNOLOGY", "biotechnology"), ("INSURANCE", "insurance"),
]
FIRST_NAMES = [
    "anna", "ben", "chloe", "david", "emma", "felix", "grace", "hugo", "isla", "jack", "kate",
    "liam", "maria", "noah", "olga", "paul", "rosa", "sam", "tara", "umar", "vera", "will", "yara",
    "zoe", "jo", "li",
]
LAST_NAMES = [
    "smith", "jones", "muller", "garcia", "rossi", "dubois", "silva", "novak", "kowalski", "jensen",
    "tanaka", "khan", "patel", "brown", "wilson", "martin", "lopez", "weber", "moreau", "costa",
]
WEBMAIL = [("gmail.com", 40), ("yahoo.com", 12), ("hotmail.com", 10), ("outlook.com", 8), ("icloud.com", 5),
           ("aol.com", 3), ("live.com", 3), ("yahoo.co.uk", 3), ("hotmail.co.uk", 2), ("gmx.de", 3),
           ("web.de", 3), ("orange.fr", 2), ("protonmail.com", 2), ("libero.it", 1), ("mail.ru", 1),
           ("qq.com", 1), ("msn.com", 1), ("googlemail.com", 1)]
WEBMAIL_SHARE = 0.10

# (prefix, suffix, upper case, weight): a CRM's website when its domain is blank
CRM_WEBSITES = [("https://www.", "/about", False, 3), ("http://", "", False, 3), ("www.", "/?utm=1", False, 2),
                ("HTTPS://WWW.", "", True, 1), ("https://", "/", False, 2), ("", "", False, 1),
                ("http://www.", "/contact", False, 1), ("WWW.", "", True, 0.5)]
# the normalisers' websites: everything people type into a website field
WEBSITES = [("", "", False, 20), ("www.", "", False, 15), ("https://www.", "/", False, 12), ("https://", "", False, 10),
            ("http://www.", "", False, 8), ("https://www.", "/about", False, 6), ("www.", "/?utm_source=crm", False, 4),
            ("http://", "/contact-us", False, 4), ("HTTPS://WWW.", "", True, 3), ("", "/", False, 3),
            ("https://shop.", "", False, 2), ("blog.", "", False, 2), ("https://app.", "/login", False, 1),
            ("https://", ":443/", False, 1), (" ", " ", False, 2), ("https://www.", "/en-gb/products?id=12#top", False, 2),
            ("", ".", False, 1), ("HTTP://", "/", True, 1)]
JUNK = [("", 40), ("-", 10), ("n/a", 10), ("none", 5), ("localhost", 5), ("http://", 5), ("192.168.1.10", 5),
        ("tbd", 5), ("co.uk", 5)]
EMAIL_JUNK = [("", 40), ("-", 10), ("n/a", 10), ("jo at acme.com", 5), ("none", 5), ("@", 5)]

# CRM blanks: the share of companies without each field (domain: website instead)
CRM_BLANK = {"domain": 0.20, "name": 0.05, "industry": 0.30, "employees": 0.40, "country": 0.20,
             "state": 0.45, "city": 0.50, "founded_year": 0.60}
IN_FILE = 0.70
NO_KEY = 0.01  # neither domain nor website


# ---------------------------------------------------------------------------
# drawing, vectorised: numpy picks indices, polars gathers and concatenates
# ---------------------------------------------------------------------------
def pick(rng: np.random.Generator, n: int, weighted: list, at: int = -1) -> np.ndarray:
    """Indices into ``weighted`` ([(item, ..., weight)]) for ``n`` rows, by the weight in
    position ``at`` of each entry."""
    w = np.array([x[at] for x in weighted], dtype=float)
    return rng.choice(len(weighted), size=n, p=w / w.sum())


def draw(rng: np.random.Generator, n: int, weighted: list) -> pl.Series:
    return pl.Series([x[0] for x in weighted], dtype=pl.String).gather(pick(rng, n, weighted))


def blank(series: pl.Series, share: float, rng: np.random.Generator) -> pl.Series:
    return series.scatter(np.flatnonzero(rng.random(len(series)) < share), None)


def labels(rng: np.random.Generator, n: int) -> pl.Series:
    """Company-like DNS labels: two to four syllables, sometimes a word, rarely digits."""
    syl = pl.Series(SYLLABLES, dtype=pl.String)
    parts = {k: syl.gather(rng.integers(0, len(SYLLABLES), n)) for k in "abcd"}
    r = rng.random((3, n))
    frame = pl.DataFrame({**parts, "w": draw(rng, n, WORDS), "n": rng.integers(2, 99, n),
                          "r0": r[0], "r1": r[1], "r2": r[2]})
    empty = pl.lit("")
    return frame.select(pl.concat_str(
        "a", "b",
        pl.when(pl.col("r0") < 0.6).then("c").otherwise(empty),
        pl.when(pl.col("r0") < 0.12).then("d").otherwise(empty),
        pl.when((pl.col("w") != "") & (pl.col("r1") < 0.15)).then(pl.lit("-")).otherwise(empty),
        "w",
        pl.when(pl.col("r2") < 0.03).then(pl.col("n").cast(pl.String)).otherwise(empty),
    ).alias("label")).to_series()


def unique_domains(rng: np.random.Generator, n: int, suffixes: list) -> pl.Series:
    """``n`` distinct registrable domains, ``label.suffix``: each its own registrable
    domain (a label may make a rule of the List's private section, ``deno.net``: dropped)."""
    found = pl.Series("domain", [], dtype=pl.String)
    while found.len() < n:
        more = int((n - found.len()) * 1.2) + 1000
        candidates = (labels(rng, more) + "." + draw(rng, more, suffixes)).alias("domain").to_frame()
        candidates = candidates.filter(normalise.domain(pl.col("domain")) == pl.col("domain")).to_series()
        found = pl.concat([found, candidates]).unique(maintain_order=True)
    return found.head(n)


def dress(domains: pl.Series, forms: list, rng: np.random.Generator) -> pl.Series:
    """Each domain written in one of ``forms`` (prefix, suffix, upper case, weight)."""
    idx = pick(rng, domains.len(), forms)
    frame = pl.DataFrame({
        "p": pl.Series([f[0] for f in forms], dtype=pl.String).gather(idx),
        "d": domains,
        "s": pl.Series([f[1] for f in forms], dtype=pl.String).gather(idx),
        "u": pl.Series([f[2] for f in forms], dtype=pl.Boolean).gather(idx),
    })
    text = pl.concat_str("p", "d", "s")
    return frame.select(pl.when("u").then(text.str.to_uppercase()).otherwise(text).alias("x")).to_series()


def industries() -> list[tuple[str, str]]:
    """(HubSpot value, PDL label), from the package data when present."""
    path = HERE.parent / "core" / "data" / "industries.tsv"
    if not path.exists():
        return FALLBACK_INDUSTRIES
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [(code.strip(), label.strip()) for code, label, *_ in rows]


def canonical_values() -> dict[str, dict[str, str]]:
    """Ground truth: the canonical value of each PDL label the generator writes."""
    return {"industry": {label: code for code, label in industries()},
            "country": {name: code for name, code, _, _ in COUNTRIES}}


# ---------------------------------------------------------------------------
# part 1 data: the reference file and the CRM companies
# ---------------------------------------------------------------------------
def reference_frame(domains: pl.Series, rng: np.random.Generator) -> pl.DataFrame:
    """People Data Labs' free company dataset layout (plus employee_count)."""
    n = domains.len()
    label = domains.str.split(".").list.first()
    ranked = industries()
    order = [i for i, (_, lab) in enumerate(ranked) if lab in ("computer software", "information technology and services")]
    order += [int(i) for i in rng.permutation(len(ranked)) if int(i) not in order]
    weighted = [(ranked[i][1], 1.0 / (r + 2) ** 0.9) for r, i in enumerate(order)]
    country = pick(rng, n, COUNTRIES, at=2)
    places = [pair for c in COUNTRIES for pair in c[3]]
    offset = np.cumsum([0] + [len(c[3]) for c in COUNTRIES])[:-1]
    count = np.array([len(c[3]) for c in COUNTRIES])
    place = offset[country] + (rng.random(n) * count[country]).astype(np.int64)
    employees = np.minimum(np.exp(rng.normal(2.8, 1.6, n)).astype(np.int64) + 1, 500_000)
    bands = np.array(["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10001+"])
    size = bands[np.searchsorted([10, 50, 200, 500, 1000, 5000, 10000], employees, side="left")]
    founded = np.maximum(2024 - rng.exponential(20, n).astype(np.int64), 1850)
    return pl.DataFrame({
        "id": "pdl" + pl.Series(np.arange(n)).cast(pl.String).str.zfill(9),
        "name": label.str.replace_all("-", " "),
        "website": domains,
        "founded": blank(pl.Series(founded), 0.35, rng),
        "size": pl.Series(size, dtype=pl.String),
        "locality": blank(pl.Series([p[1] for p in places], dtype=pl.String).gather(place), 0.25, rng),
        "region": blank(pl.Series([p[0] for p in places], dtype=pl.String).gather(place), 0.15, rng),
        "country": blank(pl.Series([c[0] for c in COUNTRIES], dtype=pl.String).gather(country), 0.05, rng),
        "industry": blank(draw(rng, n, weighted), 0.08, rng),
        "linkedin_url": "linkedin.com/company/" + label,
        "employee_count": blank(pl.Series(employees), 0.03, rng),
    })


def companies_frame(truth: pl.Series, rng: np.random.Generator) -> pl.DataFrame:
    """CRM companies with every canonical column, plus ``_clean``: the true domain."""
    n = truth.len()
    truth = blank(truth, NO_KEY, rng)
    r = rng.random(n)
    no_domain = r < CRM_BLANK["domain"]
    capital = (r > 0.9) & (r < 0.905)  # "Acme.com"
    domain = pl.Series(np.where(no_domain, None, truth.to_numpy()), dtype=pl.String)
    domain = domain.scatter(np.flatnonzero(capital), truth.gather(np.flatnonzero(capital)).str.to_titlecase())
    website = dress(truth, CRM_WEBSITES, rng)
    # with a domain, 60 % also hold a (tidy) website; without one, the messy website is the key
    website = website.scatter(np.flatnonzero(~no_domain), None)
    tidy = np.flatnonzero(~no_domain & (rng.random(n) < 0.6))
    website = website.scatter(tidy, "https://" + truth.gather(tidy))
    hubspot = [code for code, _ in industries()]
    data = {
        "id": pl.Series(np.arange(1, n + 1) * 7919 + 10_000_000).cast(pl.String),
        "name": truth.str.split(".").list.first().str.replace_all("-", " ").str.to_titlecase(),
        "domain": domain,
        "website": website,
        "industry": pl.Series(hubspot, dtype=pl.String).gather(rng.integers(0, len(hubspot), n)),
        "employees": pl.Series(rng.integers(1, 5000, n)),
        "annual_revenue": pl.Series(np.round(np.exp(rng.normal(15, 2, n)), -3)),
        "country": pl.Series([c[1] for c in COUNTRIES], dtype=pl.String).gather(pick(rng, n, COUNTRIES, at=2)),
        "state": pl.Series(["CA", "NY", "TX", "England", "Bavaria"], dtype=pl.String).gather(rng.integers(0, 5, n)),
        "city": pl.Series(["San Francisco", "New York", "Austin", "London", "Munich"], dtype=pl.String).gather(rng.integers(0, 5, n)),
        "founded_year": pl.Series(rng.integers(1950, 2024, n)),
        "lifecycle_stage": pl.Series(["lead", "opportunity", "customer"], dtype=pl.String).gather(rng.integers(0, 3, n)),
    }
    for name, share in CRM_BLANK.items():
        if name != "domain":
            data[name] = blank(data[name], share, rng)
    frame = pl.DataFrame(data)
    canonical = [pl.col(f.name).cast(columns.polars_type(f.type)) if f.name in frame.columns
                 else pl.lit(None, dtype=columns.polars_type(f.type)).alias(f.name) for f in columns.COMPANIES]
    return frame.select(*canonical, truth.alias("_clean"))


def reference_dataset(rows: int, companies: int, seed: int) -> Path:
    folder = HERE / ".data" / f"firmographics-v{VERSION}-{rows}-{companies}-seed{seed}"
    done = folder / ".complete"
    if not done.exists():
        print(f"generating a {rows:,}-row reference file and {companies:,} companies ...", flush=True)
        started = time.perf_counter()
        rng = np.random.default_rng([seed, 41])
        known = round(companies * IN_FILE)
        domains = unique_domains(rng, rows + companies - known, FILE_SUFFIXES)
        in_file, outside = domains.head(rows), domains.tail(companies - known)
        ref = reference_frame(in_file, rng)
        truth = pl.concat([in_file.gather(rng.choice(rows, known, replace=False)), outside])
        crm = companies_frame(truth.gather(rng.permutation(companies)), rng)
        folder.mkdir(parents=True, exist_ok=True)
        ref.write_parquet(folder / "reference.parquet", row_group_size=250_000)
        ref.write_csv(folder / "reference.csv")
        crm.write_parquet(folder / "companies.parquet")
        done.touch()
        print(f"  done in {time.perf_counter() - started:.1f} s: {folder}", flush=True)
    return folder


# ---------------------------------------------------------------------------
# part 2 data: websites and emails
# ---------------------------------------------------------------------------
def idn(domain: str, u: float, v: float) -> str:
    """An internationalised form of ``domain``: accented Latin, or a Cyrillic label."""
    label = domain.split(".", 1)[0]
    suffix = IDN_SUFFIXES[int(v * len(IDN_SUFFIXES))]
    vowels = [i for i, c in enumerate(label) if c in "aoue"]
    if suffix == "рф" or u < 0.2 or not vowels:
        k = len(label) // 2 + 1
        return "".join(IDN_CYRILLIC[(ord(c) + i) % len(IDN_CYRILLIC)] for i, c in enumerate(label[:k])) + "." + suffix
    spot = vowels[int((u - 0.2) / 0.8 * len(vowels))]
    return label[:spot] + label[spot].translate(IDN_LATIN) + label[spot + 1:] + "." + suffix


def normaliser_dataset(rows: int, distinct: int, seed: int) -> Path:
    folder = HERE / ".data" / f"normalisers-v{VERSION}-{rows}-{distinct}-seed{seed}"
    done = folder / ".complete"
    if not done.exists():
        print(f"generating {rows:,} websites and {rows:,} emails over {distinct:,} domains ...", flush=True)
        started = time.perf_counter()
        rng = np.random.default_rng([seed, 42])
        pool = unique_domains(rng, distinct, WEB_SUFFIXES)
        which = np.flatnonzero(rng.random(distinct) < IDN_SHARE)
        u = rng.random((2, which.size))
        pool = pool.scatter(which, [idn(d, a, b) for d, a, b in zip(pool.gather(which).to_list(), u[0], u[1])])
        # websites: a domain per row (about `distinct` of them appear), in a typed form
        site = pool.gather(rng.integers(0, distinct, rows))
        websites = dress(site, WEBSITES, rng)
        odd = np.flatnonzero(rng.random(rows) < 0.03)  # 2 % null, 1 % blank or junk
        junk = draw(rng, odd.size, JUNK)
        websites = websites.scatter(odd, junk.scatter(np.flatnonzero(rng.random(odd.size) < 2 / 3), None))
        # emails: a person at a company domain (sometimes a mail host under it), or webmail
        first = pl.Series(FIRST_NAMES, dtype=pl.String).gather(rng.integers(0, len(FIRST_NAMES), rows))
        last = pl.Series(LAST_NAMES, dtype=pl.String).gather(rng.integers(0, len(LAST_NAMES), rows))
        shape = rng.random(rows)
        digits = pl.Series(rng.integers(1, 999, rows)).cast(pl.String)
        parts = pl.DataFrame({"f": first, "l": last, "s": shape, "n": digits})
        local = parts.select(
            pl.when(pl.col("s") < 0.45).then(pl.concat_str("f", pl.lit("."), "l"))
            .when(pl.col("s") < 0.65).then(pl.concat_str(pl.col("f").str.slice(0, 1), "l"))
            .when(pl.col("s") < 0.75).then("f")
            .when(pl.col("s") < 0.85).then(pl.concat_str("f", pl.lit("_"), "l", "n"))
            .when(pl.col("s") < 0.95).then(pl.concat_str("f", "l", "n"))
            .otherwise(pl.Series(["info", "sales", "contact", "hello", "admin"]).gather(rng.integers(0, 5, rows)))
            .alias("local")
        ).to_series()
        host = pool.gather(rng.integers(0, distinct, rows))
        sub = np.flatnonzero(rng.random(rows) < 0.08)
        host = host.scatter(sub, "mail." + host.gather(sub))
        free = np.flatnonzero(rng.random(rows) < WEBMAIL_SHARE)
        host = host.scatter(free, draw(rng, free.size, WEBMAIL))
        emails = (local + "@" + host).alias("email")
        upper = np.flatnonzero(rng.random(rows) < 0.03)
        emails = emails.scatter(upper, emails.gather(upper).str.to_uppercase())
        odd = np.flatnonzero(rng.random(rows) < 0.015)  # 1 % null, 0.5 % junk
        junk = draw(rng, odd.size, EMAIL_JUNK)
        emails = emails.scatter(odd, junk.scatter(np.flatnonzero(rng.random(odd.size) < 2 / 3), None))
        folder.mkdir(parents=True, exist_ok=True)
        pl.DataFrame({"website": websites, "_site": site}).write_parquet(folder / "websites.parquet")
        pl.DataFrame({"email": emails}).write_parquet(folder / "emails.parquet")
        done.touch()
        print(f"  done in {time.perf_counter() - started:.1f} s: {folder}", flush=True)
    return folder


# ---------------------------------------------------------------------------
# part 1: engine and floor
# ---------------------------------------------------------------------------
class Quarantine(list):
    """The run's quarantine: what the reference file could not read."""

    def __call__(self, item) -> None:
        self.append(item)


def reference_settings(path: Path, mapping: dict[str, str] | None) -> reference.Settings:
    return reference.Settings(path=str(path), columns=mapping)


def engine_reference(path: Path, mapping: dict[str, str] | None, batches: list[pl.DataFrame], cache: Path):
    """What a run does: build the provider on the file, fill batch after batch."""
    quarantine = Quarantine()
    provider = ReferenceFile(reference_settings(path, mapping), PluginContext(path.parent, quarantine, cache))
    waterfall = Waterfall(WaterfallSettings(), None, paid=False)
    policies = {f: "fill_missing" for f in provider.fields}
    out = [waterfall.fill("reference", provider, batch, policies) for batch in batches]
    return out, waterfall.figures["reference"], quarantine


def read_floor(path: Path, needed: list[str]) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path, columns=needed)
    return pl.read_csv(path, columns=needed)


def floor_reference(path: Path, fields: dict[str, str], crm: pl.DataFrame) -> pl.DataFrame:
    """polars alone: read, left join on the clean domain, coalesce."""
    ref = read_floor(path, ["website", *fields.values()])
    ref = ref.rename({v: "_ref_" + c for c, v in fields.items()})
    joined = crm.join(ref, left_on="_clean", right_on="website", how="left", maintain_order="left")
    return joined.with_columns(
        pl.coalesce(c, pl.col("_ref_" + c).cast(crm.schema[c])).alias(c) for c in fields
    )


def reference_differing(got: list[pl.DataFrame], floor: pl.DataFrame, fields: list[str]) -> Counter:
    """Rows whose filled fields differ from the floor's (its labels made canonical first)."""
    truth = canonical_values()
    a = pl.concat([b.select(fields) for b in got])
    b = floor.select(pl.col(f).replace(truth[f]) if f in truth else pl.col(f) for f in fields)
    bad: Counter = Counter()
    if a.height != b.height:
        bad["rows"] = abs(a.height - b.height)
        return bad
    for f in fields:
        bad[f] = int(a.get_column(f).ne_missing(b.get_column(f)).sum())
    bad["rows"] = int(a.select(pl.any_horizontal(pl.col(f).ne_missing(b.get_column(f)) for f in fields).sum()).item())
    return bad


def layout_for(path: Path) -> tuple[dict[str, str] | None, dict[str, str], list[str]]:
    """The ``columns`` setting to use (None: the default PDL layout), the fields it fills,
    and the fields left out because ``crm_enrich.normalise`` lacks their function yet."""
    needs = {"industry": "industry", "country": "country"}
    if path.suffix == ".csv":  # a CSV's employee_count is text: parsed by employee_count()
        needs["employees"] = "employee_count"
    missing = [c for c, fn in needs.items() if not hasattr(normalise, fn)]
    fields = {c: v for c, v in PDL_LAYOUT.items() if c not in missing}
    return (None if not missing else fields), fields, missing


# ---------------------------------------------------------------------------
# part 2: engine and floor
# ---------------------------------------------------------------------------
def engine_normalise(frame: pl.DataFrame, column: str, fn) -> pl.Series:
    return frame.select(fn(pl.col(column)).alias("domain")).to_series()


def floor_normalise(frame: pl.DataFrame, column: str, table: pl.DataFrame) -> pl.Series:
    return frame.join(table, on=column, how="left", maintain_order="left").get_column("domain")


# ~20 cases with the answer written by hand: the consistency check cannot see a wrong answer
DOMAIN_SAMPLES = [
    ("https://www.Example.co.uk/about", "example.co.uk"),
    ("http://shop.example.com.au", "example.com.au"),
    ("www.acme.de/?utm=1", "acme.de"),
    ("ACME.COM", "acme.com"),
    ("HTTPS://WWW.ACME.IO", "acme.io"),
    ("  acme.com  ", "acme.com"),
    ("acme.com.", "acme.com"),
    ("https://acme.com:443/", "acme.com"),
    ("https://www.acme.com/en-gb/products?id=12#top", "acme.com"),
    ("blog.acme.co.nz", "acme.co.nz"),
    ("foo.github.io", "foo.github.io"),
    ("https://münchen.de", "xn--mnchen-3ya.de"),
    ("bücher.de/shop", "xn--bcher-kva.de"),
    ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
    ("192.168.1.10", None),
    ("localhost", None),
    ("co.uk", None),
    ("n/a", None),
    ("", None),
    (None, None),
]
EMAIL_SAMPLES = [
    ("jo@acme.com", "acme.com"),
    ("Jo.Smith@Mail.Acme.co.uk", "acme.co.uk"),
    ("JO@ACME.DE", "acme.de"),
    ("jo@bücher.de", "xn--bcher-kva.de"),
    ("x@gmail.com", None),
    ("x@yahoo.co.uk", None),
    ("x@GMX.de", None),
    ("x@mailinator.com", None),
    ("acme.com", None),
    ("jo at acme.com", None),
    (None, None),
]


def wrong_samples() -> list[str]:
    wrong = []
    for fn, samples in ((normalise.domain, DOMAIN_SAMPLES), (normalise.email_domain, EMAIL_SAMPLES)):
        frame = pl.DataFrame({"x": [s for s, _ in samples]}, schema={"x": pl.String})
        got = frame.select(fn(pl.col("x"))).to_series().to_list()
        wrong += [f"{fn.__name__}({s!r}) = {g!r}, expected {e!r}" for (s, e), g in zip(samples, got) if g != e]
    return wrong


# ---------------------------------------------------------------------------
# profiles: where the engine's time goes, step by step
# ---------------------------------------------------------------------------
def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


PROFILE_RUNS = 3


def steady(fn, *args):
    """A profile step: the median of PROFILE_RUNS runs (one run is noise on these machines)."""
    runs = [timed(fn, *args) for _ in range(PROFILE_RUNS)]
    return statistics.median(s for s, _ in runs), runs[-1][1]


def profile_reference(path: Path, mapping: dict[str, str] | None, batches: list[pl.DataFrame],
                      crm: pl.DataFrame) -> list[tuple[str, float]]:
    """The engine's steps one at a time: loading the file (the first run: read, keys
    normalised, kept; a later run: the kept table read back), then Waterfall.fill over the
    batches, with the provider's lookups (join, parse the matched rows' values) timed apart."""
    steps = []
    quarantine = Quarantine()
    cache = path.parent / "cache-profile"
    s, provider = steady(ReferenceFile, reference_settings(path, mapping), PluginContext(path.parent, quarantine, cache))
    steps.append(("ReferenceFile() (settings, file schema)", s))
    s, table = steady(lambda: (shutil.rmtree(cache, ignore_errors=True), provider._load())[1])
    steps.append((f"  first run only, load: read {table.height:,} rows, normalise their keys, keep them", s))
    s, table = steady(provider._load)
    steps.append(("load: read the kept table back", s))
    shutil.rmtree(cache, ignore_errors=True)
    provider._table = table
    lookups = []
    lookup = provider.lookup

    def timed_lookup(keys):
        s, answer = timed(lookup, keys)
        lookups.append(s)
        return answer

    provider.lookup = timed_lookup
    policies = {f: "fill_missing" for f in provider.fields}
    key_time, _ = steady(lambda: [_keys(b, "domain") for b in batches])
    fills, asked = [], []
    for _ in range(PROFILE_RUNS):
        lookups.clear()
        waterfall = Waterfall(WaterfallSettings(), None, paid=False)
        fills.append(timed(lambda w: [w.fill("reference", provider, b, policies) for b in batches], waterfall)[0])
        asked.append(sum(lookups))
    s, lookup_time = statistics.median(fills), statistics.median(asked)
    steps.append((f"Waterfall.fill, {len(batches)} batches", s))
    steps.append(("  CRM keys: normalise.domain(coalesce(domain, website))", key_time))
    steps.append(("  provider.lookup (join, first row per domain, parse the matched values)", lookup_time))
    steps.append(("  the rest (need, unique, answers' checks, left join, fill)", s - key_time - lookup_time))
    fields = provider.mapping
    s, ref = steady(read_floor, path, ["website", *fields.values()])
    steps.append(("floor: read the file", s))
    ref = ref.rename({v: "_ref_" + c for c, v in fields.items()})
    s, joined = steady(lambda: crm.join(ref, left_on="_clean", right_on="website", how="left", maintain_order="left"))
    steps.append(("floor: left join", s))
    s, _ = steady(lambda: joined.with_columns(pl.coalesce(c, pl.col("_ref_" + c).cast(crm.schema[c])).alias(c) for c in fields))
    steps.append(("floor: coalesce", s))
    engine = sum(s for name, s in steps if not name.startswith((" ", "floor")))
    floor = sum(s for name, s in steps if name.startswith("floor"))
    steps.append(("engine's steps / floor's steps, a ratio", engine / floor))
    return steps


def profiled(title: str, fn, *args) -> None:
    """Print a profile; one that fails (internals changed) is reported, not fatal."""
    try:
        steps = fn(*args)
    except Exception as exc:  # noqa: BLE001
        print(f"\n  profile, {title}: not available ({type(exc).__name__}: {exc})")
        return
    print(f"\n  profile, {title} (seconds, median of {PROFILE_RUNS} runs of each step):")
    for name, s in steps:
        print(f"    {name:<88} {s:7.3f}")


# ---------------------------------------------------------------------------
def ratio_line(label: str, engine: list[float], floor: list[float]) -> tuple[str, float]:
    """Each engine run paired with the floor run of the same round: drift cancels."""
    ratios = sorted(e / f for e, f in zip(engine, floor))
    med = statistics.median(ratios)
    verdict = "ok" if med <= TARGET else "MISSED"
    return (f"  {'ratio ' + label:<{WIDTH}} {med:7.2f}   (median of rounds, range {ratios[0]:.2f}-{ratios[-1]:.2f}; "
            f"target <= {TARGET:.2f}) {verdict}"), med


def mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:,.0f} MiB"


def part_reference(args) -> list[float]:
    folder = reference_dataset(args.reference_rows, args.companies, args.seed)
    crm = pl.read_parquet(folder / "companies.parquet")
    engine_frame = crm.drop("_clean")
    batches = [engine_frame.slice(s, args.batch_size) for s in range(0, crm.height, args.batch_size)]
    files = {"Parquet": folder / "reference.parquet", "CSV": folder / "reference.csv"}
    known = crm.get_column("_clean").is_in(
        pl.read_parquet(files["Parquet"], columns=["website"]).get_column("website").implode()).mean()
    blanks = ", ".join(f"{c} {crm.get_column(c).is_null().mean():.0%}" for c in CRM_BLANK)
    print(f"\nreference enrichment: a {args.reference_rows:,}-row file (PDL layout; Parquet {mib(files['Parquet'])}, "
          f"CSV {mib(files['CSV'])}) and {crm.height:,} companies in batches of {args.batch_size:,}, "
          f"{args.repeat} rounds")
    print(f"  companies: {known:.1%} in the file; blank: {blanks} (blank domain: the website is the key, "
          f"e.g. {crm.filter(pl.col('domain').is_null()).get_column('website').drop_nulls().head(3).to_list()})")
    layouts = {fmt: layout_for(path) for fmt, path in files.items()}
    for fmt, (_, _, missing) in layouts.items():
        if missing:
            print(f"  note, {fmt}: crm_enrich.normalise has no "
                  f"{', '.join(sorted({('employee_count' if m == 'employees' else m) + '()' for m in missing}))} yet, "
                  f"so the file is read with columns = the PDL layout without {', '.join(missing)}: "
                  f"those fields are neither normalised nor filled, by the engine or the floor")

    times = {(fmt, who): [] for fmt in files for who in ("first", "later", "floor")}
    bad = {fmt: Counter() for fmt in files}
    filled, quarantined = {}, {}
    for i in range(args.repeat):
        line = []
        for fmt, path in files.items():
            mapping, fields, _ = layouts[fmt]
            cache = folder / f"cache-{fmt}"
            shutil.rmtree(cache, ignore_errors=True)
            s, floor = timed(floor_reference, path, fields, crm)
            times[fmt, "floor"].append(s)
            for run in ("first", "later"):
                s, (out, figures, quarantine) = timed(engine_reference, path, mapping, batches, cache)
                times[fmt, run].append(s)
                bad[fmt] += reference_differing(out, floor, list(fields))  # outside the timing
                del out
            filled[fmt], quarantined[fmt] = figures, len(quarantine)
            del floor
            line.append(f"{fmt} first run {times[fmt, 'first'][-1]:.2f} s, later {times[fmt, 'later'][-1]:.2f} s, "
                        f"floor {times[fmt, 'floor'][-1]:.2f} s")
        print(f"  round {i + 1}: " + "; ".join(line), flush=True)
    for fmt in files:
        f = filled[fmt]
        detail = ", ".join(f"{k} {v}" for k, v in bad[fmt].items() if k != "rows" and v)
        print(f"  check, {fmt}: {bad[fmt]['rows']} rows differing from the floor over {2 * args.repeat} runs of "
              f"{crm.height:,}{f' ({detail})' if detail else ''}; per run: asked {f.asked:,} keys, found "
              f"{f.found:,}; filled " + ", ".join(f"{k} {v:,}" for k, v in f.filled.items())
              + f"; quarantined {quarantined[fmt]}")

    n = crm.height
    print(f"\nreference enrichment, {n:,} companies x {args.reference_rows:,}-row file (median of {args.repeat}):")
    ratios = []
    for fmt in files:
        first, later, fl = (statistics.median(times[fmt, who]) for who in ("first", "later", "floor"))
        print(f"  {f'engine, {fmt}, later runs (prepared keys kept)':<{WIDTH}} {later:7.3f} s  {n / later:12,.0f} companies/s")
        print(f"  {f'engine, {fmt}, first run on the file':<{WIDTH}} {first:7.3f} s  {n / first:12,.0f} companies/s")
        print(f"  {f'floor, {fmt} (read, left join, coalesce)':<{WIDTH}} {fl:7.3f} s  {n / fl:12,.0f} companies/s")
        line, med = ratio_line(f"later runs / floor, {fmt}" + (" (headline)" if fmt == "Parquet" else ""),
                               times[fmt, "later"], times[fmt, "floor"])
        print(line)
        ratios.append(med)
        ratios_first = sorted(e / f for e, f in zip(times[fmt, "first"], times[fmt, "floor"]))
        print(f"  {f'ratio first run / floor, {fmt}':<{WIDTH}} {statistics.median(ratios_first):7.2f}   (median of "
              f"rounds, range {ratios_first[0]:.2f}-{ratios_first[-1]:.2f}; normalises the file's keys once)")
    for (fmt, path), med in zip(files.items(), ratios):
        if args.profile or med > TARGET:
            profiled(f"reference enrichment, {fmt}", profile_reference, path, layouts[fmt][0], batches, crm)
    return ratios


def part_normalisers(args) -> list[float]:
    folder = normaliser_dataset(args.rows, args.distinct_domains, args.seed)
    websites = pl.read_parquet(folder / "websites.parquet")
    emails = pl.read_parquet(folder / "emails.parquet")
    # the floors' tables: each distinct raw value classified once, outside the timing
    tables = {
        "domain": websites.select("website").unique().with_columns(domain=normalise.domain(pl.col("website"))).rechunk(),
        "email": emails.select("email").unique().with_columns(domain=normalise.email_domain(pl.col("email"))).rechunk(),
    }
    site = websites.get_column("_site")
    suffix = site.str.extract(r"\.([^.]+(?:\.(?:uk|au|nz|br|jp|sg|mx|za|in))?)$", 1).value_counts(sort=True, name="n")
    mix = ", ".join(f"{s} {c / site.len():.0%}" for s, c in suffix.head(8).iter_rows())
    idn_share = (site.str.len_bytes() != site.str.len_chars()).mean()
    raw = websites.get_column("website")
    junk = (raw.is_null() | raw.is_in([j for j, _ in JUNK])).mean()
    webmail = emails.get_column("email").str.to_lowercase().str.extract(r"@(.*)$", 1).is_in(
        [d for d, _ in WEBMAIL]).mean()
    print(f"\nnormalisers: {websites.height:,} websites ({websites.get_column('website').n_unique():,} distinct values "
          f"over {site.n_unique():,} registrable domains; {tables['domain'].get_column('domain').n_unique() - 1:,} distinct "
          f"answers; suffixes {mix}, ...; IDN {idn_share:.1%}; null or junk {junk:.1%}) and {emails.height:,} emails "
          f"({emails.get_column('email').n_unique():,} distinct; {webmail:.1%} free webmail), {args.repeat} rounds")
    wrong = wrong_samples()
    print("  check, hand-written samples: " + (f"all {len(DOMAIN_SAMPLES) + len(EMAIL_SAMPLES)} right" if not wrong
                                              else f"{len(wrong)} WRONG: " + "; ".join(wrong)))

    work = {"domain": (websites, "website", normalise.domain), "email": (emails, "email", normalise.email_domain)}
    times = {(k, who): [] for k in work for who in ("engine", "floor")}
    bad = Counter()
    for i in range(args.repeat):
        for k, (frame, column, fn) in work.items():
            s, out = timed(engine_normalise, frame, column, fn)
            times[k, "engine"].append(s)
            s, floor = timed(floor_normalise, frame, column, tables[k])
            times[k, "floor"].append(s)
            bad[k] += int(out.ne_missing(floor).sum())  # outside the timing
            del out, floor
        print(f"  round {i + 1}: domain {times['domain', 'engine'][-1]:.3f} s, floor {times['domain', 'floor'][-1]:.3f} s; "
              f"email_domain {times['email', 'engine'][-1]:.3f} s, floor {times['email', 'floor'][-1]:.3f} s", flush=True)
    print(f"  check: domain vs its table, {bad['domain']} differing rows; email_domain vs its table, "
          f"{bad['email']} differing rows (over {args.repeat} rounds)")

    print(f"\nnormalisers, {args.rows:,} rows each (median of {args.repeat}):")
    ratios = []
    for k, title, floor_title in (("domain", "normalise.domain, websites", "floor: join raw -> domain"),
                                  ("email", "normalise.email_domain, emails", "floor: join raw -> domain")):
        e, fl = statistics.median(times[k, "engine"]), statistics.median(times[k, "floor"])
        n = work[k][0].height
        print(f"  {title:<{WIDTH}} {e:7.3f} s  {n / e:12,.0f} rows/s")
        print(f"  {floor_title + f' ({tables[k].height:,} values)':<{WIDTH}} {fl:7.3f} s  {n / fl:12,.0f} rows/s")
        line, med = ratio_line(f"{'domain' if k == 'domain' else 'email_domain'} / floor", times[k, "engine"], times[k, "floor"])
        print(line)
        ratios.append(med)
    return ratios


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=None, help="rounds (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true", help="a tenth of the sizes, for a smoke run")
    ap.add_argument("--reference-rows", type=int, default=2_000_000)
    ap.add_argument("--companies", type=int, default=200_000)
    ap.add_argument("--rows", type=int, default=1_000_000, help="websites, and emails, for the normalisers")
    ap.add_argument("--distinct-domains", type=int, default=200_000)
    ap.add_argument("--batch-size", type=int, default=100_000, help="the engine's default batch size")
    ap.add_argument("--only", choices=["reference", "normalisers"])
    ap.add_argument("--profile", action="store_true", help="print the step profiles even when targets are met")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.quick:
        for name in ("reference_rows", "companies", "rows", "distinct_domains", "batch_size"):
            setattr(args, name, getattr(args, name) // 10)
    if args.repeat is None:
        args.repeat = 2 if args.quick else 5
    ratios = []
    if args.only != "normalisers":
        ratios += part_reference(args)
    if args.only != "reference":
        ratios += part_normalisers(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
