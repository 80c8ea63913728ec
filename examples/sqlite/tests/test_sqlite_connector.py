"""The ``sqlite`` connector against real SQLite files built in ``tmp_path``.

Most tests run the real ``enrich`` command in a subprocess, with only the plugins they
need loaded (``CRM_ENRICH_PLUGINS``), and read the database back with :mod:`sqlite3`;
the rest drive :class:`crm_enrich_sqlite.SqliteConnector` directly, the way the engine
does (``schema``, ``read``, ``writer`` then ``write`` per batch, ``commit`` or ``abort``).

Run from the repository root once the package is installed::

    pip install --no-deps -e examples/sqlite
    pytest examples/sqlite/tests
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from crm_enrich.config import load_config
from crm_enrich.errors import ConfigError, SourceError
from crm_enrich.protocols import ChangeSet, Field, PluginContext, Quarantined
from crm_enrich.registry import load_registry
from crm_enrich_sqlite import Settings, SqliteConnector

PLUGINS = "files,icp,employee_band,job_title,persona,sqlite"

# The ICP of crm-enrich's own test suite (tests/conftest.py).
ICP = """
[plugins.icp.tiers]
A = 80
B = 60
C = 40

[[plugins.icp.criteria]]
name = "industry"
column = "industry"
in = ["COMPUTER_SOFTWARE", "INTERNET"]
weight = 40

[[plugins.icp.criteria]]
name = "size"
column = "employees"
min = 50
max = 5000
weight = 30

[[plugins.icp.criteria]]
name = "country"
column = "country"
in = ["US", "DE"]
weight = 20

[[plugins.icp.criteria]]
name = "stack"
column = "technologies"
includes_any = ["salesforce", "hubspot"]
weight = 10

[[plugins.icp.disqualifiers]]
name = "competitor"
column = "domain"
in = ["rival.com"]
"""

LABELLING = 'connector = "sqlite"\nenrichers = ["employee_band", "job_title"]\nscorers = ["icp", "persona"]\n'
ICP_ONLY = 'connector = "sqlite"\nenrichers = ["employee_band"]\nscorers = ["icp"]\n'

# A CRM copy as teams keep one: employees as TEXT (as an import leaves it), contact ids as
# INTEGER PRIMARY KEY, modified times in the forms SQLite data comes in.
COMPANY_TABLE = (
    "CREATE TABLE companies (id TEXT PRIMARY KEY, name TEXT, domain TEXT, industry TEXT, employees TEXT, "
    "annual_revenue REAL, country TEXT, technologies TEXT, modified_at TEXT)"
)
CONTACT_TABLE = (
    "CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT, "
    "job_title TEXT, company_id TEXT, modified_at)"
)
COMPANIES = [
    ("c1", "Acme Software", "acme.com", "COMPUTER_SOFTWARE", "250", 20_000_000, "US", "salesforce;aws",
     "2024-05-01 10:00:00"),
    ("c2", "Tiny Shop", "tinyshop.de", "RETAIL", "4", None, "DE", None, "2024-05-01T10:00:01Z"),
    ("c3", "Mystery Co", "mystery.io", None, None, None, None, None, "2024-05-01 10:00:02"),
    ("c4", "Rival Inc", "rival.com", "COMPUTER_SOFTWARE", "300", None, "US", '["hubspot"]', 1714557603),
    ("c5", "Netz GmbH", "netz.de", "INTERNET", "12000", None, "DE", "hubspot", "2024-05-01 12:00:04+02:00"),
]
CONTACTS = [
    (1, "ana@acme.com", "Ana", "Lopez", "VP Engineering", "c1", "2024-05-01 10:00:00"),
    (2, "bo@tinyshop.de", "Bo", "Berg", "Owner", "c2", "2024-05-01 10:00:00"),
    (3, "cy@acme.com", "Cy", "Chen", "Engineer", None, "2024-05-01 10:00:00"),  # linked by email domain
    (4, "di@gmail.com", "Di", "Diaz", "Consultant", None, 1714557600000),  # a Unix time in milliseconds
]
# employee_band, icp_score, icp_tier of each company under ICP
COMPANY_LABELS = {
    "c1": ("201-500", 100, "A"),
    "c2": ("2-10", 20, "D"),
    "c3": (None, 0, "D"),
    "c4": ("201-500", 100, "D"),  # a competitor: disqualified
    "c5": ("10001+", 70, "B"),
}
# seniority, icp_tier (inherited), persona, priority of each contact
CONTACT_LABELS = {
    1: ("vp", "A", "executive_sponsor", "P1"),
    2: ("owner", "D", "economic_buyer", "P4"),
    3: ("entry", "A", "technical_evaluator", "P2"),
    4: ("entry", None, "other", "P5"),
}


def build_db(path: Path, companies=COMPANIES, contacts=CONTACTS) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute(COMPANY_TABLE)
        conn.execute(CONTACT_TABLE)
        conn.executemany("INSERT INTO companies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", companies)
        conn.executemany("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?)", contacts)
    conn.close()
    return path


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def query(path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def execute(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def dump(path: Path) -> dict[str, object]:
    """Every table's schema and rows (in rowid order): what 'as it was' means."""
    conn = sqlite3.connect(path)
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        tables = [n for t, n, _ in schema if t == "table"]
        rows = {n: conn.execute(f"SELECT * FROM {q(n)} ORDER BY rowid").fetchall() for n in tables}
        return {"schema": schema, "rows": rows}
    finally:
        conn.close()


