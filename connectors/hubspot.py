"""``hubspot``: companies and contacts from HubSpot's CRM API, labels written back.

HubSpot's limits decide the design (../shared/hubspot-openapi/HUBSPOT_API_NOTES.md):

- **Read.** A full read pages through the list endpoint (100 per page, no cap). An
  incremental read (contacts, after the first run) searches ``lastmodifieddate`` between
  the watermark minus an overlap (search lags behind writes) and the run's start, sorted
  by ``hs_object_id`` and re-anchored on the last id before the 10,000-result cap, so
  thousands of records sharing one timestamp are neither lost nor read twice. A contact's
  company is its primary one (``associatedcompanyid``).
- **Write.** Only changed values, 100 records per batch update. Enumeration values are
  checked against the property's options first. A batch HubSpot rejects is split until
  the bad record is alone; it is quarantined with HubSpot's message and the rest lands.
- **Properties.** The outputs are created once in their own group, with their options;
  an existing property of that group keeps its options and gains the missing ones. A
  property outside it (an output mapped to one of yours) is left as it is: values it has
  no option for are quarantined instead of sent.
- **Limits.** A client-side limiter keeps under the 10-second budget and search's per-
  second one; 429s, 5xx and dropped connections are retried (``Retry-After`` honoured),
  a spent daily allowance stops the run with exit code 6, 401 and 403 stop it naming the
  cause. The token is read from the environment and never printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import polars as pl
import pyarrow as pa
import requests
from pydantic import BaseModel, ConfigDict
from pydantic import Field as SettingField

import crm_enrich
from crm_enrich import columns
from crm_enrich.config import Secret
from crm_enrich.errors import QuotaExhausted, SourceError
from crm_enrich.http import Budget, HttpClient, Retries, RetryableResponse, RollingLimiter
from crm_enrich.protocols import ChangeSet, Field, Quarantined

API = "/crm/v3"
PAGE = 100  # list endpoint maximum
SEARCH_PAGE = 200  # search endpoint maximum
BATCH = 100  # inputs per batch call
IN_VALUES = 100  # company ids per IN filter (a search filter takes a short list)

# Canonical column -> HubSpot property (HUBSPOT_API_NOTES.md §1.7).
DEFAULT_PROPERTIES = {
    "companies": {
        "name": "name", "domain": "domain", "website": "website", "industry": "industry",
        "employees": "numberofemployees", "annual_revenue": "annualrevenue", "country": "country",
        "state": "state", "city": "city", "founded_year": "founded_year",
        "funding_total": "total_money_raised", "technologies": "web_technologies",
        "lifecycle_stage": "lifecyclestage", "updated_at": "hs_lastmodifieddate",
    },
    "contacts": {
        "email": "email", "first_name": "firstname", "last_name": "lastname",
        "job_title": "jobtitle", "company_id": "associatedcompanyid", "company_name": "company",
        "phone": "phone", "country": "country", "lifecycle_stage": "lifecyclestage",
        "updated_at": "lastmodifieddate",
    },
}
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}
# persona -> HubSpot's own buying role (multi-checkbox ``hs_buying_role``, docs/persona.md)
BUYING_ROLES = {
    "economic_buyer": "BUDGET_HOLDER", "executive_sponsor": "EXECUTIVE_SPONSOR", "champion": "CHAMPION",
    "technical_evaluator": "INFLUENCER", "influencer": "INFLUENCER", "end_user": "END_USER", "other": "OTHER",
}
ObjectType = Literal["companies", "contacts"]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Secret = SettingField(description="private app token: { env = \"HUBSPOT_ACCESS_TOKEN\" }")
    base_url: str = "https://api.hubapi.com"
    requests_per_10s: int = SettingField(100, gt=0, description="the app's 10-second budget")
    rate_window_seconds: float = SettingField(10, gt=0, description="HubSpot's burst window is 10 s")
    search_per_second: int = SettingField(4, gt=0, description="HubSpot allows 5 searches/s per account")
    overlap_minutes: float = SettingField(10, ge=0, description="re-read this far before the watermark")
    property_group: str = "crm_enrich"
    property_prefix: str = SettingField("enrich_", description="output properties are named prefix + output")
    properties: dict[ObjectType, dict[str, str]] = SettingField(
        default_factory=dict, description="canonical column or output -> HubSpot property name"
    )
    buying_role: bool = SettingField(False, description="also write persona to HubSpot's hs_buying_role")
    retries: int = SettingField(8, ge=1, description="attempts per request")
    max_backoff_seconds: float = SettingField(30, gt=0)
    timeout_seconds: float = SettingField(30, gt=0)


class HubSpotConnector:
    """Reads and writes HubSpot companies and contacts."""

    name = "hubspot"
    Settings = Settings
    incremental = True

    def __init__(self, settings: Settings, context):
        self.settings = settings
        self.context = context
        self.limiter = RollingLimiter([Budget(settings.requests_per_10s, settings.rate_window_seconds)])
        self.search_limiter = RollingLimiter([Budget(settings.search_per_second, 1.0)])
        self.client = HttpClient(
            settings.base_url,
            {"Authorization": f"Bearer {settings.token.reveal()}", "Content-Type": "application/json"},
            retries=Retries(settings.retries, settings.max_backoff_seconds, settings.timeout_seconds),
            on_response=self._read_limits,
        )
        self.described: dict[str, dict[str, dict]] = {}  # object type -> property name -> definition

    # -- names ----------------------------------------------------------------------------

    def property_of(self, object_type: str, name: str) -> str:
        """The HubSpot property a canonical column or output is read from and written to."""
        mapped = self.settings.properties.get(object_type, {})
        if name in mapped:
            return mapped[name]
        if name in DEFAULT_PROPERTIES[object_type]:
            return DEFAULT_PROPERTIES[object_type][name]
        return f"{self.settings.property_prefix}{name}"

    # -- the connector protocol -------------------------------------------------------------

    def check(self) -> list[str]:
        lines = []
        for object_type in columns.OBJECT_TYPES:
            found = self._json("POST", f"{API}/objects/{object_type}/search", self.search_limiter,
                               json={"limit": 1, "properties": ["hs_object_id"]})
            lines.append(f"{object_type}: {found.get('total', 0):,} records at {self.settings.base_url}")
        return lines

    def schema(self, object_type: str, outputs: Mapping[str, Field]) -> pa.Schema:
        return columns.connector_schema(object_type, outputs)

    def read(
        self, object_type: str, *, outputs: Mapping[str, Field], batch_size: int,
        since: datetime | None = None,
    ) -> Iterator[pa.RecordBatch]:
        def records(wanted: dict[str, str]) -> Iterator[dict]:
            return self._incremental(object_type, wanted, since) if since else self._all(object_type, wanted)

        return self._batches(object_type, outputs, batch_size, records)

    def read_related(
        self, object_type: str, company_ids: list[str], *, outputs: Mapping[str, Field], batch_size: int
    ) -> Iterator[pa.RecordBatch]:
        """Contacts of these companies (their tier changed, so theirs does too), by search."""
        company = self.property_of(object_type, "company_id")

        def records(wanted: dict[str, str]) -> Iterator[dict]:
            for start in range(0, len(company_ids), IN_VALUES):
                chosen = {"propertyName": company, "operator": "IN", "values": company_ids[start:start + IN_VALUES]}
                yield from self._search(object_type, [chosen], sorted(set(wanted.values())))

        return self._batches(object_type, outputs, batch_size, records)

    def writer(self, object_type: str, fields: Mapping[str, Field]) -> HubSpotWriter:
        properties = self._provision(object_type, fields)
        return HubSpotWriter(self, object_type, fields, properties)

    # -- reading ------------------------------------------------------------------------------

    def _all(self, object_type: str, wanted: dict[str, str]) -> Iterator[dict]:
        """Every record, through the list endpoint (no result cap)."""
        params: dict[str, Any] = {"limit": PAGE, "properties": ",".join(sorted(set(wanted.values())))}
        while True:
            page = self._json("GET", f"{API}/objects/{object_type}", self.limiter, params=params)
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            params["after"] = after

    def _incremental(self, object_type: str, wanted: dict[str, str], since: datetime) -> Iterator[dict]:
        """Records modified since the watermark (minus the overlap), up to this run's start."""
        low = _epoch_ms(since - timedelta(minutes=self.settings.overlap_minutes))
        high = _epoch_ms(datetime.now(UTC))
        window = [
            {"propertyName": MODIFIED[object_type], "operator": "GTE", "value": str(low)},
            {"propertyName": MODIFIED[object_type], "operator": "LTE", "value": str(high)},
        ]
        return self._search(object_type, window, sorted(set(wanted.values())))

    def _search(self, object_type: str, filters: list[dict], properties: list[str]) -> Iterator[dict]:
        """Every record matching ``filters``, sorted by id.

        Each page is a new query anchored on the last id read, so the 10,000-result cap is
        never reached and thousands of equal timestamps cannot loop or lose records.
        """
        last_id = "0"
        while True:
            body = {
                "filterGroups": [{"filters": [
                    *filters, {"propertyName": "hs_object_id", "operator": "GT", "value": last_id},
                ]}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": properties,
                "limit": SEARCH_PAGE,
            }
            page = self._json("POST", f"{API}/objects/{object_type}/search", self.search_limiter, json=body)
            results = page.get("results", [])
            yield from results
            if not results or not page.get("paging", {}).get("next"):
                return
            last_id = results[-1]["id"]

    def _batches(self, object_type: str, outputs: Mapping[str, Field], batch_size: int, records) -> Iterator[pa.RecordBatch]:
        """``records(wanted properties)`` gathered into Arrow batches of ``batch_size``."""
        schema = self.schema(object_type, outputs)
        wanted = {n: self.property_of(object_type, n) for n in schema.names if n != "id"}
        rows: list[dict] = []
        for record in records(wanted):
            rows.append(record)
            if len(rows) >= batch_size:
                yield self._batch(object_type, rows, wanted, schema)
                rows = []
        if rows:
            yield self._batch(object_type, rows, wanted, schema)

    def _batch(self, object_type: str, rows: list[dict], wanted: dict[str, str], schema: pa.Schema) -> pa.RecordBatch:
        """HubSpot's string properties as canonical columns; unparseable records quarantined."""
        raw = pl.DataFrame(
            {"id": [r["id"] for r in rows],
             **{name: [(r.get("properties") or {}).get(prop) for r in rows] for name, prop in wanted.items()}},
            schema={"id": pl.String, **{n: pl.String for n in wanted}},
        )
        typed = raw.select("id", *(_parse(pl.col(n), schema.field(n).type).alias(n) for n in wanted))
        unreadable = [  # given, yet null once parsed
            typed.get_column(n).is_null() & raw.get_column(n).str.strip_chars().fill_null("").ne("") for n in wanted
        ]
        bad = pl.select(pl.any_horizontal(unreadable)).to_series() if unreadable else pl.Series([False] * raw.height)
        for i in bad.arg_true().to_list():
            record = raw.row(i, named=True)
            fields = [n for n in wanted if typed[n][i] is None and (record[n] or "").strip()]
            self.context.quarantine(Quarantined(
                object_type, f"{', '.join(fields)}: {', '.join(repr(record[f]) for f in fields)} "
                f"cannot be read as {', '.join(str(schema.field(f).type) for f in fields)}",
                record_id=record["id"], plugin=self.name, stage="read", field=fields[0],
                source=self.property_of(object_type, fields[0]), raw=json.dumps({f: record[f] for f in fields}),
            ))
        return pa.RecordBatch.from_arrays(
            [typed.filter(~bad).get_column(n).to_arrow().cast(schema.field(n).type) for n in schema.names],
            schema=schema,
        )

    # -- properties -----------------------------------------------------------------------------

    def _provision(self, object_type: str, fields: Mapping[str, Field]) -> dict[str, dict]:
        """Create the outputs' properties once, in their group; add missing options."""
        existing = {p["name"]: p for p in self._json("GET", f"{API}/properties/{object_type}", self.limiter)["results"]}
        ours = {n: f for n, f in fields.items() if n not in DEFAULT_PROPERTIES[object_type]}
        if any(self.property_of(object_type, n) not in existing for n in ours):
            self._create_group(object_type)
        for name, field in ours.items():
            prop = self.property_of(object_type, name)
            definition = existing.get(prop)
            if definition is None:
                created = self.request("POST", f"{API}/properties/{object_type}", self.limiter,
                                       json=_property(prop, name, field, self.settings.property_group))
                if created.status_code == 409:  # our own earlier attempt landed, its answer was lost
                    existing[prop] = self._json("GET", f"{API}/properties/{object_type}/{prop}", self.limiter)
                elif created.status_code in (200, 201):
                    existing[prop] = created.json()
                else:
                    self._fail(created)
            elif (field.options and definition.get("type") == "enumeration"
                  and definition.get("groupName") == self.settings.property_group):  # only our own
                have = {o["value"] for o in definition.get("options", [])}
                missing = [o for o in field.options if o not in have]
                if missing:
                    options = definition.get("options", []) + _options(missing, start=len(have))
                    existing[prop] = self._json(
                        "PATCH", f"{API}/properties/{object_type}/{prop}", self.limiter, json={"options": options}
                    )
        self.described[object_type] = existing
        return {n: existing[self.property_of(object_type, n)] for n in fields if self.property_of(object_type, n) in existing}

    def _create_group(self, object_type: str) -> None:
        group = self.settings.property_group
        response = self.request(
            "POST", f"{API}/properties/{object_type}/groups", self.limiter,
            json={"name": group, "label": "crm-enrich", "displayOrder": -1},
        )
        if response.status_code not in (200, 201, 409):  # 409: it exists already
            self._fail(response)

    # -- HTTP ---------------------------------------------------------------------------------

    def request(self, method: str, path: str, limiter: RollingLimiter, **kwargs) -> requests.Response:
        """A response to act on; retries exhausted stop the run (the watermark stays put)."""
        try:
            return self.client.request(method, path, limiter=limiter, **kwargs)
        except (requests.RequestException, RetryableResponse) as exc:
            raise SourceError(
                f"connector 'hubspot': {method} {path} still failing after {self.settings.retries} attempts: {exc}"
            ) from None

    def _json(self, method: str, path: str, limiter: RollingLimiter, **kwargs) -> dict:
        response = self.request(method, path, limiter, **kwargs)
        if response.status_code != 200:
            self._fail(response)
        return response.json()

    def _fail(self, response: requests.Response) -> None:
        """Stop the run with what HubSpot said, never with the token."""
        body = _body(response)
        where = f"{response.request.method} {requests.utils.urlparse(response.url).path}"
        if response.status_code == 401:
            raise SourceError(
                f"connector 'hubspot': HubSpot rejected the token (401) on {where}; check the private app "
                f"token in ${self.settings.token.env}"
            )
        if response.status_code == 403:
            scopes = sorted({s for e in body.get("errors", []) for s in (e.get("context") or {}).get("requiredGranularScopes", [])})
            missing = f"missing scope(s) {', '.join(scopes)}" if scopes else body.get("message", "forbidden")
            raise SourceError(f"connector 'hubspot': HubSpot refused {where} (403): {missing}; grant it to the private app")
        raise SourceError(f"connector 'hubspot': {where} answered {response.status_code}: {body.get('message') or response.text[:200]}")

    def _read_limits(self, response: requests.Response) -> None:
        """HubSpot's rate-limit answers: a spent daily allowance ends the run."""
        if response.status_code == 429 and _body(response).get("policyName") == "DAILY":
            daily = response.headers.get("X-HubSpot-RateLimit-Daily")
            raise QuotaExhausted(
                "connector 'hubspot': the account's daily API limit"
                f"{f' ({int(daily):,} requests)' if daily and daily.isdigit() else ''} is used up; what was "
                "written is saved, and the next run after HubSpot's midnight reset resumes from there"
            )
        remaining = response.headers.get("X-HubSpot-RateLimit-Remaining")
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        budget = self.limiter.budgets[0]
        if remaining == "0" and interval and interval.isdigit() and self.limiter.in_window(budget) < budget.requests:
            self.limiter.pause(int(interval) / 1000)  # other apps of the account spent the window


class HubSpotWriter:
    """Sends each batch's changed values, 100 records per batch update."""

    def __init__(self, connector: HubSpotConnector, object_type: str, fields: Mapping[str, Field], properties: dict[str, dict]):
        self.connector = connector
        self.object_type = object_type
        self.fields = fields
        self.names = {n: connector.property_of(object_type, n) for n in fields}
        self.allowed = {
            n: {o["value"] for o in p.get("options", [])}
            for n, p in properties.items() if p.get("type") == "enumeration"
        }
        self.buying_role = connector.settings.buying_role and object_type == "contacts"

    def write(self, changes: ChangeSet) -> None:
        inputs = []
        for record_id, values in changes.fields_by_record():
            for name in self._not_allowed(values):  # the record's other fields are still sent
                self._quarantine(record_id, f"{values.pop(name)!r} is not an option of the HubSpot "
                                 f"property {self.names[name]!r}; that field was not written", name)
            if not values:
                continue
            properties = {self.names[n]: _text(v) for n, v in values.items()}
            if self.buying_role and "persona" in values:
                properties["hs_buying_role"] = BUYING_ROLES.get(values["persona"], "")
            inputs.append({"id": record_id, "properties": properties})
        for start in range(0, len(inputs), BATCH):
            self._send(inputs[start:start + BATCH])

    def commit(self) -> None:
        """Batch updates are durable as they land: nothing is held back."""

    def abort(self) -> None:
        """Batches already sent stay sent; the engine's watermark is what is not saved."""

    def _not_allowed(self, values: dict[str, Any]) -> list[str]:
        """Fields whose value is not among their enumeration property's options."""
        wrong = []
        for name, value in values.items():
            allowed = self.allowed.get(name)
            if allowed is None or value is None:
                continue
            parts = str(value).split(";") if self.fields[name].multiple else [str(value)]
            if any(p not in allowed for p in parts if p):
                wrong.append(name)
        return wrong

    def _send(self, inputs: list[dict]) -> None:
        """One batch update; a rejected batch is split until the bad records are alone."""
        if not inputs:
            return
        path = f"{API}/objects/{self.object_type}/batch/update"
        response = self.connector.request("POST", path, self.connector.limiter, json={"inputs": inputs})
        if response.status_code == 200:
            return
        if response.status_code == 207:
            failed = self._failed_ids(_body(response))
            if failed is not None:
                for record_id, message in failed.items():
                    self._quarantine(record_id, f"HubSpot: {message}")
                return
        if response.status_code in (207, 400, 404, 409):
            if len(inputs) == 1:
                self._quarantine(inputs[0]["id"], f"HubSpot: {_body(response).get('message') or response.status_code}")
                return
            half = len(inputs) // 2
            self._send(inputs[:half])
            self._send(inputs[half:])
            return
        self.connector._fail(response)

    @staticmethod
    def _failed_ids(body: dict) -> dict[str, str] | None:
        """The ids a 207 names, with HubSpot's message; None if an error names no id."""
        failed = {}
        for error in body.get("errors", []):
            ids = (error.get("context") or {}).get("ids") or (error.get("context") or {}).get("id")
            if not ids:
                return None
            for record_id in ids:
                failed[str(record_id)] = error.get("message", "rejected")
        return failed

    def _quarantine(self, record_id: str, reason: str, field: str | None = None) -> None:
        self.connector.context.quarantine(Quarantined(
            self.object_type, reason, record_id=record_id, plugin=self.connector.name, stage="write",
            field=field, source=f"{API}/objects/{self.object_type}/batch/update",
        ))


def _parse(text: pl.Expr, arrow_type: pa.DataType) -> pl.Expr:
    """A HubSpot string property as the canonical type; blank is null."""
    value = text.str.strip_chars().replace("", None)
    if pa.types.is_integer(arrow_type):
        number = value.cast(pl.Float64, strict=False)
        return pl.when(number == number.round(0)).then(number.cast(pl.Int64))
    if pa.types.is_floating(arrow_type):
        return value.cast(pl.Float64, strict=False)
    if pa.types.is_timestamp(arrow_type):
        return value.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
    if pa.types.is_list(arrow_type):
        return value.str.split(";").list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    return value


def _text(value: Any) -> str:
    """A value as HubSpot takes it: strings; an empty string clears the property."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _property(name: str, output: str, field: Field, group: str) -> dict:
    """The create body of an output's property (HUBSPOT_API_NOTES.md §1.6)."""
    label = output.replace("_", " ").capitalize()
    body: dict[str, Any] = {"name": name, "label": f"{label} (crm-enrich)", "groupName": group,
                            "description": field.description}
    if field.options:
        body |= {"type": "enumeration", "fieldType": "checkbox" if field.multiple else "select",
                 "options": _options(field.options)}
    elif pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
        body |= {"type": "number", "fieldType": "number"}
    else:
        body |= {"type": "string", "fieldType": "textarea" if "reasons" in output else "text"}
    return body


def _options(values, start: int = 0) -> list[dict]:
    return [{"label": v.replace("_", " "), "value": v, "displayOrder": start + i, "hidden": False}
            for i, v in enumerate(values)]


def _body(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@crm_enrich.hookimpl
def register_connectors(register):
    register(HubSpotConnector)
