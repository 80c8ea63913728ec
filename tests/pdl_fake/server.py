"""The fake PDL over real HTTP, and the handle tests drive it with.

``http.server`` in a thread, like the fake HubSpot: a timeout needs a server that really
answers late, and the standard library gives that with no dependency. Each request goes
through what PDL's edge and API do, in this order: injected faults (which never reach the
service: nothing is matched or charged), routing and method, the API key, the endpoint's
rate limit, the credit balance, parameter checks, then the enrichment itself.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from loopback import LoopbackServer

from .dataset import MATCH_PARAMS, Dataset, Seeded
from .errors import error_body
from .faults import Faults
from .limits import RateLimits

DEFAULT_API_KEY = "pdl-fake-key-0123456789abcdef0123456789abcdef"
ENRICH = "/v5/company/enrich"
BULK = "/v5/company/enrich/bulk"
METHODS = {ENRICH: "GET", BULK: "POST"}
BULK_MAX = 100  # "You can enrich up to 100 companies in a single request"
CREDIT_TYPE = "enrich_company"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the fake saw it.

    ``keys`` are the ``website`` values asked (one per bulk item); ``item_statuses`` the
    status each got (a single enrichment has one). ``status`` is None when the client got
    no answer in time (``fault == "timeout"``). ``key_in`` says where the API key came:
    "header", "query" or None. The key itself is never logged.
    """

    method: str
    path: str
    query: dict[str, str]
    body: Any
    keys: tuple[str | None, ...]
    status: int | None
    item_statuses: tuple[int, ...]
    fault: str | None
    credits_spent: int
    key_in: str | None
    at: float  # seconds since the fake started


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # answer this much later (a timeout, seen from the client)


