"""The ``files`` connector against real CSV and Parquet files on disk.

Every test writes real files into ``tmp_path`` and runs the real ``enrich`` command (in a
subprocess) or the real :class:`crm_enrich.engine.Engine`, then reads the written files
back and checks exact values, exact quarantine entries and, where the promise is to
preserve them, exact bytes.
"""

from __future__ import annotations

import csv
import io
import json
import resource
import signal
import subprocess
import sys
import types
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crm_enrich
from crm_enrich.config import load_config
from crm_enrich.engine import Engine, RunResult
from crm_enrich.errors import ConfigError, SourceError
from crm_enrich.protocols import Field, NoSettings
from crm_enrich.registry import load_registry
from crm_enrich.state import StateStore

from conftest import COMPANIES, COMPANY_HEADER, CONTACT_HEADER, CONTACTS, Project, read_csv, write_csv

BOM = b"\xef\xbb\xbf"
READ_BLOCK = 4 << 20  # the connector reads CSV in blocks of this size
COMPANY_LABELS = ["employee_band", "icp_score", "icp_tier", "icp_reasons"]
CRLF = b"\r\n"

# Band, score and tier of the fixture's companies (ICP of conftest.py). The wording of
# icp_reasons belongs to the icp plugin: the ``expected`` fixture takes it from a plain
# CSV run, and the dialect tests check that every other dialect gives the very same cells.
TIERS = {
    "c1": ["201-500", "100", "A"],
    "c2": ["2-10", "20", "D"],
    "c3": ["", "0", "D"],
    "c4": ["201-500", "100", "D"],
    "c5": ["10001+", "70", "B"],
}
C2_AT_100 = ["51-200", "50", "C"]  # c2 once its employees are 100
CONTACT_TIERS = {"p1": "A", "p2": "D", "p3": "A", "p4": ""}


# -- helpers ---------------------------------------------------------------------------------


def run(project: Project, registry=None, **options) -> RunResult:
    """One real engine run on the project's plugins.toml, in this process."""
    config = load_config(project.config, registry or load_registry())
    state = StateStore(config.directory / config.engine.state)
    try:
        return Engine(config, state, **options).run()
    finally:
        state.close()


def figures(result: RunResult, object_type: str) -> tuple[int, int, int, int]:
    """read, quarantined, changed, written."""
    f = result.figures[object_type]
    return f.read, f.quarantined, f.changed, f.written


def split_records(data: bytes, eol: bytes = CRLF) -> list[bytes]:
    """Raw records of a CSV file, without terminators; a quoted line break stays inside."""
    assert data.endswith(eol), data[-40:]
    records, pending = [], None
    for piece in data[: -len(eol)].split(eol):
        pending = piece if pending is None else pending + eol + piece
        if pending.count(b'"') % 2 == 0:
            records.append(pending)
            pending = None
    assert pending is None, "unterminated quote"
    return records


