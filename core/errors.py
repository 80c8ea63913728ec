"""Errors, grouped by what the caller should do about them; each carries its exit code.

Messages name the plugin, file, record and field involved and the next step. They never
contain a secret: settings hold secrets as :class:`crm_enrich.config.Secret`, whose text
form is masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Exit codes of the ``enrich`` command (documented in the README).
EXIT_INTERNAL = 1
EXIT_CONFIG = 2
EXIT_SOURCE = 3
EXIT_PLUGIN = 4
EXIT_QUARANTINED = 5
EXIT_QUOTA = 6  # the CRM's daily API allowance is spent: run again after it resets
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron may simply try again later


class EnrichError(Exception):
    """Base of every error crm-enrich reports to the user (rather than as a traceback)."""

    exit_code = EXIT_INTERNAL


class ConfigError(EnrichError):
    """The configuration is wrong; nothing ran. Lists every problem at once."""

    exit_code = EXIT_CONFIG

    def __init__(self, problems: Sequence[str], source: str = "plugins.toml"):
        self.problems = list(problems)
        self.source = source
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines = [f"{source}: {len(self.problems)} {noun}:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SourceError(EnrichError):
    """A connector could not read or write its source (missing file, unreachable CRM).

    Fatal for this run; nothing was checkpointed, so the next run starts from the same
    place once the cause is fixed.
    """

    exit_code = EXIT_SOURCE


class PluginError(EnrichError):
    """A plugin raised or broke its contract while processing records."""

    exit_code = EXIT_PLUGIN

    def __init__(self, plugin: str, stage: str, message: str, record_ids: Sequence[str] = ()):
        self.plugin = plugin
        self.stage = stage
        self.record_ids = list(record_ids)
        ids = ""
        if self.record_ids:
            shown = ", ".join(self.record_ids[:10])
            more = f" and {len(self.record_ids) - 10} more" if len(self.record_ids) > 10 else ""
            ids = f" (records {shown}{more})"
        super().__init__(f"plugin {plugin!r} failed in stage {stage}{ids}: {message}")


class QuotaExhausted(SourceError):
    """The source's daily API allowance is used up. What was written stays written and
    checkpointed; the next run (after the vendor's reset) resumes from there."""

    exit_code = EXIT_QUOTA


class ProviderExhausted(EnrichError):
    """A data provider's allowance (credits, quota) is spent. The run goes on without it:
    what it answered is kept, the records it was not asked for keep their blanks.

    ``answered`` holds what the provider answered (and was charged for) in the lookup it
    stopped in, shaped like ``lookup``'s result, so it is cached rather than paid again.
    """

    exit_code = EXIT_SOURCE

    def __init__(self, message: str, answered: Any = None):
        super().__init__(message)
        self.answered = answered


class LockedError(EnrichError):
    """Another run holds the state store's lock."""

    exit_code = EXIT_LOCKED
