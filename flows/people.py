"""Who is who: WeChat users, linking to a retiree, family proxies by QR code, consent.

A binding is what lets a WeChat user certify a retiree; every way of creating
one is here, and every refusal is a :class:`flows.FlowError` code. Answers never
reveal more than the user typed: a failed name + ID match says only "not found".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from certification import binding as rules
from certification import cycle
from certification.idnumber import InvalidIdNumber, validate_id_number
from flows import FlowError
from flows.cycles import policy_of, retiree_state
from storage import audit
from storage.models import (
    Agency,
    Binding,
    BindingKind,
    BindingToken,
    Consent,
    Retiree,
    WeChatUser,
    utcnow,
)
from storage.personal_data import FieldCipher

log = logging.getLogger("lifecert.flows.people")

CONSENT_VERSION = "2026-11-v1"
TOKEN_TTL = dt.timedelta(days=7)
SCENE_PREFIX = "bind"  # the QR scene is "bind:<token>" (bot.scenes)
_REASON_TO_CODE = {
    rules.Reason.NOT_BOUND: "not_bound",
    rules.Reason.BINDING_REVOKED: "not_bound",
    rules.Reason.RETIREE_STOPPED: "stopped",
    rules.Reason.IN_PERSON_REQUIRED: "in_person_required",
    rules.Reason.ALREADY_BOUND: "already_bound",
    rules.Reason.FAMILY_LIMIT_REACHED: "too_many_family",
    rules.Reason.SELF_TAKEN: "self_taken",
    rules.Reason.ALREADY_SELF: "already_self",
}


def user_for_openid(session: Session, oa_openid: str | None = None, mini_openid: str | None = None,
                    unionid: str | None = None) -> WeChatUser:
    """Find or create the WeChat user behind an official-account or mini-program openid."""
    user = None
    if oa_openid:
        user = session.scalar(select(WeChatUser).where(WeChatUser.oa_openid == oa_openid))
    if user is None and mini_openid:
        user = session.scalar(select(WeChatUser).where(WeChatUser.mini_openid == mini_openid))
    if user is None and unionid:
        user = session.scalar(select(WeChatUser).where(WeChatUser.unionid == unionid))
    if user is None:
        user = WeChatUser(oa_openid=oa_openid, mini_openid=mini_openid, unionid=unionid)
        session.add(user)
    else:
        user.oa_openid = user.oa_openid or oa_openid
        user.mini_openid = user.mini_openid or mini_openid
        user.unionid = user.unionid or unionid
    user.last_interaction_at = utcnow()
    session.flush()
    return user


def _bindings_of(session: Session, user_id: int, retiree_id: int) -> list[rules.Binding]:
    rows = session.scalars(select(Binding).where(
        (Binding.wechat_user_id == user_id) | (Binding.retiree_id == retiree_id)))
    return [rules.Binding(str(b.wechat_user_id), b.retiree_id, rules.BindingKind(b.kind.value),
                          revoked=b.revoked_at is not None) for b in rows]


def check_may_certify(session: Session, wechat_user_id: int, retiree_id: int, today: dt.date) -> Retiree:
    retiree = session.get(Retiree, retiree_id)
    if retiree is None:
        raise FlowError("not_bound")
    policy = policy_of(session.get(Agency, retiree.agency_id))
    decision = rules.may_certify(str(wechat_user_id), retiree.id, _bindings_of(session, wechat_user_id, retiree.id),
                                 retiree_state(session, retiree, policy), policy, today)
    if not decision.allowed:
        raise FlowError(_REASON_TO_CODE.get(decision.reason, str(decision.reason)))
    return retiree


def _bind(session: Session, user: WeChatUser, retiree: Retiree, kind: BindingKind, via: str,
          family_limit: int = 10) -> Binding:
    decision = rules.may_bind(str(user.id), retiree.id, rules.BindingKind(kind.value),
                              _bindings_of(session, user.id, retiree.id), rules.BindingRules(family_limit))
    if not decision.allowed:
        raise FlowError(_REASON_TO_CODE.get(decision.reason, str(decision.reason)))
    row = Binding(wechat_user_id=user.id, retiree_id=retiree.id, kind=kind, created_via=via)
    session.add(row)
    session.flush()
    audit.record(session, "wechat", "binding.create", actor_id=user.id, target_kind="retiree",
                 target_id=retiree.id, kind=kind.value, via=via)
    return row


def link_self(session: Session, cipher: FieldCipher, user: WeChatUser, name: str, id_number: str,
              today: dt.date) -> Retiree:
    """Link a WeChat user to their own roster record by name and ID number."""
    try:
        info = validate_id_number(id_number, today=today)
    except InvalidIdNumber as exc:
        raise FlowError(str(exc.code)) from exc
    retiree = session.scalar(select(Retiree).where(
        Retiree.id_number_index == cipher.blind_index(info.number, b"id_number")))
    if retiree is None or retiree.name != name.strip():
        log.info("self-link: no match", extra={"wechat_user_id": user.id})
        raise FlowError("not_found")
    _bind(session, user, retiree, BindingKind.self_, "name_id")
    return retiree


def give_consent(session: Session, user: WeChatUser, version: str = CONSENT_VERSION) -> Consent:
    consent = Consent(wechat_user_id=user.id, text_version=version)
    session.add(consent)
    audit.record(session, "wechat", "consent.accept", actor_id=user.id, version=version)
    return consent


def has_consent(session: Session, wechat_user_id: int, version: str = CONSENT_VERSION) -> bool:
    return session.scalar(select(Consent.id).where(Consent.wechat_user_id == wechat_user_id,
                                                   Consent.text_version == version,
                                                   Consent.withdrawn_at.is_(None)).limit(1)) is not None


def require_consent(session: Session, wechat_user_id: int) -> None:
    if not has_consent(session, wechat_user_id):
        raise FlowError("no_consent")


# --- family proxies by QR code ------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_binding_token(session: Session, retiree_id: int, now: dt.datetime | None = None,
                      ttl: dt.timedelta = TOKEN_TTL) -> str:
    """A single-use random token for a 'let my family certify for me' QR code.

    Only its hash is stored; the QR's scene is ``bind:<token>`` (≤ 64 characters,
    WeChat's scene_str limit) and carries nothing about the person.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    session.add(BindingToken(token_hash=_token_hash(token), retiree_id=retiree_id, created_at=now,
                             expires_at=now + ttl))
    session.flush()
    return token