def rows_by_id(path: Path, table: str, *names: str) -> dict:
    cols = ", ".join(q(n) for n in names)
    return {r[0]: r[1:] for r in query(path, f"SELECT id, {cols} FROM {q(table)}")}


@dataclass
class Project:
    """A folder with crm.db, a plugins.toml and a state store."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "crm.db"

    def configure(self, sqlite: str = "", head: str = LABELLING) -> None:
        (self.root / "plugins.toml").write_text(
            f'{head}\n[plugins.sqlite]\npath = "crm.db"\n{sqlite}\n{ICP}'
        )

    def enrich(self, *args: str) -> subprocess.CompletedProcess:
        """Run the real ``enrich`` command in this folder."""
        return subprocess.run(
            [sys.executable, "-c", "from crm_enrich.cli import main; main()", *args],
            cwd=self.root, capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "CRM_ENRICH_PLUGINS": PLUGINS},
        )

    def sync(self, *args: str) -> dict:
        """``enrich --json sync``: the run's figures per object type."""
        result = self.enrich("--json", "sync", *args)
        assert result.returncode == 0, f"enrich sync exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        return json.loads(result.stdout.splitlines()[-1])["figures"]

    def quarantined(self) -> list[dict]:
        result = self.enrich("--json", "quarantine")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(tmp_path)
    build_db(p.db)
    p.configure()
    return p


def figures(run: dict, object_type: str) -> tuple[int, int, int, int]:
    """read, quarantined, changed, written."""
    f = run[object_type]
    return f["read"], f["quarantined"], f["changed"], f["written"]


# -- through the enrich command ----------------------------------------------------------------


def test_a_full_sync_labels_every_record_and_a_second_writes_nothing(project):
    crm_columns = "SELECT id, name, domain, industry, employees, annual_revenue, country, technologies, modified_at " \
        "FROM companies ORDER BY rowid"
    crm = query(project.db, crm_columns)
    run = project.sync()
    assert figures(run, "companies") == (5, 0, 5, 5)
    assert figures(run, "contacts") == (4, 0, 4, 4)
    assert rows_by_id(project.db, "companies", "employee_band", "icp_score", "icp_tier") == COMPANY_LABELS
    assert rows_by_id(project.db, "contacts", "seniority", "icp_tier", "persona", "priority") == CONTACT_LABELS
    # the label columns were added once, typed; the CRM's own columns are as they were
    columns = {n: t for _, n, t, *_ in query(project.db, "PRAGMA table_info(companies)")}
    assert columns["icp_score"] == "INTEGER" and columns["icp_tier"] == "TEXT"
    assert query(project.db, crm_columns) == crm
    # multi-value labels (the buying committee) as ;-joined text
    present = dict(query(project.db, "SELECT id, committee_present FROM companies"))
    assert present["c1"] == "executive_sponsor;technical_evaluator"

    before = project.db.read_bytes()
    again = project.sync()
    assert figures(again, "companies") == (5, 0, 0, 0)
    assert figures(again, "contacts") == (4, 0, 0, 0)
    assert project.db.read_bytes() == before  # not a page rewritten


