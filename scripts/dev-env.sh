#!/usr/bin/env bash
# Create or refresh .venv with aiwire, every first-party plugin (editable) and
# the dev tools. Idempotent; safe to run before every command.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! command -v uv >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --disable-pip-version-check uv
fi
UV="$(command -v uv || echo "$PY -m uv")"
[ -x .venv/bin/python ] || $UV venv --quiet --python "$PY" .venv
args=(-e ./core)
for p in plugins/*/; do
  [ -f "$p/pyproject.toml" ] && args+=(-e "./$p")
done
$UV pip install --quiet --python .venv/bin/python "${args[@]}" -r requirements-dev.txt
