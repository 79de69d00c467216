#!/usr/bin/env bash
# Run every test. Installs what the tests need on a fresh Debian machine
# (redis-server, PostgreSQL, nginx, Chromium), builds or reuses the Python environment,
# then runs pytest; the tests start their own Redis, PostgreSQL and S3
# (SeaweedFS) servers on free loopback ports and stop them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# the console's browser tests: headless Chromium driven through chromedriver; a CJK font for the screenshots
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v npm >/dev/null || need+=(npm)  # axe-core for the accessibility check
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-zenhei)
# the recording page's pre-rendered spoken prompts (scripts/make_prompt_audio.py)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
if [ ${#need[@]} -gt 0 ]; then
    echo "test.sh: installing ${need[*]}" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# axe-core (npm) for the H5 pages' accessibility check, kept outside the repository; the tests read
# LIFECERT_AXE_JS and fail (never skip) when it is missing.
AXE_VERSION=4.10.3
AXE_DIR="${HOME}/.cache/lifecert/axe-core-${AXE_VERSION}"
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ] && command -v npm >/dev/null; then
    echo "test.sh: installing axe-core@${AXE_VERSION} into $AXE_DIR" >&2
    mkdir -p "$AXE_DIR"
    npm install --silent --no-save --no-package-lock --prefix "$AXE_DIR" "axe-core@${AXE_VERSION}" >&2 || true
fi
export LIFECERT_AXE_JS="${LIFECERT_AXE_JS:-$AXE_DIR/node_modules/axe-core/axe.min.js}"

# With arguments: one pytest run with them, in the paddle environment when they name
# tests/integration/paddle, else in the default one.
if [ $# -gt 0 ]; then
    case "$1" in
        tests/integration/paddle*) venv=$(./scripts/bootstrap.sh --paddle); export LIFECERT_REQUIRE_PADDLE=1 ;;
        *) venv=$(./scripts/bootstrap.sh) ;;
    esac
    export PATH="$venv/bin:$PATH"
    exec "$venv/bin/python" -m pytest "$@"
fi

# Without: everything in the default environment, then the Paddle parity tests (issue #5)
# in the paddle environment (its own venv, built once per lock hash; pip's cache makes a
# rebuild ~2 min). LIFECERT_SKIP_PADDLE=1 skips the second run.
venv=$(./scripts/bootstrap.sh)
rc=0
# the maintainer checks first: lint (the rules in pyproject.toml) and types (the typed packages listed there)
echo "test.sh: ruff check" >&2
"$venv/bin/ruff" check . || rc=$?
echo "test.sh: mypy" >&2
"$venv/bin/mypy" || rc=$?
PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest --ignore=tests/integration/paddle || rc=$?
if [ "${LIFECERT_SKIP_PADDLE:-0}" != 1 ]; then
    pvenv=$(./scripts/bootstrap.sh --paddle)
    PATH="$pvenv/bin:$PATH" LIFECERT_REQUIRE_PADDLE=1 "$pvenv/bin/python" -m pytest tests/integration/paddle || rc=$?
fi
exit $rc
