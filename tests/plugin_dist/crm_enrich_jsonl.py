"""A write-only, incremental connector: records from JSON-lines files, labels appended to a log.

It cannot read labels back, so crm-enrich diffs against the hashes it wrote last time;
it honours ``since`` by skipping records whose ``updated_at`` is not newer.
"""

import json
from datetime import datetime
from pathlib import Path

import click
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

import crm_enrich
from crm_enrich.columns import INPUTS
from crm_enrich.config import Secret


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    log: str
    token: Secret | None = None


class Writer:
    def __init__(self, path: Path, object_type: str):
        self.path, self.object_type, self.pending = path, object_type, []

    def write(self, changes):
        self.pending += [{"object": self.object_type, "id": i, **f} for i, f in changes.fields_by_record()]

    def commit(self):
        with open(self.path, "a", encoding="utf-8") as f:
            for entry in self.pending:
                f.write(json.dumps(entry) + "\n")

    def abort(self):
        self.pending = []


class JsonlConnector:
    name = "jsonl"
    Settings = Settings
    incremental = True

    def __init__(self, settings, context):
        self.source = context.resolve(settings.source)
        self.log = context.resolve(settings.log)

    def check(self):
        return [f"reading {self.source}"]

    def schema(self, object_type, outputs):
        rows = self._rows(object_type)
        names = sorted({k for r in rows for k in r}) if rows else ["id"]
        return pa.schema([INPUTS[object_type].field(n) for n in INPUTS[object_type].names if n in names])

    def read(self, object_type, *, outputs, batch_size, since=None):
        schema = self.schema(object_type, outputs)
        rows = [r for r in self._rows(object_type) if since is None or r.get("updated_at", since) > since]
        table = pa.Table.from_pylist(rows, schema=schema)
        yield from table.to_batches(max_chunksize=batch_size)

    def writer(self, object_type, fields):
        return Writer(self.log, object_type)

    def _rows(self, object_type):
        path = self.source / f"{object_type}.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for row in rows:
            if "updated_at" in row:
                row["updated_at"] = datetime.fromisoformat(row["updated_at"])
        return rows


@crm_enrich.hookimpl
def register_connectors(register):
    register(JsonlConnector)


@crm_enrich.hookimpl
def register_commands(cli):
    @cli.command(name="jsonl-hello")
    def hello():
        """Say hello from a third-party plugin."""
        click.echo("hello from crm-enrich-jsonl-example")