def test_only_the_changed_fields_of_changed_records_are_written(project):
    project.sync()
    labels = {
        "companies": ["employee_band", "icp_score", "icp_tier", "icp_reasons", "committee_present", "committee_missing"],
        "contacts": ["seniority", "department", "title_reasons", "icp_tier", "persona", "persona_reasons", "priority"],
    }
    # an audit trigger per label column: fires only when an UPDATE sets that column
    execute(project.db, "CREATE TABLE audit (object TEXT, id TEXT, field TEXT)", *(
        f"CREATE TRIGGER audit_{table}_{column} AFTER UPDATE OF {column} ON {table} "
        f"BEGIN INSERT INTO audit VALUES ('{table}', NEW.id, '{column}'); END"
        for table, names in labels.items() for column in names
    ))
    execute(project.db, "UPDATE companies SET industry = 'COMPUTER_SOFTWARE' WHERE id = 'c2'")
    before = dump(project.db)

    run = project.sync()

    assert figures(run, "companies") == (5, 0, 1, 1)
    assert figures(run, "contacts") == (4, 0, 1, 1)  # c2's contact inherits its new tier
    changed = {t: {n for n, count in run[t]["fields"].items() if count} for t in labels}
    assert changed == {"companies": {"icp_score", "icp_tier", "icp_reasons"}, "contacts": {"icp_tier", "priority"}}
    audit = set(query(project.db, "SELECT object, id, field FROM audit"))
    assert audit == {("companies", "c2", f) for f in changed["companies"]} | {
        ("contacts", "2", f) for f in changed["contacts"]
    }
    assert query(project.db, "SELECT icp_score, icp_tier FROM companies WHERE id = 'c2'") == [(60, "B")]
    after = dump(project.db)
    assert after["schema"] == before["schema"]
    for table in ("companies", "contacts"):  # every other row exactly as it was
        old = [r for r in before["rows"][table] if r[0] not in ("c2", 2)]
        assert [r for r in after["rows"][table] if r[0] not in ("c2", 2)] == old


def test_incremental_reads_only_the_contacts_modified_since(project):
    project.configure('[plugins.sqlite.companies]\nupdated_at = "modified_at"\n'
                      '[plugins.sqlite.contacts]\nupdated_at = "modified_at"\n')
    first = project.sync()
    assert first["contacts"]["read"] == 4
    assert project.sync()["contacts"]["read"] == 0  # nothing modified since

    # c2 becomes a B account: its contact is read (read_related) and relabelled, though
    # it was not modified itself
    execute(project.db, "UPDATE companies SET industry = 'INTERNET' WHERE id = 'c2'")
    second = project.sync()
    assert figures(second, "contacts") == (1, 0, 1, 1)
    assert figures(second, "companies")[0] == 5  # companies are always read whole
    assert query(project.db, "SELECT icp_tier FROM contacts WHERE id = 2") == [("B",)]

    # contact 4 modified (a new title): only it is read
    execute(project.db, "UPDATE contacts SET job_title = 'Head of Sales', modified_at = '2024-06-01 09:00:00' "
                        "WHERE id = 4")
    third = project.sync()
    assert figures(third, "contacts") == (1, 0, 1, 1)
    assert query(project.db, "SELECT seniority, department FROM contacts WHERE id = 4") == [("head", "sales")]

    assert project.sync()["contacts"]["read"] == 0


def test_relabelling_older_related_contacts_never_moves_the_watermark_back(project):
    project.configure('[plugins.sqlite.contacts]\nupdated_at = "modified_at"\n')
    project.sync()
    execute(project.db, "UPDATE contacts SET job_title = 'Head of Sales', modified_at = '2024-06-01 09:00:00' "
                        "WHERE id = 4")
    assert project.sync()["contacts"]["read"] == 1  # the watermark is now contact 4's time
    execute(project.db, "UPDATE companies SET industry = 'INTERNET' WHERE id = 'c2'")
    assert project.sync()["contacts"]["read"] == 1  # c2's older contact, relabelled as related
    assert project.sync()["contacts"]["read"] == 0  # and contact 4 is not read again


def test_a_value_that_does_not_parse_is_quarantined_and_the_rest_labelled(project):
    execute(project.db, "UPDATE companies SET employees = 'about 200' WHERE id = 'c3'")
    before = query(project.db, "SELECT * FROM companies WHERE id = 'c3'")

    run = project.sync()

    assert figures(run, "companies") == (5, 1, 4, 4)  # read counts the quarantined row too
    [entry] = [q for q in project.quarantined() if q["object_type"] == "companies"]
    assert entry["record_id"] == "c3" and entry["field"] == "employees" and entry["stage"] == "read"
    assert entry["plugin"] == "sqlite" and entry["raw"] == "about 200"
    assert entry["reason"] == "companies.employees = 'about 200' is not a whole number (rowid 3)"
    tiers = dict(query(project.db, "SELECT id, icp_tier FROM companies"))
    assert tiers == {"c1": "A", "c2": "D", "c3": None, "c4": "D", "c5": "B"}
    assert query(project.db, "SELECT id, name, domain, industry, employees, annual_revenue, country, technologies, "
                             "modified_at FROM companies WHERE id = 'c3'") == before


