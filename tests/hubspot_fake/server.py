"""The fake HubSpot over real HTTP, and the handle tests drive it with.

``http.server`` rather than a WSGI stack: dropping a connection without an answer (or
after a write landed) needs the raw socket, and the standard library gives it with no
dependency. Each request goes through what HubSpot's edge and API do, in this order:
contract check (recorded, never hidden by a later answer), injected faults, auth, scope,
rate limits, contract refusal, then the endpoint itself.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from loopback import LoopbackServer

from . import contract
from .catalog import DEFAULT_GROUPS, OBJECT_TYPES, USUAL_FIELD_TYPE
from .errors import (
    HubSpotError,
    error_body,
    missing_scope,
    rate_limited,
    server_error,
    unauthenticated,
)
from .faults import TRANSIENT_STATUSES, Fault, Faults
from .limits import RateLimits
from .state import Portal, PropertyDef, as_text, epoch_ms, options_json

DEFAULT_TOKEN = "pat-na1-00000000-0000-4000-8000-000000000000"
DEFAULT_PORTAL_ID = 4_242_424
WRITES = frozenset({"updateObject", "batchUpdateObjects", "batchUpsertObjects", "createProperty",
                    "updateProperty", "createPropertyGroup", "batchAssociateDefault"})
SCHEMA_OPERATIONS = frozenset({"listProperties", "getProperty", "listPropertyGroups", "createProperty",
                               "updateProperty", "createPropertyGroup"})
BODYLESS = frozenset({"listObjects", "getObject", "listProperties", "getProperty", "listPropertyGroups",
                      "listAssociations"})
ALL_SCOPES = frozenset(f"crm.{kind}.{object_type}.{access}" for kind in ("objects", "schemas")
                       for object_type in ("contacts", "companies") for access in ("read", "write"))


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the fake saw it. ``status`` is None when the client got no answer;
    ``dropped`` says when the connection was cut ("before_handling" or "after_write")."""

    method: str
    path: str
    query: str
    operation: str | None
    body_size: int
    status: int | None
    dropped: str | None
    at: float  # seconds since the fake started
    duration: float


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    drop: str | None = None  # cut the connection instead of answering


