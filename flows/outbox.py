"""Sending template and customer-service messages through the rq ``messages`` queue.

The rest of the product calls :func:`enqueue_template` / :func:`enqueue_text`.
Each call records a Notification row first (so nothing is lost if Redis or the
worker is down), then queues a job that calls WeChat and records the answer:

* success → ``sent`` with WeChat's msgid (later ``delivered``/``failed`` from
  the TEMPLATESENDJOBFINISH event);
* 45009, the daily quota is used up → a Redis flag pauses *all* sending until
  the next day (Beijing time) or an operator's ``wechat-send resume``; this and
  every later message wait as ``paused`` and are queued again on resume;
* the user's fault or choice (43004 not following, 40003 bad openid, 45015
  outside the 48-hour window, …) → ``failed``, recorded, not retried;
* WeChat or the network having a bad moment → retried with growing back-off,
  then ``failed`` after MAX_TRIES.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wechatpy.exceptions import WeChatClientException

from storage import queues
from storage.models import Notification, utcnow
from wechat import templates
from wording import zh

log = logging.getLogger("lifecert.wechat.sender")

QUEUE = queues.MESSAGES
PAUSE_KEY = "wechat:send:paused_until"
MAX_TRIES = 5
BACKOFF_S = (10, 60, 300, 1800)  # before the 2nd, 3rd, 4th, 5th try
QUOTA_EXHAUSTED = 45009
# Errors that retrying cannot fix: the user or the message is the problem.
PERMANENT = zh.WECHAT_ERRORS
BEIJING = ZoneInfo("Asia/Shanghai")


def enqueue_template(services, openid: str, kind: str, fields: dict, retiree_id: int | None = None,
                     dedupe_key: str | None = None, campaign_id: int | None = None, url: str | None = None) -> int:
    """Queue a template message of ``kind`` (wechat/templates.py) to ``openid``; returns the Notification id.

    ``fields`` are by meaning, e.g. ``{"name": "张*明", "passed": False, "reason": "too_dark", "at": now}``;
    they are checked now (ValueError), not when WeChat would refuse them. With ``dedupe_key`` the message is
    sent at most once: a second call returns the first call's id.
    """
    data = templates.render(kind, fields)
    template_id = services.settings.wechat.template_ids.get(kind)
    payload = {"data": data, "url": url}
    return _record_and_queue(services, Notification(
        openid=openid, retiree_id=retiree_id, kind=kind, channel="template", template_id=template_id,
        payload=payload, dedupe_key=dedupe_key, campaign_id=campaign_id, status="queued"))


def enqueue_text(services, openid: str, content: str, kind: str = "text", retiree_id: int | None = None,
                 dedupe_key: str | None = None) -> int:
    """Queue a customer-service text message (works only within 48 hours of the user's last interaction)."""
    if not content.strip():
        raise ValueError("empty message")
    return _record_and_queue(services, Notification(
        openid=openid, retiree_id=retiree_id, kind=kind, channel="custom", payload={"text": content},
        dedupe_key=dedupe_key, status="queued"))


def _record_and_queue(services, notification: Notification) -> int:
    try:
        with services.db.session() as s:
            s.add(notification)
            s.flush()
            nid = notification.id
    except IntegrityError:
        if not notification.dedupe_key:
            raise
        with services.db.session() as s:
            return s.scalar(select(Notification.id).where(Notification.dedupe_key == notification.dedupe_key))
    _queue_send(services, nid)
    return nid


def _queue_send(services, nid: int, delay_s: float = 0) -> None:
    queues.enqueue(services, queues.SEND_NOTIFICATION, nid, delay=dt.timedelta(seconds=delay_s))


def paused_until(services) -> dt.datetime | None:
    raw = services.redis.get(PAUSE_KEY)
    return dt.datetime.fromisoformat(raw.decode()) if raw else None


def pause_sending(services, until: dt.datetime | None = None) -> dt.datetime:
    """Stop calling WeChat until ``until`` (default: next midnight, Beijing time, when quotas reset)."""
    if until is None:
        tomorrow = dt.datetime.now(BEIJING).date() + dt.timedelta(days=1)
        until = dt.datetime.combine(tomorrow, dt.time(0, 1), tzinfo=BEIJING)
    ttl = max(1, int((until - dt.datetime.now(dt.timezone.utc)).total_seconds()))
    if services.redis.set(PAUSE_KEY, until.isoformat(), nx=True, ex=ttl):
        queues.enqueue(services, queues.RESUME_SENDING, at=until)
        log.warning("wechat sending paused: daily quota used up", extra={"until": until.isoformat()})
    return until


def resume_sending(services) -> int:
    """Lift the pause and queue every ``paused`` message again, oldest first; returns how many."""
    services.redis.delete(PAUSE_KEY)
    with services.db.session() as s:
        ids = list(s.scalars(select(Notification.id).where(Notification.status == "paused").order_by(Notification.id)))
        for n in s.scalars(select(Notification).where(Notification.id.in_(ids))):
            n.status = "queued"
    for nid in ids:
        _queue_send(services, nid)
    log.info("wechat sending resumed", extra={"requeued": len(ids)})
    return len(ids)


def deliver(services, nid: int) -> str:
    """Send Notification ``nid`` now and record WeChat's answer; returns the new status. Idempotent."""
    with services.db.session() as s:
        n = s.get(Notification, nid)
        if n is None or n.status not in ("queued", "paused"):
            return n.status if n else "missing"
        if paused_until(services):
            n.status = "paused"
            return n.status
        if n.channel == "template" and not n.template_id:
            n.status, n.errmsg = "failed", f"no template id configured for {n.kind!r}"
            return n.status
        n.tries += 1
        openid, channel, template_id, payload, tries = n.openid, n.channel, n.template_id, n.payload, n.tries

    client = services.wechat
    errcode, errmsg, msgid = None, None, None
    try:
        if channel == "template":
            res = client.message.send_template(openid, template_id, payload["data"], url=payload.get("url"))
            msgid = str(res.get("msgid", "")) or None
        else:
            client.message.send_text(openid, payload["text"])
        status = "sent"
    except WeChatClientException as exc:
        errcode, errmsg = exc.errcode, str(exc.errmsg or "")[:200]
        if errcode == QUOTA_EXHAUSTED:
            status = "paused"
        elif errcode in PERMANENT:
            status = "failed"
        else:
            status = "retry"
    except (requests.RequestException, TimeoutError) as exc:
        errmsg, status = type(exc).__name__, "retry"

    if status == "retry":
        status = "queued" if tries < MAX_TRIES else "failed"
    with services.db.session() as s:
        n = s.get(Notification, nid)
        n.status, n.errcode, n.errmsg = status, errcode, errmsg
        if status == "sent":
            n.msgid, n.sent_at = msgid, utcnow()
    if status == "paused":
        pause_sending(services)
    elif status == "queued":
        _queue_send(services, nid, BACKOFF_S[min(tries - 1, len(BACKOFF_S) - 1)])
    log.info("wechat message %s", status, extra={"notification_id": nid, "errcode": errcode, "tries": tries})
    return status
