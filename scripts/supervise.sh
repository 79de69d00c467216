#!/usr/bin/env bash
# Run lifecert's processes under supervisord (deploy/supervisord.conf): gunicorn, rq workers,
# the one scheduler and rq cron, each restarted when it dies. Production settings come from
# the LIFECERT_* environment (README, Configuration); LIFECERT_REDIS_URL must be a redis:// URL.
#   LIFECERT_WORKERS=2 LIFECERT_WEB=true LIFECERT_CRON=true ./scripts/supervise.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export LIFECERT_VENV="${LIFECERT_VENV:-$(./scripts/bootstrap.sh)}"
export LIFECERT_RUN_DIR="${LIFECERT_RUN_DIR:-$PWD/instance/run}"
export LIFECERT_BIND="${LIFECERT_BIND:-127.0.0.1:8000}"
export LIFECERT_WORKERS="${LIFECERT_WORKERS:-2}"
export LIFECERT_WEB="${LIFECERT_WEB:-true}"
export LIFECERT_CRON="${LIFECERT_CRON:-true}"
: "${LIFECERT_REDIS_URL:?set LIFECERT_REDIS_URL=redis://host:6379/0}"
mkdir -p "$LIFECERT_RUN_DIR"
"$LIFECERT_VENV/bin/flask" --app app db-upgrade
exec "$LIFECERT_VENV/bin/supervisord" -c deploy/supervisord.conf
