"""WeChatUser rows: who follows the account, and when they last interacted (the 48-hour window)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from certification.names import mask_name, plain_name
from storage.models import Binding, Certification, Retiree, WeChatUser, utcnow


def record(services, openid: str, *, subscribed: bool | None = None, at: dt.datetime | None = None,
           interacted: bool = True) -> int:
    """Create or update the user of ``openid``; returns its id. Safe against two workers racing to insert."""
    at = at or utcnow()
    for _ in range(2):
        try:
            with services.db.session() as s:
                user = s.scalar(select(WeChatUser).where(WeChatUser.oa_openid == openid))
                if user is None:
                    user = WeChatUser(oa_openid=openid, subscribed=False)
                    s.add(user)
                if subscribed is True and not user.subscribed:
                    user.subscribed, user.subscribed_at = True, at
                elif subscribed is False:
                    user.subscribed = False
                    # Unfollowing ends every H5 session and mini-program token of this user.
                    user.session_version = (user.session_version or 0) + 1
                if interacted:
                    user.last_interaction_at = at
                s.flush()
                return user.id
        except IntegrityError:
            continue  # another process inserted the same openid first; update theirs
    raise RuntimeError("could not record the WeChat user")


def bound_retirees(services, openid: str) -> list[dict]:
    """The retirees this WeChat user may act for, each with their latest certification date and status."""
    with services.db.session() as s:
        rows = s.execute(
            select(Binding, Retiree)
            .join(WeChatUser, Binding.wechat_user_id == WeChatUser.id)
            .join(Retiree, Binding.retiree_id == Retiree.id)
            .where(WeChatUser.oa_openid == openid, Binding.revoked_at.is_(None),
                   Binding.confirmed_at.is_not(None))  # an unproven claim shows nothing of the record
            .order_by(Binding.id)
        ).all()
        result = []
        for binding, retiree in rows:
            last = s.scalar(
                select(Certification.certified_on)
                .where(Certification.retiree_id == retiree.id)
                .order_by(Certification.certified_on.desc())
                .limit(1)
            )
            result.append({
                "retiree_id": retiree.id,
                "name": mask_name(plain_name(retiree.name)),
                "kind": binding.kind.value,
                "last_certified_on": last,
                "pension_status": retiree.pension_status.value,
            })
        return result
