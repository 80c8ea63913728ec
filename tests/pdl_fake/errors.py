"""PDL's error bodies: ``{"status": <code>, "error": {"type": ..., "message": ...}}``.

Types and messages are the ones PDL's "Errors & Status Codes" page lists
(PDL_API_NOTES.md §4); the 5xx type is ``api_error`` whatever the code.
"""

from __future__ import annotations

from typing import Any

ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Request contained either missing or invalid parameters"),
    401: ("authentication_error", "Request contained a missing or invalid key"),
    402: ("payment_required", "You have hit your account maximum (all matches used)"),
    404: ("not_found", "No records were found matching your request"),
    405: ("invalid_request_error", "Request method is not allowed on the requested resource"),
    429: ("rate_limit_error", "An error occurred due to requests hitting the API too quick"),
}
SERVER_ERROR = ("api_error", ("The server encountered an unexpected condition which prevented it from "
                              "fulfilling the request"))


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """The body PDL sends with ``status``; ``message`` replaces the documented one (a 400 says
    which parameter is wrong)."""
    kind, documented = ERRORS.get(status) or (SERVER_ERROR if status >= 500 else ("invalid_request_error", "Error"))
    return {"status": status, "error": {"type": kind, "message": message or documented}}