def test_a_failure_part_way_through_the_write_rolls_everything_back(project):
    project.configure(head=ICP_ONLY)
    # batches of 2: (c1, c2) are written, then the trigger fails the database on c4
    execute(project.db, "CREATE TRIGGER boom BEFORE UPDATE ON companies WHEN NEW.id = 'c4' "
                        "BEGIN SELECT json('not json'); END")
    before = dump(project.db)
    before_bytes = project.db.read_bytes()

    result = project.enrich("sync", "--batch-size", "2")

    assert result.returncode == 3, result.stdout + result.stderr  # SourceError
    assert "record 'c4'" in result.stderr and "malformed JSON" in result.stderr
    assert dump(project.db) == before  # no label column, no label: the table as it was
    assert project.db.read_bytes() == before_bytes

    execute(project.db, "DROP TRIGGER boom")
    run = project.sync("--batch-size", "2")
    assert figures(run, "companies") == (5, 0, 5, 5)


def test_label_table_mode_leaves_the_crm_tables_as_they_were(project):
    project.configure('labels = "table"')
    before = dump(project.db)

    run = project.sync()

    assert figures(run, "companies") == (5, 0, 5, 5)
    after = dump(project.db)
    for table in ("companies", "contacts"):
        assert after["rows"][table] == before["rows"][table]
    crm = [s for s in after["schema"] if "_labels" not in s[1]]
    assert crm == before["schema"]
    assert rows_by_id(project.db, "companies_labels", "employee_band", "icp_score", "icp_tier") == COMPANY_LABELS
    assert rows_by_id(project.db, "contacts_labels", "seniority", "icp_tier", "persona", "priority") == {
        str(k): v for k, v in CONTACT_LABELS.items()
    }
    again = project.sync()
    assert figures(again, "companies") == (5, 0, 0, 0) and figures(again, "contacts") == (4, 0, 0, 0)


def test_check_names_the_tables_with_their_counts_and_problems(project):
    project.configure('labels = "table"\n[plugins.sqlite.contacts]\nupdated_at = "modified_at"\n')
    result = project.enrich("check")
    assert result.returncode == 0, result.stderr
    assert "companies: table 'companies', 5 rows, 8 of 16 canonical columns mapped" in result.stdout
    assert "contacts: table 'contacts', 4 rows, 7 of 11 canonical columns mapped, incremental on 'modified_at'" \
        in result.stdout
    assert "companies: labels go to table 'companies_labels' (created by the first write)" in result.stdout

    project.configure('[plugins.sqlite.companies]\ntable = "accounts"\n')
    result = project.enrich("check")
    assert result.returncode == 3  # SourceError: the source is not as configured
    assert "has no table or view 'accounts' (plugins.sqlite.companies.table); it has: companies, contacts" \
        in result.stderr and str(project.db) in result.stderr

    project.configure('[plugins.sqlite.companies.columns]\nemployees = "headcount"\n')
    result = project.enrich("check")
    assert result.returncode == 2  # ConfigError, with the key path and the table's columns
    assert ("plugins.sqlite.companies.columns.employees: 'headcount' is not a column of table 'companies' in "
            "crm.db (its columns: id, name, domain, industry, employees, annual_revenue, country, technologies, "
            "modified_at)") in result.stderr


