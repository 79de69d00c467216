"""Who is who: WeChat users, linking to a retiree, family proxies by QR code, consent.

A binding is what lets a WeChat user certify a retiree; every way of creating
one is here, and every refusal is a :class:`flows.FlowError` code. Answers never
reveal more than the user typed: a failed name + ID match says only "not found".
"""

from __future__ import annotations

import base64
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
from flows import FlowError, get_row
from flows.cycles import policy_of, retiree_state
from flows.personal_keys import find_retiree_by_id_number
from storage import audit
from storage.models import (
    Agency,
    Attempt,
    AttemptStatus,
    Binding,
    BindingKind,
    BindingToken,
    Certification,
    Consent,
    EnrollmentPhoto,
    Notification,
    Retiree,
    WeChatUser,
    utcnow,
)
from storage.personal_data import FieldCipher

log = logging.getLogger("lifecert.flows.people")

CONSENT_VERSION = "2026-12-v2"  # v2: the text says what is kept, how long, and how to withdraw
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


def is_pending(binding: Binding) -> bool:
    """A self binding typed in by name + ID number, not yet confirmed by a face match or the agency."""
    return binding.kind == BindingKind.self_ and binding.confirmed_at is None


def _bindings_of(session: Session, user_id: int, retiree_id: int) -> list[rules.Binding]:
    rows = session.scalars(select(Binding).where(
        (Binding.wechat_user_id == user_id) | (Binding.retiree_id == retiree_id)))
    # Someone else's unconfirmed claim blocks nobody: whoever proves it first is "self".
    return [rules.Binding(str(b.wechat_user_id), b.retiree_id, rules.BindingKind(b.kind.value),
                          revoked=b.revoked_at is not None) for b in rows
            if not (is_pending(b) and b.wechat_user_id != user_id)]


def active_binding(session: Session, wechat_user_id: int, retiree_id: int) -> Binding | None:
    return session.scalar(select(Binding).where(Binding.wechat_user_id == wechat_user_id,
                                                Binding.retiree_id == retiree_id,
                                                Binding.revoked_at.is_(None)).order_by(Binding.id.desc()).limit(1))


def is_confirmed_self(session: Session, wechat_user_id: int, retiree_id: int) -> bool:
    """The powers of the retiree themself (family QR, ending proxies, the phone) need a confirmed self binding."""
    row = active_binding(session, wechat_user_id, retiree_id)
    return row is not None and row.kind == BindingKind.self_ and row.confirmed_at is not None


def has_enrolled_face(session: Session, retiree_id: int) -> bool:
    return session.scalar(select(EnrollmentPhoto.id).where(
        EnrollmentPhoto.retiree_id == retiree_id, EnrollmentPhoto.active.is_(True),
        EnrollmentPhoto.template.is_not(None)).limit(1)) is not None


def check_may_certify(session: Session, wechat_user_id: int, retiree_id: int, today: dt.date) -> Retiree:
    retiree = session.get(Retiree, retiree_id)
    if retiree is None:
        raise FlowError("not_bound")
    policy = policy_of(get_row(session, Agency, retiree.agency_id))
    decision = rules.may_certify(str(wechat_user_id), retiree.id, _bindings_of(session, wechat_user_id, retiree.id),
                                 retiree_state(session, retiree, policy), policy, today)
    if not decision.allowed:
        raise FlowError(_REASON_TO_CODE.get(decision.reason, str(decision.reason)))
    row = active_binding(session, wechat_user_id, retiree.id)
    if row is not None and is_pending(row) and not has_enrolled_face(session, retiree.id):
        # Nothing to compare a face with: only the agency can confirm this claim.
        raise FlowError("self_pending_agency")
    return retiree


