"""The transactional outbox: template and customer-service messages, sent through the rq ``messages`` queue.

The rest of the product calls :func:`enqueue_template` / :func:`enqueue_text`, handing in
its own database session when the message is caused by something it writes (a verdict, a
certification, a suspension, a campaign step): the Notification row is then part of that
same transaction, and the send job is queued only after it commits. Redis down, a worker
killed, a job lost: the row stays, and :func:`sweep` (rq cron, every minute) hands every
row whose lease has run out to the sender again.

Each row carries a lease (``lease_until``): while it runs, the row is in someone's hands
(queued in rq, being sent, or waiting for WeChat's delivery report); the sender claims a row
atomically (``queued`` → ``sending``), so a job that runs twice sends once. WeChat's answer:

* success → ``sent`` with WeChat's msgid (later ``delivered``/``failed`` from
  the TEMPLATESENDJOBFINISH event);
* 45009, the daily quota is used up → a Redis flag pauses *all* sending until
  the next day (Beijing time) or an operator's ``wechat-send resume``; this and
  every later message wait as ``paused`` and are queued again on resume;
* the user's fault or choice (43004 not following, 40003 bad openid, 45015
  outside the 48-hour window, …) → ``failed``, recorded, not retried;
* WeChat or the network having a bad moment → retried with growing back-off,
  then ``failed`` after MAX_TRIES;
* no answer within the client timeout → ``unconfirmed``, *not* retried at once: WeChat may
  have sent it. Its TEMPLATESENDJOBFINISH report for that user (:func:`record_delivery_report`)
  settles the row; only when none came within the confirm window does it get one more try.
  A worker killed mid-send leaves ``sending``, which the sweeper treats the same way.

SMS rows (``channel="sms"``: the roster-phone notices of flows.people.tell_roster_phone) go through
the SMS gateway (sms/) when ``LIFECERT_SMS_URL`` is set, and otherwise wait queued. They are not
written by :func:`record`, so the sweeper hands them out, within a minute. The gateway's errors about
the number or the text fail the row; anything else is retried with the same back-off (a timed-out
SMS is sent again: a second text is better than a claim on someone's pension going unheard). Once
settled, the encrypted number is dropped from the row.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from flows.result import agency_phone
from sms import SmsError
from storage import queues
from storage.db import insert_for
from storage.models import Agency, Notification, Retiree, utcnow
from storage.personal_data import DecryptionError
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
IN_HAND = ("queued", "sending", "unconfirmed")  # not settled: the sweeper watches these
#: the channels this sender sends through WeChat; another channel's rows (``sms``: the roster-phone
#: notices of flows.people.tell_roster_phone) wait in the outbox for their own gateway
WECHAT_CHANNELS = ("template", "custom")
SMS_CHANNEL = "sms"
AWAITING_REPORT = ("sending", "unconfirmed")  # WeChat may have it; its delivery report settles the row


def enqueue_template(services, openid: str, kind: str, fields: dict, retiree_id: int | None = None,
                     dedupe_key: str | None = None, campaign_id: int | None = None, url: str | None = None,
                     session: Session | None = None) -> int:
    """Queue a template message of ``kind`` (wechat/templates.py) to ``openid``; returns the Notification id.

    ``fields`` are by meaning, e.g. ``{"name": "张*明", "passed": False, "reason": "too_dark", "at": now}``;
    they are checked now (ValueError), not when WeChat would refuse them. With ``dedupe_key`` the message is
    sent at most once: a second call returns the first call's id. With ``session`` the row is written in the
    caller's transaction and the send is queued when (and only if) that transaction commits.
    """
    data = templates.render(kind, fields)
    template_id = services.settings.wechat.template_ids.get(kind)
    payload = {"data": data, "url": url}
    return record(services, dict(openid=openid, retiree_id=retiree_id, kind=kind, channel="template",
                                 template_id=template_id, payload=payload, dedupe_key=dedupe_key,
                                 campaign_id=campaign_id), session)


def enqueue_text(services, openid: str, content: str, kind: str = "text", retiree_id: int | None = None,
                 dedupe_key: str | None = None, session: Session | None = None) -> int:
    """Queue a customer-service text message (works only within 48 hours of the user's last interaction)."""
    if not content.strip():
        raise ValueError("empty message")
    return record(services, dict(openid=openid, retiree_id=retiree_id, kind=kind, channel="custom",
                                 payload={"text": content}, dedupe_key=dedupe_key), session)


def record(services, values: dict, session: Session | None = None) -> int:
    """Write one outbox row (at most one per dedupe key) in ``session`` or a transaction of its own.

    The send job is queued after the commit; if that fails (Redis down), the lease runs out and
    the sweeper hands the row out instead.
    """
    if session is None:
        with services.db.session() as own:
            return record(services, values, own)
    lease = utcnow() + dt.timedelta(seconds=services.settings.outbox_lease_s)
    row = {"status": "queued", "lease_until": lease, **values}
    statement = insert_for(session, Notification).values(**row)
    if row.get("dedupe_key"):
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    nid = session.execute(statement.returning(Notification.id)).scalar()
    if nid is None:  # the dedupe key was used before: that row is the message
        existing = session.scalar(select(Notification.id).where(Notification.dedupe_key == row["dedupe_key"]))
        if existing is None:
            raise RuntimeError("insert skipped for a dedupe key no row holds")
        return existing
    _queue_after_commit(services, session, nid)
    return nid


def _queue_after_commit(services, session: Session, nid: int) -> None:
    pending = session.info.get("outbox_pending")
    if pending is None:
        pending = session.info["outbox_pending"] = []

        def committed(sess: Session) -> None:
            ids, sess.info["outbox_pending"] = list(sess.info.get("outbox_pending", [])), []
            for queued_id in ids:
                try:
                    _queue_send(services, queued_id)
                except Exception as exc:  # noqa: BLE001 - the row is safe; the sweeper will hand it out
                    log.warning("send not queued; the sweeper will", extra={"notification_id": queued_id,
                                                                             "error": type(exc).__name__})

        def rolled_back(sess: Session) -> None:
            sess.info["outbox_pending"] = []

        event.listen(session, "after_commit", committed)
        event.listen(session, "after_rollback", rolled_back)
    pending.append(nid)


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
    lease = utcnow() + dt.timedelta(seconds=services.settings.outbox_lease_s)
    with services.db.session() as s:
        ids = list(s.scalars(select(Notification.id).where(Notification.status == "paused").order_by(Notification.id)))
        if ids:
            s.execute(update(Notification).where(Notification.id.in_(ids), Notification.status == "paused")
                      .values(status="queued", lease_until=lease))
    for nid in ids:
        _queue_send(services, nid)
    log.info("wechat sending resumed", extra={"requeued": len(ids)})
    return len(ids)


def _channels(services) -> tuple[str, ...]:
    """The channels this process sends: WeChat's, and SMS once a gateway is configured."""
    return WECHAT_CHANNELS + ((SMS_CHANNEL,) if services.settings.sms.url else ())


def _claim(services, nid: int) -> Notification | None:
    """Take row ``nid`` for sending (``queued``/``paused`` → ``sending``), or None when it is not ours to send."""
    confirm = dt.timedelta(seconds=services.settings.outbox_confirm_s)
    with services.db.session() as s:
        n = s.get(Notification, nid)
        if n is None or n.status not in ("queued", "paused") or n.channel not in _channels(services):
            return None
        if n.channel in WECHAT_CHANNELS and paused_until(services):
            s.execute(update(Notification).where(Notification.id == nid, Notification.status == "queued")
                      .values(status="paused"))
            return None
        if n.channel == "template" and not n.template_id:
            n.status, n.errmsg, n.lease_until = "failed", f"no template id configured for {n.kind!r}", None
            return None
        if n.channel == SMS_CHANNEL and not services.sms.template_code(n.kind):
            n.status, n.errmsg, n.lease_until = "failed", f"no SMS template code for {n.kind!r}", None
            n.payload = _without_number(n.payload)
            return None
        claimed = s.execute(update(Notification).where(Notification.id == nid, Notification.status == n.status)
                            .values(status="sending", tries=Notification.tries + 1,
                                    lease_until=utcnow() + confirm)).rowcount
        if not claimed:
            return None  # another run of the job took it first
        s.refresh(n)
        s.expunge(n)
        return n


def _timed_out(exc: BaseException) -> bool:
    """Did the request perhaps reach WeChat? (wechatpy wraps requests' exceptions; the cause is the context.)"""
    cause = exc if isinstance(exc, requests.RequestException) else exc.__context__
    return isinstance(cause, (requests.ReadTimeout, TimeoutError)) and not isinstance(cause, requests.ConnectTimeout)


def deliver(services, nid: int) -> str:
    """Send Notification ``nid`` now and record WeChat's answer; returns the new status. Idempotent."""
    n = _claim(services, nid)
    if n is None:
        with services.db.session() as s:
            row = s.get(Notification, nid)
            return row.status if row else "missing"
    if n.channel == SMS_CHANNEL:
        return _deliver_sms(services, n)
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
        elif errcode is None and _timed_out(exc):
            status, errmsg = "unconfirmed", "no answer within the client timeout"
        else:
            status = "retry"
    except (requests.RequestException, TimeoutError) as exc:
        errmsg = type(exc).__name__
        status = "unconfirmed" if _timed_out(exc) else "retry"

    backoff = BACKOFF_S[min(tries - 1, len(BACKOFF_S) - 1)]
    values: dict = {"errcode": errcode, "errmsg": errmsg}
    if status == "retry":
        status = "queued" if tries < MAX_TRIES else "failed"
    if status == "sent":
        values.update(msgid=msgid, sent_at=utcnow(), lease_until=None)
    elif status == "queued":
        values["lease_until"] = utcnow() + dt.timedelta(seconds=backoff + services.settings.outbox_lease_s)
    elif status in ("failed", "paused"):
        values["lease_until"] = None
    # "unconfirmed" keeps the claim's lease: the confirm window, counted from the send.
    with services.db.session() as s:
        changed = s.execute(update(Notification).where(Notification.id == nid, Notification.status == "sending")
                            .values(status=status, **values)).rowcount
        if not changed:  # WeChat's delivery report came first and settled the row
            status = s.get(Notification, nid).status
            if msgid:
                s.execute(update(Notification).where(Notification.id == nid, Notification.msgid.is_(None))
                          .values(msgid=msgid, sent_at=utcnow()))
    if changed and status == "paused":
        pause_sending(services)
    elif changed and status == "queued":
        _queue_send(services, nid, backoff)
    log.info("wechat message %s", status, extra={"notification_id": nid, "errcode": errcode, "tries": tries})
    return status


def _without_number(payload: dict | None) -> dict:
    return {k: v for k, v in (payload or {}).items() if k not in ("phone_enc", "row")}


def _deliver_sms(services, n: Notification) -> str:
    """Send a claimed SMS row through the gateway and record its answer (see the module docstring)."""
    payload, tries = dict(n.payload or {}), n.tries
    status, errmsg, msgid = "sent", None, None
    with services.db.session() as s:
        retiree = s.get(Retiree, n.retiree_id) if n.retiree_id else None
        agency = s.get(Agency, retiree.agency_id) if retiree is not None else None
        call = agency_phone(agency, services.settings.wechat.hotline)
    try:
        phone = services.cipher.decrypt(base64.b64decode(payload.get("phone_enc", "")), b"phone",
                                        row=payload.get("row"))
    except (DecryptionError, ValueError):
        status, errmsg = "failed", "the number cannot be read (its key is gone)"
    else:
        try:
            msgid = services.sms.send(phone, services.sms.template_code(n.kind), {"phone": call},
                                      out_id=str(n.id))[:32] or None
        except SmsError as exc:
            errmsg = str(exc)[:200]
            status = "failed" if exc.permanent else ("queued" if tries < MAX_TRIES else "failed")
    backoff = BACKOFF_S[min(tries - 1, len(BACKOFF_S) - 1)]
    values: dict = {"status": status, "errmsg": errmsg, "errcode": None}
    if status == "queued":
        values["lease_until"] = utcnow() + dt.timedelta(seconds=backoff + services.settings.outbox_lease_s)
    else:
        values.update(lease_until=None, payload=_without_number(payload))
        if status == "sent":
            values.update(msgid=msgid, sent_at=utcnow())
    with services.db.session() as s:
        changed = s.execute(update(Notification).where(Notification.id == n.id, Notification.status == "sending")
                            .values(**values)).rowcount
    if changed and status == "queued":
        _queue_send(services, n.id, backoff)
    log.info("sms %s", status, extra={"notification_id": n.id, "tries": tries,
                                      "sms_error": errmsg.split(":")[0] if errmsg else None})
    return status


def record_delivery_report(services, openid: str, msgid: str, report: str) -> int | None:
    """WeChat's TEMPLATESENDJOBFINISH for ``msgid`` to ``openid``: settle the row it reports on; returns its id.

    By msgid when we know it; else it is the answer we never got (a send that timed out, or whose
    worker died): the oldest row to that user still awaiting a report.
    """
    status = "delivered" if report == "success" else "failed"
    values: dict[str, Any] = {"status": status, "lease_until": None, "errmsg": None if status == "delivered" else report[:200]}
    with services.db.session() as s:
        nid = s.scalar(select(Notification.id).where(Notification.msgid == msgid,
                                                     Notification.channel == "template").limit(1))
        if nid is None:
            nid = s.scalar(select(Notification.id).where(
                Notification.openid == openid, Notification.channel == "template",
                Notification.status.in_(AWAITING_REPORT), Notification.msgid.is_(None))
                .order_by(Notification.id).limit(1))
            if nid is None:
                log.info("delivery report for an unknown message", extra={"msgid": msgid})
                return None
            values.update(msgid=msgid, sent_at=utcnow())
        s.execute(update(Notification).where(Notification.id == nid).values(**values))
    return nid


def sweep(services, now: dt.datetime | None = None) -> dict[str, int]:
    """Hand out again every row whose lease ran out (rq cron, every minute); returns counts by what was done.

    * ``queued``: its job was lost (Redis restarted, the queue call failed) or its retry is due → queued again;
    * ``sending`` / ``unconfirmed``: no answer and no delivery report within the confirm window → one more try
      (or ``failed`` after MAX_TRIES);
    * ``paused`` with no pause in force (Redis forgot it) → resumed.
    """
    now = now or utcnow()
    lease = now + dt.timedelta(seconds=services.settings.outbox_lease_s)
    done = {"requeued": 0, "retried": 0, "failed": 0, "resumed": 0}
    handed: list[int] = []
    with services.db.session() as s:
        rows = s.execute(select(Notification.id, Notification.status, Notification.tries, Notification.lease_until,
                                Notification.channel)
                         .where(Notification.status.in_(IN_HAND), Notification.channel.in_(_channels(services)),
                                or_(Notification.lease_until.is_(None), Notification.lease_until <= now))
                         .order_by(Notification.id).limit(5000)).all()
    for nid, status, tries, until, channel in rows:
        if status == "queued":
            target, outcome = "queued", "requeued"
        elif tries >= MAX_TRIES:
            target, outcome = "failed", "failed"
        else:
            target, outcome = "queued", "retried"
        with services.db.session() as s:
            match = [Notification.id == nid, Notification.status == status]
            match.append(Notification.lease_until.is_(None) if until is None else Notification.lease_until == until)
            values: dict = {"status": target, "lease_until": lease if target == "queued" else None}
            if target == "failed":
                values["errmsg"] = "no answer from WeChat" if channel != SMS_CHANNEL else "no answer from the SMS gateway"
                if channel == SMS_CHANNEL:
                    values["payload"] = _without_number(s.get(Notification, nid).payload)
            if not s.execute(update(Notification).where(*match).values(**values)).rowcount:
                continue  # someone else moved it meanwhile
        done[outcome] += 1
        if target == "queued":
            handed.append(nid)
    for nid in handed:
        _queue_send(services, nid)
    if not paused_until(services):
        with services.db.session() as s:
            waiting = s.scalar(select(Notification.id).where(Notification.status == "paused").limit(1))
        if waiting is not None:
            done["resumed"] = resume_sending(services)
    if any(done.values()):
        log.warning("outbox swept", extra=done)
    return done
