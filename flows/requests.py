"""Requests a retiree or family member makes through the menu, for the agency to act on.

* a home visit (老人行动不便，请上门认证), which staff schedule and carry out;
* a death report, which staff confirm (payment stops) or reject.

Only someone bound to the retiree may ask; asking twice while a request is open
returns the open one instead of adding another.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import FlowError
from storage import audit
from storage.models import Binding, PensionStatus, Retiree, ServiceRequest, WeChatUser

log = logging.getLogger("lifecert.flows.requests")

HOME_VISIT = "home_visit"
DEATH_REPORT = "death_report"
OPEN_STATUSES = ("open", "scheduled")


def _file(session: Session, wechat_user: WeChatUser, retiree_id: int, kind: str, note: str | None) -> ServiceRequest:
    bound = session.scalar(select(Binding.id).where(Binding.wechat_user_id == wechat_user.id,
                                                    Binding.retiree_id == retiree_id,
                                                    Binding.revoked_at.is_(None)).limit(1))
    if bound is None:
        raise FlowError("not_bound")
    retiree = session.get(Retiree, retiree_id)
    if retiree is None:
        raise FlowError("not_bound")
    if retiree.pension_status == PensionStatus.stopped:
        raise FlowError("stopped")
    existing = session.scalar(select(ServiceRequest).where(ServiceRequest.retiree_id == retiree_id,
                                                           ServiceRequest.kind == kind,
                                                           ServiceRequest.status.in_(OPEN_STATUSES)))
    if existing is not None:
        return existing
    request = ServiceRequest(kind=kind, retiree_id=retiree_id, wechat_user_id=wechat_user.id,
                             note=(note or "").strip()[:500] or None, status="open")
    session.add(request)
    session.flush()
    audit.record(session, "wechat", f"request.{kind}", actor_id=wechat_user.id, target_kind="service_request",
                 target_id=request.id, retiree_id=retiree_id)
    log.info("service request filed", extra={"request_id": request.id, "kind": kind})
    return request


def request_home_visit(session: Session, wechat_user: WeChatUser, retiree_id: int, note: str | None = None) -> ServiceRequest:
    """Ask the agency to certify ``retiree_id`` at home; raises FlowError('not_bound'/'stopped')."""
    return _file(session, wechat_user, retiree_id, HOME_VISIT, note)


def report_death(session: Session, wechat_user: WeChatUser, retiree_id: int, note: str | None = None) -> ServiceRequest:
    """Report that ``retiree_id`` has died; the agency confirms before payment stops."""
    return _file(session, wechat_user, retiree_id, DEATH_REPORT, note)