def _bind(session: Session, user: WeChatUser, retiree: Retiree, kind: BindingKind, via: str,
          family_limit: int = 10, confirmed: bool = True) -> Binding:
    decision = rules.may_bind(str(user.id), retiree.id, rules.BindingKind(kind.value),
                              _bindings_of(session, user.id, retiree.id), rules.BindingRules(family_limit))
    if not decision.allowed:
        raise FlowError(_REASON_TO_CODE.get(decision.reason, str(decision.reason)))
    row = Binding(wechat_user_id=user.id, retiree_id=retiree.id, kind=kind, created_via=via,
                  confirmed_via=via if confirmed else None)
    session.add(row)
    session.flush()
    if not confirmed:
        row.confirmed_at = None  # the column's default confirms; a claim starts unconfirmed
        session.flush()
    audit.record(session, "wechat", "binding.create", actor_id=user.id, target_kind="retiree",
                 target_id=retiree.id, kind=kind.value, via=via)
    return row


def link_self(session: Session, cipher: FieldCipher, user: WeChatUser, name: str, id_number: str,
              today: dt.date) -> Retiree:
    """Claim a roster record as one's own by name and ID number.

    Name + ID number are no proof (relatives and anyone holding a photocopy know them), so the
    claim is a *pending* self binding: it may record one certification video, and only a pass of
    that video — a live face matched against the enrolled photo at the pipeline's pass threshold —
    confirms it (:func:`confirm_self_by_face`). Without an enrolled photo the agency confirms it
    (:func:`confirm_self_by_agency`). Until then it gives no power over the record and shows no
    status. The roster phone is told of every claim. A family member of the person is refused and
    steered to the QR path: they are never "self".
    """
    try:
        info = validate_id_number(id_number, today=today)
    except InvalidIdNumber as exc:
        raise FlowError(str(exc.code)) from exc
    retiree = find_retiree_by_id_number(session, cipher, info.number)
    if retiree is None or retiree.name != name.strip():
        log.info("self-link: no match", extra={"wechat_user_id": user.id})
        raise FlowError("not_found")
    mine = active_binding(session, user.id, retiree.id)
    if mine is not None and mine.kind == BindingKind.family:
        raise FlowError("family_use_qr")
    if mine is not None and is_pending(mine):
        return retiree  # the same claim typed again
    _bind(session, user, retiree, BindingKind.self_, "name_id", confirmed=False)
    audit.record(session, "wechat", "binding.self_claim", actor_id=user.id, target_kind="retiree",
                 target_id=retiree.id)
    tell_roster_phone(session, retiree, "self_claim")
    return retiree


def tell_roster_phone(session: Session, retiree: Retiree, kind: str) -> Notification | None:
    """Record a notice to the phone number on the roster (the outbox's ``sms`` channel).

    The number is the agency's, not one the claimant typed, so the real retiree hears of a claim on
    their record. The outbox's SMS sender (flows.outbox) sends it through the gateway (sms/) with
    the agency's number to call; with no gateway configured it waits, queued.
    """
    if not retiree.phone_enc:
        return None
    # The number as it is now, still encrypted (bound to its row): a proxy's change of the number
    # must reach the old one. The sender drops it from the row once the notice is settled.
    payload = {"phone_masked": retiree.phone_masked, "phone_enc": base64.b64encode(retiree.phone_enc).decode(),
               "row": retiree.id_number_index}
    row = Notification(openid="", retiree_id=retiree.id, kind=kind, channel="sms", payload=payload, status="queued",
                       dedupe_key=f"sms:{kind}:{retiree.id}:{utcnow():%Y%m%d%H%M%S%f}")
    session.add(row)
    return row


def _end_other_claims(session: Session, retiree_id: int, keep_binding_id: int, by: str) -> list[int]:
    others = session.scalars(select(Binding).where(
        Binding.retiree_id == retiree_id, Binding.kind == BindingKind.self_, Binding.revoked_at.is_(None),
        Binding.id != keep_binding_id)).all()
    for row in others:
        row.revoked_at, row.revoked_by = utcnow(), by
        bump_session_version(session, row.wechat_user_id)
    return [row.id for row in others]


