#!/usr/bin/env bash
# Make (or reuse) the Python environment for lifecert and print its path.
#
# The venv lives outside the checkout, keyed by the hash of requirements.lock, so
# a fresh clone (CI) reuses an environment built earlier on the same machine and
# pip's cache covers the rest. requirements.lock is a full freeze installed with
# --no-deps: that is how mediapipe 0.10.21 comes without jax (see pyproject.toml).
#
# --paddle: the optional Paddle environment (issue #5) instead, in its own venv
# (~/.cache/lifecert/venv-paddle-<hash>, override with LIFECERT_PADDLE_VENV): the base
# lock + requirements-paddle.lock (paddlepaddle, paddlehub, x2paddle and what they need),
# both with --no-deps, then scripts/patch_paddlehub_protobuf.py (paddlehub's two old
# _pb2 files rewritten for protobuf 4, so mediapipe keeps its fast protobuf backend).
# It is separate so the default environment stays ~2 GB smaller and builds faster.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lock="$here/requirements.lock"

paddle=0
if [ "${1:-}" = "--paddle" ]; then paddle=1; fi

if [ $paddle = 1 ]; then
    plock="$here/requirements-paddle.lock"
    patch="$here/scripts/patch_paddlehub_protobuf.py"
    hash=$(cat "$lock" "$plock" "$patch" | sha256sum | cut -c1-16)
    venv="${LIFECERT_PADDLE_VENV:-$HOME/.cache/lifecert/venv-paddle-$hash}"
else
    hash=$(sha256sum "$lock" | cut -c1-16)
    venv="${LIFECERT_VENV:-$HOME/.cache/lifecert/venv-$hash}"
fi

if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    echo "bootstrap: building $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$lock" >&2
    if [ $paddle = 1 ]; then
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$plock" >&2
        "$venv/bin/python" "$patch" >&2
        # fail the build here, not in the first test, if the stack does not import together
        "$venv/bin/python" -c "import mediapipe, onnxruntime, paddle, paddlehub, x2paddle" >&2
    fi
    touch "$venv/.complete"
fi
echo "$venv"
