"""Broadcast benchmark: plan a reminder to 1,000,000 retirees, then send through a fake WeChat at the
configured rate, killing the dispatcher half-way, and check that everyone handed over got exactly one message.

    $(scripts/bootstrap.sh)/bin/python bench/broadcast_bench.py                 # 1,000,000, SQLite
    $(scripts/bootstrap.sh)/bin/python bench/broadcast_bench.py --recipients 100000 --send 2000 --rate 200

What is timed:

* seed: 1.1 M retirees born this month (0.1 M of them certified this cycle), each bound to a WeChat user —
  set-up, not part of the target;
* plan: flows.campaigns.plan for the "due this month" segment — the real SQL (latest certification,
  standing CASE, birthday month, preferred openid) as one INSERT … SELECT; target ≤ 60 s;
* send: flows.campaigns.dispatch in a child process at ``--rate`` messages/s through the test stand-in
  of flows.outbox (a Notification row per message, unique on its dedupe key) whose "WeChat" counts
  deliveries per openid in Redis; SIGKILL after half of ``--send``, a fresh dispatcher after the lease
  lapses, a staff pause once ``--send`` are out. Every handed-over recipient must have exactly one
  Notification and one delivery.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DELIVERED = "bench:fake_wechat:delivered"


def _settings(workdir: Path, redis_url: str, database_url: str | None):
    from settings import load_settings

    env = {"LIFECERT_INSTANCE_DIR": str(workdir), "LIFECERT_REDIS_URL": redis_url}
    if database_url:
        env["LIFECERT_DATABASE_URL"] = database_url
    return load_settings(env)


def _install_fake_wechat():
    """flows.outbox's test stand-in, plus a fake WeChat that counts deliveries per openid."""
    import flows.outbox
    from tests.integration.console import fake_sender

    record = fake_sender.enqueue_template

    def enqueue_template(services, openid, kind, fields, **kwargs):
        nid = record(services, openid, kind, fields, **kwargs)
        if services.redis.sadd(DELIVERED + ":ids", nid):  # a new notification: WeChat gets it once
            services.redis.hincrby(DELIVERED, openid, 1)
        return nid

    flows.outbox.enqueue_template = enqueue_template


def seed(db, total: int, certified: int) -> None:
    """Bulk rows with SQL (recursive CTE): retirees born this month, a WeChat user and a self binding each."""
    from sqlalchemy import text

    from certification import cycle
    from storage.models import Agency, Region

    with db.session() as s:
        agency = Agency(code="bench", name="基准测试社保中心", cycle_policy=cycle.HARBIN.to_dict(),
                        settings={"campaign_rate_per_s": 0})
        s.add(agency)
        s.flush()
        s.add(Region(agency_id=agency.id, name="基准区"))
        agency_id = agency.id
    month = dt.date.today().month
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA synchronous=OFF"))
        conn.execute(text(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {total})
            INSERT INTO retiree (id, agency_id, region_id, name, id_number_enc, id_number_index, id_number_masked,
                                 birth_date, pension_status, created_at, updated_at)
            SELECT i, {agency_id}, 1, '测试' || i, randomblob(41), printf('%064x', i), '2301**********0000',
                   printf('1950-%02d-%02d', {month}, 1 + i % 28), 'active', '{now}', '{now}' FROM n"""))
        conn.execute(text(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {total})
            INSERT INTO wechat_user (id, oa_openid, subscribed, created_at) SELECT i, 'oid' || i, 1, '{now}' FROM n"""))
        conn.execute(text(f"""
            INSERT INTO binding (wechat_user_id, retiree_id, kind, created_via, created_at)
            SELECT id, id, 'self', 'name_id', '{now}' FROM retiree"""))
        conn.execute(text(f"""
            INSERT INTO certification (retiree_id, method, certified_on, recorded_at)
            SELECT id, 'face', '{dt.date.today().isoformat()}', '{now}' FROM retiree WHERE id <= {certified}"""))
        conn.execute(text("ANALYZE"))


