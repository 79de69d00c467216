"""Issue 11, high: identity before power, and authorization re-checked where it acts.

Attacks reproduced: anyone who knows a retiree's name and ID number became "self", could end
the real family's bindings and change the phone, and the real retiree was then refused; a family
member could do the same by typing the parent's details; a family member whose binding was
revoked could still upload, submit and get a certification recorded.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from flows import FlowError, certify, people, verification
from storage.models import (
    Attempt,
    AuditLog,
    Certification,
    Consent,
    EnrollmentPhoto,
    Notification,
    Retiree,
    WeChatUser,
)
from tests.recording import ran_timeline

TODAY = dt.date(2026, 11, 22)
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
PASS = verification.RefusedVideo("pass", [], [])


def _give_photo_and_phone(world, retiree_id):
    with world.services.db.session() as s:
        s.add(EnrollmentPhoto(retiree_id=retiree_id, object_key="photos/x.jpg", template=b"\x00" * 512,
                              template_model="test", source="test"))
        r = s.get(Retiree, retiree_id)
        r.phone_enc, r.phone_masked = world.cipher.encrypt("13812345678", b"phone"), "138****5678"


def _link(world, user_id, retiree_id):
    with world.services.db.session() as s:
        r = s.get(Retiree, retiree_id)
        number = world.cipher.decrypt(r.id_number_enc, b"id_number")
        return people.link_self(s, world.cipher, s.get(WeChatUser, user_id), r.name, number, TODAY)


def _record(world, user_id, retiree_id, verdict=PASS) -> str:
    challenge = certify.start_challenge(world.services, user_id, retiree_id)
    ran_timeline(world.services, challenge.id)
    attempt = certify.receive_upload(world.services, challenge.id, user_id, io.BytesIO(VIDEO), "video/mp4")
    certify.submit(world.services, attempt.id, user_id)
    return verification.record_verdict(world.services, attempt.id, verdict, now=dt.datetime.now(dt.timezone.utc))


@pytest.fixture
def wang(world, monkeypatch):
    """王建国: a family proxy bound by QR, an enrolled photo, a phone on the roster, no self binding yet."""
    monkeypatch.setattr(certify, "enqueue_verification", lambda *_: None)
    _give_photo_and_phone(world, world.suspended_id)
    with world.services.db.session() as s:
        s.get(Retiree, world.suspended_id).suspended_since = TODAY - dt.timedelta(days=30)
    family = world.add_user("o_wang_daughter")
    binding = world.bind(family, world.suspended_id)
    return world.suspended_id, family, binding


def test_name_and_id_number_give_no_power(world, wang):
    retiree_id, family, family_binding = wang
    attacker = world.add_user("o_attacker")
    _link(world, attacker, retiree_id)
    with world.services.db.session() as s:
        listed = people.people_of(s, s.get(WeChatUser, attacker), TODAY)
        assert [(p.kind, p.status, p.due_by, p.last_certified_on) for p in listed] == [
            ("self_pending", "pending", None, None)]  # no pension status revealed
        with pytest.raises(FlowError):  # cannot end the real family's binding
            people.revoke_binding(s, family_binding, s.get(WeChatUser, attacker))
        assert not people.is_confirmed_self(s, attacker, retiree_id)
        told = s.scalars(select(Notification).where(Notification.channel == "sms",
                                                    Notification.retiree_id == retiree_id)).all()
        assert [n.kind for n in told] == ["self_claim"]  # the roster phone hears of the claim
    # the attacker's own face does not match: the claim stays unproven
    assert _record(world, attacker, retiree_id, verification.RefusedVideo("fail", ["not_same_person"], [])) == "failed"
    with world.services.db.session() as s:
        assert not people.is_confirmed_self(s, attacker, retiree_id)


def test_the_real_retiree_is_not_refused_and_her_face_wins(world, wang):
    retiree_id, _family, _ = wang
    attacker, real = world.add_user("o_attacker"), world.add_user("o_wang_self")
    _link(world, attacker, retiree_id)
    _link(world, real, retiree_id)  # not "self_taken": an unproven claim blocks nobody
    assert _record(world, real, retiree_id) == "passed"
    with world.services.db.session() as s:
        assert people.is_confirmed_self(s, real, retiree_id)
        assert people.active_binding(s, attacker, retiree_id) is None  # the other claim ended
        assert s.scalar(select(AuditLog).where(AuditLog.action == "binding.self_confirm")) is not None
    attacker2 = world.add_user("o_attacker2")
    with pytest.raises(FlowError) as exc:
        _link(world, attacker2, retiree_id)
    assert exc.value.code == "self_taken"


def test_a_family_member_never_becomes_self_by_typing_the_parents_details(world, wang):
    retiree_id, family, _ = wang
    with pytest.raises(FlowError) as exc:
        _link(world, family, retiree_id)
    assert exc.value.code == "family_use_qr"


def test_without_an_enrolled_photo_the_agency_confirms(world, monkeypatch):
    monkeypatch.setattr(certify, "enqueue_verification", lambda *_: None)
    claimant = world.add_user("o_claimant")
    _link(world, claimant, world.suspended_id)  # no photo enrolled for 王建国 here
    with pytest.raises(FlowError) as exc:
        certify.start_challenge(world.services, claimant, world.suspended_id)
    assert exc.value.code == "self_pending_agency"
    with world.services.db.session() as s:
        bid = people.active_binding(s, claimant, world.suspended_id).id
        with pytest.raises(FlowError):  # another agency cannot confirm it
            people.confirm_self_by_agency(s, bid, world.agency_id + 99, admin_id=1)
    with world.services.db.session() as s:
        people.confirm_self_by_agency(s, bid, world.agency_id, admin_id=1)
    with world.services.db.session() as s:
        assert people.is_confirmed_self(s, claimant, world.suspended_id)


def test_agency_recovers_a_record_taken_by_someone_else(world):
    # 张桂兰's "self" binding (from before this fix) belongs to a taker, who invited a proxy of their own.
    taker = world.self_user_id
    accomplice = world.add_user("o_accomplice")
    world.bind(accomplice, world.retiree_id)
    with world.services.db.session() as s:
        ended = people.recover_record(s, world.retiree_id, world.agency_id, admin_id=7)
    assert len(ended) == 2
    with world.services.db.session() as s:
        assert people.active_binding(s, taker, world.retiree_id) is None
        assert people.active_binding(s, accomplice, world.retiree_id) is None
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "retiree.recover"))
        assert entry.actor_id == "7" and entry.target_id == str(world.retiree_id)
        assert s.get(WeChatUser, taker).session_version == 1  # the taker's sessions end
    real = world.add_user("o_zhang_real")
    _link(world, real, world.retiree_id)  # the real retiree can claim again


@pytest.mark.parametrize("when", ["upload", "submit", "verdict"])
def test_a_revoked_family_member_can_no_longer_act(world, monkeypatch, when):
    monkeypatch.setattr(certify, "enqueue_verification", lambda *_: None)
    son = world.family_user_id
    bid = world.bind(son, world.retiree_id)

    def revoke():
        with world.services.db.session() as s:
            people.revoke_binding(s, bid, s.get(WeChatUser, world.self_user_id))

    challenge = certify.start_challenge(world.services, son, world.retiree_id)
    ran_timeline(world.services, challenge.id)
    if when == "upload":
        revoke()
        with pytest.raises(FlowError) as exc:
            certify.receive_upload(world.services, challenge.id, son, io.BytesIO(VIDEO), "video/mp4")
        assert exc.value.code == "not_bound"
        return
    attempt = certify.receive_upload(world.services, challenge.id, son, io.BytesIO(VIDEO), "video/mp4")
    if when == "submit":
        revoke()
        with pytest.raises(FlowError) as exc:
            certify.submit(world.services, attempt.id, son)
        assert exc.value.code == "not_bound"
        return
    certify.submit(world.services, attempt.id, son)
    revoke()
    status = verification.record_verdict(world.services, attempt.id, PASS, now=dt.datetime.now(dt.timezone.utc))
    assert status == "failed"
    with world.services.db.session() as s:
        assert s.scalar(select(Certification).where(Certification.attempt_id == attempt.id)) is None
        assert s.get(Attempt, attempt.id).reasons == ["not_authorized"]


def test_withdrawn_consent_stops_the_upload(world, monkeypatch):
    monkeypatch.setattr(certify, "enqueue_verification", lambda *_: None)
    challenge = certify.start_challenge(world.services, world.self_user_id, world.retiree_id)
    with world.services.db.session() as s:
        for c in s.scalars(select(Consent).where(Consent.wechat_user_id == world.self_user_id)):
            c.withdrawn_at = dt.datetime.now(dt.timezone.utc)
    with pytest.raises(FlowError) as exc:
        certify.receive_upload(world.services, challenge.id, world.self_user_id, io.BytesIO(VIDEO), "video/mp4")
    assert exc.value.code == "no_consent"


# --- consent per retiree, withdrawable (issue 11, item 5) ----------------------------------------


def test_consent_is_per_retiree_and_the_retiree_can_withdraw_it(world, monkeypatch):
    monkeypatch.setattr(certify, "enqueue_verification", lambda *_: None)
    _give_photo_and_phone(world, world.retiree_id)
    son = world.family_user_id  # consented before being bound (a general consent)
    world.bind(son, world.retiree_id)
    certify.start_challenge(world.services, son, world.retiree_id)
    with world.services.db.session() as s:
        assert people.withdraw_consent(s, s.get(WeChatUser, world.self_user_id), world.retiree_id) is True
    with world.services.db.session() as s:
        assert all(p.template is None for p in s.scalars(select(EnrollmentPhoto)))  # templates deleted
        assert s.scalar(select(AuditLog).where(AuditLog.action == "consent.withdraw")) is not None
    for user in (son, world.self_user_id):  # nobody's consent stands in for hers: face processing stops
        with pytest.raises(FlowError) as exc:
            certify.start_challenge(world.services, user, world.retiree_id)
        assert exc.value.code == "no_consent"
    with world.services.db.session() as s:  # she gives it again: recorded for her, by her
        rows = people.give_consent(s, s.get(WeChatUser, world.self_user_id))
        assert [r.retiree_id for r in rows] == [world.retiree_id]
    with world.services.db.session() as s:
        assert s.get(Retiree, world.retiree_id).face_consent_withdrawn_at is None


def test_a_family_member_withdraws_only_their_own(world, monkeypatch):
    monkeypatch.setattr(certify, "enqueue_verification", lambda *_: None)
    son = world.family_user_id
    world.bind(son, world.retiree_id)
    with world.services.db.session() as s:
        assert people.withdraw_consent(s, s.get(WeChatUser, son), world.retiree_id) is False
    with pytest.raises(FlowError):
        certify.start_challenge(world.services, son, world.retiree_id)
    certify.start_challenge(world.services, world.self_user_id, world.retiree_id)


def test_challenges_fetched_side_by_side_do_not_beat_the_daily_limit(world, monkeypatch):
    from certification.attempts import AttemptPolicy

    monkeypatch.setattr(certify, "enqueue_verification", lambda *_: None)
    policy = AttemptPolicy()
    uid = world.self_user_id
    challenges = [certify.start_challenge(world.services, uid, world.retiree_id) for _ in range(3)]
    for c in challenges:
        ran_timeline(world.services, c.id)
    attempts = [certify.receive_upload(world.services, c.id, uid, io.BytesIO(VIDEO + bytes([i])), "video/mp4")
                for i, c in enumerate(challenges)]
    certify.submit(world.services, attempts[0].id, uid, policy=policy)
    with pytest.raises(FlowError) as exc:  # the first is still running: one at a time, checked at submit too
        certify.submit(world.services, attempts[1].id, uid, policy=policy)
    assert exc.value.code == "already_running"


def test_an_unproven_claimant_cannot_use_up_the_real_persons_attempts(world, wang):
    """Someone who typed the retiree's name and ID number fails with his own face until the limits
    stop him: the retiree's family (and the real retiree) still certify today, not "under review"."""
    retiree_id, family, _ = wang
    attacker = world.add_user("o_attacker")
    _link(world, attacker, retiree_id)
    outcomes = []
    for _ in range(8):
        try:
            outcomes.append(_record(world, attacker, retiree_id,
                                    verification.RefusedVideo("fail", ["not_same_person"], [])))
        except FlowError as exc:
            outcomes.append(exc.code)
    assert "passed" not in outcomes and outcomes[-1] in ("under_review", "daily_limit")  # he is stopped
    with world.services.db.session() as s:
        (card,) = people.people_of(s, s.get(WeChatUser, family), TODAY)
        assert not card.under_review and card.may_start  # her card is not held up by his attempts
    assert _record(world, family, retiree_id) == "passed"  # the real family is not
    with world.services.db.session() as s:
        assert not people.is_confirmed_self(s, attacker, retiree_id)
