"""Reminders and broadcasts: a segment of retirees, planned once, sent through the bot's queue.

Exactly once per recipient per campaign, even when a worker dies mid-way:

1. Planning is one ``INSERT … SELECT`` into campaign_recipient, unique on
   (campaign, retiree) — a million rows in seconds, never row by row.
2. The dispatcher walks ``pending`` recipients in id order and hands each to
   flows.outbox with the dedupe key ``campaign:<id>:<retiree_id>``; the
   Notification row that key guards is the proof of sending. A dispatcher
   killed between handing over and marking the recipient ``queued`` is
   restarted by :func:`watchdog`; the retry hands over the same key and gets the
   same notification back, so nobody hears twice.
3. A Redis lock with a short lease keeps to one dispatcher per campaign, so the
   configured rate holds; the lease lapses when its worker dies.

The daily template quota is counted before each batch: when today's template
messages reach it, the campaign pauses itself and :func:`watchdog` resumes it the
next day. The sender's own 45009 pause covers the quota running out anyway.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows import clock as local_clock
from flows import get_row, notify
from flows.cycles import policy_of
from flows.standing import DUE, OVERDUE, birthday_filter, bounds_for, code_column, latest_certification, scoped
from storage import audit, queues
from storage.models import (
    Agency,
    Campaign,
    CampaignRecipient,
    Notification,
    PensionStatus,
    Region,
    Retiree,
    utcnow,
)
from wording import zh

log = logging.getLogger("lifecert.console")

BEIJING = ZoneInfo("Asia/Shanghai")
SEGMENTS = zh.CAMPAIGN_SEGMENTS
TEMPLATE_OF_SEGMENT = {"due_month": "reminder", "not_certified": "reminder", "suspended": "suspension"}
STATUS_LABELS = zh.CAMPAIGN_STATUS
RESULT_LABELS = zh.CAMPAIGN_RESULTS
DEFAULT_RATE_PER_S = 20.0
DEFAULT_DAILY_QUOTA = 100_000
AUTO_DEADLINE_DAYS = (30, 7, 1)
LOCK_LEASE_S = 30
STALE_AFTER = dt.timedelta(seconds=90)

SendFn = Callable[..., int]


# --- segments ----------------------------------------------------------------


def send_limits(agency: Agency) -> tuple[float, int]:
    """(messages per second, template messages per day) from the agency's settings, else the defaults."""
    conf = agency.settings or {}
    return float(conf.get("campaign_rate_per_s", DEFAULT_RATE_PER_S)), int(conf.get("template_daily_quota",
                                                                                 DEFAULT_DAILY_QUOTA))


def segment_select(agency: Agency, segment: dict, today: dt.date):
    """SELECT (retiree_id, openid) of a segment, for preview and for the planning INSERT."""
    kind = segment.get("kind")
    if kind not in SEGMENTS:
        raise ValueError(f"unknown segment {kind!r}")
    # reach = a bound account that still follows us; the rest are the call list
    openid = notify.reachable_openid_column(Retiree.id).label("openid")
    query = select(Retiree.id.label("retiree_id"), openid).select_from(Retiree)
    if kind == "suspended":
        query = query.where(Retiree.pension_status == PensionStatus.suspended)
    else:
        bounds = bounds_for(policy_of(agency), today)
        latest = latest_certification(bounds)
        code = code_column(bounds, latest)
        query = query.outerjoin(latest, latest.c.retiree_id == Retiree.id)
        if kind == "due_month":
            query = query.where(code == DUE, birthday_filter(bounds))
        else:
            query = query.where(code.in_([DUE, OVERDUE]))
    return scoped(query, agency.id, segment.get("region_ids") or None)


def preview(session: Session, agency: Agency, segment: dict, today: dt.date, sample: int = 10) -> dict:
    """How many a segment reaches, how many have no WeChat to write to, and a few of them (masked)."""
    inner = segment_select(agency, segment, today).subquery()
    total, reachable = session.execute(select(func.count(), func.count(inner.c.openid))).one()
    rows = session.execute(select(Retiree.name, Retiree.id_number_masked, Region.name, inner.c.openid)
                           .join(inner, inner.c.retiree_id == Retiree.id).outerjoin(Region, Region.id == Retiree.region_id)
                           .order_by(Retiree.id).limit(sample)).all()
    return {"total": total, "reachable": reachable, "unreachable": total - reachable,
            "sample": [{"name": r[0], "id_masked": r[1], "region": r[2] or "", "wechat": bool(r[3])} for r in rows]}


