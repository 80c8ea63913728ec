"""The state store: what persists between runs, in one embedded SQLite file.

Runs and their figures, watermarks, per-record hashes of written values (for connectors
that cannot read their labels back), each contact's company and roll-up labels (so an
incremental run can roll up contacts it did not read), paid providers' answers (the
enrichment cache, misses included), who filled each enriched field, and quarantined
records with their reasons. The engine owns it: connectors never see it, and it saves a watermark only after the write
it covers has succeeded.

One run at a time per store: :meth:`StateStore.lock` takes an exclusive ``flock`` on a
file beside the database, which the operating system releases if the process dies, so a
crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from .errors import LockedError
from .protocols import Quarantined

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,              -- running | ok | failed | interrupted
    connector TEXT NOT NULL,
    config_fingerprint TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    figures TEXT,                      -- JSON: per object type read/changed/written/...
    error TEXT
);
CREATE TABLE IF NOT EXISTS watermarks (
    connector TEXT NOT NULL,
    object_type TEXT NOT NULL,
    value TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    PRIMARY KEY (connector, object_type)
);
CREATE TABLE IF NOT EXISTS written (
    connector TEXT NOT NULL,
    object_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (connector, object_type, record_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (   -- each contact's company and roll-up labels (JSON)
    connector TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    company_id TEXT,
    labels TEXT NOT NULL,
    PRIMARY KEY (connector, contact_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lookups (   -- paid providers' answers; found = 0 is a cached miss
    provider TEXT NOT NULL,
    key TEXT NOT NULL,
    found INTEGER NOT NULL,
    answer TEXT,                       -- JSON: the fields and confidence
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (provider, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS provenance (   -- who filled each enriched field that was written
    connector TEXT NOT NULL,
    object_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    provider TEXT NOT NULL,
    confidence REAL,
    fetched_at TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (connector, object_type, record_id, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    object_type TEXT NOT NULL,
    record_id TEXT,
    plugin TEXT,
    stage TEXT,
    field TEXT,
    source TEXT,
    line INTEGER,
    reason TEXT NOT NULL,
    raw TEXT
);
CREATE INDEX IF NOT EXISTS quarantine_run ON quarantine(run_id);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row["value"]) > SCHEMA_VERSION:
            raise RuntimeError(
                f"state store {self.path} was written by a newer crm-enrich "
                f"(schema {row['value']}); upgrade crm-enrich"
            )

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- the lock -------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store exclusively for one run; raise :class:`LockedError` if taken."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
                raise LockedError(
                    f"another run holds the state store {self.path} ({holder}); "
                    "it will be free when that run ends"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {_now()}".encode(), 0)
            with self._transaction() as db:
                # Runs still marked running were killed: we now hold the lock, so none is alive.
                db.execute(
                    "UPDATE runs SET status='interrupted', finished_at=? WHERE status='running'",
                    (_now(),),
                )
            yield
        finally:
            os.close(fd)  # closing releases the flock

    # -- runs -----------------------------------------------------------------------

    def start_run(self, connector: str, fingerprint: str, dry_run: bool) -> int:
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (started_at, status, connector, config_fingerprint, dry_run)"
                " VALUES (?, 'running', ?, ?, ?)",
                (_now(), connector, fingerprint, int(dry_run)),
            )
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, figures: dict, error: str | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, status=?, figures=?, error=? WHERE id=?",
                (_now(), status, json.dumps(figures), error, run_id),
            )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT r.*, (SELECT COUNT(*) FROM quarantine q WHERE q.run_id = r.id) AS quarantined"
            " FROM runs r ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["figures"] = json.loads(item["figures"]) if item["figures"] else {}
            item["dry_run"] = bool(item["dry_run"])
            out.append(item)
        return out

    def last_fingerprint(self, connector: str) -> str | None:
        """The configuration of the last successful (non-dry) run, to notice a change."""
        row = self._db.execute(
            "SELECT config_fingerprint FROM runs WHERE status='ok' AND dry_run=0 AND connector=?"
            " ORDER BY id DESC LIMIT 1",
            (connector,),
        ).fetchone()
        return row["config_fingerprint"] if row else None

    # -- watermarks -----------------------------------------------------------------

    def watermark(self, connector: str, object_type: str) -> datetime | None:
        row = self._db.execute(
            "SELECT value FROM watermarks WHERE connector=? AND object_type=?",
            (connector, object_type),
        ).fetchone()
        return datetime.fromisoformat(row["value"]) if row else None

    def save_watermark(
        self, connector: str, object_type: str, value: datetime, run_id: int
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO watermarks VALUES (?, ?, ?, ?) ON CONFLICT (connector, object_type)"
                " DO UPDATE SET value=excluded.value, run_id=excluded.run_id",
                (connector, object_type, value.isoformat(), run_id),
            )

    # -- written hashes -------------------------------------------------------------

    def written_hashes(self, connector: str, object_type: str) -> pl.DataFrame:
        """``id, hash`` of what was last written, for connectors that cannot read labels back.

        Loaded once per run and object type, then joined batch by batch.
        """
        rows = self._db.execute(
            "SELECT record_id, hash FROM written WHERE connector=? AND object_type=?",
            (connector, object_type),
        ).fetchall()
        return pl.DataFrame(
            [tuple(r) for r in rows], schema={"id": pl.String, "_prior": pl.String}, orient="row"
        )

    def save_written(
        self, connector: str, object_type: str, hashes: Iterable[tuple[str, str]], run_id: int
    ) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO written VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (connector, object_type, record_id)"
                " DO UPDATE SET hash=excluded.hash, run_id=excluded.run_id",
                ((connector, object_type, rid, h, run_id) for rid, h in hashes),
            )

    # -- members: contacts by company, for roll-ups -----------------------------------

    def members(self, connector: str, types: dict[str, pl.DataType]) -> pl.DataFrame:
        """``id, company_id`` and the roll-up labels (``types``) of every contact known."""
        rows = self._db.execute(
            "SELECT contact_id, company_id, labels FROM members WHERE connector=?", (connector,)
        ).fetchall()
        raw = pl.DataFrame(
            [tuple(r) for r in rows],
            schema={"id": pl.String, "company_id": pl.String, "labels": pl.String}, orient="row",
        )
        return raw.select(
            "id", "company_id", pl.col("labels").str.json_decode(pl.Struct(types)).struct.unnest()
        )

    def save_members(self, connector: str, members: pl.DataFrame, *, replace: bool) -> None:
        """Upsert contacts read this run; ``replace`` (a full read) forgets the others."""
        labels = [c for c in members.columns if c not in ("id", "company_id")]
        rows = members.select("id", "company_id", pl.struct(labels).struct.json_encode().alias("labels"))
        with self._transaction() as db:
            if replace:
                db.execute("DELETE FROM members WHERE connector=?", (connector,))
            db.executemany(
                "INSERT INTO members VALUES (?, ?, ?, ?) ON CONFLICT (connector, contact_id)"
                " DO UPDATE SET company_id=excluded.company_id, labels=excluded.labels",
                ((connector, *row) for row in rows.iter_rows()),
            )

    # -- enrichment cache and provenance ----------------------------------------------

    def cached_answers(
        self, provider: str, keys: list[str], found_after: str, missed_after: str
    ) -> list[tuple[str, bool, str | None, str]]:
        """``(key, found, answer, fetched_at)`` of the keys with a fresh cached answer."""
        rows = self._db.execute(
            "SELECT key, found, answer, fetched_at FROM lookups WHERE provider=?"
            " AND key IN (SELECT value FROM json_each(?))"
            " AND fetched_at > CASE WHEN found THEN ? ELSE ? END",
            (provider, json.dumps(keys), found_after, missed_after),
        ).fetchall()
        return [(r["key"], bool(r["found"]), r["answer"], r["fetched_at"]) for r in rows]

    def save_answers(self, provider: str, rows: Iterable[tuple[str, bool, str | None, str]]) -> None:
        """Cache answers the moment they arrive: a key paid for is never paid for again."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO lookups VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, key)"
                " DO UPDATE SET found=excluded.found, answer=excluded.answer, fetched_at=excluded.fetched_at",
                ((provider, key, int(found), answer, at) for key, found, answer, at in rows),
            )

    def save_provenance(self, connector: str, object_type: str, rows: pl.DataFrame, run_id: int) -> None:
        """``id, field, provider, confidence, at`` of the enriched values just written."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (connector, object_type, record_id, field) DO UPDATE SET"
                " provider=excluded.provider, confidence=excluded.confidence,"
                " fetched_at=excluded.fetched_at, run_id=excluded.run_id",
                ((connector, object_type, rid, f, p, c, at, run_id) for rid, f, p, c, at in rows.iter_rows()),
            )

    def provenance(self, connector: str, object_type: str, record_id: str) -> dict[str, dict[str, Any]]:
        """Who filled each enriched field of one record: ``{field: {provider, confidence, ...}}``."""
        rows = self._db.execute(
            "SELECT field, provider, confidence, fetched_at, run_id FROM provenance"
            " WHERE connector=? AND object_type=? AND record_id=?",
            (connector, object_type, record_id),
        ).fetchall()
        return {r["field"]: {k: r[k] for k in ("provider", "confidence", "fetched_at", "run_id")} for r in rows}

    # -- quarantine -----------------------------------------------------------------

    def save_quarantine(self, run_id: int, items: Iterable[Quarantined]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO quarantine (run_id, object_type, record_id, plugin, stage, field,"
                " source, line, reason, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (run_id, q.object_type, q.record_id, q.plugin, q.stage, q.field,
                     q.source, q.line, q.reason, q.raw)
                    for q in items
                ),
            )

    def quarantine(self, run_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT * FROM quarantine WHERE run_id=? ORDER BY id", (run_id,)
        ).fetchall()
        return [dict(r) for r in rows]

    def last_run_id(self) -> int | None:
        row = self._db.execute("SELECT MAX(id) AS id FROM runs").fetchone()
        return row["id"]
