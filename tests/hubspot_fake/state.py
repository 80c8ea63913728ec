"""The fake portal's CRM: records, property definitions, groups and associations, and what
each endpoint does with them. Section numbers (§) are those of HUBSPOT_API_NOTES.md.

Thread-safe: every public method holds the portal's lock for its whole run, so a batch
is applied all at once, as HubSpot applies it.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import itertools
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .catalog import (
    ALWAYS_RETURNED,
    DEFAULT_GROUPS,
    DEFAULT_RETURNED,
    DEFAULTS,
    FIELD_TYPES,
    LAST_MODIFIED,
    MODIFIED_DATES,
    OBJECT_TYPES,
    QUERY_SEARCHED,
)
from .errors import (
    HubSpotError,
    ValueProblem,
    already_exists,
    error_body,
    invalid_values,
    object_not_found,
    validation_error,
)

SEARCH_CAP = 10_000  # results one search query can page through (§1.3)
SEARCH_DEFAULT_LIMIT = 10
LIST_DEFAULT_LIMIT = 10
ASSOCIATION_PAGE = 500  # v4 pages associations by 500 (§1.8)
MAX_UNIQUE_PROPERTIES = 10  # per object (§1.6)
TYPE_IDS = {"contacts": "0-1", "companies": "0-2"}
# Association type ids (§1.8): (unlabelled, primary) per direction.
ASSOCIATION_TYPES = {("contacts", "companies"): (279, 1), ("companies", "contacts"): (280, 2)}
# Their names in the v3 ``associations=`` view; unlabelled ones end in "_unlabeled".
V3_ASSOCIATION_NAMES = {("contacts", "companies"): "contact_to_company",
                        ("companies", "contacts"): "company_to_contact"}
# Ids start below a power of ten so that a few thousand records cross it: a client that
# compares ids as strings ("99999" > "100000") goes wrong here as it would in a real portal.
FIRST_ID = 95_001


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    """HubSpot's datetime format: ISO 8601 UTC with milliseconds and Z."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


