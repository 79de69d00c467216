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
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
    echo "test.sh: installing ${need[*]}" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

venv=$(./scripts/bootstrap.sh)
export PATH="$venv/bin:$PATH"
exec "$venv/bin/python" -m pytest "$@"