@pytest.mark.parametrize("labels", ["columns", "table"])
def test_names_that_need_quoting_work(tmp_path, labels):
    p = Project(tmp_path)
    table = 'Firmen "GmbH"; DROP TABLE people; --'
    with sqlite3.connect(p.db) as conn:
        conn.execute('CREATE TABLE "Firmen ""GmbH""; DROP TABLE people; --" '
                     '(id TEXT, "weird ""name""" TEXT, domain TEXT, industry TEXT, "Mitarbeiter (Anzahl)" INTEGER)')
        conn.execute("CREATE TABLE people (id TEXT, email TEXT, job_title TEXT, company_id TEXT)")
        conn.executemany('INSERT INTO "Firmen ""GmbH""; DROP TABLE people; --" VALUES (?, ?, ?, ?, ?)', [
            ("c1", "Acme Software", "acme.com", "COMPUTER_SOFTWARE", 250), ("c2", "Tiny Shop", "tinyshop.de", "RETAIL", 4),
        ])
        conn.execute("INSERT INTO people VALUES ('p1', 'ana@acme.com', 'VP Engineering', 'c1')")
    conn.close()
    table_toml = table.replace('"', '\\"')
    p.configure(
        f'labels = "{labels}"\n[plugins.sqlite.companies]\ntable = "{table_toml}"\n'
        '[plugins.sqlite.companies.columns]\nname = "weird \\"name\\""\nemployees = "Mitarbeiter (Anzahl)"\n'
        '[plugins.sqlite.contacts]\ntable = "people"\n'
    )
    run = p.sync()
    assert figures(run, "companies") == (2, 0, 2, 2) and figures(run, "contacts") == (1, 0, 1, 1)
    holder = table if labels == "columns" else table + "_labels"
    assert rows_by_id(p.db, holder, "icp_tier") == {"c1": ("B",), "c2": ("D",)}  # no country: 70
    people = "people" if labels == "columns" else "people_labels"
    assert rows_by_id(p.db, people, "persona") == {"p1": ("executive_sponsor",)}
    assert p.sync()["companies"]["changed"] == 0


# -- the connector class, as the engine drives it ------------------------------------------------

OUTPUTS = {
    "tier": Field(pa.string(), "a tier", options=("A", "B", "C", "D")),
    "score": Field(pa.int64(), "a score"),
    "roles": Field(pa.string(), "several roles", options=("x", "y", "z"), multiple=True),
    "tags": Field(pa.list_(pa.string()), "a list"),
}


def connect(path: Path, quarantined: list, **settings) -> SqliteConnector:
    context = PluginContext(path.parent, quarantined.append)
    return SqliteConnector(Settings.model_validate({"path": path.name, **settings}), context)


def changes(object_type: str, rows: dict[str, dict], changed: dict[str, tuple[str, ...]] | None = None) -> ChangeSet:
    """A change set like the engine's: new values of every output, flags for the changed ones."""
    ids = list(rows)
    table = pa.table({"id": pa.array(ids, pa.string()),
                      **{n: pa.array([rows[i].get(n) for i in ids], f.type) for n, f in OUTPUTS.items()}})
    flags = pa.table({n: pa.array([n in (changed or {}).get(i, rows[i]) for i in ids], pa.bool_()) for n in OUTPUTS})
    return ChangeSet(object_type, table, flags)


def read_all(connector: SqliteConnector, object_type: str, batch_size: int = 2, **options) -> list[dict]:
    batches = list(connector.read(object_type, outputs=OUTPUTS, batch_size=batch_size, **options))
    schema = connector.schema(object_type, OUTPUTS)
    assert all(b.schema.equals(schema) and b.num_rows <= batch_size for b in batches)
    return pa.Table.from_batches(batches, schema=schema).to_pylist()


def test_writes_only_the_marked_fields_lists_as_text_and_reads_them_back(tmp_path):
    db = build_db(tmp_path / "crm.db")
    quarantined: list[Quarantined] = []
    connector = connect(db, quarantined)
    writer = connector.writer("companies", OUTPUTS)
    for batch in connector.read("companies", outputs=OUTPUTS, batch_size=2):
        ids = batch.column("id").to_pylist()
        writer.write(changes("companies", {
            i: {"tier": "B", "score": 7, "roles": "x;z", "tags": ["a", "b"]} for i in ids
        }, {i: ("tier", "score") if i == "c1" else ("tier", "score", "roles", "tags") for i in ids}))
    writer.commit()
    assert query(db, "SELECT id, tier, score, roles, tags FROM companies WHERE id IN ('c1', 'c2')") == [
        ("c1", "B", 7, None, None), ("c2", "B", 7, "x;z", "a;b"),
    ]
    back = {r["id"]: (r["tier"], r["score"], r["roles"], r["tags"]) for r in read_all(connector, "companies")}
    assert back["c1"] == ("B", 7, None, None) and back["c2"] == ("B", 7, "x;z", ["a", "b"])
    assert quarantined == []
    connector.close()


