"""Where a provider's requests go: its base URL after the user's overrides.

Precedence, first wins: a per-call setting (``Client(base_urls=...)`` or a
model built with another ``base_url``), the environment (the variables the
provider declares in ``ProviderSpec.base_url_env``, then ``<ID>_BASE_URL``),
the configuration file (``[providers.ID] base_url``), the plugin's default.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import urlsplit, urlunsplit

from aiwire._plugins.config import load_config
from aiwire._plugins.hooks import ProviderSpec
from aiwire.errors import BadOptionsError

__all__ = ["base_url_for", "env_var_name", "override_base_url"]


@functools.lru_cache(maxsize=256)
def env_var_name(provider: str, suffix: str = "BASE_URL") -> str:
    """``<ID>_BASE_URL``: the id upper-cased, other characters as ``_``."""
    return re.sub(r"[^A-Za-z0-9]", "_", provider).upper() + "_" + suffix


def base_url_for(spec: ProviderSpec) -> tuple[str, str]:
    """``(base URL, where it came from)`` for ``spec``: the environment, then
    the configuration file, then the plugin's default."""
    generic = env_var_name(spec.id)
    extra = () if generic in spec.base_url_env else ((generic, ""),)
    for var, suffix in (*spec.base_url_env.items(), *extra):
        value = os.environ.get(var)
        if value and value.strip():
            return _normalize(value.strip(), spec.base_url, suffix, var), f"${var}"
    configured = load_config().providers.get(spec.id)
    if configured is not None and configured.base_url and spec.plugin != "config":
        return configured.base_url.rstrip("/"), "config.toml"
    return spec.base_url, f"plugin {spec.plugin or '?'}"


def override_base_url(spec: ProviderSpec, current: str) -> str:
    """The base URL a call to a model of ``spec`` uses: ``current`` when
    it was set per call (differs from the plugin's default), else
    :func:`base_url_for`."""
    if current and current.rstrip("/") != spec.base_url.rstrip("/"):
        return current
    return base_url_for(spec)[0]


def _normalize(value: str, default: str, suffix: str, var: str) -> str:
    """A full URL is kept (plus ``suffix`` when its path lacks it); a bare
    ``host[:port]`` (``OLLAMA_HOST``'s form) takes the scheme, port and path
    of the default base URL."""
    if "://" not in value:
        base = urlsplit(default)
        host = urlsplit(f"//{value}")
        if not host.hostname:
            raise BadOptionsError(f"${var}={value!r} is not a URL or host[:port]; set it to http(s)://host[:port]/path")
        netloc = host.netloc if host.port or base.port is None else f"{host.netloc}:{base.port}"
        path = host.path.rstrip("/") or base.path
        return urlunsplit((base.scheme or "http", netloc, path, "", "")).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadOptionsError(f"${var}={value!r} is not an http(s) URL; set it to http(s)://host[:port]/path")
    url = value.rstrip("/")
    if suffix and not parts.path.rstrip("/").endswith(suffix):
        url += suffix
    return url