def child(workdir: str, redis_url: str, database_url: str, campaign_id: int, lease: int) -> None:
    """A dispatcher process (the rq job's body), to be killed."""
    from bootstrap import build_services
    from flows import campaigns

    campaigns.LOCK_LEASE_S = lease
    _install_fake_wechat()
    services = build_services(_settings(Path(workdir), redis_url, database_url))
    print(campaigns.dispatch(services, campaign_id), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--send", type=int, default=6000, help="messages to send before pausing")
    parser.add_argument("--rate", type=float, default=300.0, help="configured messages per second")
    parser.add_argument("--lease", type=int, default=3, help="dispatcher lock lease, seconds")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--child", nargs=5, metavar=("WORKDIR", "REDIS", "DB", "CAMPAIGN", "LEASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workdir, redis_url, database_url, cid, lease = args.child
        child(workdir, redis_url, database_url, int(cid), int(lease))
        return

    import redis as redis_lib
    from sqlalchemy import func, select

    from bootstrap import build_services
    from flows import campaigns
    from storage.db import upgrade
    from storage.models import Agency, Campaign, CampaignRecipient, Notification
    from tests.servers import start_redis

    workdir = Path(tempfile.mkdtemp(prefix="lifecert-bench-"))
    redis_server = start_redis(workdir / "redis")
    settings = _settings(workdir, redis_server.url, args.database_url)
    services = build_services(settings)
    try:
        upgrade(settings.database_url)
        certified = args.recipients // 10
        t0 = time.perf_counter()
        seed(services.db, args.recipients + certified, certified)
        seed_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with services.db.session() as s:
            agency = s.scalar(select(Agency).where(Agency.code == "bench"))
            campaign = campaigns.plan(s, agency, "基准：本月应认证", {"kind": "due_month"}, dt.date.today())
            cid, planned = campaign.id, campaign.total
        plan_s = time.perf_counter() - t0
        print(f"seed   {args.recipients + certified:>9,} retirees + bindings   {seed_s:7.1f} s")
        print(f"plan   {planned:>9,} recipients (INSERT…SELECT)   {plan_s:7.1f} s   target ≤ 60 s "
              f"{'OK' if plan_s <= 60 else 'MISSED'}")
        assert planned == args.recipients, planned

        with services.db.session() as s:
            s.scalar(select(Agency).where(Agency.code == "bench")).settings = {"campaign_rate_per_s": args.rate}
        with services.db.session() as s:
            s.get(Campaign, cid).status = "sending"

        def count() -> int:
            with services.db.session() as s:
                return s.scalar(select(func.count(Notification.id)).where(Notification.campaign_id == cid))

        def spawn() -> subprocess.Popen:
            return subprocess.Popen([sys.executable, __file__, "--child", str(workdir), redis_server.url,
                                     settings.database_url, str(cid), str(args.lease)], cwd=REPO)

        proc = spawn()
        while count() < args.send // 2:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = count()
        time.sleep(args.lease + 0.5)  # the dead dispatcher's lease lapses (the watchdog's job in production)
        proc = spawn()
        while count() < args.send:
            time.sleep(0.05)
        campaigns.set_status(services, cid, "pause")
        proc.wait(timeout=60)
        sent = count()
        with services.db.session() as s:
            stamps = sorted(s.scalars(select(Notification.created_at).where(Notification.campaign_id == cid)))
        gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
        # sending time: first to last message, less the one long gap (kill → lease → new process)
        restart_s = max(gaps, default=0.0)
        send_s = (stamps[-1] - stamps[0]).total_seconds() - restart_s

        with services.db.session() as s:
            dupes = s.scalar(select(func.count()).select_from(
                select(Notification.retiree_id).where(Notification.campaign_id == cid)
                .group_by(Notification.retiree_id).having(func.count() > 1).subquery()))
            queued = s.scalar(select(func.count()).where(CampaignRecipient.campaign_id == cid,
                                                         CampaignRecipient.status == "queued"))
            unmarked = sent - queued
        deliveries = redis_lib.Redis.from_url(redis_server.url).hvals(DELIVERED)
        most = max((int(v) for v in deliveries), default=0)
        print(f"send   {sent:>9,} messages at {args.rate:g}/s configured: {sent / send_s:7.1f}/s achieved "
              f"(dispatcher killed after {killed_at:,}, a new one took over {restart_s:.1f} s later)")
        print(f"check  duplicates per recipient: {dupes}; WeChat deliveries: {len(deliveries):,} openids, "
              f"at most {most} each; handed over but not yet marked: {unmarked}")
        assert dupes == 0 and most == 1 and len(deliveries) == sent
    finally:
        services.db.engine.dispose()
        redis_server.stop()
        if args.database_url is None:
            for path in workdir.glob("*.sqlite3*"):
                os.unlink(path)


if __name__ == "__main__":
    main()