# --- planning ------------------------------------------------------------------


def plan(session: Session, agency: Agency, name: str, segment: dict, today: dt.date, admin_id: int | None = None,
         auto_key: str | None = None) -> Campaign:
    """Create a campaign and its recipients in one INSERT … SELECT. With ``auto_key``, at most once."""
    if auto_key:
        existing = session.scalar(select(Campaign).where(Campaign.auto_key == auto_key))
        if existing is not None:
            return existing
    campaign = Campaign(agency_id=agency.id, name=name[:100], segment=dict(segment),
                        template_kind=TEMPLATE_OF_SEGMENT[segment["kind"]], status="planned",
                        auto_key=auto_key, created_by=admin_id)
    session.add(campaign)
    try:
        session.flush()
    except IntegrityError:  # another process planned the same automatic campaign first
        session.rollback()
        winner = session.scalar(select(Campaign).where(Campaign.auto_key == auto_key))
        if winner is None:
            raise
        return winner
    source = segment_select(agency, segment, today).subquery()
    no_wechat = source.c.openid.is_(None)
    session.execute(insert(CampaignRecipient).from_select(
        ["campaign_id", "retiree_id", "openid", "status", "skip_reason"],
        select(literal(campaign.id), source.c.retiree_id, source.c.openid,
               case((no_wechat, literal("skipped")), else_=literal("pending")),
               case((no_wechat, literal("no_wechat")), else_=None))))
    campaign.total = session.scalar(select(func.count()).where(CampaignRecipient.campaign_id == campaign.id)) or 0
    audit.record(session, "system" if admin_id is None else "admin", "campaign.plan", actor_id=admin_id,
                 target_kind="campaign", target_id=campaign.id, segment=segment["kind"], total=campaign.total)
    log.info("campaign planned", extra={"campaign_id": campaign.id, "total": campaign.total})
    return campaign


# --- control ---------------------------------------------------------------------


def enqueue_dispatch(services, campaign_id: int) -> None:
    queues.enqueue(services, queues.DISPATCH_CAMPAIGN, campaign_id,
                   job_id=f"campaign-{campaign_id}-{secrets.token_hex(4)}")


def set_status(services, campaign_id: int, action: str, admin_id: int | None = None) -> str:
    """start / pause / resume / cancel; returns the new status. Refuses moves that make no sense."""
    allowed = {"start": ("planned",), "pause": ("sending",), "resume": ("paused",),
               "cancel": ("planned", "sending", "paused")}
    target = {"start": "sending", "pause": "paused", "resume": "sending", "cancel": "cancelled"}[action]
    with services.db.session() as session:
        values: dict[str, Any] = {"status": target}
        if action == "start":
            values["started_at"] = utcnow()
        if action == "pause":
            values.update(pause_reason="staff", paused_on=local_clock.local_today())
        if action == "resume":
            values.update(pause_reason=None, paused_on=None)
        changed = session.execute(update(Campaign).where(Campaign.id == campaign_id,
                                                         Campaign.status.in_(allowed[action])).values(**values)).rowcount
        status = session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
        if changed:
            audit.record(session, "admin" if admin_id else "system", f"campaign.{action}", actor_id=admin_id,
                         target_kind="campaign", target_id=campaign_id)
    if changed and target == "sending":
        enqueue_dispatch(services, campaign_id)
    return status


# --- sending -------------------------------------------------------------------


def beijing_day_start(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(BEIJING)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.timezone.utc)


def templates_sent_today(session: Session, now: dt.datetime) -> int:
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.channel == "template", Notification.created_at >= beijing_day_start(now))) or 0


def fields_for(kind: str, name: str, suspended_since: dt.date | None, deadline: dt.date | None) -> dict:
    fields: dict[str, Any] = {"name": notify.masked_name(name)}
    if kind == "suspension":
        fields["since"] = suspended_since
    else:
        fields["deadline"] = deadline
    return fields


