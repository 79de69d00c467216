"""A stand-in for flows.outbox.enqueue_template that "delivers" at once, for tests and the benchmark only.

Same call as the real one: ``enqueue_template(services, openid, kind, fields, retiree_id=, dedupe_key=,
campaign_id=)`` → Notification id, at most once per dedupe key. Fields are checked like
wechat/templates.py checks them (required keys per kind), and the message is "delivered" at once:
status ``sent``, or ``failed`` with 43004 for openids listed in ``UNFOLLOWED``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.models import Notification, utcnow

REQUIRED = {
    "cert_result": ("name", "passed", "at"),
    "reminder": ("name", "deadline"),
    "suspension": ("name", "since"),
    "resumption": ("name", "from_date"),
    "family_bound": ("name", "family", "at"),
}
UNFOLLOWED: set[str] = set()


def enqueue_template(services, openid: str, kind: str, fields: dict, retiree_id: int | None = None,
                     dedupe_key: str | None = None, campaign_id: int | None = None, url: str | None = None,
                     session=None) -> int:
    missing = [k for k in REQUIRED[kind] if fields.get(k) in (None, "")]
    if missing:
        raise ValueError(f"template {kind!r} needs {', '.join(missing)}")
    failed = openid in UNFOLLOWED
    row = Notification(openid=openid, retiree_id=retiree_id, kind=kind, channel="template",
                       template_id=f"dev_tpl_{kind}", payload={"fields": {k: str(v) for k, v in fields.items()}},
                       dedupe_key=dedupe_key, campaign_id=campaign_id, status="failed" if failed else "sent",
                       errcode=43004 if failed else None, errmsg="用户未关注" if failed else None,
                       sent_at=None if failed else utcnow(), tries=1)
    if session is not None:  # in the caller's transaction, as the real outbox writes it
        existing = session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)) \
            if dedupe_key else None
        if existing is not None:
            return existing
        session.add(row)
        session.flush()
        return row.id
    try:
        with services.db.session() as s:
            s.add(row)
            s.flush()
            return row.id
    except IntegrityError:
        with services.db.session() as s:
            return s.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))


def install() -> None:
    """Route flows.outbox.enqueue_template (what every use case calls) to this stand-in."""
    import flows.outbox

    flows.outbox.enqueue_template = enqueue_template