def confirm_self_by_face(session: Session, wechat_user_id: int, retiree_id: int, attempt_id: str) -> bool:
    """A certification video of a pending claimant passed: the live face is the enrolled one."""
    row = active_binding(session, wechat_user_id, retiree_id)
    if row is None or not is_pending(row):
        return False
    row.confirmed_at, row.confirmed_via = utcnow(), "face"
    ended = _end_other_claims(session, retiree_id, row.id, "superseded")
    audit.record(session, "system", "binding.self_confirm", target_kind="binding", target_id=row.id,
                 via="face", attempt_id=attempt_id, ended_claims=ended)
    return True


def confirm_self_by_agency(session: Session, binding_id: int, agency_id: int, admin_id: int,
                           scope: list[int] | None = None) -> Binding:
    """Agency staff confirm a pending claim (no photo enrolled; they checked the person in another way)."""
    row = session.get(Binding, binding_id)
    retiree = session.get(Retiree, row.retiree_id) if row is not None else None
    if (row is None or retiree is None or retiree.agency_id != agency_id or row.revoked_at is not None
            or not is_pending(row) or (scope and retiree.region_id not in scope)):
        raise FlowError("not_found")
    row.confirmed_at, row.confirmed_via = utcnow(), "agency"
    ended = _end_other_claims(session, retiree.id, row.id, "superseded")
    audit.record(session, "admin", "binding.self_confirm", actor_id=admin_id, target_kind="binding",
                 target_id=row.id, via="agency", ended_claims=ended)
    tell_roster_phone(session, retiree, "self_confirmed")
    return row


def recover_record(session: Session, retiree_id: int, agency_id: int, admin_id: int,
                   scope: list[int] | None = None) -> list[int]:
    """Agency action: a record taken by someone else is freed.

    Every self binding (confirmed or not) ends, and so does every family binding made since the
    earliest of them (the taker's QR codes), with unused QR tokens; their sessions end too. The
    real retiree then links again and proves it with their face (or the agency confirms them).
    """
    retiree = session.get(Retiree, retiree_id)
    if retiree is None or retiree.agency_id != agency_id or (scope and retiree.region_id not in scope):
        raise FlowError("not_found")
    selves = session.scalars(select(Binding).where(Binding.retiree_id == retiree_id,
                                                   Binding.kind == BindingKind.self_,
                                                   Binding.revoked_at.is_(None))).all()
    ended = []
    if selves:
        since = min(_aware(b.created_at) for b in selves)
        families = session.scalars(select(Binding).where(Binding.retiree_id == retiree_id,
                                                         Binding.kind == BindingKind.family,
                                                         Binding.revoked_at.is_(None))).all()
        for row in [*selves, *(f for f in families if _aware(f.created_at) >= since)]:
            row.revoked_at, row.revoked_by = utcnow(), "staff"
            bump_session_version(session, row.wechat_user_id)
            ended.append(row.id)
    for token in session.scalars(select(BindingToken).where(BindingToken.retiree_id == retiree_id,
                                                            BindingToken.used_at.is_(None))):
        token.expires_at = utcnow()
    audit.record(session, "admin", "retiree.recover", actor_id=admin_id, target_kind="retiree",
                 target_id=retiree_id, ended_bindings=ended)
    tell_roster_phone(session, retiree, "record_recovered")
    return ended


