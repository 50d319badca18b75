#!/usr/bin/env bash
# Create or refresh .venv with aiwire, every first-party plugin (editable) and
# the dev tools. Idempotent; safe to run before every command. PYTHON picks the
# interpreter, VENV the folder (CI makes one per supported Python).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! command -v uv >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --disable-pip-version-check uv
fi
UV="$(command -v uv || echo "$PY -m uv")"
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || $UV venv --quiet --python "$PY" "$VENV"
args=(-e ./core)
for p in plugins/*/; do
  [ -f "$p/pyproject.toml" ] && args+=(-e "./$p")
done
$UV pip install --quiet --python "$VENV/bin/python" "${args[@]}" -r requirements-dev.txt