def test_unknown_ids_and_rejected_records_are_quarantined_and_the_rest_lands(tmp_path):
    db = build_db(tmp_path / "crm.db")
    execute(db, "ALTER TABLE companies ADD COLUMN tier TEXT CHECK (tier IN ('A', 'B', 'C', 'D'))",
            "CREATE TRIGGER locked BEFORE UPDATE ON companies WHEN NEW.id = 'c4' "
            "BEGIN SELECT RAISE(ABORT, 'c4 is locked'); END")
    quarantined: list[Quarantined] = []
    connector = connect(db, quarantined)
    writer = connector.writer("companies", OUTPUTS)
    writer.write(changes("companies", {
        "c1": {"tier": "A", "score": 1}, "gone": {"tier": "A", "score": 2}, "c2": {"tier": "Z", "score": 3},
        "c3": {"tier": "C", "score": 4}, "c4": {"tier": "D", "score": 5}, "c5": {"tier": "B", "score": 6},
    }, {i: ("tier", "score") for i in ("c1", "gone", "c2", "c3", "c4", "c5")}))
    writer.commit()
    rejected = {q.record_id: q for q in quarantined}
    assert set(rejected) == {"gone", "c2", "c4"}
    assert all(q.stage == "write" and q.plugin == "sqlite" and q.object_type == "companies" for q in quarantined)
    assert "no record with this id in table 'companies'" in rejected["gone"].reason
    assert "CHECK constraint failed" in rejected["c2"].reason
    assert "c4 is locked" in rejected["c4"].reason
    assert query(db, "SELECT id, tier, score FROM companies ORDER BY id") == [
        ("c1", "A", 1), ("c2", None, None), ("c3", "C", 4), ("c4", None, None), ("c5", "B", 6),
    ]
    connector.close()


def test_abort_undoes_every_batch_written_and_the_columns_added(tmp_path):
    db = build_db(tmp_path / "crm.db")
    before, before_bytes = dump(db), db.read_bytes()
    connector = connect(db, [])
    writer = connector.writer("companies", OUTPUTS)
    batches = connector.read("companies", outputs=OUTPUTS, batch_size=2)
    writer.write(changes("companies", {i: {"tier": "A", "score": 1} for i in next(batches).column("id").to_pylist()}))
    # written, inside the transaction
    assert connector._connection().execute("SELECT count(*) FROM companies WHERE tier = 'A'").fetchone() == (2,)
    writer.abort()
    batches.close()
    assert dump(db) == before and db.read_bytes() == before_bytes
    assert [r["tier"] for r in read_all(connector, "companies")] == [None] * 5
    connector.close()


def test_a_trigger_that_rolls_the_transaction_back_fails_the_write(tmp_path):
    db = build_db(tmp_path / "crm.db")
    execute(db, "ALTER TABLE companies ADD COLUMN tier TEXT",
            "CREATE TRIGGER veto BEFORE UPDATE ON companies WHEN NEW.id = 'c3' BEGIN SELECT RAISE(ROLLBACK, 'veto'); END")
    before = dump(db)
    connector = connect(db, [])
    writer = connector.writer("companies", OUTPUTS)
    writer.write(changes("companies", {"c1": {"tier": "A"}, "c2": {"tier": "B"}}))
    with pytest.raises(SourceError, match="writing record 'c3' rolled the whole transaction back in .*crm.db: veto"):
        writer.write(changes("companies", {"c3": {"tier": "C"}, "c4": {"tier": "D"}}))
    writer.abort()
    assert dump(db) == before
    connector.close()