def bump_session_version(session: Session, wechat_user_id: int) -> None:
    """End every session and token of this WeChat user (they log in again through OAuth / wx.login)."""
    user = session.get(WeChatUser, wechat_user_id)
    if user is not None:
        user.session_version = (user.session_version or 0) + 1


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def give_consent(session: Session, user: WeChatUser, version: str = CONSENT_VERSION,
                 retiree_id: int | None = None) -> list[Consent]:
    """Record consent per retiree: for ``retiree_id``, else for each person the user is bound to now.

    With nobody bound yet, one row without a retiree (it covers whoever is bound later). A retiree's
    own consent (a confirmed self) lifts their earlier withdrawal.
    """
    ids = [retiree_id] if retiree_id is not None else list(session.scalars(select(Binding.retiree_id).where(
        Binding.wechat_user_id == user.id, Binding.revoked_at.is_(None))))
    covered: list[int | None] = list(ids) or [None]
    rows = [Consent(wechat_user_id=user.id, text_version=version, retiree_id=rid) for rid in covered]
    session.add_all(rows)
    for rid in ids:
        retiree = session.get(Retiree, rid)
        if retiree is not None and retiree.face_consent_withdrawn_at is not None and is_confirmed_self(session, user.id, rid):
            retiree.face_consent_withdrawn_at = None
    audit.record(session, "wechat", "consent.accept", actor_id=user.id, version=version, retiree_ids=ids)
    return rows


def has_consent(session: Session, wechat_user_id: int, version: str = CONSENT_VERSION,
                retiree_id: int | None = None) -> bool:
    """Consent of this user covering ``retiree_id`` (None: every person the user is bound to)."""
    if retiree_id is None:
        ids = list(session.scalars(select(Binding.retiree_id).where(Binding.wechat_user_id == wechat_user_id,
                                                                    Binding.revoked_at.is_(None))))
        if not ids:
            return session.scalar(select(Consent.id).where(
                Consent.wechat_user_id == wechat_user_id, Consent.text_version == version,
                Consent.withdrawn_at.is_(None)).limit(1)) is not None
        return all(has_consent(session, wechat_user_id, version, rid) for rid in ids)
    retiree = session.get(Retiree, retiree_id)
    if retiree is not None and retiree.face_consent_withdrawn_at is not None:
        return False  # the retiree said no: nobody's consent stands in for theirs
    return session.scalar(select(Consent.id).where(
        Consent.wechat_user_id == wechat_user_id, Consent.text_version == version, Consent.withdrawn_at.is_(None),
        (Consent.retiree_id == retiree_id) | Consent.retiree_id.is_(None)).limit(1)) is not None


def require_consent(session: Session, wechat_user_id: int, retiree_id: int | None = None) -> None:
    if not has_consent(session, wechat_user_id, retiree_id=retiree_id):
        raise FlowError("no_consent")


def withdraw_consent(session: Session, user: WeChatUser, retiree_id: int) -> bool:
    """Withdraw consent to face processing for ``retiree_id``.

    A family member withdraws their own. The retiree themself (a confirmed self binding) stops face
    processing for everyone: every consent for them ends and their face templates are deleted (the
    photo stays with the agency; a new consent needs the agency to enrol again). The offline channels
    (on site, home visit) remain. Returns True when face processing stopped for the retiree.
    """
    if active_binding(session, user.id, retiree_id) is None:
        raise FlowError("not_bound")
    now = utcnow()
    own = is_confirmed_self(session, user.id, retiree_id)
    query = select(Consent).where(Consent.withdrawn_at.is_(None),
                                  (Consent.retiree_id == retiree_id) | Consent.retiree_id.is_(None))
    if not own:
        query = query.where(Consent.wechat_user_id == user.id)
    for row in session.scalars(query):
        if row.retiree_id is None and row.wechat_user_id != user.id:
            continue  # someone's general consent stays for their other people; the flag below blocks this one
        row.withdrawn_at = now
    if own:
        get_row(session, Retiree, retiree_id).face_consent_withdrawn_at = now
        for photo in session.scalars(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == retiree_id)):
            photo.template = None
            photo.template_model = None
    audit.record(session, "wechat", "consent.withdraw", actor_id=user.id, target_kind="retiree",
                 target_id=retiree_id, face_processing_stopped=own)
    return own


