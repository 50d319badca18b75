"""A test plugin that adds an ``aiwire`` command and declares install hints.
Its command lives in a separate module, imported only when the command runs."""

from __future__ import annotations

from aiwire.plugin import InstallHint, RegisterCommand, RegisterInstallHint, hookimpl

AIWIRE_PLUGIN_API = 2


@hookimpl
def register_commands(register: RegisterCommand) -> None:
    register("greet", "_cmdplugin.heavy:greet", "say hello from a plugin")


@hookimpl
def register_install_hints(register: RegisterInstallHint) -> None:
    register(InstallHint(package="aiwire-acme-cloud", providers=("acme-cloud",), env=("ACME_CLOUD_API_KEY",)))
