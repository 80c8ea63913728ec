"""The contract kit fails a broken connector, and says what is wrong.

A plugin author's test module is written to disk and run with pytest in a subprocess,
as the author would run it; the connector in it gets four things wrong on purpose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

BROKEN = textwrap.dedent('''
    import json
    from pathlib import Path

    import pyarrow as pa
    from pydantic import BaseModel

    from crm_enrich import columns
    from crm_enrich.testing import ConnectorContract


    class Settings(BaseModel):
        folder: str


    class Writer:
        def __init__(self, path):
            self.path, self.rows = path, json.loads(path.read_text())

        def write(self, changes):
            by_id = {r["id"]: r for r in self.rows}
            for row in changes.table.to_pylist():  # wrong: every field, changed or not
                by_id[row["id"]].update(row)

        def commit(self):
            self.path.write_text(json.dumps(self.rows))

        def abort(self):
            pass


    class JsonConnector:
        name = "broken_json"
        Settings = Settings
        incremental = False

        def __init__(self, settings, context):
            self.folder = context.resolve(settings.folder)

        def check(self):
            return [f"{p.name}: {len(json.loads(p.read_text()))} records" for p in self.folder.glob("*.json")]

        def schema(self, object_type, outputs):
            fields = [f for f in columns.INPUTS[object_type] if f.name != "employees"]
            if object_type == "companies":
                fields.append(pa.field("employees", pa.string()))  # wrong: a count is int64
            return pa.schema([*fields, *(pa.field(n, f.type) for n, f in outputs.items())])

        def read(self, object_type, *, outputs, batch_size, since=None):
            rows = json.loads((self.folder / f"{object_type}.json").read_text())  # wrong: untyped error
            schema = self.schema(object_type, outputs)
            table = pa.Table.from_pylist(
                [{f.name: (str(r[f.name]) if f.name == "employees" and r.get(f.name) is not None else r.get(f.name))
                  for f in schema} for r in rows], schema=schema)
            yield from table.to_batches()  # wrong: one batch, whatever batch_size says

        def writer(self, object_type, fields):
            return Writer(self.folder / f"{object_type}.json")


    class TestBrokenConnector(ConnectorContract):
        plugin = JsonConnector

        def seed(self, tmp_path, companies, contacts):
            for name, rows in (("companies", companies), ("contacts", contacts)):
                (tmp_path / f"{name}.json").write_text(json.dumps(rows, default=str))
            return {"folder": "."}

        def unreachable(self, tmp_path):
            return {"folder": "no/such/folder"}
''')


def test_a_broken_connector_fails_the_kit_with_messages_that_say_what_is_wrong(tmp_path):
    (tmp_path / "test_broken.py").write_text(BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_broken.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "companies column 'employees' is string, the contract says int64" in out
    assert "a companies batch has 5 rows; batch_size was 2" in out
    assert "k1 should be ('C', 99, 'first') (only kit_score was marked changed)" in out
    assert "JsonConnector (broken_json): an unreachable source raised FileNotFoundError" in out
    # what it does right passes: ids read once, labels written and read back
    assert "PASSED" not in out and " passed" in out.splitlines()[-1]


def test_an_exemption_needs_a_reason(tmp_path):
    (tmp_path / "test_exempt.py").write_text(BROKEN + textwrap.dedent('''
        class TestExemptWithoutReason(TestBrokenConnector):
            exemptions = {"unreachable_source": " "}

        class TestExemptWithReason(TestBrokenConnector):
            exemptions = {"unreachable_source": "the folder is created on demand"}
    '''))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "test_exempt.py",
         "-k", "unreachable and Exempt"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    out = result.stdout
    assert "exemptions['unreachable_source'] gives no reason" in out
    assert "exempt: the folder is created on demand" in out


def test_plugins_new_connector_scaffolds_a_package_that_passes_the_kit_and_syncs(tmp_path):
    """As the tutorial goes: scaffold, install, run its contract tests, then a real sync."""
    enrich = [sys.executable, "-c", "from crm_enrich.cli import main; main()"]
    made = subprocess.run([*enrich, "plugins", "new", "connector", "acme_crm", "--dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    package = tmp_path / "crm-enrich-acme-crm"
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(package)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site), "CRM_ENRICH_PLUGINS": "acme_crm,icp"}
    kit = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert kit.returncode == 0 and " passed" in kit.stdout, kit.stdout

    crm = tmp_path / "project" / "crm"
    crm.mkdir(parents=True)
    (crm / "companies.jsonl").write_text(json.dumps({"id": "c1", "industry": "INTERNET", "employees": 200}) + "\n")
    (crm / "contacts.jsonl").write_text(json.dumps({"id": "p1", "email": "a@x.com", "company_id": "c1"}) + "\n")
    (tmp_path / "project" / "plugins.toml").write_text(
        'connector = "acme_crm"\nscorers = ["icp"]\n[plugins.acme_crm]\nfolder = "crm"\n'
        '[[plugins.icp.criteria]]\nname = "industry"\ncolumn = "industry"\nin = ["INTERNET"]\nweight = 1\n'
    )
    sync = subprocess.run([*enrich, "sync"], cwd=tmp_path / "project", capture_output=True, text=True, env=env, timeout=60)
    assert sync.returncode == 0, sync.stderr
    company = json.loads((crm / "companies.jsonl").read_text())
    assert (company["icp_score"], company["icp_tier"]) == (100, "A")


def test_the_sqlite_example_installs_as_a_package_and_passes_the_kit_and_its_own_tests(tmp_path):
    """examples/sqlite, built and installed by pip as a third party's package would be."""
    example = Path(__file__).parents[1] / "examples" / "sqlite"
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(example)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site),
           "CRM_ENRICH_PLUGINS": os.environ["CRM_ENRICH_PLUGINS"] + ",sqlite"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "-o", "addopts=", str(example / "tests")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary


def test_a_connector_without_company_names_is_not_asked_for_them(tmp_path):
    (tmp_path / "test_author.py").write_text(BROKEN + textwrap.dedent('''
        class NamelessConnector(JsonConnector):
            def schema(self, object_type, outputs):
                schema = super().schema(object_type, outputs)
                return schema.remove(schema.get_field_index("name")) if "name" in schema.names else schema

        class TestNameless(TestBrokenConnector):
            plugin = NamelessConnector
    '''))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_author.py",
         "-k", "TestNameless and stable_between_reads"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0 and result.stdout.splitlines()[-1].startswith("1 passed"), result.stdout
