"""``enrich plugins new``: a plugin package that passes the contract kit from the start."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import click

from .. import __version__

TEMPLATES = files(__name__)


def scaffold(kind: str, name: str, parent: Path) -> Path:
    """Write the package for plugin ``name`` into ``parent``; returns its folder."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise click.UsageError(f"{name!r}: a plugin name is lower case letters, digits and _, starting with a letter")
    dist = name.replace("_", "-")
    values = {
        "name": name,
        "dist": dist,
        "module": f"crm_enrich_{name}",
        "cls": "".join(part.title() for part in name.split("_")) + kind.title(),
        "core_version": __version__,
    }
    target = parent / f"crm-enrich-{dist}"
    if target.exists():
        raise click.UsageError(f"{target} exists already; choose another name or --dir")
    layout = {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        f"src/{values['module']}/__init__.py": "module.py.tmpl",
        f"tests/test_{name}.py": "test_module.py.tmpl",
    }
    for relative, template in layout.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TEMPLATES.joinpath(kind, template).read_text(encoding="utf-8").format(**values), encoding="utf-8")
    return target
