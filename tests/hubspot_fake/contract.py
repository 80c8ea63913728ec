"""The contract check: every request, and every answer of the fake, against our OpenAPI file.

openapi-core validates framework-free request and response objects; its
``openapi_core.testing`` ones take plain method, path, query pairs, headers and bytes,
which is exactly what ``http.server`` hands us, so no web framework sits in between.
Requests are checked as if sent to the contract's server (api.hubapi.com), whatever port
the fake listens on.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest, MockResponse

CONTRACT = Path(__file__).with_name("hubspot-crm-subset.openapi.yaml")
SERVER = "https://api.hubapi.com"

# Limits the contract states in words because its schema cannot express them.
MAX_FILTERS_PER_SEARCH = 18
MAX_INPUTS_WITH_HISTORY = 50


@dataclass
class CheckedRequest:
    """A request as the contract sees it: its operation (None if the contract has no such
    route), its path parameters, and everything in it that breaks the contract."""

    operation: str | None
    path_params: dict[str, str]
    violations: list[str] = field(default_factory=list)
    openapi_request: MockRequest | None = None


@functools.cache
def load() -> Contract:
    """One parsed contract per test session: parsing takes a tenth of a second."""
    return Contract(OpenAPI.from_file_path(str(CONTRACT)))


class Contract:
    def __init__(self, api: OpenAPI):
        self._api = api
        self._finder = APICallPathFinder(api.spec)

    def check_request(self, method: str, path: str, query: list[tuple[str, str]],
                      headers: list[tuple[str, str]], body: bytes) -> CheckedRequest:
        try:
            found = self._finder.find(method.lower(), SERVER + path)
        except PathError as error:
            return CheckedRequest(None, {}, [f"{method} {path}: {error}"])
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        request = MockRequest(SERVER, method, path, args=query, headers=headers, data=body,
                              content_type=content_type.split(";")[0].strip().lower())
        checked = CheckedRequest(found.operation["operationId"], dict(found.path_result.variables),
                                 openapi_request=request)
        checked.violations = [f"{method} {path}: {describe(error)}"
                              for error in self._api.iter_request_errors(request)]
        if not checked.violations:
            checked.violations = [f"{method} {path}: {problem}"
                                  for problem in limits_in_words(checked.operation, body)]
        return checked

    def check_response(self, checked: CheckedRequest, status: int, headers: dict[str, str],
                       body: bytes) -> list[str]:
        response = MockResponse(body, status, headers, "application/json")
        return [f"response {status} to {checked.openapi_request.method.upper()} "
                f"{checked.openapi_request.path}: {describe(error)}"
                for error in self._api.iter_response_errors(checked.openapi_request, response)]


def limits_in_words(operation: str | None, raw_body: bytes) -> list[str]:
    """The limits the contract's description states but its schema cannot (§1.3, §1.2)."""
    if operation not in ("searchObjects", "batchReadObjects"):
        return []
    body = json.loads(raw_body) if raw_body else {}
    if operation == "searchObjects":
        filters = sum(len(group.get("filters", [])) for group in body.get("filterGroups", []))
        if filters > MAX_FILTERS_PER_SEARCH:
            return [f"{filters} filters in one search; at most {MAX_FILTERS_PER_SEARCH}"]
    if (operation == "batchReadObjects" and body.get("propertiesWithHistory")
            and len(body["inputs"]) > MAX_INPUTS_WITH_HISTORY):
        return [f"{len(body['inputs'])} inputs with propertiesWithHistory; at most {MAX_INPUTS_WITH_HISTORY}"]
    return []


def describe(error: Exception) -> str:
    """One short line per problem: openapi-core's own messages repeat the whole body."""
    schema_errors, chain = [], []
    cause: BaseException | None = error
    while cause is not None:
        schema_errors.extend(getattr(cause, "schema_errors", ()))
        chain.append(str(cause))
        cause = cause.__cause__
    if not schema_errors:
        message = chain[0]
        for part in chain[1:]:  # causes often repeat what wraps them
            if part not in message:
                message += f": {part}"
        return message
    parts = []
    for schema_error in schema_errors:
        where = "/".join(str(step) for step in schema_error.absolute_path)
        message = schema_error.message
        if len(message) > 160:
            message = f"breaks {schema_error.validator}={schema_error.validator_value!r}"
        parts.append(f"{where}: {message}" if where else message)
    subject = str(error) if hasattr(error, "location") else "Invalid body"  # a parameter names itself
    return f"{subject}: " + "; ".join(parts)
