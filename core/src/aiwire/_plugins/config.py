"""The user's configuration file, ``$AIWIRE_HOME/config.toml``.

It declares base URL overrides for installed providers, custom providers and
models for any endpoint that speaks an installed api, model aliases and the
default model (``docs/configuration.md``). It is read on first use, never on
``import aiwire``, and read again when the file changes. A file that cannot
be read or does not match the schema raises :class:`ConfigFileError` naming
the file, the problem and the fix.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from aiwire.errors import ConfigError
from aiwire.types import Model, ModelCost

if TYPE_CHECKING:
    from aiwire._plugins.hooks import ProviderSpec

__all__ = [
    "CONFIG_PLUGIN",
    "Config",
    "ConfigFileError",
    "aiwire_home",
    "config_path",
    "config_registrations",
    "load_config",
]

CONFIG_PLUGIN = "config"
"""The plugin name of what the configuration file registers."""
_INSTALLED_KEYS = frozenset({"base_url", "key_env", "default_model", "models"})

ALIAS_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class ConfigFileError(ConfigError):
    """``config.toml`` could not be read or is invalid."""


def aiwire_home() -> Path:
    """aiwire's folder: ``$AIWIRE_HOME`` when set, else the platform's user
    config folder (``$XDG_CONFIG_HOME/aiwire`` or ``~/.config/aiwire`` on
    Linux, ``~/Library/Application Support/aiwire`` on macOS,
    ``%APPDATA%\\aiwire`` on Windows)."""
    env = os.environ.get("AIWIRE_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "aiwire"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "aiwire"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "aiwire"


def config_path() -> Path:
    """Where the configuration file is (it need not exist)."""
    return aiwire_home() / "config.toml"


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ModelConfig(_Strict):
    """One ``[[providers.NAME.models]]`` row."""

    id: str
    name: str = ""
    api: str | None = None
    reasoning: bool = False
    input: tuple[str, ...] = ("text",)
    output: tuple[str, ...] = ("text",)
    cost: ModelCost = ModelCost()
    context_window: int = 0
    max_tokens: int = 0
    headers: dict[str, str] = {}
    compat: dict[str, Any] = {}


class ProviderConfig(_Strict):
    """One ``[providers.NAME]`` table: a new provider (``api`` and
    ``base_url`` given) or settings for an installed one."""

    api: str | None = None
    base_url: str | None = None
    name: str = ""
    key_env: str | list[str] = []
    auth: Literal["required", "optional", "none"] | None = None
    headers: dict[str, str] = {}
    compat: dict[str, Any] = {}
    default_model: str | None = None
    models: list[ModelConfig] = []

    @property
    def env(self) -> tuple[str, ...]:
        return (self.key_env,) if isinstance(self.key_env, str) else tuple(self.key_env)


class Config(_Strict):
    """The whole file."""

    default_model: str | None = None
    aliases: dict[str, str] = {}
    providers: dict[str, ProviderConfig] = {}
    path: str = ""
    """The file it was read from (set by :func:`load_config`, not in the file)."""

    def models_of(self, provider: str, api: str, base_url: str, compat: dict[str, Any]) -> list[Model]:
        """The models the file declares for ``provider``."""
        p = self.providers.get(provider)
        if p is None:
            return []
        return [
            Model(
                id=m.id,
                provider=provider,
                api=m.api or api,
                base_url=base_url.rstrip("/"),
                name=m.name or m.id,
                reasoning=m.reasoning,
                input=m.input,
                output=m.output,
                cost=m.cost,
                context_window=m.context_window,
                max_tokens=m.max_tokens,
                headers={**p.headers, **m.headers},
                compat={**compat, **m.compat},
            )
            for m in p.models
        ]


_EMPTY = Config()
_cache: dict[str, tuple[tuple[int, int], Config]] = {}
_where: tuple[tuple[str | None, ...], str] | None = None
_lock = threading.Lock()


def _config_file() -> str:
    """:func:`config_path` as a string, remembered while the variables it
    depends on stay the same (this runs once per request)."""
    global _where
    env = os.environ
    key = (env.get("AIWIRE_HOME"), env.get("XDG_CONFIG_HOME"), env.get("APPDATA"), env.get("HOME"))
    where = _where
    if where is None or where[0] != key:
        where = _where = (key, str(config_path()))
    return where[1]


def load_config(path: Path | None = None) -> Config:
    """The configuration (an empty one when the file does not exist),
    cached until the file changes."""
    name = str(path) if path is not None else _config_file()
    try:
        st = os.stat(name)
    except FileNotFoundError:
        return _EMPTY
    except OSError as exc:
        raise ConfigFileError(
            _bad(Path(name), f"it cannot be read ({exc.strerror})", "check its permissions")
        ) from None
    key = (st.st_mtime_ns, st.st_size)
    cached = _cache.get(name)
    if cached is not None and cached[0] == key:
        return cached[1]
    config = _parse(Path(name))
    with _lock:
        _cache[name] = (key, config)
    return config


def _bad(path: Path, problem: str, fix: str) -> str:
    return f"invalid aiwire configuration file {path}: {problem}; {fix} (see docs/configuration.md)"


def _parse(path: Path) -> Config:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigFileError(_bad(path, f"it cannot be read ({why})", "check the file")) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(_bad(path, f"it is not valid TOML ({exc})", "fix the syntax")) from None
    if "path" in data:  # Config.path is where the file was read from, not a setting
        raise ConfigFileError(_bad(path, "unknown key 'path'", "remove it"))
    try:
        config = msgspec.convert(data, Config)
    except msgspec.ValidationError as exc:
        raise ConfigFileError(_bad(path, str(exc), "fix or remove that entry")) from None
    _check(path, config)
    return msgspec.structs.replace(config, path=str(path))


def _check(path: Path, config: Config) -> None:
    for name, target in config.aliases.items():
        if not re.match(ALIAS_NAME, name):
            raise ConfigFileError(
                _bad(path, f"alias {name!r} is not a valid name", "use letters, digits, '.', '_' and '-' only")
            )
        if "/" not in target.strip("/"):
            raise ConfigFileError(_bad(path, f"alias {name!r} = {target!r} is not provider/model-id", "fix it"))
    for pid, p in config.providers.items():
        if not pid or "/" in pid:
            raise ConfigFileError(_bad(path, f"provider name {pid!r} is not valid", "use a name without '/'"))
        if p.base_url is not None and "://" not in p.base_url:
            raise ConfigFileError(
                _bad(path, f"providers.{pid}.base_url = {p.base_url!r} is not a URL", "write http(s)://host/path")
            )
        seen: set[str] = set()
        for m in p.models:
            if m.id in seen:
                raise ConfigFileError(_bad(path, f"model {pid}/{m.id} is declared twice", "remove one"))
            seen.add(m.id)


def config_registrations(installed: dict[str, ProviderSpec]) -> tuple[list[ProviderSpec], list[Model], str]:
    """What the file adds to a registry holding ``installed`` providers:
    provider specs (new ones, and installed ones with the file's key
    variables and default model), models, and the file's path ("" without
    a file)."""
    from aiwire._plugins.hooks import ProviderSpec

    config = load_config()
    if not config.path:
        return [], [], ""
    path = Path(config.path)
    specs: list[ProviderSpec] = []
    models: list[Model] = []
    for pid, p in config.providers.items():
        spec = installed.get(pid)
        if spec is None:
            if not p.api or not p.base_url:
                raise ConfigFileError(
                    _bad(
                        path,
                        f"[providers.{pid}] is not an installed provider and has no api and base_url",
                        'add api = "openai-completions" (or "anthropic-messages", "google-generative-ai") and '
                        "base_url, or install the plugin that provides it",
                    )
                )
            compat = dict(p.compat)
            spec = ProviderSpec(
                id=pid,
                name=p.name or pid,
                api=p.api,
                base_url=p.base_url.rstrip("/"),
                env=p.env,
                auth=p.auth or ("required" if p.env else "none"),
                headers=dict(p.headers),
                compat=compat if p.models else {**compat, "open_catalog": True},
                default_model=p.default_model or (p.models[0].id if p.models else None),
                plugin=CONFIG_PLUGIN,
            )
            specs.append(spec)
            models += config.models_of(pid, p.api, spec.base_url, compat)
            continue
        set_keys = {f for f in p.__struct_fields__ if f != "models" and getattr(p, f) != getattr(ProviderConfig(), f)}
        if set_keys - _INSTALLED_KEYS:
            raise ConfigFileError(
                _bad(
                    path,
                    f"[providers.{pid}] sets {', '.join(sorted(set_keys - _INSTALLED_KEYS))}, but {pid!r} is an "
                    f"installed provider (plugin {spec.plugin!r})",
                    f"for it only {', '.join(sorted(_INSTALLED_KEYS))} apply; declare a provider under another name "
                    "for a different api",
                )
            )
        if p.env or p.default_model:
            env = p.env + tuple(v for v in spec.env if v not in p.env)
            specs.append(msgspec.structs.replace(spec, env=env, default_model=p.default_model or spec.default_model))
        models += config.models_of(pid, spec.api, spec.base_url, dict(spec.compat))
    return specs, models, config.path