def test_times_are_read_in_utc_and_since_reads_what_came_after(tmp_path):
    db = build_db(tmp_path / "crm.db", contacts=[
        (1, "a@x.com", None, None, None, None, "2024-05-01 10:00:00"),
        (2, "b@x.com", None, None, None, None, "2024-05-01T12:00:00.250+02:00"),
        (3, "c@x.com", None, None, None, None, 1714557600),  # Unix seconds
        (4, "d@x.com", None, None, None, None, 1714557600500.0),  # Unix milliseconds
        (5, "e@x.com", None, None, None, None, "1714557601"),  # Unix seconds as text
        (6, "f@x.com", None, None, None, None, None),
        (7, "g@x.com", None, None, None, None, "yesterday"),
        (8, "h@x.com", None, None, None, None, "2024-06-01"),
    ])
    quarantined: list[Quarantined] = []
    connector = connect(db, quarantined, contacts={"updated_at": "modified_at"})
    assert connector.incremental
    times = {r["id"]: r["updated_at"] for r in read_all(connector, "contacts")}

    def at(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=UTC)

    assert times == {
        "1": at(2024, 5, 1, 10), "2": at(2024, 5, 1, 10, 0, 0, 250_000), "3": at(2024, 5, 1, 10),
        "4": at(2024, 5, 1, 10, 0, 0, 500_000), "5": at(2024, 5, 1, 10, 0, 1), "6": None, "8": at(2024, 6, 1),
    }
    [bad] = quarantined
    assert (bad.record_id, bad.field, bad.raw) == ("7", "updated_at", "yesterday")
    assert "contacts.modified_at = 'yesterday' is not a date or time" in bad.reason
    since = [r["id"] for r in read_all(connector, "contacts", since=at(2024, 5, 1, 10, 0, 0, 250_000))]
    # after the watermark, in time order; rows whose time cannot be read come every time
    # (and 7 is quarantined again)
    assert since == ["6", "4", "5", "8"]
    assert [q.record_id for q in quarantined] == ["7", "7"]
    connector.close()


def test_values_sqlite_holds_in_any_type_are_parsed_or_quarantined(tmp_path):
    rows = [
        ("k1", "Ok", None, None, " 1_200 ", "2.5e6", None, '["a", "b"]', None),
        ("k2", "Float", None, None, 250.0, 10, None, "a; b ;", None),
        ("k3", "Half", None, None, 2.5, None, None, None, None),
        ("k4", b"\xff\xfe", None, None, None, None, None, None, None),  # a BLOB where text belongs
        ("k5", "Money", None, None, None, "$20M", None, None, None),
    ]
    db = build_db(tmp_path / "crm.db", companies=rows, contacts=[])
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO companies (id, name) VALUES ('k6', CAST(X'C328' AS TEXT))")  # not UTF-8
    conn.commit()
    conn.close()
    quarantined: list[Quarantined] = []
    connector = connect(db, quarantined)
    got = {r["id"]: (r["employees"], r["annual_revenue"], r["technologies"]) for r in read_all(connector, "companies")}
    assert got == {"k1": (1200, 2.5e6, ["a", "b"]), "k2": (250, 10.0, ["a", "b"])}
    reasons = {q.record_id: (q.field, q.reason) for q in quarantined}
    assert reasons == {
        "k3": ("employees", "companies.employees = '2.5' is not a whole number (rowid 3)"),  # TEXT affinity
        "k4": ("name", "companies.name = <BLOB of 2 bytes> is binary data (a BLOB), not text (rowid 4)"),
        "k5": ("annual_revenue", "companies.annual_revenue = '$20M' is not a number (rowid 5)"),
        "k6": ("name", "companies.name = b'\\xc3(' is not valid UTF-8 text (rowid 6)"),
    }
    connector.close()


def test_a_view_is_read_and_its_labels_go_to_a_label_table(tmp_path):
    db = build_db(tmp_path / "crm.db")
    execute(db, "CREATE VIEW live_companies AS SELECT id AS company_key, name, domain FROM companies "
                "WHERE id <> 'c3'")
    settings = {"companies": {"table": "live_companies", "columns": {"id": "company_key"}}}
    with pytest.raises(ConfigError, match="a view cannot gain columns; set labels = \"table\""):
        connect(db, [], **settings).schema("companies", OUTPUTS)

    connector = connect(db, [], labels="table", **settings)
    assert connector.count("companies") is None  # a view's count is a query of its own
    writer = connector.writer("companies", OUTPUTS)
    for batch in connector.read("companies", outputs=OUTPUTS, batch_size=3):
        writer.write(changes("companies", {i: {"tier": "C", "score": 2} for i in batch.column("id").to_pylist()}))
    writer.commit()
    assert query(db, "SELECT id, tier, score FROM live_companies_labels ORDER BY id") == [
        ("c1", "C", 2), ("c2", "C", 2), ("c4", "C", 2), ("c5", "C", 2),
    ]
    assert {r["id"]: r["tier"] for r in read_all(connector, "companies")} == {i: "C" for i in ("c1", "c2", "c4", "c5")}
    connector.close()


