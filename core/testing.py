"""Contract suites for plugin authors: is my connector, enricher, scorer or provider one the
engine can rely on?

Subclass a contract in a test module, name the class ``Test...`` and say how to build your
plugin; pytest collects the inherited tests::

    from crm_enrich.testing import ConnectorContract

    class TestMyConnector(ConnectorContract):
        plugin = MyConnector

        def seed(self, tmp_path, companies, contacts):
            ...  # put the kit's sample records into a fresh source
            return {"path": str(tmp_path / "crm.db")}  # the plugin's settings for it

Each contract checks what the engine assumes (docs/plugins.md lists it). A check that
cannot apply to a plugin is exempted with a reason, which the test report shows::

    exemptions = {"reads_labels_back": "the API cannot read custom fields back"}

An exemption without a reason fails. The module is also a pytest plugin (loaded through
the ``pytest11`` entry point) that provides the ``plugin_context`` and ``quarantined``
fixtures.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
import pytest

from . import columns
from .errors import EnrichError
from .protocols import ChangeSet, Field, PluginContext, Quarantined

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

SAMPLE_COMPANIES: list[dict[str, Any]] = [
    {"id": "k1", "name": "Acme Software", "domain": "acme.com", "industry": "COMPUTER_SOFTWARE",
     "employees": 250, "annual_revenue": 20e6, "country": "US", "technologies": ["salesforce", "aws"]},
    {"id": "k2", "name": "Müller Logistik GmbH", "domain": "mueller-logistik.de", "industry": "LOGISTICS_AND_SUPPLY_CHAIN",
     "employees": 40, "country": "DE"},
    {"id": "k3", "name": "Tiny Shop", "domain": "tinyshop.fr", "employees": 3, "country": "FR"},
    {"id": "k4", "name": "Société Lumière", "website": "https://www.lumiere.fr/about", "industry": "INTERNET"},
    {"id": "k5", "name": "Blank Co"},
]
SAMPLE_CONTACTS: list[dict[str, Any]] = [
    {"id": "q1", "email": "ana@acme.com", "first_name": "Ana", "job_title": "VP Engineering", "company_id": "k1"},
    {"id": "q2", "email": "bo@mueller-logistik.de", "first_name": "Bo", "job_title": "Geschäftsführer", "company_id": "k2"},
    {"id": "q3", "email": "cy@acme.com", "job_title": "Account Executive", "company_id": "k1", "country": "US"},
    {"id": "q4", "email": "di@gmail.com", "job_title": "Consultant", "phone": "+33 1 42 68 53 00"},
    {"id": "q5", "email": "info@tinyshop.fr", "company_id": "k3"},
    {"id": "q6"},
]
# What the engine joins onto each contact before contact plugins run: its company's context.
CONTACT_CONTEXT = {
    "q1": {"company_employees": 250, "company_industry": "COMPUTER_SOFTWARE", "icp_tier": "A"},
    "q2": {"company_employees": 40, "company_industry": "LOGISTICS_AND_SUPPLY_CHAIN", "icp_tier": "C"},
    "q3": {"company_employees": 250, "company_industry": "COMPUTER_SOFTWARE", "icp_tier": "A"},
    "q5": {"company_employees": 3, "icp_tier": "D"},
}

# Labels the connector contract writes: an enumeration, a number and free text.
KIT_OUTPUTS: dict[str, Field] = {
    "kit_tier": Field(pa.string(), "contract test label", options=("A", "B", "C", "D")),
    "kit_score": Field(pa.int64(), "contract test score"),
    "kit_reasons": Field(pa.string(), "contract test text"),
}


def canonical_table(object_type: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as a table with every canonical input column of ``object_type`` (nulls where absent)."""
    schema = columns.INPUTS[object_type]
    stamped = [{"updated_at": NOW - timedelta(days=i), **row} for i, row in enumerate(rows)]
    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in stamped], schema=schema)