@functools.lru_cache(maxsize=65_536)
def epoch_ms(value: str) -> int:
    """A datetime given as epoch milliseconds or ISO 8601, as HubSpot accepts both (§1.6)."""
    if value.lstrip("-").isdigit():
        return int(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def as_text(value: Any) -> str:
    """Property values travel as strings (§1.2); JSON numbers and booleans are accepted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class PropertyDef:
    name: str
    label: str
    type: str
    field_type: str
    group: str
    options: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    unique: bool = False
    hidden: bool = False
    hubspot_defined: bool = False
    read_only: bool = False
    display_order: int = -1
    form_field: bool = False
    created_ms: int = field(default_factory=now_ms)
    updated_ms: int = field(default_factory=now_ms)
    archived: bool = False

    @property
    def option_values(self) -> list[str]:
        return [option["value"] for option in self.options]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "type": self.type, "fieldType": self.field_type,
            "groupName": self.group, "description": self.description, "options": self.options,
            "calculated": False, "externalOptions": False, "hasUniqueValue": self.unique,
            "hidden": self.hidden, "hubspotDefined": self.hubspot_defined, "archived": self.archived,
            "displayOrder": self.display_order, "formField": self.form_field,
            "createdAt": iso(self.created_ms), "updatedAt": iso(self.updated_ms),
            "modificationMetadata": {"archivable": not self.hubspot_defined,
                                     "readOnlyDefinition": self.hubspot_defined,
                                     "readOnlyValue": self.read_only, "readOnlyOptions": False},
        }


def options_json(options: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"label": o["label"], "value": o["value"], "description": o.get("description", ""),
             "displayOrder": o.get("displayOrder", order), "hidden": o.get("hidden", False)}
            for order, o in enumerate(options)]


@dataclass(frozen=True)
class Version:
    """What search sees of a record from ``visible_from`` (monotonic seconds) on."""

    properties: dict[str, str]
    archived: bool
    visible_from: float


@dataclass
class Record:
    id: str
    # Never changed in place: a write swaps in a new dict, so versions can share it.
    properties: dict[str, str]
    versions: list[Version]
    history: dict[str, list[tuple[str, int, str]]]  # name -> [(value, epoch ms, sourceType)]
    archived: bool = False
    archived_ms: int | None = None


Query = dict[str, list[str]]


def query_names(query: Query, key: str) -> list[str] | None:
    """A list parameter sent comma-separated or repeated (the Python SDK repeats it, §4.7)."""
    if key not in query:
        return None
    return [name for value in query[key] for name in value.split(",") if name]


def query_int(query: Query, key: str, default: int) -> int:
    return int(query[key][0]) if key in query else default


def query_flag(query: Query, key: str) -> bool:
    return query.get(key, ["false"])[0].lower() == "true"


class Portal:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.index_lag = 0.0  # seconds before search sees a write (§1.3)
        self.search_cap = SEARCH_CAP
        self._ids = itertools.count(FIRST_ID)
        self.records: dict[str, dict[str, Record]] = {"contacts": {}, "companies": {}}
        self._sorted_ids: dict[str, list[int]] = {"contacts": [], "companies": []}
        self.properties: dict[str, dict[str, PropertyDef]] = {}
        self.groups: dict[str, dict[str, str]] = {t: dict(g) for t, g in DEFAULT_GROUPS.items()}
        # (from type, from id, to type) -> {to id: association type ids}
        self.links: dict[tuple[str, str, str], dict[str, set[int]]] = {}
        for object_type, defaults in DEFAULTS.items():
            self.properties[object_type] = {
                d.name: PropertyDef(
                    d.name, d.name.replace("_", " ").title(), d.type, d.field_type,
                    d.group or next(iter(DEFAULT_GROUPS[object_type])),
                    options_json({"label": v.replace("_", " ").title(), "value": v} for v in d.options),
                    hubspot_defined=True, read_only=d.read_only)
                for d in defaults}

    # -- records: rendering, lookup, validation, writes ------------------------------------

    def _render(self, object_type: str, record: Record, names: list[str] | None, *,
                properties: dict[str, str] | None = None, archived: bool | None = None,
                history: list[str] | None = None, associations: list[str] | None = None) -> dict[str, Any]:
        """A record as HubSpot returns it: asked-for properties (null when unset), unknown
        names ignored (§1.2), plus the ones HubSpot always adds."""
        values = record.properties if properties is None else properties
        known = self.properties[object_type]
        wanted = DEFAULT_RETURNED[object_type] if names is None else (
            *ALWAYS_RETURNED[object_type], *(n for n in names if n in known))
        archived = record.archived if archived is None else archived
        shaped: dict[str, Any] = {
            "id": record.id, "properties": {name: values.get(name) for name in wanted},
            "createdAt": values["createdate"], "updatedAt": values[LAST_MODIFIED[object_type]],
            "archived": archived,
        }
        if archived and record.archived_ms is not None:
            shaped["archivedAt"] = iso(record.archived_ms)
        if history:
            shaped["propertiesWithHistory"] = {
                name: [{"value": value, "timestamp": iso(ms), "sourceType": source}
                       for value, ms, source in reversed(record.history.get(name, []))]
                for name in history if name in known}
        if associations:
            shaped_links = self._v3_associations(object_type, record.id, associations)
            if shaped_links:
                shaped["associations"] = shaped_links
        return shaped

    def _v3_associations(self, object_type: str, record_id: str, to_types: list[str]) -> dict[str, Any]:
        """The v3 ``associations=`` view: one entry per association type, named HubSpot's way."""
        shaped = {}
        for to_type in {OBJECT_TYPES[t] for t in to_types if t in OBJECT_TYPES}:
            pair = (object_type, to_type)
            if pair not in ASSOCIATION_TYPES:
                continue
            unlabelled, primary = ASSOCIATION_TYPES[pair]
            name = V3_ASSOCIATION_NAMES[pair]
            results = []
            for to_id, type_ids in sorted(self.links.get((object_type, record_id, to_type), {}).items(),
                                          key=lambda item: int(item[0])):
                if primary in type_ids:
                    results.append({"id": to_id, "type": name})
                if unlabelled in type_ids:
                    results.append({"id": to_id, "type": f"{name}_unlabeled"})
            if results:
                shaped[to_type] = {"results": results}
        return shaped

    def _lookup_table(self, object_type: str, id_property: str | None, archived: bool = False
                      ) -> Callable[[str], Record | None]:
        """Finds records by id, or by a unique property: email for contacts, domain for
        companies, or a custom ``hasUniqueValue`` one (§1.2). Emails match case-blind.
        Archived records are found only when asked for, and then only they are."""
        records = self.records[object_type]
        if id_property in (None, "hs_object_id"):
            return lambda key: record if (record := records.get(key)) and record.archived == archived else None
        usable = {"contacts": "email", "companies": "domain"}[object_type]
        definition = self.properties[object_type].get(id_property)
        if id_property != usable and not (definition and definition.unique):
            raise validation_error(f"{id_property} is not a unique property of {object_type}; "
                                   f"use the record id, {usable} or a property with hasUniqueValue.")
        index: dict[str, Record] = {}
        for record in records.values():
            value = record.properties.get(id_property)
            if value is not None and record.archived == archived:
                index.setdefault(value.lower(), record)
        return lambda key: index.get(key.lower())

    def _find(self, object_type: str, key: str, id_property: str | None, archived: bool) -> Record:
        record = self._lookup_table(object_type, id_property, archived)(key)
        if record is None:
            raise object_not_found(key)
        return record

    def _coerce(self, object_type: str, values: dict[str, Any], current: dict[str, str]
                ) -> tuple[dict[str, str | None], list[ValueProblem]]:
        """Client values checked against the property definitions; None clears a value."""
        known = self.properties[object_type]
        changes: dict[str, str | None] = {}
        problems: list[ValueProblem] = []
        for name, raw in values.items():
            definition = known.get(name)
            text = as_text(raw)
            if definition is None or definition.archived:
                problems.append(ValueProblem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            elif definition.read_only:
                problems.append(ValueProblem(name, "READ_ONLY_VALUE",
                                             f'"{name}" is a read only property; its value cannot be set.'))
            elif text == "":
                changes[name] = None  # an empty string clears the value (§1.2)
            else:
                value, problem = _checked_value(definition, text, current.get(name))
                if problem:
                    problems.append(problem)
                else:
                    changes[name] = value
        return changes, problems

    def _publish(self, record: Record, visible_from: float) -> None:
        """Hands a new version to search; versions search can no longer see are dropped."""
        now = time.monotonic()
        visible = [i for i, version in enumerate(record.versions) if version.visible_from <= now]
        if visible:
            del record.versions[:visible[-1]]
        record.versions.append(Version(record.properties, record.archived, visible_from))

    def _write(self, object_type: str, record: Record, changes: dict[str, str | None], at_ms: int,
               source: str = "INTEGRATION") -> None:
        """Applies changes and bumps the last-modified date, as every API write does."""
        properties = dict(record.properties)
        for name, value in changes.items():
            if value is None:
                properties.pop(name, None)
            else:
                properties[name] = value
            record.history.setdefault(name, []).append((value or "", at_ms, source))
        for name in MODIFIED_DATES[object_type]:
            properties[name] = iso(at_ms)
        record.properties = properties
        self._publish(record, self._indexed_at())

    def _indexed_at(self) -> float:
        """When search will see a write made now."""
        return time.monotonic() + self.index_lag

    def _create(self, object_type: str, values: dict[str, str], created_ms: int, modified_ms: int,
                source: str, visible_from: float) -> Record:
        record_id = str(next(self._ids))
        properties = {**values, "hs_object_id": record_id, "createdate": iso(created_ms)}
        for name in MODIFIED_DATES[object_type]:
            properties[name] = iso(modified_ms)
        record = Record(record_id, properties, [],
                        {name: [(value, modified_ms, source)] for name, value in values.items()})
        self._publish(record, visible_from)
        self.records[object_type][record_id] = record
        self._sorted_ids[object_type].append(int(record_id))
        return record

    # -- seeding and inspection (the test handle) ------------------------------------------

    def seed(self, object_type: str, rows: list[dict[str, Any]], modified_ms: int | None,
             created_ms: int | None) -> list[str]:
        """Records that exist before the test starts: visible to search at once, and
        validated like API writes so a typo in a test fails loudly."""
        with self.lock:
            stamp = now_ms()
            ids = []
            for row in rows:
                row = dict(row)
                # A row may carry its own dates; they are HubSpot's to set, so not values.
                given = {name: epoch_ms(as_text(row.pop(name)))
                         for name in ("createdate", *MODIFIED_DATES[object_type]) if name in row}
                values, problems = self._coerce(object_type, row, {})
                if problems:
                    raise ValueError(f"cannot seed {object_type} {row}: {problems}")
                modified = given.get(LAST_MODIFIED[object_type], given.get("hs_lastmodifieddate",
                                                                           modified_ms or stamp))
                created = given.get("createdate", created_ms or min(modified, stamp))
                kept = {name: value for name, value in values.items() if value is not None}
                ids.append(self._create(object_type, kept, created, modified, "IMPORT", -math.inf).id)
            return ids

    def define(self, object_type: str, definition: PropertyDef) -> None:
        with self.lock:
            self.groups[object_type].setdefault(definition.group, definition.group)
            self._check_definition(object_type, definition.type, definition.field_type, definition.group,
                                   definition.options)
            self.properties[object_type][definition.name] = definition

    def archive(self, object_type: str, record_id: str) -> None:
        with self.lock:
            record = self.records[object_type][record_id]
            record.archived, record.archived_ms = True, now_ms()
            self._publish(record, self._indexed_at())

    def associate(self, contact_id: str, company_id: str, primary: bool) -> None:
        """A link that exists before the test starts: no date moves, search sees it at once."""
        with self.lock:
            contact = self.records["contacts"][contact_id]
            if company_id not in self.records["companies"]:
                raise KeyError(f"no company {company_id}")
            if self._link(contact_id, company_id, primary):
                contact.properties = {**contact.properties, "associatedcompanyid": company_id}
                self._publish(contact, -math.inf)

    def _link(self, contact_id: str, company_id: str, primary: bool) -> bool:
        """Links a contact and a company both ways; a primary link replaces the contact's
        former primary. True if the contact's primary company changed."""
        to_company = self._linked("contacts", contact_id, "companies")
        to_company.setdefault(company_id, set()).add(279)
        self._linked("companies", company_id, "contacts").setdefault(contact_id, set()).add(280)
        if not primary or 1 in to_company[company_id]:
            return False
        for former, type_ids in to_company.items():
            if 1 in type_ids:
                type_ids.discard(1)
                self._linked("companies", former, "contacts")[contact_id].discard(2)
        to_company[company_id].add(1)
        self._linked("companies", company_id, "contacts")[contact_id].add(2)
        return True

    def _linked(self, from_type: str, from_id: str, to_type: str) -> dict[str, set[int]]:
        return self.links.setdefault((from_type, from_id, to_type), {})

    def primary_company(self, contact_id: str) -> str | None:
        with self.lock:
            links = self.links.get(("contacts", contact_id, "companies"), {})
            return next((company for company, type_ids in links.items() if 1 in type_ids), None)

    def snapshot(self, object_type: str, record_id: str) -> dict[str, str]:
        with self.lock:
            return dict(self.records[object_type][record_id].properties)

    def history(self, object_type: str, record_id: str, name: str) -> list[dict[str, str]]:
        with self.lock:
            return [{"value": value, "timestamp": iso(ms), "sourceType": source}
                    for value, ms, source in self.records[object_type][record_id].history.get(name, [])]

    # -- objects endpoints -----------------------------------------------------------------

    def list_objects(self, object_type: str, query: Query, base_url: str) -> tuple[int, dict]:
        """Pages by record id; ``after`` is the id the next page starts at (§1.2)."""
        with self.lock:
            limit = query_int(query, "limit", LIST_DEFAULT_LIMIT)
            after = query.get("after", ["0"])[0]
            if not after.isdigit():
                raise validation_error(f"after must be a record id, not {after!r}")
            archived = query_flag(query, "archived")
            ids = self._sorted_ids[object_type]
            records = self.records[object_type]
            page, start = [], bisect.bisect_left(ids, int(after))
            for position in range(start, len(ids)):
                record = records[str(ids[position])]
                if record.archived != archived:
                    continue
                if len(page) == limit:
                    next_after = record.id
                    break
                page.append(record)
            else:
                next_after = None
            body: dict[str, Any] = {"results": [
                self._render(object_type, r, query_names(query, "properties"),
                             history=query_names(query, "propertiesWithHistory"),
                             associations=query_names(query, "associations")) for r in page]}
            if next_after:
                link = f"{base_url}/crm/v3/objects/{object_type}?limit={limit}&after={next_after}"
                body["paging"] = {"next": {"after": next_after, "link": link}}
            return 200, body

    def get_object(self, object_type: str, record_id: str, query: Query) -> tuple[int, dict]:
        with self.lock:
            id_property = query.get("idProperty", [None])[0]
            record = self._find(object_type, record_id, id_property, query_flag(query, "archived"))
            return 200, self._render(object_type, record, query_names(query, "properties"),
                                     history=query_names(query, "propertiesWithHistory"),
                                     associations=query_names(query, "associations"))

    def update_object(self, object_type: str, record_id: str, query: Query, body: dict) -> tuple[int, dict]:
        with self.lock:
            record = self._find(object_type, record_id, query.get("idProperty", [None])[0], False)
            changes, problems = self._coerce(object_type, body["properties"], record.properties)
            if problems:
                raise invalid_values(problems)
            self._write(object_type, record, changes, now_ms())
            return 200, self._render(object_type, record, list(changes))

    def batch_read(self, object_type: str, query: Query, body: dict) -> tuple[int, dict]:
        """Found records in ``results``; the rest named in one OBJECT_NOT_FOUND error, 207 (§1.2)."""
        with self.lock:
            started = iso(now_ms())
            lookup = self._lookup_table(object_type, body.get("idProperty"), query_flag(query, "archived"))
            results, missing = [], []
            for item in body["inputs"]:
                record = lookup(item["id"])
                if record is None:
                    missing.append(item["id"])
                else:
                    results.append(self._render(object_type, record, body.get("properties"),
                                                history=body.get("propertiesWithHistory")))
            answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                      "startedAt": started, "completedAt": iso(now_ms())}
            if not missing:
                return 200, answer
            answer["numErrors"] = 1
            answer["errors"] = [_not_found_error(object_type, missing)]
            return 207, answer

    def batch_update(self, object_type: str, body: dict) -> tuple[int, dict]:
        """All or nothing on bad values (400 VALIDATION_ERROR, §0.3, §1.5); records that do
        not exist are reported in ``errors`` with 207 while the others are written (the
        spec's 207 for batch update, §0.3)."""
        with self.lock:
            started = iso(now_ms())
            inputs = body["inputs"]
            for item in inputs:
                if item.get("idProperty"):
                    self._require_unique_key(object_type, item["idProperty"])
            _refuse_duplicates([(item.get("idProperty"), item["id"]) for item in inputs])
            lookup = functools.cache(functools.partial(self._lookup_table, object_type))
            found, missing, problems = [], [], []
            for item in inputs:
                record = lookup(item.get("idProperty"))(item["id"])
                changes, item_problems = self._coerce(object_type, item["properties"],
                                                      record.properties if record else {})
                problems += item_problems
                if record is None:
                    missing.append(item)
                else:
                    found.append((record, changes, item.get("objectWriteTraceId")))
            if problems:
                raise invalid_values(problems)
            stamp = now_ms()
            results = []
            for record, changes, trace_id in found:
                self._write(object_type, record, changes, stamp)
                shaped = self._render(object_type, record, list(changes))
                if trace_id:
                    shaped["objectWriteTraceId"] = trace_id
                results.append(shaped)
            answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                      "startedAt": started, "completedAt": iso(now_ms())}
            if not missing:
                return 200, answer
            traced = [item for item in missing if item.get("objectWriteTraceId")]
            errors = [_not_found_error(object_type, [item["id"]], item["objectWriteTraceId"]) for item in traced]
            untraced = [item["id"] for item in missing if not item.get("objectWriteTraceId")]
            if untraced:
                errors.append(_not_found_error(object_type, untraced))
            answer.update(numErrors=len(errors), errors=errors)
            return 207, answer

    def batch_upsert(self, object_type: str, body: dict) -> tuple[int, dict]:
        """Creates or updates by a unique key: contacts by email, otherwise a
        ``hasUniqueValue`` property (§1.2). Any bad value fails the whole batch."""
        with self.lock:
            started = iso(now_ms())
            inputs = body["inputs"]
            for item in inputs:
                if not (object_type == "contacts" and item["idProperty"] == "email"):
                    self._require_unique_key(object_type, item["idProperty"])
            _refuse_duplicates([(item["idProperty"], item["id"].lower()) for item in inputs])
            lookup = functools.cache(functools.partial(self._lookup_table, object_type))
            planned, problems = [], []
            for item in inputs:
                record = lookup(item["idProperty"])(item["id"])
                values = dict(item["properties"]) if record else {**item["properties"], item["idProperty"]: item["id"]}
                changes, item_problems = self._coerce(object_type, values, record.properties if record else {})
                problems += item_problems
                planned.append((record, changes))
            if problems:
                raise invalid_values(problems)
            stamp = now_ms()
            results = []
            for record, changes in planned:
                is_new = record is None
                if is_new:
                    kept = {name: value for name, value in changes.items() if value is not None}
                    record = self._create(object_type, kept, stamp, stamp, "INTEGRATION", self._indexed_at())
                else:
                    self._write(object_type, record, changes, stamp)
                results.append({**self._render(object_type, record, list(changes)), "new": is_new})
            return 200, {"status": "COMPLETE", "results": results, "startedAt": started,
                         "completedAt": iso(now_ms())}

    def _require_unique_key(self, object_type: str, name: str) -> None:
        """Batch writes key only on truly unique properties; email and hs_object_id are
        refused with HubSpot's message (§1.2, hubspot-api-nodejs#548)."""
        definition = self.properties[object_type].get(name)
        if not (definition and definition.unique):
            raise validation_error(
                f"Unable to perform update/upsert by non-unique {TYPE_IDS[object_type]} property {name}")

    # -- search ------------------------------------------------------------------------------

    def search(self, object_type: str, body: dict) -> tuple[int, dict]:
        limit = body.get("limit", SEARCH_DEFAULT_LIMIT)
        after = body.get("after", "0")
        if not after.isdigit():
            raise validation_error(f"after must be formatted as an integer, not {after!r}")  # §1.3
        offset = int(after)
        if offset + limit > self.search_cap:
            # "Attempting to page beyond 10,000 will result in a 400 error" (§1.3); the
            # contract states the rule as after + limit <= 10000.
            raise validation_error(f"Search results are limited to {self.search_cap}: "
                                   f"after {offset} + limit {limit} pages beyond them.")
        with self.lock:
            known = self.properties[object_type]
            groups = [[_compile_filter(known, f) for f in group["filters"]] for group in body.get("filterGroups", [])]
            sort = _compile_sort(known, body.get("sorts", []))
            terms = (body.get("query") or "").lower().split()
            searched = QUERY_SEARCHED[object_type]
            now = time.monotonic()
            hits: list[tuple[Record, Version]] = []
            for record in self.records[object_type].values():
                version = _visible_version(record, now)
                # "Archived CRM objects won't appear in any search results" (§1.3).
                if version is None or version.archived:
                    continue
                values = version.properties
                if groups and not any(all(test(values) for test in group) for group in groups):
                    continue
                if terms and not all(any(term in (values.get(name) or "").lower() for name in searched)
                                     for term in terms):
                    continue
                hits.append((record, version))
            hits = sort(hits)
            page = hits[offset:offset + limit]
            answer: dict[str, Any] = {"total": len(hits), "results": [
                self._render(object_type, record, body.get("properties"), properties=version.properties,
                             archived=False) for record, version in page]}
            if offset + limit < len(hits):
                answer["paging"] = {"next": {"after": str(offset + limit)}}
            return 200, answer

    # -- properties and groups ---------------------------------------------------------------

    def list_properties(self, object_type: str, query: Query) -> tuple[int, dict]:
        with self.lock:
            archived = query_flag(query, "archived")
            return 200, {"results": [p.to_json() for p in self.properties[object_type].values()
                                     if p.archived == archived]}

    def get_property(self, object_type: str, name: str) -> tuple[int, dict]:
        with self.lock:
            return 200, self._property(object_type, name).to_json()

    def _property(self, object_type: str, name: str) -> PropertyDef:
        definition = self.properties[object_type].get(name)
        if definition is None or definition.archived:
            raise HubSpotError(404, error_body(f"Unable to find property {name} on {object_type}.",
                                               "OBJECT_NOT_FOUND"))
        return definition

    def create_property(self, object_type: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            known = self.properties[object_type]
            name = body["name"]
            if name in known:
                raise already_exists(f"A property named '{name}' already exists.")
            self._check_definition(object_type, body["type"], body["fieldType"], body["groupName"],
                                   body.get("options"))
            if body.get("hasUniqueValue") and sum(p.unique for p in known.values()) >= MAX_UNIQUE_PROPERTIES:
                raise validation_error(f"An object can have at most {MAX_UNIQUE_PROPERTIES} unique properties.")
            definition = PropertyDef(
                name, body["label"], body["type"], body["fieldType"], body["groupName"],
                options_json(body.get("options", [])), description=body.get("description", ""),
                unique=body.get("hasUniqueValue", False), hidden=body.get("hidden", False),
                display_order=body.get("displayOrder", -1), form_field=body.get("formField", False))
            known[name] = definition
            return 201, definition.to_json()

    def update_property(self, object_type: str, name: str, body: dict) -> tuple[int, dict]:
        """A partial update; ``options``, when given, replace the old list."""
        with self.lock:
            definition = self._property(object_type, name)
            type_ = body.get("type", definition.type)
            field_type = body.get("fieldType", definition.field_type)
            group = body.get("groupName", definition.group)
            options = body.get("options", definition.options)
            self._check_definition(object_type, type_, field_type, group, options)
            definition.type, definition.field_type, definition.group = type_, field_type, group
            definition.options = options_json(options)
            definition.label = body.get("label", definition.label)
            definition.description = body.get("description", definition.description)
            definition.hidden = body.get("hidden", definition.hidden)
            definition.display_order = body.get("displayOrder", definition.display_order)
            definition.updated_ms = now_ms()
            return 200, definition.to_json()

    def _check_definition(self, object_type: str, type_: str, field_type: str, group: str,
                          options: list | None) -> None:
        if field_type not in FIELD_TYPES.get(type_, ()):
            raise validation_error(f"fieldType {field_type} is not valid for a property of type {type_}; "
                                   f"use one of {sorted(FIELD_TYPES.get(type_, ()))}.")
        if type_ == "enumeration" and not options:
            raise validation_error("Options are required for enumeration properties.")
        if group not in self.groups[object_type]:
            raise validation_error(f"Property group {group} does not exist on {object_type}.")

    def list_groups(self, object_type: str) -> tuple[int, dict]:
        with self.lock:
            return 200, {"results": [{"name": name, "label": label, "displayOrder": order, "archived": False}
                                     for order, (name, label) in enumerate(self.groups[object_type].items())]}

    def create_group(self, object_type: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            groups = self.groups[object_type]
            if body["name"] in groups:
                raise already_exists(f"A property group named '{body['name']}' already exists.")
            groups[body["name"]] = body["label"]
            return 201, {"name": body["name"], "label": body["label"],
                         "displayOrder": body.get("displayOrder", len(groups) - 1), "archived": False}

    # -- associations v4 ---------------------------------------------------------------------

    def _association_types(self, from_type: str, to_type: str, type_ids: set[int]) -> list[dict]:
        primary = ASSOCIATION_TYPES[(from_type, to_type)][1]
        return [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": "Primary" if type_id == primary else None}
                for type_id in sorted(type_ids, key=lambda t: t != primary)]

    def _association_page(self, from_type: str, from_id: str, to_type: str, after: str, limit: int
                          ) -> tuple[list[dict], str | None]:
        links = sorted(self.links.get((from_type, from_id, to_type), {}).items(), key=lambda i: int(i[0]))
        links = [(to_id, type_ids) for to_id, type_ids in links if type_ids]
        offset = int(after) if after.isdigit() else 0
        page = [{"toObjectId": int(to_id), "associationTypes": self._association_types(from_type, to_type, type_ids)}
                for to_id, type_ids in links[offset:offset + limit]]
        return page, str(offset + limit) if offset + limit < len(links) else None

    def batch_read_associations(self, from_type: str, to_type: str, body: dict) -> tuple[int, dict]:
        """Per input its associated ids, paged by 500; inputs with none are errors, 207 (§1.8)."""
        with self.lock:
            started = iso(now_ms())
            results, errors = [], []
            for item in body["inputs"]:
                linked = (from_type, to_type) in ASSOCIATION_TYPES and item["id"] in self.records[from_type]
                page, next_after = (self._association_page(from_type, item["id"], to_type, item.get("after", "0"),
                                                           ASSOCIATION_PAGE) if linked else ([], None))
                if not page:
                    errors.append({
                        "status": "error", "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No {to_type} are associated with {from_type[:-1]} {item['id']}.",
                        "context": {"fromObjectId": [item["id"]]}})
                    continue
                result: dict[str, Any] = {"from": {"id": item["id"]}, "to": page}
                if next_after:
                    result["paging"] = {"next": {"after": next_after}}
                results.append(result)
            answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                      "startedAt": started, "completedAt": iso(now_ms())}
            if not errors:
                return 200, answer
            answer.update(numErrors=len(errors), errors=errors)
            return 207, answer

    def associate_default(self, from_type: str, to_type: str, body: dict) -> tuple[int, dict]:
        """Creates unlabelled links; a contact without a primary company gets this one as
        primary, which sets ``associatedcompanyid`` (a write: the contact's date moves)."""
        with self.lock:
            if (from_type, to_type) not in ASSOCIATION_TYPES:
                raise validation_error(f"No default association from {from_type} to {to_type}.")
            results, missing = [], []
            for item in body["inputs"]:
                from_id, to_id = item["from"]["id"], item["to"]["id"]
                if from_id not in self.records[from_type] or to_id not in self.records[to_type]:
                    missing.append(f"{from_id}->{to_id}")
                    continue
                contact_id, company_id = (from_id, to_id) if from_type == "contacts" else (to_id, from_id)
                if self._link(contact_id, company_id, primary=self.primary_company(contact_id) is None):
                    contact = self.records["contacts"][contact_id]
                    self._write("contacts", contact, {"associatedcompanyid": company_id}, now_ms(), "CALCULATED")
                results.append({"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": {
                    "associationCategory": "HUBSPOT_DEFINED",
                    "associationTypeId": ASSOCIATION_TYPES[(from_type, to_type)][0]}})
            answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
            if missing:
                answer["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                                     "message": "Some records to associate do not exist.",
                                     "context": {"pairs": missing}}]
            return 200, answer

    def list_associations(self, object_type: str, record_id: str, to_type: str, query: Query) -> tuple[int, dict]:
        with self.lock:
            if record_id not in self.records[object_type] or self.records[object_type][record_id].archived:
                raise object_not_found(record_id)
            if (object_type, to_type) not in ASSOCIATION_TYPES:
                return 200, {"results": []}
            page, next_after = self._association_page(object_type, record_id, to_type,
                                                      query.get("after", ["0"])[0],
                                                      query_int(query, "limit", ASSOCIATION_PAGE))
            answer: dict[str, Any] = {"results": page}
            if next_after:
                answer["paging"] = {"next": {"after": next_after}}
            return 200, answer


