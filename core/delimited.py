"""Delimited text files (CSV, TSV, a vendor's ``.txt``) as users have them: the delimiter is
whichever of , ; tab or | the header line uses most. Shared by the files connector and the
reference provider, so that a ';'-separated export (Excel's in much of Europe) reads the same
in both."""

from __future__ import annotations

SUFFIXES = (".csv", ".tsv", ".txt")
DELIMITERS = (",", ";", "\t", "|")


def delimiter_of(header: str) -> str:
    """The delimiter ``header`` (a file's first line) uses most; ',' when it uses none."""
    counts = {d: header.count(d) for d in DELIMITERS}
    return max(counts, key=counts.get) if any(counts.values()) else ","
