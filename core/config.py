"""``plugins.toml``: which connector, which enrichers and scorers in which order, and each
plugin's settings.

Validation reports every problem at once, each with its key path and what was expected.
Unknown keys are errors, so a typo never passes silently. Secrets are only accepted by
indirection (``token = { env = "NAME" }``) and are masked wherever they are printed.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as SettingField
from pydantic_core import PydanticCustomError, core_schema

from .errors import ConfigError
from .protocols import WritePolicy
from .registry import Registry
from .waterfall import WaterfallSettings

DEFAULT_CONFIG = "plugins.toml"


class Secret:
    """A secret read from the environment; its text form never shows the value."""

    def __init__(self, env: str, value: str):
        self.env = env
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r})"

    __str__ = __repr__

    @classmethod
    def _validate(cls, raw: Any) -> Secret:
        if not isinstance(raw, dict):
            raise PydanticCustomError(
                "secret_inline",
                "secrets are never written in the file; use { env = \"NAME\" } and set NAME "
                "in the environment",
            )
        if set(raw) != {"env"} or not isinstance(raw["env"], str) or not raw["env"]:
            raise PydanticCustomError(
                "secret_form", "expected { env = \"NAME\" } naming an environment variable"
            )
        name = raw["env"]
        value = os.environ.get(name)
        if not value:
            raise PydanticCustomError(
                "secret_unset", "environment variable {name} is not set", {"name": name}
            )
        return cls(name, value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(repr),
        )


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = SettingField(100_000, gt=0, description="records per streamed batch")
    state: str = SettingField(".enrich/state.db", description="SQLite state store path")
    on_plugin_error: Literal["quarantine", "fail"] = "quarantine"


class WriteSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: dict[str, WritePolicy] = {}


class _TopLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connector: str
    enrichers: list[str] = []
    scorers: list[str] = []
    engine: EngineSettings = EngineSettings()
    write: WriteSettings = WriteSettings()
    waterfall: WaterfallSettings = WaterfallSettings()
    plugins: dict[str, dict[str, Any]] = {}


@dataclass
class Selected:
    """One plugin chosen by the config, with its validated settings."""

    name: str
    cls: type
    settings: BaseModel


@dataclass
class Config:
    path: Path
    connector: Selected
    enrichers: list[Selected]  # and providers, in the order listed
    scorers: list[Selected]
    engine: EngineSettings
    write_policy: dict[str, WritePolicy]
    waterfall: WaterfallSettings
    fingerprint: str  # hash of the file's text: a changed config is visible in run history

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def cache_dir(self) -> Path:
        """Plugins' derived data, kept between runs beside the state store."""
        return (self.directory / self.engine.state).parent / "cache"


def load_config(path: str | Path, registry: Registry) -> Config:
    """Read and validate ``path``; raise :class:`ConfigError` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"file not found (looked in {path.resolve().parent}); pass --config PATH"],
            source=str(path),
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], source=str(path)) from None

    problems: list[str] = []
    try:
        top = _TopLevel.model_validate(raw)
    except ValidationError as exc:
        problems += _describe(exc, _TopLevel, prefix=())
        top = None
    # Go on with whatever parsed, so plugin sections are checked in the same pass.
    plugin_tables = {k: v for k, v in _table(raw.get("plugins")).items() if isinstance(v, dict)}
    connector_name = raw.get("connector") if isinstance(raw.get("connector"), str) else None
    enricher_names = _names(raw.get("enrichers"))
    scorer_names = _names(raw.get("scorers"))

    disabled = {
        name
        for name, table in plugin_tables.items()
        if isinstance(table, dict) and table.get("enabled") is False
    }

    def pick(kind: str, key: str, names: list[str], position: bool) -> list[tuple[str, type]]:
        chosen, seen = [], set()
        available = getattr(registry, kind)
        if kind == "enrichers":  # providers are listed among the enrichers
            available = {**available, **registry.providers}
        for i, name in enumerate(names):
            where = f"{key}[{i}]" if position else key
            if name in seen:
                problems.append(f"{where}: {name!r} is listed twice")
                continue
            seen.add(name)
            if name not in available:
                problems.append(f"{where}: no {kind[:-1]} named {name!r}{_suggest(name, available)}")
                continue
            if name not in disabled:
                chosen.append((name, available[name]))
        return chosen

    connector = pick("connectors", "connector", [connector_name] if connector_name else [], position=False)
    if connector_name in disabled:
        problems.append(f"plugins.{connector_name}.enabled: the selected connector cannot be disabled")
    enrichers = pick("enrichers", "enrichers", enricher_names, position=True)
    scorers = pick("scorers", "scorers", scorer_names, position=True)

    for name in plugin_tables:
        if registry.kind_of(name) is None:
            problems.append(
                f"plugins.{name}: no installed plugin provides {name!r}"
                f"{_suggest(name, registry.all_names())}"
            )

    selected: dict[str, Selected] = {}
    for name, cls in connector + enrichers + scorers:
        table = dict(plugin_tables.get(name, {}))
        table.pop("enabled", None)
        settings_model = cls.Settings
        try:
            selected[name] = Selected(name, cls, settings_model.model_validate(table))
        except ValidationError as exc:
            problems += _describe(exc, settings_model, prefix=("plugins", name))

    if problems or top is None:
        raise ConfigError(problems, source=str(path))

    return Config(
        path=path.resolve(),
        connector=selected[connector[0][0]],
        enrichers=[selected[n] for n, _ in enrichers],
        scorers=[selected[n] for n, _ in scorers],
        engine=top.engine,
        write_policy=dict(top.write.policy),
        waterfall=top.waterfall,
        fingerprint=hashlib.sha256(text.encode()).hexdigest()[:16],
    )


def _table(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> list[str]:
    return [n for n in value if isinstance(n, str)] if isinstance(value, list) else []


def _suggest(name: str, candidates, label: str = "available") -> str:
    candidates = sorted(candidates)
    close = difflib.get_close_matches(name, candidates, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; {label}: {', '.join(candidates) or 'none'}"


def _path(parts: tuple) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def _describe(exc: ValidationError, model: type[BaseModel], prefix: tuple) -> list[str]:
    """Turn pydantic errors into one line each: key path, what was expected, what was given."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        where = _path(prefix + loc)
        if err["type"] == "extra_forbidden":
            known = _known_keys(model, loc[:-1])
            key = str(loc[-1])
            hint = _suggest(key, known, label="expected one of") if known else ""
            lines.append(f"{where}: unknown key{hint}")
            continue
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required key is missing"
        got = err.get("input")
        show_input = not err["type"].startswith("secret_") and err["type"] != "missing"
        if show_input and not isinstance(got, (dict, list)):
            message += f" (got {got!r})"
        lines.append(f"{where}: {message}")
    return lines


def _known_keys(model: Any, loc: tuple) -> list[str]:
    """The keys a table at ``loc`` accepts, walking the model through lists and dicts."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or n: f for n, f in current.model_fields.items()}
            field = fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (list, tuple):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """``Model | None`` -> ``Model``; anything else unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == 1:
            return models[0]
    return annotation
