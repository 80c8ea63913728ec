"""Every hook crm-enrich calls, in one place.

A plugin is a module (or object) with functions marked ``@crm_enrich.hookimpl`` whose
names match the specs below. Plugins are found through the ``crm_enrich`` entry-point
group; the built-in connectors, enrichers and scorers use that same group.

All hooks are called with keyword arguments, so an implementation may accept fewer
arguments than its spec: hooks grow by adding parameters without breaking plugins.

What a registered class must provide (attributes and methods) is described by the
protocols in :mod:`crm_enrich.protocols`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:
    import click

hookspec = pluggy.HookspecMarker("crm_enrich")


# ---------------------------------------------------------------------------
# Connectors
# ---------------------------------------------------------------------------


@hookspec
def register_connectors(register: Callable[[type], None]) -> None:
    """Register connector classes: the sources that read records and write labels back.

    :param register: call ``register(ConnectorClass)`` once per connector. The class
        follows :class:`crm_enrich.protocols.Connector`; its ``name`` is what
        ``connector = "..."`` in ``plugins.toml`` selects.

    Called once at start-up for every plugin. Two plugins registering the same name is
    a start-up error naming both.
    """


# ---------------------------------------------------------------------------
# Enrichers (firmographic: companies; demographic: contacts)
# ---------------------------------------------------------------------------


@hookspec
def register_enrichers(register: Callable[[type], None]) -> None:
    """Register enricher classes: plugins that add or fill columns before scoring.

    :param register: call ``register(EnricherClass)`` once per enricher. The class
        follows :class:`crm_enrich.protocols.Enricher`; ``object_type = "companies"``
        makes it a firmographic enricher, ``"contacts"`` a demographic one.

    Called once at start-up. Enrichers run in the order ``enrichers = [...]`` lists them
    in ``plugins.toml``; one that is registered but not listed does not run.
    """


@hookspec
def register_providers(register: Callable[[type], None]) -> None:
    """Register provider classes: outside sources of firmographics (a file, a vendor API).

    :param register: call ``register(ProviderClass)`` once per provider. The class follows
        :class:`crm_enrich.protocols.Provider`: it answers ``lookup(keys)`` and the engine
        does the rest (which records to ask for, cache, budget, provenance).

    Called once at start-up. Providers are listed among ``enrichers = [...]`` in
    ``plugins.toml``; consecutive or not, they form a waterfall in that order: a field is
    asked of a provider only while it is still missing or below ``min_confidence``.
    """


# ---------------------------------------------------------------------------
# Scorers
# ---------------------------------------------------------------------------


@hookspec
def register_scorers(register: Callable[[type], None]) -> None:
    """Register scorer classes: plugins that derive labels (ICP fit, persona, priority).

    :param register: call ``register(ScorerClass)`` once per scorer. The class follows
        :class:`crm_enrich.protocols.Scorer`.

    Called once at start-up. Company scorers run before contact scorers, each group in
    the order ``scorers = [...]`` lists them in ``plugins.toml``.
    """


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``enrich`` command line.

    :param cli: the top-level :class:`click.Group`; decorate functions with
        ``@cli.command()`` to add ``enrich <name>``.

    Called once when the command line is built, before arguments are parsed.
    """