class FakeHubSpot(LoopbackServer):
    """A stateful HubSpot on 127.0.0.1 for one test: seed it, switch faults and limits,
    point a client at ``base_url`` with ``token``, then inspect what it received."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, portal_id: int = DEFAULT_PORTAL_ID):
        self.token = token
        self.portal_id = portal_id
        self.portal = Portal()
        self.limits = RateLimits()
        self.faults = Faults()
        self._scopes = set(ALL_SCOPES)
        self._contract = contract.load()
        self._lock = threading.Lock()
        self._requests: list[LoggedRequest] = []
        self._violations: list[str] = []
        self._started = time.monotonic()

    # -- lifecycle ---------------------------------------------------------------------------


    # -- seeding -----------------------------------------------------------------------------

    def seed(self, object_type: str, rows: list[dict[str, Any]] | int, *,
             modified_at: datetime | str | int | None = None,
             created_at: datetime | str | int | None = None) -> list[str]:
        """Creates records as if they were there before the test, and returns their ids.

        ``rows`` are property dicts, or a count for generated ones (``name``/``domain`` for
        companies, ``email``/``firstname``/``lastname`` for contacts). ``modified_at`` gives
        every record the same last-modified date, like a bulk import; a row's own
        ``createdate``/``lastmodifieddate``/``hs_lastmodifieddate`` wins over it.
        """
        object_type = OBJECT_TYPES[object_type]
        if isinstance(rows, int):
            rows = [_generated(object_type, n) for n in range(rows)]
        return self.portal.seed(object_type, rows, _moment(modified_at), _moment(created_at))

    def associate(self, contact_id: str, company_id: str, *, primary: bool = False) -> None:
        """Links a contact to a company; ``primary`` also sets its ``associatedcompanyid``."""
        self.portal.associate(contact_id, company_id, primary)

    def archive(self, object_type: str, record_id: str) -> None:
        """Archives a record as a deletion in HubSpot's UI would."""
        self.portal.archive(OBJECT_TYPES[object_type], record_id)

    def define_property(self, object_type: str, name: str, *, type: str = "string", field_type: str | None = None,
                        options: tuple[str, ...] = (), group: str | None = None, unique: bool = False) -> None:
        """Adds or replaces a custom property as if it existed before the test; ``field_type``
        defaults to the type's usual one, ``group`` to the object's information group (a
        group that does not exist yet is created with it)."""
        object_type = OBJECT_TYPES[object_type]
        self.portal.define(object_type, PropertyDef(
            name, name, type, field_type or USUAL_FIELD_TYPE[type],
            group or next(iter(DEFAULT_GROUPS[object_type])),
            options_json({"label": value, "value": value} for value in options), unique=unique))

    # -- switches ----------------------------------------------------------------------------

    def set_index_lag(self, seconds: float) -> None:
        """Search sees a write only ``seconds`` after it (§1.3 "It may take a few moments")."""
        self.portal.index_lag = seconds

    def set_search_cap(self, results: int) -> None:
        """How far one search query can page (HubSpot: 10,000); smaller makes cap tests cheap."""
        self.portal.search_cap = results

    def set_scopes(self, scopes: set[str] | frozenset[str]) -> None:
        """The scopes the token was granted; by default every object and schema scope."""
        with self._lock:
            self._scopes = set(scopes)

    def revoke_scopes(self, *scopes: str) -> None:
        with self._lock:
            self._scopes -= set(scopes)

    def set_rate_limit(self, max_requests: int, seconds: float, *, retry_after: bool = False) -> None:
        """The rolling burst window (HubSpot: 100 per 10 s); ``retry_after`` adds that header to its 429s."""
        self.limits.configure_burst(max_requests, seconds)
        self.limits.send_retry_after = retry_after

    def set_search_rate_limit(self, max_requests: int, seconds: float = 1.0) -> None:
        """Search's own window (HubSpot: 5 per second)."""
        self.limits.configure_search(max_requests, seconds)

    def set_daily_limit(self, max_requests: int, *, used: int = 0) -> None:
        """The daily allowance; once ``used`` reaches it every call gets the DAILY 429."""
        self.limits.configure_daily(max_requests, used)

    def set_faults(self, *, error_rate: float = 0.0, statuses: tuple[int, ...] = TRANSIENT_STATUSES,
                   drop_rate: float = 0.0, drop_after_write_rate: float = 0.0,
                   delay_seconds: float = 0.0, seed: int = 0) -> None:
        """Random faults, replayable by ``seed``: ``error_rate`` of requests get one of
        ``statuses`` before any state change, ``drop_rate`` lose their connection before
        handling, ``drop_after_write_rate`` of writes lose it after the write landed;
        every answer waits ``delay_seconds``."""
        self.faults.configure(error_rate=error_rate, statuses=statuses, drop_rate=drop_rate,
                              drop_after_write_rate=drop_after_write_rate, delay_seconds=delay_seconds, seed=seed)

    def fail_next(self, status: int, *, times: int = 1, operation: str | None = None) -> None:
        """The next ``times`` requests (of ``operation``, an operationId, if given) get ``status``."""
        self.faults.script(Fault(status=status), times=times, operation=operation)

    def drop_next(self, *, times: int = 1, after_write: bool = False, operation: str | None = None) -> None:
        """The next ``times`` requests lose their connection; with ``after_write``, the next
        writes do, after they landed."""
        self.faults.script(Fault(drop=not after_write, drop_after_write=after_write), times=times,
                           operation=operation)

    # -- inspection --------------------------------------------------------------------------

    def record(self, object_type: str, record_id: str) -> dict[str, str]:
        """A record's current properties (set ones only)."""
        return self.portal.snapshot(OBJECT_TYPES[object_type], record_id)

    def records(self, object_type: str, *, archived: bool = False) -> list[dict[str, str]]:
        """Every record's current properties, in id order."""
        object_type = OBJECT_TYPES[object_type]
        with self.portal.lock:
            return [dict(r.properties) for r in self.portal.records[object_type].values() if r.archived == archived]

    def history(self, object_type: str, record_id: str, name: str) -> list[dict[str, str]]:
        """Every value a property was given, oldest first (the seeded value is an IMPORT)."""
        return self.portal.history(OBJECT_TYPES[object_type], record_id, name)

    def property_definition(self, object_type: str, name: str) -> dict[str, Any]:
        """A property definition as the properties API returns it."""
        return self.portal.get_property(OBJECT_TYPES[object_type], name)[1]

    def primary_company(self, contact_id: str) -> str | None:
        """The id ``associatedcompanyid`` shows for the contact, or None."""
        return self.portal.primary_company(contact_id)

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, *, status: int | None = None, operation: str | None = None) -> int:
        """How many requests got ``status`` (and were for ``operation``, if given)."""
        return sum(1 for r in self.requests
                   if (status is None or r.status == status) and (operation is None or r.operation == operation))

    @property
    def violations(self) -> list[str]:
        """Requests that broke the contract, and answers of the fake that did."""
        with self._lock:
            return list(self._violations)

    def assert_no_violations(self) -> None:
        """Fails listing every violation: the ``hubspot`` fixture calls it at teardown."""
        violations = self.violations
        assert not violations, f"{len(violations)} contract violation(s):\n" + "\n".join(violations)

    def take_violations(self) -> list[str]:
        """The violations so far, forgotten: for tests that break the contract on purpose."""
        with self._lock:
            taken, self._violations = self._violations, []
            return taken

    # -- the request pipeline ----------------------------------------------------------------

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
               ) -> tuple[Reply | None, bytes]:
        """The answer to one request (None: cut the connection) and its encoded body."""
        started = time.monotonic()
        url = urlsplit(target)
        checked = self._contract.check_request(method, url.path, parse_qsl(url.query, keep_blank_values=True),
                                               headers, body)
        violations = list(checked.violations)
        try:
            reply = self._answer(checked, url.query, headers, body)
        except Exception:  # noqa: BLE001 -- a bug in the fake must fail the test, not pass for a network fault
            violations.append(f"the fake crashed on {method} {target}:\n{traceback.format_exc()}")
            reply = Reply(500, error_body("The fake HubSpot crashed; see the test's violations."))
        data = json.dumps(reply.body).encode() if reply else b""
        if reply and checked.operation:
            violations += self._contract.check_response(checked, reply.status, reply.headers, data)
        logged = LoggedRequest(method, url.path, url.query, checked.operation, len(body),
                               None if reply is None or reply.drop else reply.status,
                               "before_handling" if reply is None else reply.drop,
                               started - self._started, time.monotonic() - started)
        with self._lock:
            self._violations += violations
            self._requests.append(logged)
        return reply, data

    def _answer(self, checked: contract.CheckedRequest, query: str,
                headers: list[tuple[str, str]], body: bytes) -> Reply | None:
        operation = checked.operation
        fault = self.faults.draw(operation, operation in WRITES)
        if fault.drop:
            return None
        is_search = operation == "searchObjects"
        if fault.status:
            if fault.status == 429:
                error = rate_limited("SECONDLY" if is_search else "TEN_SECONDLY_ROLLING", self.portal_id)
            else:
                error = server_error(fault.status)
            return Reply(error.status, error.body, {} if is_search else self.limits.headers())
        if operation is None:
            return _refusal(checked)
        authorization = next((v for k, v in headers if k.lower() == "authorization"), "")
        if authorization != f"Bearer {self.token}":
            return _reply(unauthenticated())
        scope = _required_scope(operation, checked.path_params)
        with self._lock:
            granted = scope is None or scope in self._scopes
        if not granted:
            return _reply(missing_scope(scope))
        policy, limit_headers = self.limits.admit(is_search)
        if policy:
            return _reply(rate_limited(policy, self.portal_id), limit_headers)
        if checked.violations:
            return _refusal(checked, limit_headers)
        try:
            status, payload = self._dispatch(operation, checked.path_params, query, body)
        except HubSpotError as error:
            status, payload = error.status, error.body
        return Reply(status, payload, limit_headers, "after_write" if fault.drop_after_write else None)

    def _dispatch(self, operation: str, params: dict[str, str], raw_query: str, raw_body: bytes
                  ) -> tuple[int, dict[str, Any]]:
        portal = self.portal
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        # The contract has checked the body of every operation that takes one; others ignore theirs.
        body = json.loads(raw_body) if raw_body and operation not in BODYLESS else {}
        object_type = OBJECT_TYPES.get(params.get("objectType", ""), "")
        record_id = unquote(params.get("objectId", ""))
        from_type = OBJECT_TYPES.get(params.get("fromObjectType", ""), "")
        to_type = OBJECT_TYPES.get(params.get("toObjectType", ""), "")
        match operation:
            case "listObjects":
                return portal.list_objects(object_type, query, self.base_url)
            case "getObject":
                return portal.get_object(object_type, record_id, query)
            case "updateObject":
                return portal.update_object(object_type, record_id, query, body)
            case "searchObjects":
                return portal.search(object_type, body)
            case "batchReadObjects":
                return portal.batch_read(object_type, query, body)
            case "batchUpdateObjects":
                return portal.batch_update(object_type, body)
            case "batchUpsertObjects":
                return portal.batch_upsert(object_type, body)
            case "listProperties":
                return portal.list_properties(object_type, query)
            case "createProperty":
                return portal.create_property(object_type, body)
            case "getProperty":
                return portal.get_property(object_type, unquote(params["propertyName"]))
            case "updateProperty":
                return portal.update_property(object_type, unquote(params["propertyName"]), body)
            case "listPropertyGroups":
                return portal.list_groups(object_type)
            case "createPropertyGroup":
                return portal.create_group(object_type, body)
            case "batchReadAssociations":
                return portal.batch_read_associations(from_type, to_type, body)
            case "batchAssociateDefault":
                return portal.associate_default(from_type, to_type, body)
            case "listAssociations":
                return portal.list_associations(object_type, record_id, to_type, query)
        raise AssertionError(f"the contract has an operation the fake does not serve: {operation}")


