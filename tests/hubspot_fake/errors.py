"""HubSpot's error bodies, one constructor per documented case (HUBSPOT_API_NOTES.md §1.5).

Every body has HubSpot's shape: ``status``, ``message``, ``correlationId``, ``category``
and, where HubSpot gives them, ``errors[]`` with ``code`` and ``context``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any


class HubSpotError(Exception):
    """An answer other than success: its status and HubSpot's body for it."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(f"{status}: {body.get('message')}")
        self.status = status
        self.body = body


def error_body(message: str, category: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    if category:
        body["category"] = category
    body.update({key: value for key, value in fields.items() if value is not None})
    return body


def validation_error(message: str, errors: list[dict] | None = None) -> HubSpotError:
    return HubSpotError(400, error_body(message, "VALIDATION_ERROR", errors=errors))


def object_not_found(record_id: str) -> HubSpotError:
    return HubSpotError(404, error_body(
        "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND", context={"id": [record_id]}))


def already_exists(message: str) -> HubSpotError:
    """409 on creating a property or group that exists (§1.5, community)."""
    return HubSpotError(409, error_body(message, "OBJECT_ALREADY_EXISTS"))


@dataclass(frozen=True)
class ValueProblem:
    """One property value HubSpot refuses, with HubSpot's code for it."""

    name: str
    code: str  # PROPERTY_DOESNT_EXIST, READ_ONLY_VALUE, INVALID_OPTION, INVALID_INTEGER, ...
    message: str


def invalid_values(problems: list[ValueProblem]) -> HubSpotError:
    """The whole request fails: ``message`` embeds a JSON list of per-value verdicts (§1.5)."""
    verdicts = [{"isValid": False, "message": p.message, "error": p.code, "name": p.name,
                 "localizedErrorMessage": p.message} for p in problems]
    details = [{"message": p.message, "code": p.code, "context": {"propertyName": [p.name]}} for p in problems]
    return validation_error(f"Property values were not valid: {json.dumps(verdicts)}", details)


def unauthenticated() -> HubSpotError:
    return HubSpotError(401, error_body(
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
        "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        "INVALID_AUTHENTICATION"))


def missing_scope(scope: str) -> HubSpotError:
    """403 naming the scope in ``errors[].context.requiredGranularScopes`` (§1.1)."""
    return HubSpotError(403, error_body(
        "This app hasn't been granted all required scopes to make this call. Read more about required "
        "scopes here: https://developers.hubspot.com/scopes.", "MISSING_SCOPES",
        errors=[{"message": "One or more of the following scopes are required.",
                 "context": {"requiredGranularScopes": [scope]}}],
        links={"scopes": "https://developers.hubspot.com/scopes"}))


# policyName -> (message, limit group); the 429 body of §1.4.
RATE_LIMIT_POLICIES = {
    "TEN_SECONDLY_ROLLING": ("You have reached your ten_secondly_rolling limit.", "api-calls-ten-secondly"),
    "DAILY": ("You have reached your daily limit.", "api-calls-daily"),
    # Search's own 5/s limit: the message is documented, the policy name is not.
    "SECONDLY": ("You have reached your secondly limit.", "search-secondly"),
}


def rate_limited(policy: str, portal_id: int) -> HubSpotError:
    message, group = RATE_LIMIT_POLICIES[policy]
    return HubSpotError(429, {
        "status": "error", "message": message, "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()), "policyName": policy,
        "groupName": f"publicapi:private-app-{group}:{portal_id}",
    })


def server_error(status: int) -> HubSpotError:
    """An injected 5xx; HubSpot's own are sometimes Cloudflare pages, but the contract says JSON."""
    return HubSpotError(status, error_body(f"Injected server error {status}.", "INTERNAL_ERROR"))
