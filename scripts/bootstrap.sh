#!/usr/bin/env bash
# Make (or reuse) the Python environment for lifecert and print its path.
#
# The venv lives outside the checkout, keyed by the hash of requirements.lock, so
# a fresh clone (CI) reuses an environment built earlier on the same machine and
# pip's cache covers the rest. requirements.lock is a full freeze installed with
# --no-deps: that is how mediapipe 0.10.21 comes without jax (see pyproject.toml).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lock="$here/requirements.lock"
hash=$(sha256sum "$lock" | cut -c1-16)
venv="${LIFECERT_VENV:-$HOME/.cache/lifecert/venv-$hash}"

if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    echo "bootstrap: building $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$lock" >&2
    touch "$venv/.complete"
fi
echo "$venv"