def dispatch(services, campaign_id: int, send: SendFn | None = None, batch: int = 50,
             clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
             today: dt.date | None = None) -> str:
    """Hand the campaign's pending recipients to the bot's queue at the configured rate; returns why it stopped."""
    send = send or notify.send_template
    lock_key = f"console:campaign:{campaign_id}:lock"
    token = secrets.token_hex(8)
    if not services.redis.set(lock_key, token, nx=True, ex=LOCK_LEASE_S):
        return "locked"
    try:
        with services.db.session() as session:
            campaign = get_row(session, Campaign, campaign_id)
            agency = get_row(session, Agency, campaign.agency_id)
            rate, quota = send_limits(agency)
            kind = campaign.template_kind
            deadline = bounds_for(policy_of(agency), today or local_clock.local_today(local_clock.zone_of(agency))).deadline if kind == "reminder" else None
        interval = 1.0 / rate if rate > 0 else 0.0
        next_at = clock()
        while True:
            now = utcnow()
            with services.db.session() as session:
                status = session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
                if status != "sending":
                    return status
                session.execute(update(Campaign).where(Campaign.id == campaign_id).values(heartbeat_at=now))
                rows = session.execute(
                    select(CampaignRecipient.id, CampaignRecipient.retiree_id, CampaignRecipient.openid,
                           Retiree.name, Retiree.suspended_since)
                    .join(Retiree, Retiree.id == CampaignRecipient.retiree_id)
                    .where(CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.status == "pending")
                    .order_by(CampaignRecipient.id).limit(batch)).all()
                if not rows:
                    session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.status == "sending")
                                    .values(status="done", finished_at=now))
                    audit.record(session, "system", "campaign.done", target_kind="campaign", target_id=campaign_id)
                    return "done"
                room = quota - templates_sent_today(session, now)
                if room <= 0:
                    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(
                        status="paused", pause_reason="quota", paused_on=now.astimezone(BEIJING).date()))
                    log.warning("campaign paused: daily template quota reached", extra={"campaign_id": campaign_id})
                    return "quota"
            for rid, retiree_id, openid, name, since in rows[:room]:
                if interval:
                    delay = next_at - clock()
                    if delay > 0:
                        sleep(delay)
                    next_at = max(next_at, clock() - 1.0) + interval  # allow at most 1 s of catch-up burst
                # One transaction per recipient: the message row and the recipient's step commit together.
                with services.db.session() as session:
                    try:
                        nid = send(services, openid, kind, fields_for(kind, name, since, deadline),
                                   retiree_id=retiree_id, dedupe_key=f"campaign:{campaign_id}:{retiree_id}",
                                   campaign_id=campaign_id, session=session)
                        status, reason = "queued", None
                    except ValueError:  # the template refused the fields: record, do not stop the campaign
                        nid, status, reason = None, "skipped", "render_error"
                    session.execute(update(CampaignRecipient).where(CampaignRecipient.id == rid)
                                    .values(status=status, notification_id=nid, skip_reason=reason))
            services.redis.set(lock_key, token, xx=True, ex=LOCK_LEASE_S)
    finally:
        if services.redis.get(lock_key) == token.encode():
            services.redis.delete(lock_key)


def watchdog(services, now: dt.datetime | None = None) -> list[int]:
    """Restart dispatchers that died (stale heartbeat) and lift yesterday's quota pauses; returns campaign ids."""
    now = now or utcnow()
    restarted = []
    with services.db.session() as session:
        rows = session.execute(select(Campaign.id, Campaign.status, Campaign.heartbeat_at, Campaign.started_at,
                                      Campaign.pause_reason, Campaign.paused_on)
                               .where(Campaign.status.in_(["sending", "paused"]))).all()
    for cid, status, heartbeat, started, reason, paused_on in rows:
        if status == "paused":
            if reason == "quota" and paused_on and paused_on < now.astimezone(BEIJING).date():
                set_status(services, cid, "resume")
                restarted.append(cid)
            continue
        seen = heartbeat or started
        if seen is not None and seen.tzinfo is None:
            seen = seen.replace(tzinfo=dt.timezone.utc)
        if (seen is None or now - seen > STALE_AFTER) and not services.redis.exists(f"console:campaign:{cid}:lock"):
            enqueue_dispatch(services, cid)
            restarted.append(cid)
            log.warning("campaign dispatcher restarted", extra={"campaign_id": cid})
    return restarted


# --- results ---------------------------------------------------------------------


def result_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """{result: count}: pending/skipped from the recipient, otherwise the Notification's status."""
    result = func.coalesce(Notification.status, CampaignRecipient.status)
    rows = session.execute(select(result, func.count()).select_from(CampaignRecipient)
                           .outerjoin(Notification, Notification.id == CampaignRecipient.notification_id)
                           .where(CampaignRecipient.campaign_id == campaign_id).group_by(result)).all()
    return {status: count for status, count in rows}


