"""plugins.toml: every problem at once, each with its key path; unknown keys are errors."""

from __future__ import annotations

import pytest

from crm_enrich.config import load_config
from crm_enrich.errors import ConfigError
from crm_enrich.registry import load_registry

BROKEN = """
connector = "filez"
enricher = ["employee_band"]
scorers = ["icp", "nope", "icp"]

[engine]
batch_size = -5
on_plugin_error = "ignore"

[write.policy]
icp_tier = "sometimes"

[plugins.icp]
tiers = { A = 50, B = 60, C = 40 }

[[plugins.icp.criteria]]
column = "industry"
in = ["X"]
wieght = 3

[[plugins.icp.criteria]]
column = "employees"
weight = -1
min = 3

[plugins.hubspot]
token = "abc"
"""


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "plugins.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, load_registry())
    assert str(caught.value).startswith(f"{path}: {len(caught.value.problems)} problem")
    return caught.value.problems


def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path):
    found = problems(tmp_path, BROKEN)
    expected = [
        "engine.batch_size: Input should be greater than 0 (got -5)",
        "engine.on_plugin_error: Input should be 'quarantine' or 'fail' (got 'ignore')",
        "write.policy.icp_tier: Input should be 'overwrite', 'fill_missing' or 'never' (got 'sometimes')",
        "enricher: unknown key (did you mean 'enrichers'?); expected one of: connector, engine, enrichers, plugins, scorers, waterfall, write",
        "connector: no connector named 'filez' (did you mean 'files'?); available: files",
        "scorers[1]: no scorer named 'nope'; available: icp, persona",
        "scorers[2]: 'icp' is listed twice",
        "plugins.hubspot: no installed plugin provides 'hubspot'; available: contact_country, email_type, employee_band, files, firmographics, icp, job_title, pdl, persona, reference",
        "plugins.icp.criteria[0].weight: required key is missing",
        "plugins.icp.criteria[0].wieght: unknown key (did you mean 'weight'?); expected one of: column, equals, in, "
        "includes_all, includes_any, matches, max, min, name, not_in, weight, where",
        "plugins.icp.criteria[1].weight: Input should be greater than 0 (got -1)",
        "plugins.icp.tiers: thresholds must descend A > B > C (got 50, 60, 40)",
    ]
    assert sorted(found) == sorted(expected)


def test_toml_syntax_error_names_line_and_column(tmp_path):
    [problem] = problems(tmp_path, 'connector = "files"\n[engine\nbatch_size = 3\n')
    assert problem.startswith("not valid TOML:") and "line 2" in problem


def test_missing_file_says_where_it_looked(tmp_path):
    with pytest.raises(ConfigError, match="file not found .*pass --config PATH"):
        load_config(tmp_path / "nowhere.toml", load_registry())


def test_the_connector_cannot_be_disabled(tmp_path):
    found = problems(tmp_path, 'connector = "files"\n[plugins.files]\nenabled = false\n'
                               'companies = { path = "a.csv" }\ncontacts = { path = "b.csv" }\n')
    assert found == ["plugins.files.enabled: the selected connector cannot be disabled"]


def test_a_plugin_with_required_settings_and_no_table(tmp_path):
    found = problems(tmp_path, 'connector = "files"\nscorers = ["icp"]\n')
    assert sorted(found) == [
        "plugins.files.companies: required key is missing",
        "plugins.files.contacts: required key is missing",
        "plugins.icp.criteria: required key is missing",
    ]


def test_a_valid_config_with_policy_and_fingerprint(tmp_path):
    path = tmp_path / "plugins.toml"
    text = ('connector = "files"\nscorers = ["icp"]\n[write.policy]\nicp_reasons = "never"\n'
            '[plugins.files]\ncompanies = { path = "a.csv" }\ncontacts = { path = "b.parquet" }\n'
            '[[plugins.icp.criteria]]\ncolumn = "industry"\nequals = "INTERNET"\nweight = 1\n')
    path.write_text(text)
    config = load_config(path, load_registry())
    assert (config.connector.name, [s.name for s in config.scorers]) == ("files", ["icp"])
    assert config.write_policy == {"icp_reasons": "never"}
    assert config.engine.batch_size == 100_000
    path.write_text(text + "# a comment changes the fingerprint\n")
    assert load_config(path, load_registry()).fingerprint != config.fingerprint