def sample(object_type: str) -> pa.Table:
    """The kit's sample records, as the engine hands them to a plugin of ``object_type``."""
    if object_type == "companies":
        return canonical_table("companies", SAMPLE_COMPANIES)
    table = canonical_table("contacts", SAMPLE_CONTACTS)
    for name, kind in (("company_employees", pa.int64()), ("company_industry", pa.string()), ("icp_tier", pa.string())):
        table = table.append_column(name, pa.array([CONTACT_CONTEXT.get(i, {}).get(name) for i in table["id"].to_pylist()], kind))
    return table


# -- the pytest plugin's fixtures --------------------------------------------------------------


@pytest.fixture
def quarantined() -> list[Quarantined]:
    """What the plugin under test set aside through its context."""
    return []


@pytest.fixture
def plugin_context(tmp_path: Path, quarantined: list[Quarantined]) -> PluginContext:
    """A context like the engine's: paths resolve in ``tmp_path``; quarantine is recorded;
    a cache directory in ``tmp_path``."""
    return PluginContext(tmp_path, quarantined.append, tmp_path / ".enrich" / "cache")


class _Contract:
    plugin: ClassVar[type]
    settings: ClassVar[dict[str, Any]] = {}
    exemptions: ClassVar[dict[str, str]] = {}

    def exempt(self, check: str) -> None:
        """Skip ``check`` with its stated reason; an exemption needs one."""
        if check in self.exemptions:
            reason = (self.exemptions[check] or "").strip()
            if not reason:
                pytest.fail(f"{type(self).__name__}.exemptions[{check!r}] gives no reason; say why it cannot apply")
            pytest.skip(f"exempt: {reason}")

    def test_settings_refuse_unknown_keys(self):
        """A typo in plugins.toml must be an error with its key path, never ignored."""
        settings = getattr(self.plugin, "Settings", None)
        assert settings is not None, f"{self.plugin.__name__} has no Settings model"
        assert settings.model_config.get("extra") == "forbid", (
            f"{self.plugin.__name__}.Settings should set model_config = ConfigDict(extra='forbid')")

    def build(self, plugin_context: PluginContext, settings: Mapping[str, Any] | None = None):
        values = dict(self.settings if settings is None else settings)
        return self.plugin(self.plugin.Settings.model_validate(values), plugin_context)


def _name(plugin: Any) -> str:
    """``JsonConnector (broken_json)``, for a plugin class or an instance of one."""
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__name__} ({getattr(plugin, 'name', '?')})"


# -- connectors ------------------------------------------------------------------------------


