"""``pdl``: firmographics from People Data Labs' Company Enrichment API, by domain.

A paid provider for the waterfall (:class:`crm_enrich.protocols.Provider`): the engine
decides which domains to ask, caches the answers and counts them against the run's
budget; this plugin only looks domains up. How PDL behaves, with sources, is written down
in ``tests/pdl_fake/PDL_API_NOTES.md``; in short:

- **Bulk.** Domains go 100 at a time to ``POST /v5/company/enrich/bulk`` (each
  ``params: {website, min_likelihood}``); PDL answers a list in request order, one status
  per item: 200 is a match (one credit), 404 is no match (free). An item answered 429 or
  5xx is asked again, alone with the others like it, a bounded number of times.
- **Confidence.** PDL's ``likelihood`` (1-10) over 10; matches below ``min_likelihood``
  are PDL's 404s, so they are never paid for.
- **Limits.** A client-side limiter keeps to ``requests_per_minute``; PDL's
  ``x-ratelimit-remaining`` reaching zero pauses it until ``x-ratelimit-reset``; 429s, 5xx
  and timeouts are retried (``Retry-After`` honoured) by the shared HTTP base.
- **Stops.** A 402 (the account's credits are spent), whole or for an item, raises
  :class:`~crm_enrich.errors.ProviderExhausted`: the run goes on without PDL. A 401 names
  the environment variable the key came from; the key itself lives in the session header
  only and is never put in a message.
- **Values.** PDL answers in lower case: industry becomes HubSpot's internal value,
  country ISO alpha-2 and funding stage PDL's snake_case, through :mod:`crm_enrich.normalise`;
  region and city are title-cased (``san francisco`` -> ``San Francisco``); the name is
  PDL's ``display_name`` (as the company writes it), else its lower-case ``name``. PDL's
  ``inferred_revenue`` is a range (``$50M-$100M``), not a figure: it fills nothing.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
import requests
from pydantic import BaseModel, ConfigDict
from pydantic import Field as SettingField

import crm_enrich
from crm_enrich import columns, normalise
from crm_enrich.config import Secret
from crm_enrich.errors import ProviderExhausted, SourceError
from crm_enrich.http import RETRIED_STATUSES, Budget, HttpClient, Retries, RetryableResponse, RollingLimiter
from crm_enrich.protocols import Field, PluginContext, Quarantined

BULK_PATH = "/v5/company/enrich/bulk"
BULK_MAX = 100  # "You can enrich up to 100 companies in a single request"
VENDOR = "People Data Labs"

FIELDS = {
    "name": "company name (PDL display_name, else name)",
    "industry": "industry, HubSpot's internal value, from PDL's industry",
    "employees": "employee count (PDL employee_count)",
    "country": "headquarters country, ISO 3166 alpha-2 (PDL location.country)",
    "state": "headquarters region or state, title-cased (PDL location.region)",
    "city": "headquarters city, title-cased (PDL location.locality)",
    "founded_year": "year founded (PDL founded)",
    "funding_total": "total funding raised in USD (PDL total_funding_raised)",
    "funding_stage": "latest funding stage, PDL's snake_case value (PDL latest_funding_stage)",
}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: Secret = SettingField(description="PDL API key, by indirection: { env = \"PDL_API_KEY\" }")
    base_url: str = SettingField("https://api.peopledatalabs.com", description="PDL's API root")
    min_likelihood: int = SettingField(
        6, ge=1, le=10,
        description="PDL's min_likelihood: weaker matches are PDL's 404s, neither returned nor paid for",
    )
    requests_per_minute: int = SettingField(
        1000, gt=0,
        description="client-side limit on bulk calls; PDL's default for paying accounts is 1,000 a "
        "minute (free accounts: 10)",
    )
    rate_window_seconds: float = SettingField(60, gt=0, description="PDL's rate-limit window is one minute")
    retries: int = SettingField(
        8, ge=1, description="attempts per request, and per bulk item PDL answers 429 or 5xx"
    )
    timeout_seconds: float = SettingField(60, gt=0, description="seconds to wait for one bulk answer")
    max_backoff_seconds: float = SettingField(
        30, gt=0, description="longest wait between attempts when PDL gives no Retry-After"
    )


class PDLCompanies:
    """Looks companies up in People Data Labs by domain, 100 per bulk call."""

    name = "pdl"
    object_type = "companies"
    key = "domain"
    paid = True
    version = "1"
    batch_size = BULK_MAX  # the engine hands at most this many keys to one lookup
    Settings = Settings
    fields = {
        name: Field(columns.COMPANIES.field(name).type, description, policy="fill_missing")
        for name, description in FIELDS.items()
    }

    def __init__(self, settings: Settings, context: PluginContext):
        self.settings = settings
        self.context = context
        self.limiter = RollingLimiter([Budget(settings.requests_per_minute, settings.rate_window_seconds)])
        self.client = HttpClient(
            settings.base_url,
            {"X-Api-Key": settings.api_key.reveal(), "Content-Type": "application/json", "Accept": "application/json"},
            retries=Retries(settings.retries, settings.max_backoff_seconds, settings.timeout_seconds),
            on_response=self._read_limits,
        )
        self.credits_remaining: int | None = None  # PDL's x-totallimit-remaining, once seen

    # -- the provider protocol ----------------------------------------------------------------

    def lookup(self, keys: pa.Array) -> pa.Table:
        asked = [k for k in dict.fromkeys(keys.to_pylist()) if isinstance(k, str) and k]
        found: list[tuple[str, dict[str, Any]]] = []
        progress = _Progress(len(asked))
        for start in range(0, len(asked), BULK_MAX):
            self._enrich(asked[start:start + BULK_MAX], found, progress)
        position = {key: i for i, key in enumerate(asked)}
        found.sort(key=lambda match: position[match[0]])  # retried items came later: keys' order
        return self._table(found)

    # -- one bulk call, and its items' retries ---------------------------------------------------

    def _enrich(self, chunk: list[str], found: list[tuple[str, dict[str, Any]]], progress: _Progress) -> None:
        """Answers for every key of ``chunk``: matches appended to ``found``."""
        pending = chunk
        for attempt in range(1, self.settings.retries + 1):
            again: dict[str, Any] = {}
            spent: dict[str, Any] | None = None
            for key, item in zip(pending, self._bulk(pending, found, progress), strict=True):
                status = item.get("status")
                if status == 200:
                    found.append((key, _record(item)))
                    progress.answered(found=True)
                elif status == 404:
                    progress.answered()
                elif status == 402:
                    spent = item
                elif status in RETRIED_STATUSES:
                    again[key] = item
                else:  # PDL refused this one domain: set it aside, the others still count
                    self._refused(key, item)
                    progress.answered()
            if spent is not None:
                raise self._exhausted(_error(spent), progress, found)
            if not again:
                return
            pending = list(again)
            if attempt < self.settings.retries:
                time.sleep(self.client.retries.backoff(attempt))
        status, kind, message = _error(next(iter(again.values())))
        raise SourceError(
            f"provider 'pdl': {VENDOR} still answered {status} {kind} ({message}) for {len(pending)} of "
            f"{len(chunk)} domains (such as {pending[0]!r}) after {self.settings.retries} attempts; run again later"
        )

    def _bulk(self, keys: list[str], found: list, progress: _Progress) -> list[dict[str, Any]]:
        """One bulk call's items, aligned with ``keys``; whole-call failures raised."""
        body = {"requests": [
            {"params": {"website": key, "min_likelihood": self.settings.min_likelihood}, "metadata": {"domain": key}}
            for key in keys
        ]}
        try:
            response = self.client.request("POST", BULK_PATH, limiter=self.limiter, json=body)
        except RetryableResponse as exc:
            status, kind, message = _error(_body(exc.response), exc.response.status_code)
            raise SourceError(
                f"provider 'pdl': {VENDOR} still answered {status} {kind} ({message}) to POST {BULK_PATH} "
                f"after {self.settings.retries} attempts; run again later"
            ) from None
        except requests.RequestException as exc:
            raise SourceError(
                f"provider 'pdl': no answer from {VENDOR} ({type(exc).__name__}) to POST {BULK_PATH} after "
                f"{self.settings.retries} attempts of {self.settings.timeout_seconds:g} s; check base_url "
                f"{self.settings.base_url!r} and the network"
            ) from None
        body_out = _body(response)
        if response.status_code == 200 and isinstance(body_out, list) and len(body_out) == len(keys):
            for key, item in zip(keys, body_out, strict=True):
                echoed = (item.get("metadata") or {}).get("domain") if isinstance(item, dict) else None
                if not isinstance(item, dict) or (echoed is not None and echoed != key):
                    raise SourceError(f"provider 'pdl': {VENDOR}'s bulk answer is out of order at {key!r}")
            return body_out
        if response.status_code == 200:
            raise SourceError(
                f"provider 'pdl': {VENDOR} answered POST {BULK_PATH} with something other than one item per "
                f"domain ({len(keys)} asked)"
            )
        status, kind, message = _error(body_out, response.status_code)
        if status == 401:
            raise SourceError(
                f"provider 'pdl': {VENDOR} rejected the API key (401 {kind}); check the key in "
                f"${self.settings.api_key.env}"
            )
        if status == 402:
            raise self._exhausted((status, kind, message), progress, found)
        raise SourceError(f"provider 'pdl': {VENDOR} answered {status} {kind} to POST {BULK_PATH}: {message}")

    # -- answers -------------------------------------------------------------------------------

    def _table(self, found: list[tuple[str, dict[str, Any]]]) -> pa.Table:
        """The matches as canonical columns: ``domain``, the fields, ``confidence``."""
        locations = [r.get("location") if isinstance(r.get("location"), dict) else {} for _, r in found]
        raw = pl.DataFrame(
            {
                "domain": [k for k, _ in found],
                "name": [_text(r.get("display_name")) or _text(r.get("name")) for _, r in found],
                "industry": [_text(r.get("industry")) for _, r in found],
                "employees": [_integer(r.get("employee_count")) for _, r in found],
                "country": [_text(loc.get("country")) for loc in locations],
                "state": [_text(loc.get("region")) for loc in locations],
                "city": [_text(loc.get("locality")) for loc in locations],
                "founded_year": [_integer(r.get("founded")) for _, r in found],
                "funding_total": [_number(r.get("total_funding_raised")) for _, r in found],
                "funding_stage": [_text(r.get("latest_funding_stage")) for _, r in found],
                "confidence": [_confidence(r.get("likelihood")) for _, r in found],
            },
            schema={"domain": pl.String, "name": pl.String, "industry": pl.String, "employees": pl.Int64,
                    "country": pl.String, "state": pl.String, "city": pl.String, "founded_year": pl.Int64,
                    "funding_total": pl.Float64, "funding_stage": pl.String, "confidence": pl.Float64},
        )
        table = raw.select(
            "domain", "name",
            normalise.industry(pl.col("industry")).alias("industry"),
            "employees",
            normalise.country(pl.col("country")).alias("country"),
            pl.col("state").str.to_titlecase(),
            pl.col("city").str.to_titlecase(),
            "founded_year", "funding_total",
            normalise.funding_stage(pl.col("funding_stage")).alias("funding_stage"),
            "confidence",
        ).to_arrow()
        schema = pa.schema([pa.field("domain", pa.string()),
                            *(pa.field(n, f.type) for n, f in self.fields.items()),
                            pa.field("confidence", pa.float64())])
        return pa.Table.from_arrays([table.column(n).cast(schema.field(n).type) for n in schema.names], schema=schema)

    def _refused(self, key: str, item: dict[str, Any]) -> None:
        status, kind, message = _error(item)
        self.context.quarantine(Quarantined(
            "companies", f"{VENDOR} refused to look this domain up ({status} {kind}): {message}",
            plugin=self.name, stage="lookup", field=self.key, source=BULK_PATH, raw=key,
        ))

    def _exhausted(self, error: tuple[Any, str, str], progress: _Progress, found: list) -> ProviderExhausted:
        status, kind, message = error
        left = f"; {self.credits_remaining} credits left" if self.credits_remaining is not None else ""
        exhausted = ProviderExhausted(
            f"provider 'pdl': {VENDOR} answered {status} {kind} ({message}){left}; {progress.done} of the "
            f"{progress.total} domains of this lookup were answered before ({progress.matches} found); add "
            f"credits to the PDL account and the rest are asked in a later run",
            answered=self._table(found),  # what PDL answered (and charged for) before it stopped
        )
        return exhausted

    # -- PDL's rate-limit headers ------------------------------------------------------------------

    def _read_limits(self, response: requests.Response) -> None:
        """Pause the limiter when PDL says this minute's calls are spent (by others too)."""
        total = response.headers.get("x-totallimit-remaining")
        if total and total.strip().isdigit():
            self.credits_remaining = int(total)
        remaining = _minute(response.headers.get("x-ratelimit-remaining"))
        if remaining is not None and remaining <= 0:
            window = self.settings.rate_window_seconds
            wait = _seconds_until(response.headers.get("x-ratelimit-reset"))
            self.limiter.pause(window if wait is None else min(window, wait))


