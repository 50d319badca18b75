#!/usr/bin/env bash
# Build sdist + wheel of core, every plugin and every example plugin, then
# install core alone and each plugin alone into fresh venvs and smoke-check
# them (import, discovery, one replayed request). See scripts/check_dist.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/dev-env.sh
exec .venv/bin/python scripts/check_dist.py "$@"