class FakePDL(LoopbackServer):
    """A stateful People Data Labs company enrichment API on 127.0.0.1 for one test."""

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, credits: int | None = None):
        self.api_key = api_key
        self.dataset = Dataset()
        self.limits = RateLimits()
        self.faults = Faults()
        self._lock = threading.Lock()
        self._credits = credits  # None: no limit
        self._lifetime_used = 0
        self._requests: list[LoggedRequest] = []
        self.crashes: list[str] = []  # bugs of the fake itself (answered 599): a test should see none
        self._stopping = threading.Event()
        self._started = time.monotonic()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        self._stopping.clear()
        return super().start()

    def stop(self) -> None:
        self._stopping.set()  # wakes requests sleeping out a timeout
        super().stop()

    @property
    def url(self) -> str:
        return self.base_url


    # -- seeding and switches ----------------------------------------------------------------

    def seed(self, records: list[dict[str, Any]]) -> list[str]:
        """Companies PDL knows: Company Schema records with a ``website`` and, optionally, the
        ``likelihood`` (1-10, default 8) the fake answers them with. Returns their ids."""
        return self.dataset.seed(records)

    def set_credits(self, n: int | None) -> None:
        """The account's remaining company-enrichment credits (None: unlimited)."""
        with self._lock:
            self._credits = n

    def set_rate_limit(self, per_window: int, *, window_seconds: float = 60.0, path: str | None = None,
                       retry_after: bool = True) -> None:
        """Each endpoint's fixed window (PDL: per minute; by default 1,000 for a paying
        account); ``path`` limits one endpoint only. ``retry_after`` adds that header to 429s."""
        self.limits.configure(per_window, window_seconds, (path,) if path else None, retry_after)

    def set_faults(self, *, rate_429: float = 0.0, rate_5xx: float = 0.0, rate_timeout: float = 0.0,
                   seed: int = 0, timeout_seconds: float = 2.0, retry_after: float = 0) -> None:
        """Random faults, replayable by ``seed``: that share of requests gets a 429 (with
        ``Retry-After: retry_after``), a 500/502/503/504, or an answer ``timeout_seconds``
        late (longer than the client waits). A faulted request is never processed."""
        self.faults.configure(rate_429=rate_429, rate_5xx=rate_5xx, rate_timeout=rate_timeout, seed=seed,
                              timeout_seconds=timeout_seconds, retry_after=retry_after)

    def fail_next(self, status: int, times: int = 1, *, path: str | None = None) -> None:
        """The next ``times`` requests (to ``path``, if given) get ``status`` with PDL's body
        for it, before anything is processed."""
        self.faults.script(status, times, path)

    def timeout_next(self, times: int = 1, *, path: str | None = None) -> None:
        """The next ``times`` requests are answered ``timeout_seconds`` late, unprocessed."""
        self.faults.script(0, times, path)

    def fail_next_items(self, status: int, times: int = 1) -> None:
        """The next ``times`` bulk items get ``status`` (and its error body) as their answer."""
        self.faults.script_items(status, times)

    # -- inspection --------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, *, path: str | None = None, status: int | None = None) -> int:
        """How many requests went to ``path`` and got ``status`` (either filter optional)."""
        return sum(1 for r in self.requests
                   if (path is None or r.path == path) and (status is None or r.status == status))

    @property
    def credits_spent(self) -> int:
        with self._lock:
            return sum(r.credits_spent for r in self._requests)

    @property
    def credits(self) -> int | None:
        with self._lock:
            return self._credits

    # -- the request pipeline ----------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Reply:
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        given_key = headers.get("x-api-key")
        key_in = "header" if given_key else None
        if not given_key and "api_key" in query:
            given_key, key_in = query["api_key"], "query"
        shown_query = {k: ("***" if k == "api_key" else v) for k, v in query.items()}
        body = _json(raw_body)
        keys = _keys_asked(url.path, query, body)

        fault = self.faults.draw(url.path)
        if fault.timeout:
            self._log(method, url.path, shown_query, body, keys, None, (), "timeout", 0, key_in)
            body_out = error_body(504, "Gateway timeout")
            return Reply(504, body_out, delay=self.faults.timeout_seconds)
        if fault.status:
            headers_out = {}
            if fault.status == 429:
                headers_out["Retry-After"] = _seconds(self.faults.retry_after)
            return self._reply(method, url.path, shown_query, body, keys, key_in,
                               Reply(fault.status, error_body(fault.status), headers_out), fault=fault.kind)

        try:
            reply, statuses, spent = self._serve(method, url.path, query, body, given_key)
        except Exception as exc:  # noqa: BLE001 -- a bug in the fake answers 599, never a plausible 5xx
            with self._lock:
                self.crashes.append(f"{method} {url.path}: {type(exc).__name__}: {exc}")
            reply, statuses, spent = Reply(599, error_body(599, f"the fake PDL crashed: {exc}")), (), 0
        return self._reply(method, url.path, shown_query, body, keys, key_in, reply, statuses, spent)

    def _serve(self, method: str, path: str, query: dict[str, str], body: Any, given_key: str | None
               ) -> tuple[Reply, tuple[int, ...], int]:
        if path not in METHODS:
            return Reply(404, error_body(404, f"Unknown endpoint {path}")), (), 0
        if method != METHODS[path]:
            return Reply(405, error_body(405)), (), 0
        if given_key != self.api_key:
            return Reply(401, error_body(401)), (), 0
        admitted, headers = self.limits.admit(path)
        if not admitted:
            return Reply(429, error_body(429), headers), (), 0
        with self._lock:
            if self._credits == 0:  # the account maximum is reached: every call is refused
                return Reply(402, error_body(402), self._usage_headers(headers, 0)), (), 0
        if path == ENRICH:
            reply, statuses, spent = self._enrich(query)
        else:
            reply, statuses, spent = self._bulk(body)
        with self._lock:
            reply.headers = self._usage_headers(headers, spent)
        return reply, statuses, spent

    def _enrich(self, query: dict[str, str]) -> tuple[Reply, tuple[int, ...], int]:
        problem = _check_params(query, query.get("min_likelihood"))
        if problem:
            return Reply(400, error_body(400, problem)), (400,), 0
        answer = self._answer(query, int(query.get("min_likelihood") or 0))
        return Reply(answer["status"], answer), (answer["status"],), int(answer["status"] == 200)

    def _bulk(self, body: Any) -> tuple[Reply, tuple[int, ...], int]:
        problem = _check_bulk(body)
        if problem:
            return Reply(400, error_body(400, problem)), (400,), 0
        answers = []
        for item in body["requests"]:
            scripted = self.faults.draw_item()
            if scripted is not None:
                answer = error_body(scripted)
            else:
                params = item["params"]
                answer = self._answer(params, int(params.get("min_likelihood", body.get("min_likelihood")) or 0))
            if "metadata" in item:
                answer["metadata"] = item["metadata"]
            answers.append(answer)
        statuses = tuple(a["status"] for a in answers)
        return Reply(200, answers), statuses, statuses.count(200)

    def _answer(self, params: dict[str, Any], min_likelihood: int) -> dict[str, Any]:
        """One enrichment: the record with its status and likelihood, or the error body."""
        found: Seeded | None = self.dataset.match(params)
        if found is None or found.likelihood < min_likelihood:
            return error_body(404)
        with self._lock:
            if self._credits is not None:
                if self._credits == 0:  # spent by earlier items of this bulk request
                    return error_body(402)
                self._credits -= 1
            self._lifetime_used += 1
        return {"status": 200, "likelihood": found.likelihood, **json.loads(json.dumps(found.record))}

    def _usage_headers(self, limit_headers: dict[str, str], spent: int) -> dict[str, str]:
        headers = dict(limit_headers)
        headers["x-call-credits-spent"] = str(spent)
        headers["x-call-credits-type"] = CREDIT_TYPE
        headers["x-lifetime-used"] = str(self._lifetime_used)
        if self._credits is not None:
            headers["x-totallimit-remaining"] = str(self._credits)
        return headers

    def _reply(self, method: str, path: str, query: dict[str, str], body: Any, keys: tuple, key_in: str | None,
               reply: Reply, statuses: tuple[int, ...] = (), spent: int = 0, fault: str | None = None) -> Reply:
        self._log(method, path, query, body, keys, reply.status, statuses, fault, spent, key_in)
        return reply

    def _log(self, method: str, path: str, query: dict[str, str], body: Any, keys: tuple, status: int | None,
             statuses: tuple[int, ...], fault: str | None, spent: int, key_in: str | None) -> None:
        logged = LoggedRequest(method, path, query, body, keys, status, statuses, fault, spent, key_in,
                               time.monotonic() - self._started)
        with self._lock:
            self._requests.append(logged)


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _keys_asked(path: str, query: dict[str, str], body: Any) -> tuple[str | None, ...]:
    if path == ENRICH:
        return (query.get("website"),)
    if isinstance(body, dict) and isinstance(body.get("requests"), list):
        return tuple((r.get("params") or {}).get("website") if isinstance(r, dict) else None
                     for r in body["requests"])
    return ()