def recipients_page(session: Session, campaign_id: int, status: str | None = None, offset: int = 0,
                    limit: int = 50) -> list[dict]:
    result = func.coalesce(Notification.status, CampaignRecipient.status).label("result")
    query = (select(Retiree.name, Retiree.id_number_masked, result, Notification.errcode, Notification.errmsg,
                    Notification.sent_at, CampaignRecipient.skip_reason)
             .select_from(CampaignRecipient).join(Retiree, Retiree.id == CampaignRecipient.retiree_id)
             .outerjoin(Notification, Notification.id == CampaignRecipient.notification_id)
             .where(CampaignRecipient.campaign_id == campaign_id))
    if status:
        query = query.where(result == status)
    rows = session.execute(query.order_by(CampaignRecipient.id).offset(offset).limit(limit)).all()
    return [{"name": r[0], "id_masked": r[1], "result": r[2], "label": RESULT_LABELS.get(r[2], r[2]),
             "errcode": r[3], "errmsg": r[4] or "", "sent_at": r[5], "skip_reason": r[6]} for r in rows]


# --- the schedule ------------------------------------------------------------------


def plan_automatic(services, today: dt.date, agency_ids: list[int] | None = None) -> list[int]:
    """Plan and start the day's automatic reminders for every agency; each at most once (auto_key).

    * the birthday-month reminder, once a month — unless the deadline is within
      30 days, when the deadline reminders below already speak to everyone due;
    * the deadline reminders to those not yet certified, 30, 7 and 1 days before.
    """
    started = []
    with services.db.session() as session:
        agencies = [a for a in session.scalars(select(Agency)) if a.cycle_policy
                    and (agency_ids is None or a.id in agency_ids)]
    for agency in agencies:
        bounds = bounds_for(policy_of(agency), today)
        wanted = []
        if bounds.days_to_deadline in AUTO_DEADLINE_DAYS:
            days = bounds.days_to_deadline
            wanted.append((f"auto:{agency.id}:deadline{days}:{bounds.cycle_year}",
                           zh.AUTO_CAMPAIGN_DEADLINE.format(days=days), {"kind": "not_certified", "days": days}))
        elif bounds.days_to_deadline > max(AUTO_DEADLINE_DAYS):
            wanted.append((f"auto:{agency.id}:due_month:{today:%Y-%m}", zh.AUTO_CAMPAIGN_DUE_MONTH.format(month=today.month),
                           {"kind": "due_month"}))
        for key, name, segment in wanted:
            with services.db.session() as session:
                campaign = plan(session, session.get(Agency, agency.id), name, segment, today, auto_key=key)
                cid, status = campaign.id, campaign.status
            if status == "planned":
                set_status(services, cid, "start")
                started.append(cid)
    return started


# --- the call list: people a reminder cannot reach on WeChat (journeys-agency) ----------

CALL_LIST_HEADER = zh.CALL_LIST_HEADER


def call_list(session: Session, cipher, agency: Agency, segment: dict, today: dt.date) -> list[list[str]]:
    """Rows (CALL_LIST_HEADER order) of the segment's people with no subscribed WeChat account to write to.

    The phone number is decrypted: this list exists to be dialled. The caller audits the export.
    """
    inner = segment_select(agency, segment, today).subquery()
    bound = notify.openid_column(Retiree.id)
    rows = session.execute(select(Retiree, Region.name, bound.label("any_openid"))
                           .join(inner, inner.c.retiree_id == Retiree.id)
                           .outerjoin(Region, Region.id == Retiree.region_id)
                           .where(inner.c.openid.is_(None)).order_by(Region.name, Retiree.name)).all()
    out = []
    for retiree, region, any_openid in rows:
        phone = cipher.decrypt(retiree.phone_enc, b"phone") if retiree.phone_enc else ""
        why = zh.CALL_LIST_UNFOLLOWED if any_openid else zh.CALL_LIST_NO_WECHAT
        out.append([retiree.name, retiree.id_number_masked, phone, retiree.address or "", region or "", why])
    return out


def call_list_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = zh.CALL_LIST_SHEET
    ws.append(CALL_LIST_HEADER)
    for row in rows:
        ws.append(row)
    for column, width in zip("ABCDEF", (10, 22, 16, 30, 12, 18)):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
