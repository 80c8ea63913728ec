"""Finding, loading and registering plugins.

Plugins come from the ``crm_enrich`` entry-point group, built-ins included. Set
``CRM_ENRICH_PLUGINS`` to a comma-separated list of entry-point names to load only those
(an empty value loads none); our own test suite uses it so that plugins installed in the
environment never leak into it.
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass, field
from functools import cache

import pluggy

from . import hookspecs
from .errors import ConfigError

GROUP = "crm_enrich"
KINDS = ("connectors", "enrichers", "providers", "scorers")


@dataclass
class LoadedPlugin:
    """One registered plugin module and where it came from."""

    name: str
    distribution: str
    version: str
    hooks: list[str] = field(default_factory=list)
    provides: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Registry:
    """Every connector, enricher, provider and scorer class the loaded plugins registered, by name."""

    plugin_manager: pluggy.PluginManager
    plugins: list[LoadedPlugin]
    connectors: dict[str, type] = field(default_factory=dict)
    enrichers: dict[str, type] = field(default_factory=dict)
    providers: dict[str, type] = field(default_factory=dict)
    scorers: dict[str, type] = field(default_factory=dict)

    def kind_of(self, name: str) -> str | None:
        for kind in KINDS:
            if name in getattr(self, kind):
                return kind
        return None

    def all_names(self) -> list[str]:
        return sorted({n for kind in KINDS for n in getattr(self, kind)})


def _selected() -> set[str] | None:
    raw = os.environ.get("CRM_ENRICH_PLUGINS")
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def load_registry(extra_plugins: tuple[object, ...] = ()) -> Registry:
    """Load entry-point plugins (and ``extra_plugins``, for tests), then collect registrations.

    Fails loudly on a hook implementation that matches no spec (a misspelled hook name
    would otherwise do nothing) and on two plugins registering the same name.
    """
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    loaded: list[LoadedPlugin] = []
    entry_points = importlib.metadata.entry_points(group=GROUP)
    wanted = _selected()
    problems: list[str] = []
    for ep in sorted(entry_points, key=lambda e: e.name):
        if wanted is not None and ep.name not in wanted:
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            module = ep.load()
        except Exception as exc:  # a broken third-party plugin must not hide the others' errors
            problems.append(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc!r}")
            continue
        pm.register(module, name=ep.name)
        dist = ep.dist
        loaded.append(
            LoadedPlugin(ep.name, dist.name if dist else "?", dist.version if dist else "?")
        )
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        pm.register(plugin, name=name)
        loaded.append(LoadedPlugin(name, "(registered in-process)", "-"))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        problems.append(f"plugin {pm.get_name(exc.plugin)!r}: {exc} (a misspelled hook name?)")
    if problems:
        raise ConfigError(problems, source="plugins")

    registry = Registry(pm, loaded)
    by_name = {p.name: p for p in loaded}
    for p in loaded:
        plugin = pm.get_plugin(p.name)
        p.hooks = sorted(
            hc.name for hc in pm.get_hookcallers(plugin) or [] if hc.name.startswith("register_")
        )
    # Enrichers and providers share the ``enrichers = [...]`` list, so one namespace.
    namespace = {"connectors": "connectors", "enrichers": "stages", "providers": "stages", "scorers": "scorers"}
    owners: dict[tuple[str, str], tuple[str, str]] = {}
    for kind in KINDS:
        hook = getattr(pm.hook, f"register_{kind}")
        for impl in hook.get_hookimpls():
            collected: list[type] = []
            impl.function(**_kwargs(impl.argnames, register=collected.append))
            for cls in collected:
                name = getattr(cls, "name", None)
                if not isinstance(name, str) or not name:
                    problems.append(f"plugin {impl.plugin_name!r} registered {cls!r} without a name")
                    continue
                owner = owners.get((namespace[kind], name))
                if owner is not None:
                    problems.append(
                        f"{name!r} is registered by both plugin {owner[0]!r} ({_a(owner[1])}) "
                        f"and plugin {impl.plugin_name!r} ({_a(kind)})"
                    )
                    continue
                getattr(registry, kind)[name] = cls
                owners[(namespace[kind], name)] = (impl.plugin_name, kind)
                by_name[impl.plugin_name].provides.setdefault(kind, []).append(name)
    if problems:
        raise ConfigError(problems, source="plugins")
    return registry


def _a(kind: str) -> str:
    """``enrichers`` -> ``an enricher``."""
    noun = kind[:-1]
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _kwargs(argnames: tuple[str, ...], **available):
    return {k: v for k, v in available.items() if k in argnames}


@cache
def default_registry() -> Registry:
    return load_registry()
