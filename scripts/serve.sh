#!/usr/bin/env bash
# Run the service on embedded defaults: SQLite under instance/, a local folder as
# object store, an embedded Redis, one rq worker and gunicorn on 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(./scripts/bootstrap.sh)
exec "$venv/bin/python" scripts/embedded.py "$@"
