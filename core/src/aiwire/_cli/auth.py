"""``aiwire login``, ``aiwire logout`` and ``aiwire auth status``.

Each command is ``func(argv) -> exit code``, dispatched by the core CLI.
Tokens are never printed: status shows who is logged in and until when.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from aiwire.auth.errors import LoginCancelled
from aiwire.auth.oauth import DeviceCode, LoginCallbacks

if TYPE_CHECKING:
    from aiwire._plugins.hooks import OAuthSpec
    from aiwire._plugins.registry import Registry

__all__ = ["InputEnded", "TerminalCallbacks", "auth", "login", "logout"]


class InputEnded(LoginCancelled):
    """A prompt reached the end of its input (stdin closed or not a
    terminal): ``aiwire login`` stops with exit status 2."""


class TerminalCallbacks(LoginCallbacks):
    """Drives a login from a terminal: prints, opens the browser, reads input."""

    def __init__(self, *, open_browser: bool = True, out: TextIO | None = None) -> None:
        super().__init__()
        self.open_browser = open_browser
        self.out = out or sys.stderr

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show_url(self, url: str, instructions: str = "") -> None:
        if instructions:
            self._say(instructions)
        self._say(f"\n  {url}\n")
        if self.open_browser:
            # In a thread: some browser launchers block until the browser exits.
            threading.Thread(target=_open_browser, args=(url,), name="aiwire-browser", daemon=True).start()

    def show_device_code(self, code: DeviceCode) -> None:
        minutes = max(1, round(code.expires_in / 60))
        self._say(
            f"Open {code.verification_uri} and enter the code\n\n    {code.user_code}\n\n"
            f"(the code expires in about {minutes} minute{'s' if minutes != 1 else ''})."
        )
        if self.open_browser:
            target = code.verification_uri_complete or code.verification_uri
            threading.Thread(target=_open_browser, args=(target,), name="aiwire-browser", daemon=True).start()

    def prompt(self, message: str, *, placeholder: str = "", secret: bool = False, allow_empty: bool = False) -> str:
        hint = f" [{placeholder}]" if placeholder else ""
        while True:
            self.check()
            try:
                text = (getpass.getpass if secret else input)(f"{message}{hint} ").strip()
            except EOFError:
                raise InputEnded(f"no answer to {message.strip().rstrip(':')!r}: the input ended") from None
            if text or allow_empty:
                return text
            self._say("Please enter a value (Ctrl-C cancels).")

    def progress(self, message: str) -> None:
        self._say(f"... {message}")

    def manual_code(self, message: str) -> str | None:
        if not sys.stdin or not sys.stdin.isatty():
            return None
        try:
            return input(message)
        except EOFError:
            return None


def _open_browser(url: str) -> None:
    import contextlib
    import webbrowser

    with contextlib.suppress(Exception):  # a missing browser is fine: the URL is printed
        webbrowser.open(url)


def _find(reg: Registry, name: str) -> OAuthSpec | None:
    from aiwire.auth.resolve import login_for

    spec = reg.oauth.get(name)
    if spec is None and name in reg.providers:
        spec = login_for(reg, reg.providers[name])
    return spec


def _unknown(reg: Registry, name: str) -> int:
    known = ", ".join(sorted(reg.oauth)) or "none installed (pip install aiwire-oauth-anthropic, ...)"
    print(f"aiwire: no login named {name!r}; available logins: {known}", file=sys.stderr)
    return 2


def _list_logins(reg: Registry) -> int:
    from aiwire.auth.store import default_store

    if not reg.oauth:
        print(
            "No login plugins are installed. Install one, for example:\n"
            "  pip install aiwire-oauth-anthropic       (Claude Pro/Max)\n"
            "  pip install aiwire-oauth-github-copilot  (GitHub Copilot)\n"
            "  pip install aiwire-oauth-openai-codex    (ChatGPT Plus/Pro)\n"
            "  pip install aiwire-oauth-google          (Gemini CLI / Cloud Code Assist)"
        )
        return 0
    stored = default_store().logins()
    print("Logins (run `aiwire login ID`):")
    for spec in sorted(reg.oauth.values(), key=lambda s: s.id):
        mark = "logged in" if spec.id in stored else "-"
        serves = f"  providers: {', '.join(spec.providers)}" if spec.providers else ""
        print(f"  {spec.id:<20} {spec.name or spec.id:<40} {mark}{serves}")
    return 0


def login(argv: list[str]) -> int:
    """``aiwire login [ID]``: run a login flow and store the result."""
    parser = argparse.ArgumentParser(prog="aiwire login", description="Log in to a subscription provider.")
    parser.add_argument("id", nargs="?", help="login id or provider id; omit to list them")
    parser.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    args = parser.parse_args(argv)
    from aiwire._plugins.registry import get_registry
    from aiwire.auth.errors import LoginError
    from aiwire.auth.resolve import get_flow
    from aiwire.auth.store import default_store
    from aiwire.errors import AiwireError

    reg = get_registry()
    if not args.id:
        return _list_logins(reg)
    spec = _find(reg, args.id)
    if spec is None:
        return _unknown(reg, args.id)
    callbacks = TerminalCallbacks(open_browser=not args.no_browser)
    try:
        flow = get_flow(reg, spec)
        stored = flow.login(callbacks)
        store = default_store()
        store.put(spec.id, stored)
    except KeyboardInterrupt:
        callbacks.cancel()
        print("\naiwire login: cancelled", file=sys.stderr)
        return 130
    except (InputEnded, EOFError) as exc:
        callbacks.cancel()
        why = str(exc) if isinstance(exc, InputEnded) else "a prompt got no answer: the input ended"
        print(f"\naiwire login {spec.id}: {why}; run it in a terminal to answer the prompts", file=sys.stderr)
        return 2
    except (LoginError, AiwireError, OSError) as exc:
        print(f"aiwire login {spec.id}: {exc}", file=sys.stderr)
        return 1
    facts = flow.describe(stored)
    who = f" ({', '.join(f'{k}: {v}' for k, v in facts.items())})" if facts else ""
    print(f"Logged in to {spec.name or spec.id}{who}. Stored in {store.path}.")
    return 0


def logout(argv: list[str]) -> int:
    """``aiwire logout ID``: forget a stored login."""
    parser = argparse.ArgumentParser(prog="aiwire logout", description="Forget a stored login.")
    parser.add_argument("id", help="login id (see `aiwire auth status`)")
    args = parser.parse_args(argv)
    from aiwire._plugins.registry import get_registry
    from aiwire.auth.store import default_store
    from aiwire.errors import AiwireError

    reg = get_registry()
    spec = _find(reg, args.id)
    login_id = spec.id if spec is not None else args.id
    try:
        found = default_store().delete(login_id)
    except AiwireError as exc:
        print(f"aiwire logout: {exc}", file=sys.stderr)
        return 1
    if not found:
        print(f"aiwire logout: not logged in to {login_id!r}", file=sys.stderr)
        return 1
    print(f"Logged out of {login_id}.")
    return 0


def _until(expires: float | None, now: float) -> str:
    if expires is None:
        return "does not expire"
    left = expires - now
    if left <= 0:
        return "access token expired (refreshed on next use)"
    hours, rest = divmod(int(left), 3600)
    text = f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"
    return f"access token valid for {text} (until {time.strftime('%Y-%m-%d %H:%M', time.localtime(expires))})"


def auth(argv: list[str]) -> int:
    """``aiwire auth status``: which logins are stored and until when."""
    parser = argparse.ArgumentParser(prog="aiwire auth", description="Inspect stored logins.")
    parser.add_argument("action", choices=["status"], nargs="?", default="status")
    parser.parse_args(argv)
    from aiwire._plugins.registry import get_registry
    from aiwire.auth.resolve import get_flow
    from aiwire.auth.store import default_store
    from aiwire.errors import AiwireError

    reg = get_registry()
    store = default_store()
    try:
        stored = store.logins()
    except AiwireError as exc:
        print(f"aiwire auth: {exc}", file=sys.stderr)
        return 1
    print(f"Auth store: {store.path}")
    if not stored:
        print("Not logged in anywhere. Run `aiwire login` to see the available logins.")
        return 0
    now = time.time()
    for login_id, item in sorted(stored.items()):
        spec = reg.oauth.get(login_id)
        name = spec.name if spec is not None and spec.name else login_id
        if item.invalid:
            state = f"needs `aiwire login {login_id}`: {item.invalid}"
        else:
            state = _until(item.expires, now)
        facts = ""
        if spec is not None:
            try:
                described = get_flow(reg, spec).describe(item)
            except Exception:
                described = {}
            facts = "".join(f", {k}: {v}" for k, v in described.items())
        else:
            facts = " (its login plugin is not installed)"
        print(f"  {login_id:<20} {name}: {state}{facts}")
    return 0


if __name__ == "__main__":  # python -m aiwire._cli.auth login ...
    _cmds = {"login": login, "logout": logout, "auth": auth}
    _cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if _cmd not in _cmds:
        print("usage: python -m aiwire._cli.auth {login,logout,auth} ...", file=sys.stderr)
        sys.exit(2)
    sys.exit(_cmds[_cmd](sys.argv[2:]))