# -- helpers without state ---------------------------------------------------------------------


def _not_found_error(object_type: str, ids: list[str], trace_id: str | None = None) -> dict[str, Any]:
    context = {"ids": ids}
    if trace_id:
        context["objectWriteTraceId"] = [trace_id]
    return {"status": "error", "category": "OBJECT_NOT_FOUND", "context": context,
            "message": f"Could not get some {object_type[:-1].upper()} objects, they may be deleted or not exist. "
                       "Check that ids are valid."}


def _refuse_duplicates(keys: list[tuple[str | None, str]]) -> None:
    seen, duplicates = set(), []
    for key in keys:
        if key in seen:
            duplicates.append(key[1])
        seen.add(key)
    if duplicates:
        raise validation_error(f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique")


def _checked_value(definition: PropertyDef, text: str, current: str | None) -> tuple[str | None, ValueProblem | None]:
    """One value checked against its property's type, as HubSpot stores it."""
    name = definition.name
    if definition.type == "number":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return None, ValueProblem(name, "INVALID_INTEGER", f"{name} was not a valid number")
        return text, None
    if definition.type == "bool":
        if text.lower() not in ("true", "false"):
            return None, ValueProblem(name, "INVALID_BOOLEAN", f"{text} was not a valid boolean")
        return text.lower(), None
    if definition.type in ("date", "datetime"):
        try:
            moment = epoch_ms(text)
        except ValueError:
            return None, ValueProblem(name, "INVALID_DATE", f"{text} was not a valid date")
        return (iso(moment) if definition.type == "datetime" else iso(moment)[:10]), None
    if definition.type == "enumeration":
        allowed = definition.option_values
        if definition.field_type == "checkbox":
            # Multi-select: ";"-separated; a leading ";" appends to the current values (§1.6).
            chosen = [v for v in text.split(";") if v]
            bad = [v for v in chosen if v not in allowed]
            if text.startswith(";") and current:
                chosen = current.split(";") + [v for v in chosen if v not in current.split(";")]
            value = ";".join(chosen)
        else:
            bad = [text] if text not in allowed else []
            value = text
        if bad:
            return None, ValueProblem(name, "INVALID_OPTION",
                                      f"{bad[0]} was not one of the allowed options: [{', '.join(allowed)}]")
        return value, None
    return text, None


def _sort_key(definition: PropertyDef, text: str) -> Any:
    """How search compares values: numbers and datetimes by value, enumerations exactly,
    other strings case-blind (§1.3). Raises ValueError for a value of the wrong kind."""
    if definition.type == "number":
        return float(text)
    if definition.type in ("date", "datetime"):
        return epoch_ms(text)
    if definition.type == "enumeration":
        return text
    return text.lower()


def _record_key(definition: PropertyDef, values: dict[str, str]) -> Any:
    text = values.get(definition.name)
    if text is None or text == "":
        return None
    try:
        return _sort_key(definition, text)
    except ValueError:
        return None


def _compile_filter(known: dict[str, PropertyDef], spec: dict[str, Any]) -> Callable[[dict[str, str]], bool]:
    """One filter as a test on a record's values (§1.3 operators and their semantics)."""
    name, operator = spec["propertyName"], spec["operator"]
    definition = known.get(name)
    if definition is None:
        raise validation_error(f'Property "{name}" does not exist', [
            {"message": f'Property "{name}" does not exist', "code": "PROPERTY_DOESNT_EXIST",
             "context": {"propertyName": [name]}}])

    def converted(text: str) -> Any:
        try:
            return _sort_key(definition, text)
        except ValueError:
            raise validation_error(f"{text} is not a valid value for {name} ({definition.type}).") from None

    def operand(key: str) -> Any:
        if spec.get(key) is None:
            raise validation_error(f"Filter {operator} on {name} needs {key}.")
        return converted(spec[key])

    def key(values: dict[str, str]) -> Any:
        return _record_key(definition, values)

    if operator == "HAS_PROPERTY":
        return lambda values: key(values) is not None
    if operator == "NOT_HAS_PROPERTY":
        return lambda values: key(values) is None
    if operator in ("IN", "NOT_IN"):
        if not spec.get("values"):
            raise validation_error(f"Filter {operator} on {name} needs values.")
        if definition.type == "string":
            # IN on strings only matches lowercase values (§1.3): record values are lowered,
            # the filter's are taken as sent.
            wanted = set(spec["values"])
        else:
            wanted = {converted(value) for value in spec["values"]}
        if operator == "IN":
            return lambda values: key(values) in wanted
        return lambda values: key(values) not in wanted
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = spec.get("value")
        if not pattern:
            raise validation_error(f"Filter {operator} on {name} needs value.")
        pattern = pattern.lower()

        def contains(values: dict[str, str]) -> bool:
            words = re.split(r"[^\w*@.-]+", (values.get(name) or "").lower())
            return any(fnmatch.fnmatchcase(word, pattern) for word in words if word)
        return contains if operator == "CONTAINS_TOKEN" else (lambda values: not contains(values))
    if operator == "BETWEEN":
        low, high = operand("value"), operand("highValue")
        return lambda values: (k := key(values)) is not None and low <= k <= high
    wanted_value = operand("value")
    if operator == "EQ":
        return lambda values: key(values) == wanted_value
    if operator == "NEQ":
        return lambda values: key(values) != wanted_value
    compare = {"LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b,
               "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b}[operator]
    return lambda values: (k := key(values)) is not None and compare(k, wanted_value)


def _compile_sort(known: dict[str, PropertyDef], sorts: list[dict[str, str]]
                  ) -> Callable[[list[tuple[Record, Version]]], list[tuple[Record, Version]]]:
    """Hits in id order (creation order) unless a sort asks otherwise; equal values keep id
    order, and records without the value come last either way."""
    if not sorts:
        return lambda hits: hits
    name, descending = sorts[0]["propertyName"], sorts[0].get("direction") == "DESCENDING"
    definition = known.get(name)
    if definition is None:
        raise validation_error(f'Property "{name}" does not exist')

    def sort(hits: list[tuple[Record, Version]]) -> list[tuple[Record, Version]]:
        keyed = [(_record_key(definition, version.properties), record, version) for record, version in hits]
        present = [item for item in keyed if item[0] is not None]
        present.sort(key=lambda item: item[0], reverse=descending)
        return [(r, v) for _, r, v in present] + [(r, v) for k, r, v in keyed if k is None]
    return sort


def _visible_version(record: Record, now: float) -> Version | None:
    """The newest version search has indexed by ``now``; None while a new record is unindexed."""
    for version in reversed(record.versions):
        if version.visible_from <= now:
            return version
    return None