# --- family proxies by QR code ------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_binding_token(session: Session, retiree_id: int, now: dt.datetime | None = None,
                      ttl: dt.timedelta = TOKEN_TTL, purpose: str = "family") -> str:
    """A single-use random token for a 'let my family certify for me' QR code.

    Only its hash is stored; the QR's scene is ``bind:<token>`` (≤ 64 characters,
    WeChat's scene_str limit) and carries nothing about the person.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    session.add(BindingToken(token_hash=_token_hash(token), retiree_id=retiree_id, created_at=now,
                             expires_at=now + ttl, purpose=purpose))
    session.flush()
    return token


def redeem_binding_token(session: Session, user: WeChatUser, token: str,
                         now: dt.datetime | None = None) -> Retiree:
    """A family member scanned the QR: bind them as proxy and spend the token."""
    now = now or utcnow()
    row = _live_token(session, token, now, "family")
    retiree = get_row(session, Retiree, row.retiree_id)
    existing = session.scalar(select(Binding).where(Binding.wechat_user_id == user.id,
                                                    Binding.retiree_id == retiree.id,
                                                    Binding.revoked_at.is_(None)))
    if existing is None:
        _bind(session, user, retiree, BindingKind.family, "qr_code")
    row.used_at = now
    row.used_by = user.id
    return retiree


def _live_token(session: Session, token: str, now: dt.datetime, purpose: str) -> BindingToken:
    row = session.scalar(select(BindingToken).where(BindingToken.token_hash == _token_hash(token)))
    if row is None:
        raise FlowError("token_invalid")
    expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.timezone.utc)
    if row.used_at is not None or now >= expires_at or (row.purpose or "family") != purpose:
        raise FlowError("token_invalid")
    return row


def revoke_binding(session: Session, binding_id: int, by_user: WeChatUser) -> Binding:
    """Either side may end a proxy: the proxy themself, or the retiree's own (self-bound) account."""
    row = session.get(Binding, binding_id)
    if row is None or row.revoked_at is not None:
        raise FlowError("not_bound")
    own_retiree = session.scalar(select(Binding.id).where(
        Binding.wechat_user_id == by_user.id, Binding.retiree_id == row.retiree_id,
        Binding.kind == BindingKind.self_, Binding.revoked_at.is_(None), Binding.confirmed_at.is_not(None)))
    if row.wechat_user_id == by_user.id:
        by = "self"
    elif own_retiree is not None:
        by = "retiree"
    else:
        raise FlowError("not_bound")
    row.revoked_at = utcnow()
    row.revoked_by = by
    bump_session_version(session, row.wechat_user_id)
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
    # journeys-user: one clear status per person
    under_review: bool = False  # an attempt waits for staff: 审核中, no 开始认证
    valid_until: dt.date | None = None  # certified: the next cycle's deadline
    back_pay_months: int = 0  # suspended: months paid back after a pass today
    last_by: str | None = None  # who did the latest certification (see certified_by)
    last_helper: str | None = None  # the family helper's own name for themself, when they gave one

    @property
    def shown_status(self) -> str:
        """The one status the user reads: "review" overrides due/overdue/suspended while staff look."""
        if self.under_review and self.status in ("due", "overdue", "suspended"):
            return "review"
        return self.status

    @property
    def may_start(self) -> bool:
        """Whether to offer 开始认证: something is due, nothing waits for staff — or a claim of "self" that
        proves itself by a recording whose face matches the enrolled photo (security, issue 11)."""
        return self.shown_status in ("due", "overdue", "suspended", "pending")


