"""A fake People Data Labs for tests: the Company Enrichment API (single and bulk) over
real HTTP on loopback, with PDL's documented behaviour (PDL_API_NOTES.md says what, with
sources, and where the fake had to assume), a credit balance, per-minute rate limits and
seeded faults.

``with FakePDL() as pdl:`` then ``pdl.seed([...])`` and point a client at ``pdl.url`` with
``X-Api-Key: pdl.api_key``; inspect ``pdl.requests``, ``pdl.count(...)``, ``pdl.credits_spent``.
"""

from .dataset import website_key
from .server import BULK, DEFAULT_API_KEY, ENRICH, FakePDL, LoggedRequest

__all__ = ["BULK", "DEFAULT_API_KEY", "ENRICH", "FakePDL", "LoggedRequest", "website_key"]
