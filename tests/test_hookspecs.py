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