class ConnectorContract(_Contract):
    """What the engine assumes of a connector (``crm_enrich.protocols.Connector``).

    Implement ``seed(tmp_path, companies, contacts)``: write the kit's sample records (lists
    of canonical dicts) into a fresh source and return the plugin's settings for it. An
    incremental connector also implements ``touch(settings, object_type, record_id)``:
    change that record in the source so that its ``updated_at`` moves past every other.
    """

    batch_size: ClassVar[int] = 2
    ids: dict[str, str]  # sample id -> the source's id, where the source assigns its own

    def id_of(self, sample_id: str) -> str:
        return getattr(self, "ids", {}).get(sample_id, sample_id)

    def seed(self, tmp_path: Path, companies: list[dict], contacts: list[dict]) -> dict[str, Any]:
        raise NotImplementedError("implement seed(tmp_path, companies, contacts) -> settings")

    def touch(self, settings: dict[str, Any], object_type: str, record_id: str) -> None:
        raise NotImplementedError("an incremental connector implements touch(settings, object_type, record_id)")

    @pytest.fixture
    def source(self, tmp_path: Path) -> dict[str, Any]:
        return self.seed(tmp_path, [dict(r) for r in SAMPLE_COMPANIES], [dict(r) for r in SAMPLE_CONTACTS])

    @pytest.fixture
    def connector(self, source, plugin_context):
        return self.build(plugin_context, source)

    def read_all(self, connector, object_type: str, **options) -> pl.DataFrame:
        batches = list(connector.read(object_type, outputs=KIT_OUTPUTS, batch_size=self.batch_size, **options))
        if not batches:
            return pl.from_arrow(connector.schema(object_type, KIT_OUTPUTS).empty_table())
        return pl.from_arrow(pa.Table.from_batches(batches))

    @pytest.mark.parametrize("object_type", columns.OBJECT_TYPES)
    def test_declares_id_canonical_types_and_the_outputs(self, connector, object_type):
        schema = connector.schema(object_type, KIT_OUTPUTS)
        assert "id" in schema.names, f"{_name(connector)}: schema({object_type!r}) has no 'id' column"
        canonical = columns.INPUTS[object_type]
        for f in schema:
            expected = canonical.field(f.name).type if f.name in canonical.names else None
            expected = expected or (KIT_OUTPUTS[f.name].type if f.name in KIT_OUTPUTS else None)
            assert expected is not None, f"{_name(connector)}: {object_type} column {f.name!r} is neither canonical nor an output"
            assert columns.text_blind(f.type) == columns.text_blind(expected), (
                f"{_name(connector)}: {object_type} column {f.name!r} is {f.type}, the contract says {expected}")
        missing = [n for n in KIT_OUTPUTS if n not in schema.names]
        assert not missing, (f"{_name(connector)}: schema({object_type!r}) leaves out the outputs {missing}: the "
                             "engine diffs new labels against what the source holds, so declare them")

    def test_an_output_that_is_also_an_input_appears_once(self, connector):
        """Enrichers fill canonical inputs (``country``, ``industry``): such an output is one column."""
        outputs = {**KIT_OUTPUTS, "country": Field(pa.string(), "country, filled", policy="fill_missing")}
        schema = connector.schema("companies", outputs)
        twice = sorted({n for n in schema.names if schema.names.count(n) > 1})
        assert not twice, f"{_name(connector)}: schema('companies', outputs) declares {twice} more than once"
        for batch in connector.read("companies", outputs=outputs, batch_size=self.batch_size):
            assert batch.schema.equals(schema), f"{_name(connector)}: a batch does not match the declared schema"

    @pytest.mark.parametrize("object_type", columns.OBJECT_TYPES)
    def test_reads_every_record_once_in_batches_within_size_matching_the_schema(self, connector, object_type):
        schema = connector.schema(object_type, KIT_OUTPUTS)
        ids = []
        for batch in connector.read(object_type, outputs=KIT_OUTPUTS, batch_size=self.batch_size):
            assert batch.num_rows <= self.batch_size, (
                f"{_name(connector)}: a {object_type} batch has {batch.num_rows} rows; batch_size was {self.batch_size}")
            assert batch.schema.equals(schema), (
                f"{_name(connector)}: a {object_type} batch does not match the declared schema:\n"
                f"  batch    {batch.schema}\n  declared {schema}")
            ids += pa.Table.from_batches([batch]).column("id").to_pylist()
        expected = [self.id_of(r["id"]) for r in (SAMPLE_COMPANIES if object_type == "companies" else SAMPLE_CONTACTS)]
        assert None not in ids, f"{_name(connector)}: a {object_type} record has no id"
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        assert not duplicated, f"{_name(connector)}: {object_type} ids read more than once: {duplicated}"
        assert sorted(map(str, ids)) == sorted(expected), (
            f"{_name(connector)}: read {object_type} ids {sorted(map(str, ids))}, the source holds {sorted(expected)}")

    def test_ids_and_values_are_stable_between_reads(self, connector):
        first, second = self.read_all(connector, "companies"), self.read_all(connector, "companies")
        assert first.get_column("id").to_list() == second.get_column("id").to_list(), (
            f"{_name(connector)}: two reads gave the records in another order or with other ids")
        if "name" in first.columns:
            names = dict(zip(first.get_column("id").cast(pl.String), first.get_column("name")))
            assert names == {self.id_of(r["id"]): r.get("name") for r in SAMPLE_COMPANIES}, (
                f"{_name(connector)}: names read back differ from the ones seeded: {names}")

    def changes(self, object_type: str, ids: list[str], values: dict[str, list], changed: dict[str, list[bool]]) -> ChangeSet:
        table = pa.table({"id": pa.array(ids, pa.string()),
                          **{n: pa.array(values[n], KIT_OUTPUTS[n].type) for n in KIT_OUTPUTS}})
        mask = pa.table({n: pa.array(changed[n], pa.bool_()) for n in KIT_OUTPUTS})
        return ChangeSet(object_type, table, mask)

    def write_labels(self, connector, object_type: str, label: Any) -> None:
        """Write labels for every record, batch by batch as the engine does; ``label(id)``
        gives ``{output: value}`` or None to leave the record out of the change set."""
        writer = connector.writer(object_type, KIT_OUTPUTS)
        try:
            for batch in connector.read(object_type, outputs=KIT_OUTPUTS, batch_size=self.batch_size):
                ids = [str(i) for i in batch.column("id").to_pylist()]
                chosen = [(i, label(i)) for i in ids if label(i) is not None]
                values = {n: [v[n] for _, v in chosen] for n in KIT_OUTPUTS}
                changed = {n: [n in v.get("_changed", KIT_OUTPUTS) for _, v in chosen] for n in KIT_OUTPUTS}
                writer.write(self.changes(object_type, [i for i, _ in chosen], values, changed))
        except BaseException:
            writer.abort()
            raise
        writer.commit()

    def labels_read_back(self, connector, object_type: str) -> dict[str, tuple]:
        df = self.read_all(connector, object_type)
        return {str(r["id"]): tuple(r[n] for n in KIT_OUTPUTS) for r in df.iter_rows(named=True)}

    @pytest.mark.parametrize("object_type", columns.OBJECT_TYPES)
    def test_writes_labels_and_reads_them_back(self, connector, object_type):
        self.exempt("reads_labels_back")
        self.write_labels(connector, object_type, lambda i: {"kit_tier": "B", "kit_score": len(i), "kit_reasons": f"for {i}"})
        got = self.labels_read_back(connector, object_type)
        wrong = {i: v for i, v in got.items() if v != ("B", len(i), f"for {i}")}
        assert not wrong, f"{_name(connector)}: {object_type} labels read back differ from those written: {wrong}"

    def test_writes_only_the_changed_fields_of_changed_records(self, connector):
        self.exempt("reads_labels_back")
        self.write_labels(connector, "companies", lambda i: {"kit_tier": "C", "kit_score": 1, "kit_reasons": "first"})
        # k1: only kit_score marked changed (its other new values must not land); k2: not in the set
        k1, k2 = self.id_of("k1"), self.id_of("k2")
        self.write_labels(connector, "companies", lambda i: (
            {"kit_tier": "A", "kit_score": 99, "kit_reasons": "second", "_changed": ("kit_score",)} if i == k1 else None
        ))
        got = self.labels_read_back(connector, "companies")
        assert got[k1] == ("C", 99, "first"), (
            f"{_name(connector)}: k1 should be ('C', 99, 'first') (only kit_score was marked changed), got {got[k1]}")
        assert got[k2] == ("C", 1, "first"), f"{_name(connector)}: k2 was not in the change set but became {got[k2]}"

    def test_an_aborted_write_leaves_the_source_as_it_was(self, connector):
        self.exempt("abort")
        before = self.read_all(connector, "companies")
        writer = connector.writer("companies", KIT_OUTPUTS)
        for batch in connector.read("companies", outputs=KIT_OUTPUTS, batch_size=self.batch_size):
            ids = [str(i) for i in batch.column("id").to_pylist()]
            writer.write(self.changes("companies", ids, {"kit_tier": ["D"] * len(ids), "kit_score": [0] * len(ids),
                                                        "kit_reasons": ["aborted"] * len(ids)},
                                      {n: [True] * len(ids) for n in KIT_OUTPUTS}))
        writer.abort()
        after = self.read_all(connector, "companies")
        assert after.equals(before), f"{_name(connector)}: an aborted write changed the source"

    def test_incremental_reads_return_only_records_changed_since(self, connector, source):
        if not getattr(connector, "incremental", False):
            pytest.skip("not incremental: read() ignores since")
        everything = self.read_all(connector, "contacts")
        newest = everything.get_column("updated_at").max()
        self.touch(source, "contacts", "q2")
        got = self.read_all(connector, "contacts", since=newest)
        ids = got.get_column("id").cast(pl.String).to_list()
        assert self.id_of("q2") in ids, f"{_name(connector)}: read(since=newest) missed the record changed since: {ids}"
        older = got.filter(pl.col("updated_at") < newest).get_column("id").cast(pl.String).to_list()
        assert not older, f"{_name(connector)}: read(since=newest) also gave records last changed before it: {older}"

    def test_counts_what_it_reads(self, connector):
        count = getattr(connector, "count", None)
        if count is None:
            pytest.skip("no count(): the progress bar shows no total")
        for object_type in columns.OBJECT_TYPES:
            total, read = count(object_type), self.read_all(connector, object_type).height
            assert total in (None, read), f"{_name(connector)}: count({object_type!r}) is {total}, read gives {read}"

    def test_an_empty_change_set_changes_nothing(self, connector):
        before = self.read_all(connector, "companies")
        self.write_labels(connector, "companies", lambda i: None)
        assert self.read_all(connector, "companies").equals(before), (
            f"{_name(connector)}: committing change sets with no records changed the source")

    def test_check_says_what_it_checked(self, connector):
        lines = connector.check()
        assert isinstance(lines, list) and lines and all(isinstance(x, str) and x for x in lines), (
            f"{_name(connector)}: check() should return a line per thing checked, got {lines!r}")

    def test_an_unreachable_source_is_a_typed_error(self, tmp_path, plugin_context):
        self.exempt("unreachable_source")
        settings = self.unreachable(tmp_path)
        try:
            connector = self.build(plugin_context, settings)
            connector.check()
            list(connector.read("companies", outputs=KIT_OUTPUTS, batch_size=self.batch_size))
        except EnrichError:
            return
        except Exception as exc:  # noqa: BLE001 - the point: it must be typed
            pytest.fail(f"{_name(self.plugin)}: an unreachable source raised {type(exc).__name__}: {exc}; raise "
                        "crm_enrich.errors.SourceError (or ConfigError) so the command line can say what to do")
        pytest.fail(f"{self.plugin.__name__}: nothing failed for an unreachable source ({settings})")

    def unreachable(self, tmp_path: Path) -> dict[str, Any]:
        """Settings for a source that is not there; override, or exempt ``unreachable_source``."""
        raise NotImplementedError("implement unreachable(tmp_path) -> settings, or exempt 'unreachable_source'")


