"""One clear status per person, who did each certification, and failure words that help.

The same words on the person card, in 认证记录, in the bot's 查询 reply and in the template message.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import replies
from flows import people, verification
from flows.result import result_of, strong_evidence
from storage.models import (
    Attempt,
    AttemptStatus,
    Certification,
    CertificationMethod,
    Challenge,
    Notification,
    WeChatUser,
)
from web.presenters import person_json
from wording import zh

TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 Beijing


def _attempt(world, user_id: int, status=AttemptStatus.running, reasons=(), scores=None) -> str:
    with world.services.db.session() as s:
        ch = Challenge(retiree_id=world.retiree_id, wechat_user_id=user_id, actions=["blink"], nonce=str(user_id),
                       created_at=NOW, expires_at=NOW + dt.timedelta(minutes=5))
        s.add(ch)
        s.flush()
        a = Attempt(retiree_id=world.retiree_id, wechat_user_id=user_id, challenge_id=ch.id, status=status,
                    reasons=list(reasons), scores=scores or {}, created_at=NOW, video_key=f"videos/{ch.id}.webm",
                    video_sha256=ch.id)
        s.add(a)
        s.flush()
        return a.id


def _card(world, user_id: int, retiree_id: int | None = None) -> dict:
    with world.services.db.session() as s:
        listed = people.people_of(s, s.get(WeChatUser, user_id), TODAY)
    return next(person_json(p) for p in listed if p.retiree_id == (retiree_id or world.retiree_id))


def test_due_person_reads_deadline_and_is_offered_to_start(world):
    card = _card(world, world.self_user_id)
    assert card["status_text"] == "待认证（截止2026年12月31日）"
    assert card["may_start"] is True


def test_an_attempt_under_review_reads_review_not_due_and_offers_no_start(world):
    _attempt(world, world.self_user_id, AttemptStatus.review, ["model_unavailable"])
    card = _card(world, world.self_user_id)
    assert card["status_text"] == "审核中（预计3个工作日内有结果）"
    assert card["may_start"] is False and "待认证" not in card["status_text"]


def test_a_certified_person_reads_valid_until_and_is_not_offered_to_start(world):
    with world.services.db.session() as s:
        s.add(Certification(retiree_id=world.retiree_id, method=CertificationMethod.on_site, certified_on=TODAY))
    card = _card(world, world.self_user_id)
    assert card["status_text"] == "已认证（有效至2027年12月31日）"
    assert card["may_start"] is False
    assert card["last_by"] == "工作人员"


def test_a_suspended_person_reads_how_to_resume_and_months_paid_back(world):
    world.bind(world.family_user_id, world.suspended_id)
    card = _card(world, world.family_user_id, world.suspended_id)
    # suspended since 1 January 2026: a pass in November pays back January to November
    assert card["status_text"] == "已暂停（完成认证后下月恢复，补发11个月）"
    assert card["may_start"] is True


def test_records_say_who_certified_and_the_retiree_is_told_of_a_family_pass(world):
    world.bind(world.family_user_id, world.retiree_id)
    attempt_id = _attempt(world, world.family_user_id)
    verification.record_verdict(world.services, attempt_id, verification.RefusedVideo("pass", [], []), now=NOW)
    with world.services.db.session() as s:
        s.add(Certification(retiree_id=world.retiree_id, method=CertificationMethod.data_comparison,
                            certified_on=dt.date(2024, 3, 1)))
    with world.services.db.session() as s:
        lines = people.history_of(s, world.retiree_id)
        assert [(line.certified_on, line.by) for line in lines] == [
            (TODAY, "family"), (dt.date(2025, 6, 10), "staff"), (dt.date(2024, 3, 1), "data")]
        told = s.scalars(select(Notification).where(Notification.openid == "o_zhang_self")).all()
    assert len(told) == 1
    data = told[0].payload["data"]
    assert data["thing3"]["value"] == "家属已帮您完成认证" and data["thing4"]["value"].startswith("不是您本人同意请打")
    # the bot's 查询 reply says the same status, and who did it
    text = replies.records_text(world.services, "o_zhang_self")
    assert "已认证（有效至2027年12月31日）" in text and "（家属）" in text and "张*兰" in text


def test_failure_words_one_reason_one_action_no_accusation_in_a_dark_room():
    reason, action, tip = zh.failure_words(["too_dark", "spoof_suspected"], ["more_light", "go_offline", "try_again"],
                                           strong_evidence(["too_dark", "spoof_suspected"], {"spoof_live_score": 0.1}))
    assert reason == "光线太暗，看不清脸" and action == "请到亮一点的地方再试一次" and tip == ""
    assert "不是本人" not in reason + action + tip
    # a confident spoof model and nothing wrong with the picture: ask for the person, blame nobody
    assert strong_evidence(["spoof_suspected"], {"spoof_live_score": 0.1})
    assert not strong_evidence(["spoof_suspected"], {"parallax": 0.001})  # too little head movement only
    reason, action, tip = zh.failure_words(["spoof_suspected"], ["go_offline"], True)
    assert action == "请本人对着手机重新录制" and tip == zh.FAILURE_TIP_OFFLINE
    # every reason and action fits one WeChat template field whole
    for reason, action in [*zh.FAILURE.values(), *zh.FAILURE_STRONG.values(), zh.FAILURE_DEFAULT,
                           zh.REVIEW_WORDS, zh.REVIEW_REPEATED_WORDS]:
        assert 0 < len(reason) <= 20 and 0 < len(action) <= 20, (reason, action)


def test_the_failure_message_carries_the_page_words_and_a_link_back(world):
    attempt_id = _attempt(world, world.self_user_id)
    verification.record_verdict(world.services, attempt_id, verification.RefusedVideo(
        "fail", ["too_dark", "spoof_suspected"], ["more_light", "go_offline", "try_again"],
        scores={"spoof_live_score": 0.2}), now=NOW)
    with world.services.db.session() as s:
        view = result_of(s, s.get(Attempt, attempt_id))
        note = s.scalar(select(Notification).where(Notification.openid == "o_zhang_self"))
    data = note.payload["data"]
    assert (data["thing3"]["value"], data["thing4"]["value"]) == (view.reason, view.action)
    assert data["time5"]["value"] == "2026年11月22日 10:00"
    assert "…" not in str(data)
    assert "%2Fh5%2Fresult%2F" + attempt_id in note.payload["url"]
    assert view.spoken == "这次没有通过。光线太暗，看不清脸。请到亮一点的地方再试一次。"
    assert view.retry and view.home_visit_url.startswith("/h5/home-visit")


def test_a_helper_who_gives_a_name_is_shown_by_it_in_records_card_and_message(world):
    """"家属 XX": the retiree can tell which of the family certified, and whom to revoke."""
    binding_id = world.bind(world.family_user_id, world.retiree_id)
    with world.services.db.session() as s:
        people.set_helper_name(s, binding_id, s.get(WeChatUser, world.family_user_id), "  女儿 小红 ")
    attempt_id = _attempt(world, world.family_user_id)
    verification.record_verdict(world.services, attempt_id, verification.RefusedVideo("pass", [], []), now=NOW)
    with world.services.db.session() as s:
        lines = people.history_of(s, world.retiree_id)
        assert (lines[0].by, lines[0].helper) == ("family", "女儿 小红")
        told = s.scalars(select(Notification).where(Notification.openid == "o_zhang_self")).one()
    assert told.payload["data"]["thing3"]["value"] == "家属女儿 小红已帮您完成认证"
    assert _card(world, world.self_user_id)["last_by"] == "家属 女儿 小红"
    assert "（家属 女儿 小红）" in replies.records_text(world.services, "o_zhang_self")


def test_a_helper_name_is_short_plain_words_never_a_number_and_only_the_helper_sets_it(world):
    binding_id = world.bind(world.family_user_id, world.retiree_id)
    with world.services.db.session() as s:
        helper, other = s.get(WeChatUser, world.family_user_id), s.get(WeChatUser, world.self_user_id)
        for bad in ("", "   ", "13800138000", "小红13800138000", "一二三四五六七八九十"):
            try:
                people.set_helper_name(s, binding_id, helper, bad)
            except people.FlowError as exc:
                assert exc.code == "helper_name_invalid"
            else:
                raise AssertionError(f"{bad!r} was accepted")
        try:
            people.set_helper_name(s, binding_id, other, "坏人")
        except people.FlowError as exc:
            assert exc.code == "not_bound"
        else:
            raise AssertionError("someone else named the helper")