def people_of(session: Session, user: WeChatUser, today: dt.date) -> list[PersonView]:
    rows = session.execute(select(Binding, Retiree).join(Retiree, Binding.retiree_id == Retiree.id).where(
        Binding.wechat_user_id == user.id, Binding.revoked_at.is_(None)).order_by(Binding.kind, Binding.id)).all()
    people = []
    for binding_row, retiree in rows:
        if is_pending(binding_row):
            # A claim not yet proven: the name the claimant typed, nothing about the record.
            people.append(PersonView(retiree.id, binding_row.id, "self_pending", retiree.name, "pending", None, None))
            continue
        policy = policy_of(get_row(session, Agency, retiree.agency_id))
        state = retiree_state(session, retiree, policy)
        status = cycle.status_of(state, policy, today)
        valid_until = (cycle.deadline_for(policy, status.cycle_year + 1)
                       if status.code is cycle.StatusCode.CERTIFIED else None)
        back_pay = 0
        if status.code is cycle.StatusCode.SUSPENDED:
            back_pay = cycle.payment_effect_of_pass(state, policy, today).back_pay_months
        history = history_of(session, retiree.id, limit=1)
        people.append(PersonView(retiree.id, binding_row.id, binding_row.kind.value, retiree.name,
                                 status.code.value, status.due_by, state.last_certified_on,
                                 under_review=under_review(session, retiree.id, user.id), valid_until=valid_until,
                                 back_pay_months=back_pay, last_by=history[0].by if history else None,
                                 last_helper=history[0].helper if history else None))
    return people


def unproven_claimants(session, retiree_id: int) -> set[int]:
    """WeChat users whose claim to be this retiree was never proven (they typed a name and ID number).

    Their attempts count against their own limits only, and the retiree's count leaves them out:
    otherwise anyone who knows a name and ID number could fail with their own face until the real
    person is refused for the day or held "under review".
    """
    return set(session.scalars(select(Binding.wechat_user_id).where(
        Binding.retiree_id == retiree_id, Binding.kind == BindingKind.self_, Binding.confirmed_at.is_(None))))


def counted_attempt_filter(session, retiree_id: int, wechat_user_id: int | None):
    """The WHERE clause of the attempts that count for ``wechat_user_id`` acting for ``retiree_id``."""
    claimants = unproven_claimants(session, retiree_id)
    if wechat_user_id is not None and wechat_user_id in claimants:
        return Attempt.wechat_user_id == wechat_user_id
    if not claimants:
        return Attempt.retiree_id == retiree_id
    return Attempt.wechat_user_id.is_(None) | Attempt.wechat_user_id.not_in(claimants)


def under_review(session: Session, retiree_id: int, wechat_user_id: int | None = None) -> bool:
    """Whether an attempt of the retiree that counts for ``wechat_user_id`` waits for a reviewer (a
    decision moves it out of ``review``): an unproven claimant's held attempt holds up nobody else."""
    return session.scalar(select(Attempt.id).where(
        Attempt.retiree_id == retiree_id, Attempt.status == AttemptStatus.review,
        counted_attempt_filter(session, retiree_id, wechat_user_id)).limit(1)) is not None


@dataclasses.dataclass(frozen=True)
class CertificationLine:
    """One line of 认证记录: the day, how, and who did it (self / family / staff / data)."""

    certified_on: dt.date
    method: str  # storage.models.CertificationMethod value
    by: str  # wording.zh.CERTIFIED_BY key
    helper: str | None = None  # by == "family": the helper's name for themself (set_helper_name)


STAFF_METHODS = {"on_site", "home_visit", "by_mail", "manual_review"}


def certified_by(session: Session, row: Certification) -> str:
    """Who did a certification: "self", "family", "staff" or "data" (a data comparison)."""
    return _certifier(session, row)[0]


def _certifier(session: Session, row: Certification) -> tuple[str, str | None]:
    """``certified_by`` and, for a family helper, the name they gave themself."""
    method = row.method.value
    if method == "data_comparison":
        return "data", None
    if method in STAFF_METHODS or row.by_admin_id is not None:
        return "staff", None
    if row.by_wechat_user_id is None:
        return "self", None
    binding = session.scalar(select(Binding).where(Binding.wechat_user_id == row.by_wechat_user_id,
                                                   Binding.retiree_id == row.retiree_id)
                             .order_by(Binding.id.desc()).limit(1))
    kind = binding.kind if binding is not None else None
    if kind == BindingKind.family:
        return "family", binding.helper_name if binding is not None else None
    return ("staff" if kind == BindingKind.staff else "self"), None