def _check_params(params: Any, min_likelihood: Any) -> str | None:
    """What is wrong with one enrichment's parameters, if anything."""
    if not isinstance(params, dict) or not any(params.get(p) for p in MATCH_PARAMS):
        return f"The request must include at least one of: {', '.join(MATCH_PARAMS)}"
    if min_likelihood is not None:
        try:
            value = int(min_likelihood)
        except (TypeError, ValueError):
            value = None
        if value is None or str(min_likelihood).strip() != str(value) or not 1 <= value <= 10:
            return f"min_likelihood must be an integer from 1 to 10, got {min_likelihood!r}"
    return None


def _check_bulk(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        return "The request body must be a JSON object with an array called requests"
    if not 1 <= len(body["requests"]) <= BULK_MAX:
        return f"requests must hold 1-{BULK_MAX} request objects, got {len(body['requests'])}"
    problem = _check_params({"website": "-"}, body.get("min_likelihood"))  # the global parameters
    if problem:
        return problem
    for i, item in enumerate(body["requests"]):
        params = item.get("params") if isinstance(item, dict) else None
        problem = _check_params(params, (params or {}).get("min_likelihood"))
        if problem:
            return f"requests[{i}].params: {problem}"
    return None


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakePDL"
    timeout = 30
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = fake.handle(self.command, self.path, headers, body)
        if reply.delay:
            fake._stopping.wait(reply.delay)
            self.close_connection = True
        data = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's request log is ``FakePDL.requests``."""


FakePDL.handler = _Handler
FakePDL.thread_name = "fake-pdl"