def _reply(error: HubSpotError, headers: dict[str, str] | None = None) -> Reply:
    return Reply(error.status, error.body, headers or {})


def _refusal(checked: contract.CheckedRequest, headers: dict[str, str] | None = None) -> Reply:
    """A request outside the contract: 400, and the violation fails the test at teardown.
    (HubSpot would answer an unknown path 404; the fake says plainly what is wrong.)"""
    return Reply(400, error_body("Request does not match the contract: " + "; ".join(checked.violations),
                                 "VALIDATION_ERROR"), headers or {})


def _required_scope(operation: str, params: dict[str, str]) -> str | None:
    """The granular scope each operation needs (§1.1): objects or schemas, read or write.
    None for an object type outside the contract, which is refused for that."""
    object_type = OBJECT_TYPES.get(params.get("objectType") or params.get("fromObjectType", ""))
    if object_type is None:
        return None
    kind = "schemas" if operation in SCHEMA_OPERATIONS else "objects"
    access = "write" if operation in WRITES else "read"
    return f"crm.{kind}.{object_type}.{access}"


def _moment(value: datetime | str | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    return epoch_ms(as_text(value))


def _generated(object_type: str, n: int) -> dict[str, str]:
    if object_type == "companies":
        return {"name": f"Company {n}", "domain": f"company{n}.example"}
    return {"email": f"person{n}@example.com", "firstname": "Person", "lastname": str(n)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as HubSpot serves it
    server_version = "FakeHubSpot"
    timeout = 30  # an idle keep-alive connection is closed after this
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait 40 ms between

    def _serve(self) -> None:
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply, data = fake.handle(self.command, self.path, list(self.headers.items()), body)
        if fake.faults.delay_seconds:
            time.sleep(fake.faults.delay_seconds)
        if reply is None or reply.drop:
            self.close_connection = True  # the socket closes with no answer written
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-HubSpot-Correlation-Id", reply.body.get("correlationId") or str(uuid.uuid4()))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's request log is ``FakeHubSpot.requests``."""


FakeHubSpot.handler = _Handler
FakeHubSpot.thread_name = "fake-hubspot"
