"""Issue 15 on the server: the timeline is revealed step by step as recording reaches it,
the recording streams in on time, re-roll storms and unsubmitted uploads are counted."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from sqlalchemy import func, select

from flows import FlowError, certify
from storage.models import Attempt, AuditLog, Challenge
from tests.recording import ran_timeline

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)


def issue(world, now=T0, seed=1):
    return certify.start_challenge(world.services, world.self_user_id, world.retiree_id, now=now,
                                   rng=random.Random(seed))


def test_challenge_carries_a_safe_timeline_with_slow_windows(world):
    c = issue(world)
    tl = c.timeline
    assert [p["action"] for p in tl["prompts"]] == c.actions
    for p in tl["prompts"]:
        assert p["window_end_s"] - p["shown_s"] - p["speech_s"] >= 4.0 - 1e-6
    assert len(tl["flashes"]) >= 6
    assert (c.expires_at - c.created_at).total_seconds() > tl["duration_s"]


def test_the_oldest_get_the_agencys_longer_window(world):
    from storage.models import Agency, Retiree

    with world.services.db.session() as s:
        r = s.get(Retiree, world.retiree_id)
        s.get(Agency, r.agency_id).settings = {"action_window_s": 5, "oldest_age": 85, "oldest_window_s": 7}
    c = issue(world)  # 张桂兰 was born in 1940: 86
    p = c.timeline["prompts"][0]
    assert p["window_end_s"] - p["shown_s"] - p["speech_s"] == pytest.approx(7.0)


def test_steps_are_revealed_only_when_the_recording_reaches_them(world):
    c = issue(world)
    s = world.services
    first = certify.start_recording(s, c.id, world.self_user_id, now=T0)
    assert first["step"] == 0 and first["of"] == len(c.actions) and first["action"] == c.actions[0]
    assert all(f["start_s"] < first["window_end_s"] for f in first["flashes"])
    with pytest.raises(FlowError) as exc:  # asking for step 1 at once: the attacker's way to learn it all
        certify.reveal_step(s, c.id, world.self_user_id, 1, now=T0 + dt.timedelta(seconds=1))
    assert exc.value.code == "step_not_yet"
    due = c.timeline["prompts"][1]["shown_s"]
    step = certify.reveal_step(s, c.id, world.self_user_id, 1, now=T0 + dt.timedelta(seconds=due))
    assert step["action"] == c.actions[1]


def stream(world, c, at_of_seq, now0=T0, reveal=True):
    s = world.services
    certify.start_recording(s, c.id, world.self_user_id, now=now0)
    tl = c.timeline
    n = int(tl["duration_s"]) + 1
    if reveal:
        for k, p in enumerate(tl["prompts"]):
            certify.reveal_step(s, c.id, world.self_user_id, k, now=now0 + dt.timedelta(seconds=p["shown_s"]))
    for seq in range(n):
        data = MP4_HEAD if seq == 0 else b"\x00" * 50
        certify.receive_chunk(s, c.id, world.self_user_id, seq, data, now=now0 + dt.timedelta(seconds=at_of_seq(seq)))
    return now0 + dt.timedelta(seconds=at_of_seq(n - 1) + 0.3)


def test_a_recording_streamed_while_it_is_made_becomes_an_attempt(world):
    c = issue(world)
    end = stream(world, c, lambda seq: seq + 1.2)
    attempt = certify.finish_stream(world.services, c.id, world.self_user_id, "video/webm", now=end)
    assert attempt.video_key and attempt.status.value == "created"
    assert world.services.objects.get_bytes(attempt.video_key).startswith(MP4_HEAD)


@pytest.mark.parametrize("name,at", [("dumped_at_once", lambda seq: 0.8), ("sent_long_after", lambda seq: seq + 30.0)])
def test_a_prerecorded_file_sent_as_chunks_is_refused(world, name, at):
    c = issue(world)
    s = world.services
    certify.start_recording(s, c.id, world.self_user_id, now=T0)
    n = int(c.timeline["duration_s"]) + 1
    for seq in range(n):
        certify.receive_chunk(s, c.id, world.self_user_id, seq, MP4_HEAD, now=T0 + dt.timedelta(seconds=at(seq)))
    with pytest.raises(FlowError) as exc:
        certify.finish_stream(s, c.id, world.self_user_id, "video/webm", now=T0 + dt.timedelta(seconds=60))
    assert exc.value.code == "stream_timing"
    with s.db.session() as db:
        assert db.get(Challenge, c.id).used_at is not None  # spent
        assert db.scalar(select(func.count(Attempt.id))) == 0


def test_a_stream_that_stops_before_the_last_window_is_refused(world):
    c = issue(world)
    s = world.services
    certify.start_recording(s, c.id, world.self_user_id, now=T0)
    for seq in range(3):
        certify.receive_chunk(s, c.id, world.self_user_id, seq, MP4_HEAD, now=T0 + dt.timedelta(seconds=seq + 1.1))
    with pytest.raises(FlowError) as exc:
        certify.finish_stream(s, c.id, world.self_user_id, "video/webm", now=T0 + dt.timedelta(seconds=5))
    assert exc.value.code == "stream_incomplete"


def test_a_whole_file_before_the_timeline_could_have_run_is_refused(world):
    c = issue(world)
    s = world.services
    certify.start_recording(s, c.id, world.self_user_id, now=T0)
    with pytest.raises(FlowError) as exc:
        certify.receive_upload(s, c.id, world.self_user_id, io.BytesIO(MP4_HEAD), "video/mp4",
                               now=T0 + dt.timedelta(seconds=2))
    assert exc.value.code == "stream_timing"


def test_a_reroll_storm_is_refused_and_audited(world):
    issued = 0
    with pytest.raises(FlowError) as exc:
        for k in range(50):
            issue(world, now=T0 + dt.timedelta(seconds=10 * k), seed=k)
            issued += 1
    assert exc.value.code == "too_many_challenges"
    assert issued == 6  # per hour
    with world.services.db.session() as db:
        assert db.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "challenge.refused_too_many")) == 1
    # the next hour allows more, the day as a whole does not allow more than 12
    later = [T0 + dt.timedelta(hours=h, seconds=s) for h in (1, 2, 3) for s in range(0, 60, 10)]
    ok = 0
    for k, when in enumerate(later):
        try:
            issue(world, now=when, seed=100 + k)
            ok += 1
        except FlowError as e:
            assert e.code == "too_many_challenges"
    assert ok == 6


def test_uploads_never_submitted_count_toward_the_daily_limit(world):
    made = 0
    with pytest.raises(FlowError) as exc:
        for k in range(10):
            now = T0 + dt.timedelta(minutes=11 * k)
            c = issue(world, now=now, seed=k)
            ran_timeline(world.services, c.id, now=now)
            certify.receive_upload(world.services, c.id, world.self_user_id, io.BytesIO(MP4_HEAD), "video/mp4",
                                   now=now)
            made += 1
    assert made == 5 and exc.value.code == "too_many_today"
