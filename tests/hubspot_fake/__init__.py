"""A fake HubSpot for tests: real HTTP on loopback, HubSpot's documented behaviour, and
every request checked against the project's contract (hubspot-crm-subset.openapi.yaml).

Use the ``hubspot`` fixture (tests/conftest.py), or ``with FakeHubSpot() as hubspot:``.
Behaviour follows shared/hubspot-openapi/HUBSPOT_API_NOTES.md; comments cite its sections.
"""

from .server import ALL_SCOPES, DEFAULT_TOKEN, FakeHubSpot, LoggedRequest

__all__ = ["ALL_SCOPES", "DEFAULT_TOKEN", "FakeHubSpot", "LoggedRequest"]
