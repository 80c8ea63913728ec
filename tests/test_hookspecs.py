"""Keep the hook documentation honest: every hook documents its parameters and is tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from crm_enrich import hookspecs

HOOKS = [
    (name, fn) for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "crm_enrich_spec")
]
TESTS = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))


def test_the_design_hooks_exist():
    assert {name for name, _ in HOOKS} == {
        "register_connectors", "register_enrichers", "register_providers", "register_scorers",
        "register_commands",
    }


@pytest.mark.parametrize("name, fn", HOOKS, ids=[n for n, _ in HOOKS])
def test_every_hook_documents_each_parameter(name, fn):
    doc = inspect.getdoc(fn) or ""
    assert doc.split("\n")[0].strip(), f"{name} has no summary line"
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name} does not document {param!r}"
    assert "Called" in doc, f"{name} does not say when it is called"


@pytest.mark.parametrize("name", [n for n, _ in HOOKS])
def test_every_hook_has_a_test(name):
    assert re.search(rf"def test_hook_{name}\b", TESTS), f"no test_hook_{name} in tests/"


PLUGIN_DOCS = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text()


@pytest.mark.parametrize("name, fn", HOOKS, ids=[n for n, _ in HOOKS])
def test_every_hook_has_a_section_in_the_plugin_docs(name, fn):
    """docs/plugins.md: a section per hook with its signature, each argument, when it is
    called and an example."""
    sections = re.split(r"^### ", PLUGIN_DOCS, flags=re.M)
    section = next((s for s in sections if s.startswith(f"`{name}`")), None)
    assert section is not None, f"docs/plugins.md has no '### `{name}`' section"
    assert f"def {name}(" in section, f"the {name} section does not show its signature"
    for param in inspect.signature(fn).parameters:
        assert f"**`{param}`**" in section, f"the {name} section does not describe {param!r}"
    assert "**When:**" in section, f"the {name} section does not say when it is called"
    assert section.count("```python") >= 2, f"the {name} section has no example beside its signature"