# -- enrichers and scorers ----------------------------------------------------------------------


class _LabellerContract(_Contract):
    method: ClassVar[str]

    @pytest.fixture
    def instance(self, plugin_context):
        return self.build(plugin_context)

    def input(self) -> pa.Table:
        """The records the plugin is given; override to add columns your plugin reads."""
        return sample(self.plugin.object_type)

    def run(self, instance, table: pa.Table) -> pa.Table:
        result = getattr(instance, self.method)(table)
        assert isinstance(result, pa.Table), f"{_name(instance)}: {self.method}() returned {type(result).__name__}"
        return result

    def test_declares_its_outputs_as_fields(self, instance):
        assert instance.object_type in columns.OBJECT_TYPES
        assert instance.outputs, f"{_name(instance)}: declares no outputs"
        for name, spec in instance.outputs.items():
            assert isinstance(spec, Field) and isinstance(spec.type, pa.DataType), (
                f"{_name(instance)}: output {name!r} is not a crm_enrich.protocols.Field with a pyarrow type")

    def test_keeps_every_row_in_order_and_returns_every_output(self, instance):
        table = self.input()
        result = self.run(instance, table)
        assert result.num_rows == table.num_rows, f"{_name(instance)}: {table.num_rows} rows in, {result.num_rows} out"
        if "id" in result.column_names:
            assert result.column("id").to_pylist() == table.column("id").to_pylist(), (
                f"{_name(instance)}: rows came back in another order, or with other ids")
        missing = [n for n in instance.outputs if n not in result.column_names]
        assert not missing, f"{_name(instance)}: did not return its declared outputs {missing}"
        for name, spec in instance.outputs.items():
            try:
                result.column(name).cast(spec.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                pytest.fail(f"{_name(instance)}: output {name!r} does not cast to its declared {spec.type}: {exc}")

    def test_values_stay_inside_declared_options(self, instance):
        result = self.run(instance, self.input())
        for name, spec in instance.outputs.items():
            if not spec.options:
                continue
            values = result.column(name).to_pylist()
            if spec.multiple:
                values = [part for v in values if v for part in str(v).split(";")]
            outside = sorted({str(v) for v in values if v is not None} - set(spec.options))
            assert not outside, f"{_name(instance)}: output {name!r} has values outside its options: {outside}"

    def test_all_null_inputs_are_handled(self, instance):
        table = self.input()
        nulls = pa.table({c: (table.column(c) if c == "id" else pa.nulls(table.num_rows, table.schema.field(c).type))
                          for c in table.column_names})
        result = self.run(instance, nulls)
        assert result.num_rows == nulls.num_rows, f"{_name(instance)}: dropped rows whose inputs are all null"

    def test_an_empty_batch_gives_an_empty_result(self, instance):
        result = self.run(instance, self.input().slice(0, 0))
        assert result.num_rows == 0, f"{_name(instance)}: an empty batch gave {result.num_rows} rows"

    def test_is_idempotent(self, plugin_context):
        self.exempt("idempotent")
        once = self.run(self.build(plugin_context), self.input())
        again = self.run(self.build(plugin_context), self.input())
        fed = self.run(self.build(plugin_context), _with_outputs(self.input(), once, self.build(plugin_context).outputs))
        for name in self.build(plugin_context).outputs:
            assert again.column(name).to_pylist() == once.column(name).to_pylist(), (
                f"{_name(self.plugin)}: output {name!r} differs between two runs on the same input")
            assert fed.column(name).to_pylist() == once.column(name).to_pylist(), (
                f"{_name(self.plugin)}: output {name!r} changes when the plugin sees its own output again")


def _with_outputs(table: pa.Table, result: pa.Table, outputs: Mapping[str, Field], append: bool = False) -> pa.Table:
    """``table`` with the plugin's outputs that are also its inputs set to what it gave
    (``append``: and the others added, as the engine's labelled record has them)."""
    for name in outputs:
        if name in table.column_names:
            table = columns.with_column(table, name, result.column(name).cast(table.schema.field(name).type))
        elif append:
            table = columns.with_column(table, name, result.column(name))
    return table


class EnricherContract(_LabellerContract):
    """What the engine assumes of an enricher (``crm_enrich.protocols.Enricher``)."""

    method = "enrich"


class ScorerContract(_LabellerContract):
    """What the engine assumes of a scorer: enricher rules, plus labels inside their declared
    taxonomy and reasons beside them (``crm_enrich.protocols.Scorer``)."""

    method = "score"

    def test_every_label_comes_with_its_reasons(self, instance):
        self.exempt("reasons")
        result = self.run(instance, self.input())
        labels = [n for n, f in instance.outputs.items() if f.options]
        reasons = [n for n in instance.outputs if n.endswith("reasons")]
        assert reasons, f"{_name(instance)}: declares no '*_reasons' output saying why a label was given"
        for i in range(result.num_rows):
            if any(result.column(n)[i].as_py() is not None for n in labels):
                assert any((result.column(n)[i].as_py() or "").strip() for n in reasons), (
                    f"{_name(instance)}: row {i} has a label but no reasons")

    def test_explains_a_record_in_lines(self, instance):
        table = self.input()
        labelled = _with_outputs(table, self.run(instance, table), instance.outputs, append=True)
        lines = instance.explain(labelled.slice(0, 1))  # as the engine passes it: the whole record
        assert isinstance(lines, list) and all(isinstance(x, str) for x in lines), (
            f"{_name(instance)}: explain() should return a list of lines, got {lines!r}")


# -- providers ----------------------------------------------------------------------------------


class ProviderContract(_Contract):
    """What the waterfall assumes of a provider (``crm_enrich.protocols.Provider``).

    Set ``known`` to keys the source you set up in ``settings`` (or a fixture) knows, and
    ``unknown`` to keys it does not.
    """

    known: ClassVar[list[str]] = []
    unknown: ClassVar[list[str]] = ["no-such-company.example"]

    @pytest.fixture
    def instance(self, plugin_context):
        return self.build(plugin_context)

    def test_declares_its_key_and_fields(self, instance):
        assert instance.key in columns.INPUTS[instance.object_type].names, (
            f"{_name(instance)}: looks records up by {instance.key!r}, which is not a canonical column")
        for name, spec in instance.fields.items():
            assert name in columns.INPUTS[instance.object_type].names, (
                f"{_name(instance)}: field {name!r} is not a canonical {instance.object_type} column")
            assert spec.policy == "fill_missing", f"{_name(instance)}: field {name!r} should be fill_missing by default"
        assert isinstance(instance.paid, bool)

    def test_answers_known_keys_once_and_leaves_unknown_ones_out(self, instance):
        assert self.known, f"{type(self).__name__}: set known = [keys the source knows]"
        asked = [*self.known, *self.unknown]
        result = instance.lookup(pa.array(asked, pa.string()))
        assert isinstance(result, pa.Table), f"{_name(instance)}: lookup() returned {type(result).__name__}"
        keys = [str(k) for k in result.column(instance.key).to_pylist()]
        assert sorted(keys) == sorted(self.known), f"{_name(instance)}: answered {sorted(keys)} for known {sorted(self.known)}"
        extra = [c for c in result.column_names if c not in (instance.key, "confidence", *instance.fields)]
        assert not extra, f"{_name(instance)}: answered columns it does not declare: {extra}"
        if "confidence" in result.column_names:
            sure = [c for c in result.column("confidence").to_pylist() if c is not None]
            assert all(0 <= c <= 1 for c in sure), f"{_name(instance)}: confidence outside 0..1: {sure}"

    def test_answers_the_same_when_built_again(self, plugin_context, instance):
        """A second run gets what the first kept in ``cache_dir``, if anything: same answers."""
        asked = pa.array([*self.known, *self.unknown], pa.string())
        first = pl.from_arrow(instance.lookup(asked)).sort(instance.key)
        again = pl.from_arrow(self.build(plugin_context).lookup(asked)).sort(instance.key)
        assert again.equals(first), f"{_name(instance)}: answered differently when built again:\n{first}\n{again}"

    def test_no_keys_no_answers(self, instance):
        result = instance.lookup(pa.array([], pa.string()))
        assert result.num_rows == 0, f"{_name(instance)}: answered {result.num_rows} rows for no keys"
