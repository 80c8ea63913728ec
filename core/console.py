"""Progress and log output: a bar on a terminal, plain lines when piped, JSON with ``--json``."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

PLAIN_EVERY = 10.0  # seconds between progress lines when not on a terminal
BAR_EVERY = 0.1


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class _Progress:
    """Counts records of the current stage and decides when to show them."""

    def __init__(self, stream: TextIO, every: float):
        self.stream = stream
        self.every = every
        self.object_type = ""
        self.total: int | None = None
        self.done = 0
        self.started = 0.0
        self.shown = 0.0

    def start(self, object_type: str, total: int | None) -> None:
        self.object_type, self.total, self.done = object_type, total, 0
        self.started = self.shown = time.monotonic()

    def advance(self, records: int) -> None:
        self.done += records
        now = time.monotonic()
        if now - self.shown >= self.every:
            self.shown = now
            self.show(now)

    def rate(self, now: float) -> float:
        return self.done / max(now - self.started, 1e-9)

    def show(self, now: float) -> None:
        raise NotImplementedError


class BarReporter(_Progress):
    """A single redrawn line on a terminal (stderr)."""

    def __init__(self, stream: TextIO = sys.stderr):
        super().__init__(stream, BAR_EVERY)

    def show(self, now: float) -> None:
        if self.total:
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * 30)
            text = f"{self.object_type:<9} [{bar:<30}] {self.done:>10,}/{self.total:,}"
        else:
            text = f"{self.object_type:<9} {self.done:>10,} records"
        self.stream.write(f"\r{text}  {self.rate(now):>9,.0f}/s ")
        self.stream.flush()

    def finish(self) -> None:
        self.show(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def event(self, name: str, **fields: Any) -> None:
        pass  # quarantines and figures are in the summary; a line each would break the bar


class PlainReporter(_Progress):
    """One line every few seconds and per stage: for pipes, log files and cron mail."""

    def __init__(self, stream: TextIO = sys.stderr):
        super().__init__(stream, PLAIN_EVERY)

    def show(self, now: float) -> None:
        of = f"/{self.total:,}" if self.total else ""
        print(f"{self.object_type}: {self.done:,}{of} records read ({self.rate(now):,.0f}/s)", file=self.stream, flush=True)

    def finish(self) -> None:
        self.show(time.monotonic())

    def event(self, name: str, **fields: Any) -> None:
        pass


class JsonReporter(_Progress):
    """One JSON object per line on stdout: ``{"ts", "event", ...}``."""

    def __init__(self, stream: TextIO = sys.stdout):
        super().__init__(stream, PLAIN_EVERY)

    def event(self, name: str, **fields: Any) -> None:
        print(json.dumps({"ts": _stamp(), "event": name, **fields}, default=str), file=self.stream, flush=True)

    def show(self, now: float) -> None:
        self.event("progress", object_type=self.object_type, records=self.done, total=self.total,
                   per_second=round(self.rate(now)))

    def finish(self) -> None:
        self.show(time.monotonic())


def reporter_for(json_logs: bool, stream: TextIO = sys.stderr):
    if json_logs:
        return JsonReporter()
    return BarReporter(stream) if stream.isatty() else PlainReporter(stream)


def table(rows: list[list[Any]], header: list[str]) -> str:
    """Left-aligned text columns, numbers right-aligned."""
    cells = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) and rows for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        parts = [c.rjust(w) if numeric[i] and n else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
