"""The companies the fake knows, keyed by website domain, and how a request finds one.

A seeded record is a PDL company record (the Company Schema, PDL_API_NOTES.md §2): every
documented top-level field is present, null where the seed gives none, as PDL answers.
``likelihood`` in a seed is not part of the record: it is the score the fake answers with.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from typing import Any

# Top-level fields of PDL's Company Schema (Example Company Record, PDL_API_NOTES.md §2).
COMPANY_FIELDS = (
    "id", "name", "display_name", "size", "employee_count", "linkedin_follower_count", "founded",
    "inferred_revenue", "industry", "industry_v2", "naics", "sic", "location", "linkedin_id",
    "linkedin_url", "linkedin_slug", "facebook_url", "twitter_url", "profiles", "website", "ticker",
    "type", "summary", "tags", "headline", "alternative_names", "alternative_domains",
    "affiliated_profiles", "total_funding_raised", "latest_funding_stage", "last_funding_date",
    "number_funding_rounds", "funding_stages",
)
LOCATION_FIELDS = ("name", "locality", "region", "metro", "country", "continent", "street_address",
                   "address_line_2", "postal_code", "geo")
DEFAULT_LIKELIHOOD = 8
MATCH_PARAMS = ("pdl_id", "name", "ticker", "website", "profile")  # at least one is required


def website_key(value: Any) -> str | None:
    """A website as the fake matches it: lower case, without scheme, ``www.``, port, path,
    query or trailing dot (``HTTPS://WWW.Acme.com:443/about?x=1`` -> ``acme.com``)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    text = text.removeprefix("www.")
    return text or None


@dataclass(frozen=True)
class Seeded:
    record: dict[str, Any]
    likelihood: int


class Dataset:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_website: dict[str, Seeded] = {}
        self._by_id: dict[str, Seeded] = {}

    def seed(self, records: list[dict[str, Any]]) -> list[str]:
        """Adds (or replaces, by website) companies; returns their PDL ids."""
        ids = []
        with self._lock:
            for raw in records:
                raw = copy.deepcopy(raw)
                likelihood = raw.pop("likelihood", DEFAULT_LIKELIHOOD)
                if not isinstance(likelihood, int) or not 1 <= likelihood <= 10:
                    raise ValueError(f"likelihood must be an integer from 1 to 10, got {likelihood!r}")
                key = website_key(raw.get("website"))
                if key is None:
                    raise ValueError(f"a seeded company needs a website: {raw!r}")
                unknown = set(raw) - set(COMPANY_FIELDS)
                if unknown:
                    raise ValueError(f"not fields of PDL's company schema: {sorted(unknown)}")
                record = {name: raw.get(name) for name in COMPANY_FIELDS}
                record["website"] = key  # PDL's own website field is the bare domain
                record["id"] = record["id"] or f"fake{len(self._by_website) + 1:020d}"
                if isinstance(record["location"], dict):
                    record["location"] = {name: record["location"].get(name) for name in LOCATION_FIELDS}
                seeded = Seeded(record, likelihood)
                self._by_website[key] = seeded
                self._by_id[record["id"]] = seeded
                ids.append(record["id"])
        return ids

    def match(self, params: dict[str, Any]) -> Seeded | None:
        """The company ``params`` ask for: by ``pdl_id`` alone when given, else by ``website``.
        (The fake matches no names, tickers or profiles: such a request is a 404.)"""
        with self._lock:
            if params.get("pdl_id"):
                return self._by_id.get(str(params["pdl_id"]))
            key = website_key(params.get("website"))
            return self._by_website.get(key) if key else None
