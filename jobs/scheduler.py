"""The one rq scheduler: ``python -m jobs.scheduler`` (deploy/supervisord.conf runs it).

It moves jobs whose time has come (``enqueue_in`` / ``enqueue_at``, rq's retry
back-offs, the resume after WeChat's daily quota) onto their queues. The workers run
without ``--with-scheduler``: a scheduler inside a worker dies with it, and rq's
other workers only try to take its lock over at their 10-minute maintenance, so
back-offs stalled for minutes after a worker kill.

This process differs from rq's built-in one in two ways: it retries the scheduler
locks every second until it holds them all (after a ``kill -9`` the dead
scheduler's lock expires within 61 s; rq's own waits 120 s before trying again),
and a Redis outage makes it wait and reconnect instead of exit, so the supervisor
does not give up on it while Redis restarts. Running a second one (say one per
host) is safe: the locks let one of them work and keep the other on standby.
"""

from __future__ import annotations

import logging
import os
import signal
import time

import redis
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

from logconfig import configure_logging
from settings import load_settings
from storage.queues import ALL
from storage.redis_conn import resolve_url

log = logging.getLogger("lifecert.jobs.scheduler")


class DedicatedScheduler(RQScheduler):
    """rq's scheduler, asking for any lock it lacks on every tick instead of every 120 s."""

    @property
    def should_reacquire_locks(self) -> bool:
        return self._queue_names != self.acquired_locks

    def release_dead_local_locks(self) -> list[str]:
        """Free the locks of a scheduler on this host whose process is gone (a ``kill -9``, then a restart).

        Only a holder on this very host can be proved dead (its pid is not running); one on
        another host keeps its lock until the lock's TTL ends.
        """
        freed = []
        for name in self._queue_names:
            key = self.get_locking_key(name)
            holder = self.connection.get(key)
            if holder is None or holder.decode() == self.name:
                continue
            meta = self.connection.hgetall(f"rq:scheduler:{holder.decode()}")
            host, pid = meta.get(b"hostname", b"").decode(), int(meta.get(b"pid", b"0") or 0)
            if meta and host != self.hostname:
                continue
            if meta and pid and _alive(pid):
                continue
            if release_lock(self.connection, key, holder.decode()):
                freed.append(name)
        if freed:
            log.warning("took over the locks of a dead scheduler", extra={"queues": sorted(freed)})
        return freed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(redis_url: str, interval: int = 1) -> None:
    """Schedule until SIGTERM/SIGINT, surviving Redis outages."""
    stopping = []

    def stop(*_):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    connection = redis.Redis.from_url(resolve_url(redis_url), socket_connect_timeout=2, socket_timeout=5)
    scheduler = DedicatedScheduler(ALL, connection=connection, interval=interval)
    registered = False
    held: set[str] = set()
    while not stopping:
        try:
            if not registered:
                scheduler.register_birth()
                scheduler.release_dead_local_locks()
                registered = True
            if scheduler.should_reacquire_locks:
                scheduler.acquire_locks()
            scheduler.heartbeat()
            if scheduler.acquired_locks != held:
                held = set(scheduler.acquired_locks)
                log.info("scheduler locks", extra={"held": sorted(held)})
            scheduler.enqueue_scheduled_jobs()
        except redis.exceptions.ConnectionError as exc:
            log.warning("redis unavailable, retrying", extra={"error": str(exc)})
            scheduler._acquired_locks = set()  # a restarted Redis has no locks; take them afresh
            registered = False
            time.sleep(1)
            continue
        time.sleep(interval)
    try:
        scheduler.release_locks()
        scheduler.register_death()
    except redis.exceptions.ConnectionError:
        pass


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level)
    run(settings.redis_url)


if __name__ == "__main__":
    main()