def test_a_filled_input_goes_to_the_label_table_and_reads_back_behind_the_crm_value(tmp_path):
    db = build_db(tmp_path / "crm.db")
    execute(db, "UPDATE companies SET industry = '  ' WHERE id = 'c2'")  # blank: no value
    filled = {"industry": Field(pa.string(), "filled by a provider", policy="fill_missing")}
    connector = connect(db, [], labels="table")

    def industries() -> dict:
        batches = connector.read("companies", outputs=filled, batch_size=10)
        return {r["id"]: r["industry"] for b in batches for r in b.to_pylist()}

    assert industries()["c2"] is None and industries()["c3"] is None
    writer = connector.writer("companies", filled)
    table = pa.table({"id": ["c2", "c3"], "industry": ["RETAIL", "INTERNET"]})
    writer.write(ChangeSet("companies", table, pa.table({"industry": [True, True]})))
    writer.commit()
    got = industries()
    assert (got["c1"], got["c2"], got["c3"]) == ("COMPUTER_SOFTWARE", "RETAIL", "INTERNET")
    assert query(db, "SELECT industry FROM companies WHERE id IN ('c2', 'c3') ORDER BY id") == [("  ",), (None,)]

    execute(db, "CREATE TABLE contacts_labels (id TEXT, persona TEXT)")  # someone else's table, no key
    with pytest.raises(ConfigError, match="plugins.sqlite.contacts.label_table: table 'contacts_labels' exists "
                                          "but is not a label table"):
        connector.schema("contacts", OUTPUTS)
    connector.close()


def test_ids_in_a_column_without_a_type_are_written_back(tmp_path):
    db = tmp_path / "crm.db"
    execute(db, "CREATE TABLE companies (id, name)", "CREATE TABLE contacts (id, email)",
            "INSERT INTO companies VALUES (42, 'Int'), ('0042', 'Text'), ('x', 'Other')")
    connector = connect(db, [])
    ids = [r["id"] for r in read_all(connector, "companies")]
    assert ids == ["42", "0042", "x"]
    writer = connector.writer("companies", OUTPUTS)
    writer.write(changes("companies", {i: {"score": n} for n, i in enumerate(ids)}))
    writer.commit()
    assert query(db, "SELECT id, score FROM companies ORDER BY rowid") == [(42, 0), ("0042", 1), ("x", 2)]
    connector.close()


def test_settings_and_source_errors_name_the_key_path_file_and_table(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_ENRICH_PLUGINS", PLUGINS)
    (tmp_path / "plugins.toml").write_text(
        'connector = "sqlite"\n[plugins.sqlite]\npath = "crm.db"\nlabel = "table"\n'
        '[plugins.sqlite.companies.columns]\nname = "a\\u0000b"\n'
    )
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "plugins.toml", load_registry())
    assert error.value.problems == [
        "plugins.sqlite.companies.columns.name: an SQL name cannot contain a NUL character (got 'a\\x00b')",
        ("plugins.sqlite.label: unknown key (did you mean 'labels'?); expected one of: busy_timeout_seconds, "
         "companies, contacts, labels, list_separator, overlap_seconds, path"),
    ]

    missing = connect(tmp_path / "nowhere.db", [])
    with pytest.raises(SourceError, match=f"the database {tmp_path / 'nowhere.db'} does not exist"):
        missing.check()
    with pytest.raises(SourceError, match="does not exist"):
        list(missing.read("companies", outputs=OUTPUTS, batch_size=10))

    (tmp_path / "junk.db").write_text("not a database, just text " * 100)
    with pytest.raises(SourceError, match="junk.db: file is not a database"):
        connect(tmp_path / "junk.db", []).schema("companies", OUTPUTS)

    db = build_db(tmp_path / "crm.db")
    connector = connect(db, [], contacts={"table": "people", "columns": {"nickname": "x"}},
                        companies={"columns": {"employees": "headcount", "icp_score": "id"}})
    with pytest.raises(SourceError, match="has no table or view 'people' \\(plugins.sqlite.contacts.table\\)"):
        connector.schema("companies", OUTPUTS)
    connector = connect(db, [], companies={"columns": {"employees": "headcount", "tier": "id", "bogus": "x"}})
    with pytest.raises(ConfigError) as error:
        connector.schema("companies", OUTPUTS)
    problems = "\n".join(error.value.problems)
    assert "plugins.sqlite.companies.columns.bogus: not a canonical companies column or an output" in problems
    assert "plugins.sqlite.companies.columns.employees: 'headcount' is not a column of table 'companies'" in problems
    assert "plugins.sqlite.companies.columns.tier: the label would overwrite the id column 'id'" in problems