def parse(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def cells(*values: str, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    """One record as the csv module writes it, without a line terminator."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="", quoting=quoting).writerow(values)
    return out.getvalue().encode()


def labels_of(path: Path, delimiter: str = ",") -> dict[str, list[str]]:
    return {r["id"]: [r[c] for c in COMPANY_LABELS] for r in read_csv(path, delimiter)}


def assert_appended(old: bytes, new: bytes, eol: bytes = CRLF, delimiter: bytes = b",") -> None:
    """Same records in the same order, each the original bytes plus appended cells."""
    old_records, new_records = split_records(old, eol), split_records(new, eol)
    assert len(new_records) == len(old_records)
    for o, n in zip(old_records, new_records):
        assert n.startswith(o + delimiter), (o, n)


def with_employees(rows: list[list[str]], record_id: str, employees: str) -> list[list[str]]:
    return [r[:4] + [employees] + r[5:] if r[0] == record_id else list(r) for r in rows]


@pytest.fixture(scope="session")
def expected(tmp_path_factory) -> dict[str, dict[str, list[str]]]:
    """Company labels from the plainest file: comma, CRLF, no BOM, no quoting needed."""
    out = {}
    for case, rows in (("base", COMPANIES), ("c2_at_100", with_employees(COMPANIES, "c2", "100"))):
        p = Project(tmp_path_factory.mktemp(case))
        write_csv(p.companies, COMPANY_HEADER, rows)
        write_csv(p.contacts, CONTACT_HEADER, CONTACTS)
        p.write_config()
        run(p)
        out[case] = labels_of(p.companies)
    assert {k: v[:3] for k, v in out["base"].items()} == TIERS
    assert out["c2_at_100"]["c2"][:3] == C2_AT_100
    assert "competitor" in out["base"]["c4"][3] and "rival.com" in out["base"]["c4"][3]
    assert all(v[3] for v in out["base"].values())
    return out


# -- 1-4: dialect: BOM, delimiter, line endings, quoting, quoted line breaks --------------------


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_utf8_bom_is_read_and_kept(project: Project, expected, bom: bool):
    write_csv(project.companies, COMPANY_HEADER, COMPANIES, bom=bom)
    write_csv(project.contacts, CONTACT_HEADER, CONTACTS, bom=bom)
    before = {p: p.read_bytes() for p in (project.companies, project.contacts)}

    result = run(project)

    assert figures(result, "companies") == (5, 0, 5, 5)  # the first header cell maps to id
    assert figures(result, "contacts") == (4, 0, 3, 3)
    for path, old in before.items():
        new = path.read_bytes()
        assert new.startswith(BOM) is bom
        assert new.count(BOM) == int(bom)
        assert_appended(old, new)
    assert labels_of(project.companies) == expected["base"]
    assert {r["id"]: r["icp_tier"] for r in read_csv(project.contacts)} == CONTACT_TIERS


@pytest.mark.parametrize("delimiter", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_delimiter_is_detected_and_kept(project: Project, expected, delimiter: str):
    write_csv(project.companies, COMPANY_HEADER, COMPANIES, delimiter=delimiter)
    write_csv(project.contacts, CONTACT_HEADER, CONTACTS, delimiter=delimiter)
    old = project.companies.read_bytes()

    result = run(project)

    assert figures(result, "companies") == (5, 0, 5, 5)
    new = project.companies.read_bytes()
    assert split_records(new)[0] == delimiter.join(COMPANY_HEADER + COMPANY_LABELS).encode()
    assert_appended(old, new, delimiter=delimiter.encode())
    # with ';' as delimiter the technologies cells (';' lists) are quoted: still parsed right
    assert labels_of(project.companies, delimiter) == expected["base"]
    contacts = split_records(project.contacts.read_bytes())
    assert contacts[0] == delimiter.join(CONTACT_HEADER + ["icp_tier"]).encode()
    assert contacts[1] == delimiter.join(CONTACTS[0] + ["A"]).encode()


def test_configured_delimiter_is_honoured(project: Project):
    # More commas than semicolons in the header: detection alone would pick ','.
    header = ["id", "name", "Staff, count, approx, total"]
    write_csv(project.companies, header, [["c1", "Acme, Inc", "250"], ["c2", "Tiny", "4"]], delimiter=";")
    write_csv(project.contacts, CONTACT_HEADER, CONTACTS, delimiter=";")  # the setting covers both
    old = project.companies.read_bytes()
    first_line = old.split(CRLF)[0]
    assert first_line.count(b",") > first_line.count(b";")
    project.write_config(files=(
        '[plugins.files]\ndelimiter = ";"\n'
        'companies = { path = "companies.csv", columns = { employees = "Staff, count, approx, total" } }\n'
        'contacts = { path = "contacts.csv" }\n'
    ))

    result = run(project)

    assert figures(result, "companies") == (2, 0, 2, 2)
    new = project.companies.read_bytes()
    assert_appended(old, new, delimiter=b";")
    records = split_records(new)
    assert records[0] == first_line + b";employee_band;icp_score;icp_tier;icp_reasons"
    assert records[1].startswith(b"c1;Acme, Inc;250;201-500;30;D;")  # only the size criterion holds
    assert records[2].startswith(b"c2;Tiny;4;2-10;0;D;")


@pytest.mark.parametrize("eol", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_line_endings_are_kept(project: Project, expected, eol: str):
    write_csv(project.companies, COMPANY_HEADER, COMPANIES, eol=eol)
    write_csv(project.contacts, CONTACT_HEADER, CONTACTS, eol=eol)
    old = project.companies.read_bytes()

    run(project)

    new = project.companies.read_bytes()
    assert_appended(old, new, eol=eol.encode())
    assert new.count(b"\n") == 6  # 6 records, no stray line breaks
    assert new.count(b"\r") == (6 if eol == "\r\n" else 0)
    assert project.contacts.read_bytes().count(b"\r") == (5 if eol == "\r\n" else 0)
    assert labels_of(project.companies) == expected["base"]


@pytest.mark.parametrize("eol", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_quoted_line_breaks_are_one_record_and_kept(project: Project, expected, eol: str):
    rows = [list(r) for r in COMPANIES]
    rows[0][1] = "Acme\nSoftware"  # a bare LF inside a CRLF file too
    rows[1][1] = "Tiny\r\nShop"
    rows[3][1] = "Rival\n\nInc"
    write_csv(project.companies, COMPANY_HEADER, rows, eol=eol)
    old = project.companies.read_bytes()
    assert old.count(b"\n") == 10  # 6 records over 10 lines

    result = run(project)

    assert figures(result, "companies") == (5, 0, 5, 5)
    assert result.quarantined == []
    new = project.companies.read_bytes()
    assert_appended(old, new, eol=eol.encode())
    records = split_records(new, eol.encode())
    assert records[1].startswith(b'c1,"Acme\nSoftware",acme.com,')
    assert records[2].startswith(b'c2,"Tiny\r\nShop",tinyshop.de,')
    assert records[4].startswith(b'c4,"Rival\n\nInc",rival.com,')
    assert labels_of(project.companies) == expected["base"]
    assert [r["name"] for r in read_csv(project.companies)] == [r[1] for r in rows]


# -- 5: formula injection -------------------------------------------------------------------------

NOTES = {
    "c1": '=HYPERLINK("http://x.example","click")',
    "c2": "+49 30 1234",
    "c3": "-5 points",
    "c4": "@SUM(A1:A9)",
    "c5": "'=quoted by hand",  # already starts with the prefix: must survive a round trip
}


class FormulaNotes:
    """A third-party enricher whose label values look like spreadsheet formulas."""

    name = "formula_notes"
    object_type = "companies"
    Settings = NoSettings
    outputs = {"note": Field(pa.string(), "a note that may look like a formula")}

    def __init__(self, settings, context):
        pass

    def enrich(self, table: pa.Table) -> pa.Table:
        notes = [NOTES[i] for i in table.column("id").to_pylist()]
        return table.append_column("note", pa.array(notes, pa.string()))


def formula_plugin() -> types.ModuleType:
    module = types.ModuleType("formula_notes_plugin")

    @crm_enrich.hookimpl
    def register_enrichers(register):
        register(FormulaNotes)

    module.register_enrichers = register_enrichers
    return module


def test_formula_like_labels_are_neutralised_and_read_back(project: Project):
    # No built-in label can start with = + - @, so a plugin (through the public plugin API) does.
    rows = [list(r) for r in COMPANIES]
    rows[2][1] = '=HYPERLINK("http://evil.example","x")'  # original cells are left alone
    rows[4][1] = "@Netz GmbH"
    write_csv(project.companies, COMPANY_HEADER, rows)
    old = project.companies.read_bytes()
    project.write_config(head='connector = "files"\nenrichers = ["employee_band", "formula_notes"]\nscorers = ["icp"]\n')
    registry = load_registry((formula_plugin(),))

    first = run(project, registry)

    assert figures(first, "companies") == (5, 0, 5, 5)
    new = project.companies.read_bytes()
    assert_appended(old, new)
    records = split_records(new)
    assert records[0].endswith(b",employee_band,note,icp_score,icp_tier,icp_reasons")
    assert records[3].startswith(b'c3,"=HYPERLINK(""http://evil.example"",""x"")",mystery.io,')
    assert records[5].startswith(b"c5,@Netz GmbH,netz.de,")
    assert {r["id"]: r["note"] for r in read_csv(project.companies)} == {
        "c1": "'=HYPERLINK(\"http://x.example\",\"click\")",
        "c2": "'+49 30 1234",
        "c3": "'-5 points",
        "c4": "'@SUM(A1:A9)",
        "c5": "''=quoted by hand",
    }

    second = run(project, registry)  # reading removes the prefix: nothing differs

    assert figures(second, "companies") == (5, 0, 0, 0)
    assert project.companies.read_bytes() == new


# -- 6: malformed rows ----------------------------------------------------------------------------


def test_malformed_rows_are_quarantined_and_kept_in_place(project: Project, expected):
    rows = [list(r) for r in COMPANIES]
    rows[0][1] = "Acme\r\nSoftware"  # row 2 spans two lines
    too_many = ["m1", "Comma, Inc", "comma.com", "INTERNET", "20", "", "US", "", "extra"]
    too_few = ["m2", "Short Ltd", "short.io"]
    write_csv(project.companies, COMPANY_HEADER, [rows[0], too_many, rows[1], rows[2], too_few, *rows[3:]])
    old = project.companies.read_bytes()

    result = run(project)

    assert figures(result, "companies") == (7, 2, 5, 5)
    assert [(q.object_type, Path(q.source).name, q.line, q.raw) for q in result.quarantined] == [
        ("companies", "companies.csv", 3, cells(*too_many).decode()),
        ("companies", "companies.csv", 6, cells(*too_few).decode()),
    ]
    assert all("malformed row" in q.reason for q in result.quarantined)
    assert "9 fields" in result.quarantined[0].reason and "8" in result.quarantined[0].reason
    assert "3 fields" in result.quarantined[1].reason and "8" in result.quarantined[1].reason

    new = project.companies.read_bytes()
    old_records, new_records = split_records(old), split_records(new)
    assert len(new_records) == len(old_records) == 8
    assert new_records[2] == old_records[2] == cells(*too_many)
    assert new_records[5] == old_records[5] == cells(*too_few)
    for i in (0, 1, 3, 4, 6, 7):
        assert new_records[i].startswith(old_records[i] + b",")
    assert {k: v for k, v in labels_of(project.companies).items() if k.startswith("c")} == expected["base"]

    listed = project.enrich("quarantine", check=True).stdout
    assert "run 1: 2 quarantined" in listed
    assert "companies companies.csv row 3, plugin files: malformed row: 9 fields, the header has 8" in listed
    assert "companies companies.csv row 6, plugin files: malformed row: 3 fields, the header has 8" in listed
    assert repr(cells(*too_few).decode()) in listed  # the row's text, to fix it by


SIZES = {"5": "2-10", "120": "51-200", "700": "501-1000", "20000": "10001+"}


def big_companies(path: Path, *, rows: int, multiline_every: int, bad_at: dict[int, list[str]]) -> list[list[str]]:
    """Write ``rows`` good companies, with the malformed records ``bad_at`` (row number ->
    cells) in between; every ``multiline_every``-th name spans two lines."""
    sizes = list(SIZES)
    records, line = [], 2
    for i in range(rows):
        while line in bad_at:
            records.append(bad_at[line])
            line += 1
        name = f"Company {i}" + ("\r\nsecond line" if i % multiline_every == 0 else "")
        records.append([f"id{i}", name, f"d{i}.example.com", "INTERNET", sizes[i % 4], "1000000", "US",
                        "hubspot;aws;" + "x" * 40])
        line += 1
    write_csv(path, COMPANY_HEADER, records)
    return records


def test_row_numbers_and_rewrite_across_read_blocks(project: Project):
    # ~5.6 MB with multi-line records all along: rows far past the first 4 MiB read block
    rows = 46_000
    bad_at = {
        5: ["m1", "x", "y", "INTERNET", "5", "", "US", "", "extra"],
        8: ["m2", "short"],
        20_001: ["m3", "Late, Ltd", "z"],
        41_999: ["m4"] + ["late"] * 9,
        45_990: ["m5"],
    }
    records = big_companies(project.companies, rows=rows, multiline_every=97, bad_at=bad_at)
    bad_value = "id44000"
    records[[r[0] for r in records].index(bad_value)][4] = "about 200"
    write_csv(project.companies, COMPANY_HEADER, records)
    old = project.companies.read_bytes()
    assert old.index(b"\r\nm4,late") > READ_BLOCK and old.index(b"\r\nid44000,") > READ_BLOCK
    assert old.count(b"\n") > len(records) + 400  # physical lines are not row numbers

    result = run(project)

    assert figures(result, "companies") == (rows - 1 + 6, 6, rows - 1, rows - 1)
    assert sorted((q.line, q.field, q.record_id) for q in result.quarantined) == sorted(
        [(line, None, None) for line in bad_at] + [(44_000 + 2 + 4, "employees", bad_value)]
    )  # id44000: header, 44000 good rows before it and four malformed ones
    by_line = {q.line: q for q in result.quarantined}
    assert by_line[41_999].raw == "m4,late,late,late,late,late,late,late,late,late"
    assert "about 200" in by_line[44_006].reason

    new = project.companies.read_bytes()
    old_records, new_records = split_records(old), split_records(new)
    assert len(new_records) == len(old_records) == rows + len(bad_at) + 1
    for line in bad_at:
        assert new_records[line - 1] == old_records[line - 1]
    good = [i for i in range(1, len(old_records)) if i + 1 not in bad_at]
    for i in good:
        assert new_records[i].startswith(old_records[i] + b","), (i, old_records[i], new_records[i])
    parsed = parse(new)
    for i in good:
        if parsed[i][0] == bad_value:
            assert new_records[i] == old_records[i] + b",,,,"  # no labels for it
        else:
            assert parsed[i][8] == SIZES[parsed[i][4]], (i, parsed[i])


def test_a_read_block_of_only_malformed_rows(project: Project):
    # Malformed rows from the first read block into the third: the second has no good row.
    bad_at = {line: ["bad", "x" * 1000] for line in range(7, 8_700)}
    big_companies(project.companies, rows=60, multiline_every=10, bad_at=bad_at)
    old = project.companies.read_bytes()
    assert old.index(b"\r\nbad,") < READ_BLOCK and old.index(b"\r\nid5,") > 2 * READ_BLOCK

    result = run(project)

    assert figures(result, "companies") == (60 + len(bad_at), len(bad_at), 60, 60)
    assert [q.line for q in result.quarantined] == list(bad_at)
    old_records, new_records = split_records(old), split_records(project.companies.read_bytes())
    assert len(new_records) == len(old_records)
    for i, (o, n) in enumerate(zip(old_records, new_records)):
        if i + 1 in bad_at:
            assert n == o
        else:
            assert n.startswith(o + b","), (i, o, n)


# -- 7: values that do not parse ------------------------------------------------------------------


def test_bad_value_quarantines_the_record_and_keeps_its_cells(project: Project, expected):
    write_csv(project.companies, COMPANY_HEADER, with_employees(COMPANIES, "c2", "about 200"))
    old = project.companies.read_bytes()

    result = run(project)

    assert figures(result, "companies") == (5, 1, 4, 4)  # read: every record, readable or not
    [q] = result.quarantined
    assert (q.object_type, q.record_id, q.field, q.line, Path(q.source).name, q.stage) == (
        "companies", "c2", "employees", 3, "companies.csv", "read"
    )
    assert "about 200" in q.reason
    new = project.companies.read_bytes()
    assert split_records(new)[2] == split_records(old)[2] + b",,,,"  # no label cells written
    assert_appended(old, new)
    assert {k: v for k, v in labels_of(project.companies).items() if k != "c2"} == {
        k: v for k, v in expected["base"].items() if k != "c2"
    }


def test_bad_value_keeps_the_labels_it_had(project: Project, expected):
    run(project)
    labelled = project.companies.read_bytes()
    # c2's employees turn bad, c3's become known: only c3 is relabelled
    edited = labelled.replace(b"c2,Tiny Shop,tinyshop.de,RETAIL,4,", b"c2,Tiny Shop,tinyshop.de,RETAIL,about 200,")
    edited = edited.replace(b"c3,Mystery Co,mystery.io,,,", b"c3,Mystery Co,mystery.io,,120,")
    assert edited.count(b"about 200") == 1 and edited.count(b",120,") == 1
    project.companies.write_bytes(edited)

    result = run(project)

    assert figures(result, "companies") == (5, 1, 1, 1)
    assert [(q.record_id, q.field, q.line) for q in result.quarantined] == [("c2", "employees", 3)]
    old_records, new_records = split_records(edited), split_records(project.companies.read_bytes())
    assert [o == n for o, n in zip(old_records, new_records)] == [True, True, True, False, True, True]
    assert new_records[2] == b"c2,Tiny Shop,tinyshop.de,RETAIL,about 200,,DE,," + cells(*expected["base"]["c2"])
    assert parse(new_records[3] + CRLF)[0][8:11] == ["51-200", "30", "D"]


# -- 8: atomic write ------------------------------------------------------------------------------


def limit_file_size(limit: int):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG rather than death by signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_failed_write_leaves_the_old_file_and_no_temp_file(project: Project):
    rows = [[f"c{i}", f"Company {i}", f"c{i}.example.com", "INTERNET", str(10 + i % 900), "", "DE", "hubspot"]
            for i in range(3000)]
    write_csv(project.companies, COMPANY_HEADER, rows)
    before = {p: p.read_bytes() for p in (project.companies, project.contacts)}
    limit = len(before[project.companies]) + 100_000  # the rewrite adds ~150 bytes a row

    result = subprocess.run(
        [sys.executable, "-c", "from crm_enrich.cli import main; main()", "sync"],
        cwd=project.root, capture_output=True, text=True, timeout=120,
        preexec_fn=limit_file_size(limit),
    )

    assert result.returncode == 3, result.stderr
    assert f"cannot write {project.companies}" in result.stderr and "File too large" in result.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert [p.name for p in project.root.iterdir() if p.name.endswith(".tmp")] == []
    state = list((project.root / ".enrich").iterdir())
    assert state and all(p.stat().st_size < limit for p in state)  # the limit only hit the rewrite

    again = project.enrich("--json", "sync", check=True)

    assert json.loads(again.stdout.splitlines()[-1])["figures"]["companies"]["written"] == 3000
    labelled = read_csv(project.companies)
    assert [r["id"] for r in labelled] == [r[0] for r in rows]
    assert [labelled[0][c] for c in COMPANY_LABELS[:3]] == ["2-10", "70", "B"]
    assert project.companies.stat().st_size > limit + 200_000


# -- 9: column order and untouched cells --------------------------------------------------------


@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_ALL], ids=["minimal-quoting", "all-quoted"])
def test_label_columns_keep_their_place_and_other_cells_stay(project: Project, expected, quoting: int):
    # The file already has icp_tier, in the middle; the other labels are appended.
    header = COMPANY_HEADER[:2] + ["icp_tier"] + COMPANY_HEADER[2:]
    rows = [r[:2] + ["old"] + r[2:] for r in COMPANIES]
    with open(project.companies, "w", newline="") as f:
        csv.writer(f, lineterminator="\r\n", quoting=quoting).writerows([header, *rows])

    run(project)

    first = project.companies.read_bytes()
    records = split_records(first)
    assert records[0] == cells(*header, "employee_band", "icp_score", "icp_reasons", quoting=quoting)
    for record, row in zip(records[1:], rows):
        band, score, tier, reasons = expected["base"][row[0]]
        assert record == cells(*row[:2], tier, *row[3:], band, score, reasons, quoting=quoting)

    # A later run updates labels in place, of the changed record only.
    c2 = cells(*rows[1], quoting=quoting).replace(b"old", b"D")
    assert records[2].startswith(c2)
    changed = first.replace(c2, c2.replace(b"4", b"100"))
    project.companies.write_bytes(changed)

    result = run(project)

    assert figures(result, "companies") == (5, 0, 1, 1)
    before, after = split_records(changed), split_records(project.companies.read_bytes())
    assert [b == a for b, a in zip(before, after)] == [True, True, False, True, True, True]
    band, score, tier, reasons = expected["c2_at_100"]["c2"]
    row = with_employees(COMPANIES, "c2", "100")[1]
    assert after[2] == cells(*row[:2], tier, *row[2:], band, score, reasons, quoting=quoting)


def test_mapped_label_column_is_used_and_checked(project: Project):
    project.write_config(files=(
        '[plugins.files]\n'
        'companies = { path = "companies.csv", columns = { icp_tier = "ICP Tier" } }\n'
        'contacts = { path = "contacts.csv" }\n'
    ))

    check = project.enrich("check")

    assert check.returncode == 0, check.stderr
    assert "companies: " in check.stdout and "(csv, 8 columns, 8 mapped)" in check.stdout

    result = run(project)

    assert figures(result, "companies") == (5, 0, 5, 5)
    assert parse(project.companies.read_bytes())[0] == COMPANY_HEADER + ["employee_band", "icp_score", "ICP Tier", "icp_reasons"]
    assert {r["id"]: r["ICP Tier"] for r in read_csv(project.companies)} == {k: v[2] for k, v in TIERS.items()}
    assert figures(run(project), "companies") == (5, 0, 0, 0)  # read back from "ICP Tier"


# -- 10: output_dir ------------------------------------------------------------------------------


def test_output_dir_leaves_inputs_and_diffs_against_the_copies(project: Project, expected):
    project.write_config(files=(
        '[plugins.files]\noutput_dir = "out"\n'
        'companies = { path = "companies.csv" }\ncontacts = { path = "contacts.csv" }\n'
    ))
    inputs = {p: p.read_bytes() for p in (project.companies, project.contacts)}
    out = project.root / "out"

    first = run(project)

    assert figures(first, "companies") == (5, 0, 5, 5)
    assert figures(first, "contacts") == (4, 0, 3, 3)
    assert {p: p.read_bytes() for p in inputs} == inputs
    assert_appended(inputs[project.companies], (out / "companies.csv").read_bytes())
    assert labels_of(out / "companies.csv") == expected["base"]
    assert {r["id"]: r["icp_tier"] for r in read_csv(out / "contacts.csv")} == CONTACT_TIERS
    copies = {name: (out / name).read_bytes() for name in ("companies.csv", "contacts.csv")}
    inodes = {name: (out / name).stat().st_ino for name in copies}

    second = run(project)

    assert figures(second, "companies") == (5, 0, 0, 0)
    assert figures(second, "contacts") == (4, 0, 0, 0)
    assert {name: (out / name).read_bytes() for name in copies} == copies
    assert {name: (out / name).stat().st_ino for name in copies} == inodes  # not even rewritten

    edited = inputs[project.companies].replace(b"c2,Tiny Shop,tinyshop.de,RETAIL,4,", b"c2,Tiny Shop,tinyshop.de,RETAIL,100,")
    assert edited != inputs[project.companies]
    project.companies.write_bytes(edited)

    third = run(project)

    assert figures(third, "companies") == (5, 0, 1, 1)
    assert dict(third.figures["companies"].fields) == dict.fromkeys(COMPANY_LABELS, 1)
    assert figures(third, "contacts") == (4, 0, 1, 1)  # p2 inherits c2's tier
    assert {p: p.read_bytes() for p in inputs} == {**inputs, project.companies: edited}
    old_copy = split_records(copies["companies.csv"])
    new_copy = split_records((out / "companies.csv").read_bytes())
    assert [a == b for a, b in zip(old_copy, new_copy)] == [True, True, False, True, True, True]
    assert labels_of(out / "companies.csv") == {**expected["base"], "c2": expected["c2_at_100"]["c2"]}
    assert {r["id"]: r["icp_tier"] for r in read_csv(out / "contacts.csv")} == {**CONTACT_TIERS, "p2": "C"}


# -- 11: Parquet --------------------------------------------------------------------------------


def test_parquet_labels_are_written_with_their_types(project: Project, expected):
    companies = pa.table({
        "id": pa.array([r[0] for r in COMPANIES], pa.string()),
        "name": pa.array([r[1] for r in COMPANIES], pa.string()),
        "domain": pa.array([r[2] for r in COMPANIES], pa.string()),
        "industry": pa.array([r[3] or None for r in COMPANIES], pa.string()),
        "Staff": pa.array([int(r[4]) if r[4] else None for r in COMPANIES], pa.int32()),  # mapped
        "annual_revenue": pa.array([float(r[5]) if r[5] else None for r in COMPANIES], pa.float64()),
        "country": pa.array([r[6] or None for r in COMPANIES], pa.string()),
        "technologies": pa.array([r[7].split(";") if r[7] else [] for r in COMPANIES], pa.list_(pa.string())),
    })
    contacts = pa.table({n: pa.array([r[i] or None for r in CONTACTS], pa.string()) for i, n in enumerate(CONTACT_HEADER)})
    pq.write_table(companies, project.root / "companies.parquet")
    pq.write_table(contacts, project.root / "contacts.parquet")
    project.write_config(files=(
        '[plugins.files]\n'
        'companies = { path = "companies.parquet", columns = { employees = "Staff" } }\n'
        'contacts = { path = "contacts.parquet" }\n'
    ))

    first = run(project)

    assert figures(first, "companies") == (5, 0, 5, 5)
    assert figures(first, "contacts") == (4, 0, 3, 3)
    written = pq.read_table(project.root / "companies.parquet")
    assert written.schema == companies.schema.append(pa.field("employee_band", pa.string())).append(
        pa.field("icp_score", pa.int64())).append(pa.field("icp_tier", pa.string())).append(
        pa.field("icp_reasons", pa.string()))
    assert written.select(companies.column_names).equals(companies)
    assert {r["id"]: [r[c] for c in COMPANY_LABELS] for r in written.to_pylist()} == {
        k: [band or None, int(score), tier, reasons] for k, (band, score, tier, reasons) in expected["base"].items()
    }
    contacts_written = pq.read_table(project.root / "contacts.parquet")
    assert contacts_written.schema == contacts.schema.append(pa.field("icp_tier", pa.string()))
    assert contacts_written.select(contacts.column_names).equals(contacts)
    assert dict(zip(contacts_written.column("id").to_pylist(), contacts_written.column("icp_tier").to_pylist())) == {
        k: v or None for k, v in CONTACT_TIERS.items()
    }
    data = {n: (project.root / n).read_bytes() for n in ("companies.parquet", "contacts.parquet")}

    second = run(project)

    assert figures(second, "companies") == (5, 0, 0, 0)
    assert figures(second, "contacts") == (4, 0, 0, 0)
    assert {n: (project.root / n).read_bytes() for n in data} == data


# -- 12-14: mistakes the user must fix ---------------------------------------------------------


@pytest.mark.parametrize("command", ["sync", "check"])
def test_column_mapping_errors_are_all_reported_at_once(project: Project, command: str):
    project.write_config(files=(
        '[plugins.files]\n'
        'companies = { path = "companies.csv", columns = { employees = "Staff", industry = "Sector" } }\n'
        'contacts = { path = "contacts.csv", columns = { email = "E-mail" } }\n'
    ))
    before = {p: p.read_bytes() for p in (project.companies, project.contacts)}

    result = project.enrich(command)

    assert result.returncode == 2, result.stderr
    companies, contacts = ", ".join(COMPANY_HEADER), ", ".join(CONTACT_HEADER)
    assert result.stderr.endswith(
        "plugins.toml: 3 problems:\n"
        f"  - plugins.files.companies.columns.employees: 'Staff' is not a column of companies.csv (columns: {companies})\n"
        f"  - plugins.files.companies.columns.industry: 'Sector' is not a column of companies.csv (columns: {companies})\n"
        f"  - plugins.files.contacts.columns.email: 'E-mail' is not a column of contacts.csv (columns: {contacts})\n"
    ), result.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_a_contacts_mapping_error_stops_the_run_before_companies_are_written(project: Project):
    project.write_config(files=(
        '[plugins.files]\ncompanies = { path = "companies.csv" }\n'
        'contacts = { path = "contacts.csv", columns = { email = "E-mail" } }\n'
    ))
    before = project.companies.read_bytes()

    with pytest.raises(ConfigError) as raised:
        run(project)

    assert raised.value.exit_code == 2
    assert raised.value.problems == [
        f"plugins.files.contacts.columns.email: 'E-mail' is not a column of contacts.csv "
        f"(columns: {', '.join(CONTACT_HEADER)})"
    ]
    assert project.companies.read_bytes() == before


def test_an_unknown_contacts_mapping_key_stops_the_run_before_companies_are_written(project: Project):
    project.write_config(files=(
        '[plugins.files]\ncompanies = { path = "companies.csv" }\n'
        'contacts = { path = "contacts.csv", columns = { bogus = "Bogus" } }\n'
    ))
    before = project.companies.read_bytes()

    with pytest.raises(ConfigError) as raised:
        run(project)

    assert raised.value.problems[0].startswith("plugins.files.contacts.columns.bogus: not a canonical column")
    assert project.companies.read_bytes() == before


@pytest.mark.parametrize("where", ["first line", "past the first 64 KiB"])
def test_non_utf8_file_is_a_source_error(project: Project, where: str):
    rows = [list(r) for r in COMPANIES]
    if where == "first line":
        rows[0][1] = "Müller GmbH"
    else:
        rows += [[f"x{i}", f"Company {i}", "", "", "", "", "", ""] for i in range(3000)]
        rows[-10][1] = "Müller GmbH"
    with open(project.companies, "w", newline="", encoding="latin-1") as f:
        csv.writer(f, lineterminator="\r\n").writerows([COMPANY_HEADER, *rows])
    before = project.companies.read_bytes()
    assert (before.index(b"M\xfcller") > 64 << 10) is (where != "first line")

    result = project.enrich("sync")

    assert result.returncode == 3, result.stderr  # not 134: pyarrow must not abort at exit
    offset = before.index(b"M\xfcller") + 1
    assert result.stderr.endswith(
        f"error: connector 'files': {project.companies} is not UTF-8 (byte 0xfc at offset {offset}); "
        "save it as UTF-8\n"
    ), result.stderr
    assert project.companies.read_bytes() == before


def test_non_utf8_past_the_first_read_block_is_a_source_error(project: Project):
    rows = [[f"x{i}", f"Company {i}", "", "", "", "", "", "y" * 60] for i in range(60_000)]
    rows[-10][1] = "Müller GmbH"
    with open(project.companies, "w", newline="", encoding="latin-1") as f:
        csv.writer(f, lineterminator="\r\n").writerows([COMPANY_HEADER, *rows])
    before = project.companies.read_bytes()
    assert before.index(b"M\xfcller") > READ_BLOCK

    with pytest.raises(SourceError) as raised:
        run(project)

    assert str(raised.value).startswith(f"connector 'files': {project.companies} is not UTF-8 (")
    assert "Row #59992" in str(raised.value)  # the spreadsheet row: header + 59990 rows + 1
    assert str(raised.value).endswith("; save it as UTF-8")
    assert project.companies.read_bytes() == before


def test_missing_file_is_a_source_error(project: Project):
    project.companies.unlink()

    result = project.enrich("sync")

    assert result.returncode == 3, result.stderr
    assert f"error: connector 'files': {project.companies} does not exist or is not a file" in result.stderr


def test_missing_contacts_file_stops_the_run_before_companies_are_written(project: Project):
    project.contacts.unlink()
    before = project.companies.read_bytes()

    with pytest.raises(SourceError, match=f"{project.contacts} does not exist"):
        run(project)

    assert project.companies.read_bytes() == before


# -- nothing is written until something changes --------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_change_in_a_late_batch_copies_the_earlier_batches_and_an_unchanged_run_writes_nothing(project, fmt):
    """Batches before the first change are read again and copied, malformed rows included."""
    rows = [[f"c{i}", f"Co {i}", f"co{i}.com", "INTERNET", "100", "", "US", ""] for i in range(9)]
    rows[1][1] = "Multi\nline name"
    if fmt == "csv":
        text = "\r\n".join(",".join(f'"{v}"' if "\n" in v else v for v in r) for r in rows[:3])
        text += "\r\nbroken,row,with,too,many,fields,here,and,more\r\n"  # malformed, in the first batch
        text += "\r\n".join(",".join(r) for r in rows[3:]) + "\r\n"
        project.companies.write_bytes((",".join(COMPANY_HEADER) + "\r\n" + text).encode())
        path = project.companies
    else:
        path = project.root / "companies.parquet"
        table = pa.Table.from_pylist([dict(zip(COMPANY_HEADER, r)) for r in rows])
        pq.write_table(table.set_column(4, "employees", pa.array([int(r[4]) for r in rows])), path, row_group_size=3)
        project.write_config(files='[plugins.files]\ncompanies = { path = "companies.parquet" }\ncontacts = { path = "contacts.csv" }\n')
    assert figures(run(project, batch_size=2), "companies")[2] == 9

    labelled = path.read_bytes()
    before = path.stat()
    assert figures(run(project, batch_size=2), "companies")[2:] == (0, 0)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not even rewritten

    if fmt == "csv":
        edited = labelled.replace(b"c7,Co 7,co7.com,INTERNET,100,", b"c7,Co 7,co7.com,RETAIL,100,")
        assert edited != labelled
        path.write_bytes(edited)
    else:
        t = pq.read_table(path)
        industry = t.column("industry").to_pylist()
        industry[7] = "RETAIL"
        pq.write_table(t.set_column(t.schema.get_field_index("industry"), "industry", pa.array(industry)), path, row_group_size=3)
        edited = None
    result = run(project, batch_size=2)
    assert figures(result, "companies")[2:] == (1, 1)  # c7 only, in the fourth batch
    if fmt == "csv":
        out = path.read_bytes()
        # everything before c7's row is byte-identical, the malformed row and the quoted newline included
        cut = edited.index(b"c7,")
        assert out[:cut] == edited[:cut]
        assert b"broken,row,with,too,many,fields,here,and,more\r\n" in out[:cut]
        assert {r["id"]: r["icp_tier"] for r in read_csv(path)}["c7"] == "C"
    else:
        t = pq.read_table(path)
        assert t.num_rows == 9
        assert t.column("id").to_pylist() == [f"c{i}" for i in range(9)]
        assert t.column("icp_tier").to_pylist() == ["A"] * 7 + ["C", "A"]
        assert t.column("name").to_pylist()[1] == "Multi\nline name"