def redeem_binding_token(session: Session, user: WeChatUser, token: str,
                         now: dt.datetime | None = None) -> Retiree:
    """A family member scanned the QR: bind them as proxy and spend the token."""
    now = now or utcnow()
    row = session.scalar(select(BindingToken).where(BindingToken.token_hash == _token_hash(token)))
    if row is None:
        raise FlowError("token_invalid")
    expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.timezone.utc)
    if row.used_at is not None or now >= expires_at:
        raise FlowError("token_invalid")
    retiree = session.get(Retiree, row.retiree_id)
    existing = session.scalar(select(Binding).where(Binding.wechat_user_id == user.id,
                                                    Binding.retiree_id == retiree.id,
                                                    Binding.revoked_at.is_(None)))
    if existing is None:
        _bind(session, user, retiree, BindingKind.family, "qr_code")
    row.used_at = now
    row.used_by = user.id
    return retiree


def revoke_binding(session: Session, binding_id: int, by_user: WeChatUser) -> Binding:
    """Either side may end a proxy: the proxy themself, or the retiree's own (self-bound) account."""
    row = session.get(Binding, binding_id)
    if row is None or row.revoked_at is not None:
        raise FlowError("not_bound")
    own_retiree = session.scalar(select(Binding.id).where(
        Binding.wechat_user_id == by_user.id, Binding.retiree_id == row.retiree_id,
        Binding.kind == BindingKind.self_, Binding.revoked_at.is_(None)))
    if row.wechat_user_id == by_user.id:
        by = "self"
    elif own_retiree is not None:
        by = "retiree"
    else:
        raise FlowError("not_bound")
    row.revoked_at = utcnow()
    row.revoked_by = by
    audit.record(session, "wechat", "binding.revoke", actor_id=by_user.id, target_kind="binding",
                 target_id=row.id, by=by)
    return row


@dataclasses.dataclass(frozen=True)
class PersonView:
    """One line of 'the people I certify for', for the page and the bot."""

    retiree_id: int
    binding_id: int
    kind: str
    name: str
    status: str  # certification.cycle.StatusCode value
    due_by: dt.date | None
    last_certified_on: dt.date | None


def people_of(session: Session, user: WeChatUser, today: dt.date) -> list[PersonView]:
    rows = session.execute(select(Binding, Retiree).join(Retiree, Binding.retiree_id == Retiree.id).where(
        Binding.wechat_user_id == user.id, Binding.revoked_at.is_(None)).order_by(Binding.kind, Binding.id)).all()
    people = []
    for binding_row, retiree in rows:
        policy = policy_of(session.get(Agency, retiree.agency_id))
        state = retiree_state(session, retiree, policy)
        status = cycle.status_of(state, policy, today)
        people.append(PersonView(retiree.id, binding_row.id, binding_row.kind.value, retiree.name,
                                 status.code.value, status.due_by, state.last_certified_on))
    return people