def history_of(session: Session, retiree_id: int, limit: int = 10) -> list[CertificationLine]:
    rows = session.scalars(select(Certification).where(Certification.retiree_id == retiree_id)
                           .order_by(Certification.certified_on.desc(), Certification.id.desc()).limit(limit))
    return [CertificationLine(r.certified_on, r.method.value, *_certifier(session, r)) for r in rows]


#: a helper's name for themself: a few plain words ("女儿 小红"), never digits, so that no
#: phone or ID number ends up shown as a name
HELPER_NAME_MAX = 8


def set_helper_name(session: Session, binding_id: int, by_user: WeChatUser, name: str) -> Binding:
    """A family helper says what the retiree should read for them ("家属 女儿 小红").

    Only the helper sets their own name: the retiree reads it beside the certifications the
    helper did and in their list of helpers, which is how they tell whom to revoke.
    """
    row = session.get(Binding, binding_id)
    if row is None or row.revoked_at is not None or row.wechat_user_id != by_user.id \
            or row.kind != BindingKind.family:
        raise FlowError("not_bound")
    cleaned = " ".join(name.split())
    if not (1 <= len(cleaned) <= HELPER_NAME_MAX) or \
            not all(ch.isalpha() or ch in " ·" for ch in cleaned) or not any(ch.isalpha() for ch in cleaned):
        raise FlowError("helper_name_invalid")
    row.helper_name = cleaned
    audit.record(session, "wechat", "binding.helper_name", actor_id=by_user.id, target_kind="binding",
                 target_id=row.id)
    return row


# --- a second person on the same phone ------------------------------------------------
#
# An elderly couple often shares one phone. The second person is added only with their
# own consent, never because the phone's owner typed their name and ID number:
#
# * QR: staff hand that person a consent QR (console → 人员 → 本人同意二维码, purpose
#   ``share``), printed on the notice letter or shown at the service point; scanning it
#   with the shared phone's WeChat adds them (:func:`redeem_share_token`);
# * face: that person looks into the camera and matches their enrolled photo — the
#   security issue builds it, and calls :func:`add_person_on_phone` with ``via="face"``.

SHARE_PREFIX = "share"  # the QR scene is "share:<token>"
SHARED_PHONE_VIA = ("share_qr", "face")


def add_person_on_phone(session: Session, user: WeChatUser, retiree: Retiree, via: str) -> Binding:
    """Bind ``retiree`` to this phone's WeChat user after that person consented (``via``: share_qr / face).

    Recorded as a family-kind binding created ``via`` that consent, so the rules on
    who may certify whom, the family limit and revocation all apply unchanged.
    """
    if via not in SHARED_PHONE_VIA:
        raise ValueError(f"unknown consent path {via!r}")
    existing = session.scalar(select(Binding).where(Binding.wechat_user_id == user.id,
                                                    Binding.retiree_id == retiree.id,
                                                    Binding.revoked_at.is_(None)))
    if existing is not None:
        return existing
    row = _bind(session, user, retiree, BindingKind.family, via)
    audit.record(session, "wechat", "binding.shared_phone", actor_id=user.id, target_kind="retiree",
                 target_id=retiree.id, via=via)
    return row


def redeem_share_token(session: Session, user: WeChatUser, token: str, now: dt.datetime | None = None) -> Retiree:
    """The shared phone scanned the person's own consent QR: add them to this phone and spend the token."""
    now = now or utcnow()
    row = _live_token(session, token, now, "share")
    retiree = get_row(session, Retiree, row.retiree_id)
    add_person_on_phone(session, user, retiree, "share_qr")
    row.used_at = now
    row.used_by = user.id
    return retiree