class _Progress:
    """How many of one lookup's domains PDL answered, for the message when it stops."""

    def __init__(self, total: int):
        self.total, self.done, self.matches = total, 0, 0

    def answered(self, found: bool = False) -> None:
        self.done += 1
        self.matches += found


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"error": {"message": response.text[:200]}}


def _error(body: Any, status: int | None = None) -> tuple[Any, str, str]:
    """``(status, type, message)`` from PDL's ``{"status", "error": {"type", "message"}}``."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {"message": str(error) if error else ""}
    status = status if status is not None else (body.get("status") if isinstance(body, dict) else None)
    return status, str(error.get("type") or "error"), str(error.get("message") or "no message")


def _record(item: dict[str, Any]) -> dict[str, Any]:
    """A match's company record: PDL puts company fields at the item's top level (unlike its
    person APIs' ``data``); an item that nests them in ``data`` is read the same way."""
    data = item.get("data")
    return {**data, "likelihood": item.get("likelihood")} if isinstance(data, dict) else item


def _minute(value: str | None) -> int | None:
    """The per-minute figure of ``x-ratelimit-remaining``: ``{"minute": 12}``, or a bare number."""
    if not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    figure = parsed.get("minute") if isinstance(parsed, dict) else parsed
    return figure if isinstance(figure, int) else None


def _seconds_until(value: str | None) -> float | None:
    """Seconds until ``x-ratelimit-reset``: a UTC timestamp (``2022-02-23T20:19:55Z`` or
    ``2022-02-23 20:19:55``) or epoch seconds."""
    if not value:
        return None
    text = value.strip()
    try:
        moment = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return max(0.0, moment - time.time())


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())  # the docs' abridged example spells founded "1998"
    return None


def _confidence(likelihood: Any) -> float | None:
    """PDL's likelihood (1-10) as a confidence from 0.1 to 1."""
    value = _integer(likelihood)
    return value / 10 if value is not None and 0 <= value <= 10 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


@crm_enrich.hookimpl
def register_providers(register):
    register(PDLCompanies)
