"""Certifying: challenge → upload → submit → (job) verdict → certification and message.

The database is the source of truth for where an attempt stands; the job queue
only carries work. That is what makes the faults survivable: a dead worker or a
restarted Redis leaves attempts in ``queued``/``running`` in the database, and
:func:`recover_stuck_attempts` puts them back on the queue. Every step is
idempotent, and the unique ``certification.attempt_id`` makes sure one attempt
yields at most one certification however often its job runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import secrets
from typing import Protocol

import numpy as np
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from certification.attempts import AttemptPolicy, may_issue, may_start
from certification.challenge import ChallengeState, challenge_state, new_challenge
from flows import FlowError, clock
from flows.notify import notify_attempt_result
from flows.people import check_may_certify, counted_attempt_filter, require_consent, unproven_claimants
from storage import audit, queues
from storage.models import (
    Agency,
    Attempt,
    AttemptStatus,
    Challenge,
    Retiree,
    WeChatUser,
    new_uuid,
    utcnow,
)
from storage.objects import VIDEO_PREFIX, ObjectStoreError
from vision.timeline import DEFAULT_WINDOW_S, Timeline, plan_timeline

log = logging.getLogger("lifecert.flows.certify")

MAX_VIDEO_BYTES = 25 * 1024 * 1024
VIDEO_TYPES = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "video/3gpp": "3gp",
    "video/x-matroska": "mkv",
}
FINISHED = (AttemptStatus.passed, AttemptStatus.failed, AttemptStatus.review, AttemptStatus.rejected)

# --- the bound challenge (issue 15) ---------------------------------------------------
#: MediaRecorder timeslice the page uses: chunk ``seq`` holds recording second [seq, seq+1).
CHUNK_S = 1.0
#: A chunk may arrive at most this much before the end of the second it holds (clock skew)...
CHUNK_EARLY_S = 0.5
#: ...and at most this long after it (a slow mobile network).
CHUNK_LATE_S = 8.0
#: A step may be fetched this much before its prompt is due (the poll's own latency).
REVEAL_EARLY_S = 0.5
#: A whole-file upload (mini-program camera API) must arrive no earlier than the end of
#: the timeline minus this, and no later than this after it.
UPLOAD_EARLY_S = 1.0
UPLOAD_LATE_S = 45.0
#: Seconds each spoken prompt lasts: the pre-rendered espeak-ng audio
#: (scripts/make_prompt_audio.py) plus a margin; tests/integration/flows/test_prompt_audio.py checks
#: the rendered files fit. The window for the movement starts after the words end.
SPEECH_S: dict[str, float] = {"blink": 2.3, "turn_left": 4.8, "turn_right": 4.8, "open_mouth": 2.3, "nod": 2.6}
CHUNK_PREFIX = "chunks/"


def action_window_s(agency_settings: dict, age: int | None) -> float:
    """Seconds given for each movement after its spoken prompt: the agency's setting
    (default 4 s, never less), longer for its oldest retirees."""
    window = max(DEFAULT_WINDOW_S, float(agency_settings.get("action_window_s", DEFAULT_WINDOW_S)))
    oldest = agency_settings.get("oldest_age")
    if oldest is not None and age is not None and age >= int(oldest):
        window = max(window, float(agency_settings.get("oldest_window_s", window)))
    return window


class ByteStream(Protocol):
    """What an upload is read from: a request body, a file, or the stored chunks of a stream."""

    def read(self, n: int = -1, /) -> bytes: ...


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def retiree_agency(session, retiree_id: int) -> int | None:
    """The agency id of a retiree (None for an unknown id; the binding check refuses it next)."""
    return session.scalar(select(Retiree.agency_id).where(Retiree.id == retiree_id))


def _check_limits(session, retiree_id: int, now: dt.datetime, policy: AttemptPolicy,
                  exclude_attempt: str | None = None, wechat_user_id: int | None = None) -> None:
    """The attempt limits (per day, one at a time, not while under review), counted at the challenge, the upload
    and the submit, so challenges fetched side by side cannot add up to more attempts than the day allows.
    Every attempt counts, an uploaded but never submitted one too. The day is the agency's: the daily
    limit resets at local midnight."""
    agency_id = retiree_agency(session, retiree_id)
    zone = clock.zone_of(session.get(Agency, agency_id) if agency_id is not None else None)
    day_start = clock.day_start(zone, clock.local_today(zone, now))
    rows = session.execute(
        select(Attempt.id, Attempt.status, Attempt.created_at)
        .where(Attempt.retiree_id == retiree_id, counted_attempt_filter(session, retiree_id, wechat_user_id))
        .order_by(Attempt.created_at.desc())
        .limit(50)
    ).all()
    rows = [r for r in rows if r.id != exclude_attempt]
    today = sum(1 for r in rows if _aware(r.created_at) >= day_start)
    running = sum(1 for r in rows if r.status in (AttemptStatus.queued, AttemptStatus.running))
    under_review = any(r.status == AttemptStatus.review for r in rows[:1])
    refusal = may_start(today, running, under_review, policy)
    if refusal is not None:
        raise FlowError(refusal.value)


def start_challenge(services, wechat_user_id: int, retiree_id: int, now: dt.datetime | None = None,
                    rng: random.Random | None = None, policy: AttemptPolicy = AttemptPolicy()) -> Challenge:
    """Issue a challenge for ``retiree_id``, after checking who asks and the attempt limits."""
    now = now or utcnow()
    with services.db.session() as session:
        agency_id = retiree_agency(session, retiree_id)
        zone = clock.zone_of(session.get(Agency, agency_id) if agency_id is not None else None)
        local_day = clock.local_today(zone, now)
        retiree = check_may_certify(session, wechat_user_id, retiree_id, local_day)
        require_consent(session, wechat_user_id, retiree.id)
        _check_limits(session, retiree.id, now, policy, wechat_user_id=wechat_user_id)
        day_start = clock.day_start(zone, local_day)  # the agency's day
        claimants = unproven_claimants(session, retiree.id)
        whose = (Challenge.wechat_user_id == wechat_user_id if wechat_user_id in claimants
                 else Challenge.wechat_user_id.not_in(claimants) if claimants else Challenge.retiree_id == retiree.id)
        issued = [_aware(c) for c in session.scalars(
            select(Challenge.created_at).where(Challenge.retiree_id == retiree.id, whose,
                                               Challenge.created_at >= day_start - dt.timedelta(hours=1)))]
        refusal = may_issue(sum(1 for c in issued if c >= now - dt.timedelta(hours=1)),
                            sum(1 for c in issued if c >= day_start), policy)
        if refusal is not None:
            audit.record(session, "wechat", "challenge.refused_too_many", actor_id=wechat_user_id,
                         target_kind="retiree", target_id=retiree.id, issued_today=len(issued))
            log.warning("challenge storm refused", extra={"retiree_id": retiree.id, "issued": len(issued)})
            session.commit()  # the audit row stays although the request is refused
            raise FlowError(refusal.value)
        spec = new_challenge(now, rng or random.SystemRandom(), secrets.token_hex(16))
        agency = session.get(Agency, retiree.agency_id)
        age = _age(retiree, now)
        window = action_window_s(agency.settings or {} if agency else {}, age)
        seed = int.from_bytes(secrets.token_bytes(8), "big") if rng is None else rng.getrandbits(64)
        timeline = plan_timeline(list(spec.actions), np.random.default_rng(seed), window_s=window,
                                 speech_s=SPEECH_S, nonce=spec.nonce)
        expires = max(spec.expires_at, now + dt.timedelta(seconds=timeline.duration_s + 120))
        challenge = Challenge(retiree_id=retiree.id, wechat_user_id=wechat_user_id, actions=list(spec.actions),
                              nonce=spec.nonce, created_at=now, expires_at=expires, timeline=timeline.to_dict())
        session.add(challenge)
        session.flush()
        log.info("challenge issued", extra={"challenge_id": challenge.id, "retiree_id": retiree.id,
                                             "steps": len(spec.actions), "window_s": window})
        return challenge


def _age(retiree: Retiree, now: dt.datetime) -> int | None:
    b = retiree.birth_date
    if b is None:
        return None
    d = now.date()
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def _open_challenge(session, challenge_id: str, wechat_user_id: int, now: dt.datetime) -> Challenge:
    challenge = session.get(Challenge, challenge_id, with_for_update=True)
    if challenge is None or challenge.wechat_user_id != wechat_user_id:
        raise FlowError("challenge_unknown")
    state = challenge_state(_aware(challenge.expires_at), challenge.used_at, now)
    if state is not ChallengeState.open:
        raise FlowError(f"challenge_{state.value}")
    return challenge


def _elapsed(challenge: Challenge, now: dt.datetime) -> float:
    if challenge.recording_started_at is None:  # callers start the recording first
        raise FlowError("recording_not_started")
    return (now - _aware(challenge.recording_started_at)).total_seconds()


def step_view(timeline: Timeline, k: int) -> dict:
    """What the page learns at step ``k``: its prompt and the flashes until the next step."""
    p = timeline.prompts[k]
    lo = 0.0 if k == 0 else p.shown_s
    hi = p.window_end_s if k + 1 < len(timeline.prompts) else timeline.duration_s + 1.0
    flashes = [{"start_s": round(f.start_s, 3), "end_s": round(f.end_s, 3), "rgb": [round(c, 3) for c in f.rgb]}
               for f in timeline.flashes if lo <= f.start_s < hi]
    return {"step": k, "of": len(timeline.prompts), "action": p.action, "shown_s": round(p.shown_s, 3),
            "window_end_s": round(p.window_end_s, 3), "speech_s": round(p.speech_s, 3), "flashes": flashes,
            "base_rgb": list(timeline.base_rgb),
            "end_s": round(timeline.duration_s, 3) if k + 1 == len(timeline.prompts) else None}


def start_recording(services, challenge_id: str, wechat_user_id: int, now: dt.datetime | None = None) -> dict:
    """The page started its camera recorder: the timeline's clock starts now; step 0 is revealed."""
    now = now or utcnow()
    with services.db.session() as session:
        challenge = _open_challenge(session, challenge_id, wechat_user_id, now)
        if challenge.timeline is None:
            raise FlowError("challenge_unknown")
        if challenge.recording_started_at is None:
            challenge.recording_started_at = now
            challenge.reveals = [{"step": 0, "at_s": 0.0}]
        return step_view(Timeline.from_dict(challenge.timeline), 0)


def reveal_step(services, challenge_id: str, wechat_user_id: int, k: int, now: dt.datetime | None = None) -> dict:
    """Step ``k`` of a started recording, only once the recording has reached it.
    Raises FlowError("step_not_yet") before (the page polls again)."""
    now = now or utcnow()
    with services.db.session() as session:
        challenge = _open_challenge(session, challenge_id, wechat_user_id, now)
        if challenge.timeline is None or challenge.recording_started_at is None:
            raise FlowError("recording_not_started")
        tl = Timeline.from_dict(challenge.timeline)
        if not 0 <= k < len(tl.prompts):
            raise FlowError("step_unknown")
        at = _elapsed(challenge, now)
        if at < tl.prompts[k].shown_s - REVEAL_EARLY_S:
            raise FlowError("step_not_yet")
        if not any(r["step"] == k for r in challenge.reveals):
            challenge.reveals = list(challenge.reveals) + [{"step": k, "at_s": round(at, 3)}]
        return step_view(tl, k)


def receive_chunk(services, challenge_id: str, wechat_user_id: int, seq: int, data: bytes,
                  now: dt.datetime | None = None) -> dict:
    """One timeslice of the recording, as it is being made. Its arrival time is logged;
    a chunk that arrives before its second of recording could exist, or long after, is
    flagged and the upload refused at the end."""
    now = now or utcnow()
    if len(data) > MAX_VIDEO_BYTES:
        raise FlowError("video_too_large")
    with services.db.session() as session:
        challenge = _open_challenge(session, challenge_id, wechat_user_id, now)
        if challenge.recording_started_at is None:
            raise FlowError("recording_not_started")
        if seq < 0 or seq > 120 or any(c["seq"] == seq for c in challenge.chunks):
            raise FlowError("chunk_unexpected")
        at = _elapsed(challenge, now)
        due = (seq + 1) * CHUNK_S
        ok = due - CHUNK_EARLY_S <= at <= due + CHUNK_LATE_S
        total = sum(c["bytes"] for c in challenge.chunks) + len(data)
        if total > MAX_VIDEO_BYTES:
            raise FlowError("video_too_large")
        services.objects.put_bytes(f"{CHUNK_PREFIX}{challenge_id}/{seq:04d}", data, "application/octet-stream")
        challenge.chunks = list(challenge.chunks) + [{"seq": seq, "at_s": round(at, 3), "bytes": len(data), "ok": ok}]
        if not ok:
            log.warning("chunk out of time", extra={"challenge_id": challenge_id, "seq": seq, "at_s": round(at, 3)})
        return {"seq": seq, "received": len(challenge.chunks)}


class _ChunkStream:
    """The stored chunks read back in order, as one stream."""

    def __init__(self, services, keys: list[str]) -> None:
        self.services, self.keys, self.buf = services, list(keys), b""

    def read(self, n: int = -1) -> bytes:
        while self.keys and (n < 0 or len(self.buf) < n):
            self.buf += self.services.objects.get_bytes(self.keys.pop(0))
        if n < 0:
            out, self.buf = self.buf, b""
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out


def stream_problem(challenge: Challenge) -> str | None:
    """Why a streamed recording cannot be trusted to be live, or None."""
    if challenge.timeline is None:
        return "stream_incomplete"  # only a bound challenge is streamed
    tl = Timeline.from_dict(challenge.timeline)
    seqs = sorted(c["seq"] for c in challenge.chunks)
    if not seqs or seqs != list(range(len(seqs))):
        return "stream_incomplete"
    if len(seqs) * CHUNK_S < tl.duration_s - CHUNK_S:
        return "stream_incomplete"  # recording stopped before the last window ended
    if not all(c["ok"] for c in challenge.chunks):
        return "stream_timing"
    revealed = {r["step"]: r["at_s"] for r in challenge.reveals}
    for k, p in enumerate(tl.prompts):
        # the chunk holding step k's prompt must come after step k was revealed
        if k not in revealed or revealed[k] > p.shown_s + CHUNK_LATE_S:
            return "stream_timing"
    return None


def finish_stream(services, challenge_id: str, wechat_user_id: int, content_type: str,
                  now: dt.datetime | None = None) -> Attempt:
    """All chunks are in: check their timing, join them into the recording, make the attempt."""
    now = now or utcnow()
    with services.db.session() as session:
        challenge = _open_challenge(session, challenge_id, wechat_user_id, now)
        if challenge.recording_started_at is None:
            raise FlowError("recording_not_started")
        problem = stream_problem(challenge)
        keys = [f"{CHUNK_PREFIX}{challenge_id}/{c['seq']:04d}" for c in sorted(challenge.chunks, key=lambda c: c["seq"])]
        if problem is not None:
            challenge.used_at = now  # spent: a challenge is tried once
            audit.record(session, "wechat", "upload.stream_refused", actor_id=wechat_user_id,
                         target_kind="challenge", target_id=challenge_id, problem=problem)
    if problem is not None:
        for k in keys:
            services.objects.delete(k)
        raise FlowError(problem)
    attempt = receive_upload(services, challenge_id, wechat_user_id, _ChunkStream(services, keys), content_type,
                             None, now=now, streamed=True)
    for k in keys:
        services.objects.delete(k)
    return attempt


class _HashingLimitedReader:
    """Wraps the request stream: hashes what passes and stops past the size limit."""

    def __init__(self, stream: ByteStream, limit: int) -> None:
        self.stream, self.limit = stream, limit
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.head = b""

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(n if n and n > 0 else 1024 * 1024)
        self.size += len(chunk)
        if self.size > self.limit:
            raise FlowError("video_too_large")
        if len(self.head) < 64:
            self.head += chunk[: 64 - len(self.head)]
        self.sha256.update(chunk)
        return chunk


def _looks_like_video(head: bytes) -> bool:
    """A cheap sniff before any decoding: ISO-BMFF (mp4/mov/3gp) or EBML (webm/mkv)."""
    return head[4:8] == b"ftyp" or head[:4] == b"\x1aE\xdf\xa3"


def receive_upload(services, challenge_id: str, wechat_user_id: int, stream: ByteStream, content_type: str,
                   length: int | None = None, now: dt.datetime | None = None, streamed: bool = False,
                   policy: AttemptPolicy = AttemptPolicy()) -> Attempt:
    """Stream a recording into the object store and create its attempt.

    Nothing is buffered whole in memory. The attempt row is written only after the
    object is stored, so an object-store failure leaves no half-made attempt.
    """
    now = now or utcnow()
    base_type = (content_type or "").split(";")[0].strip().lower()
    if base_type not in VIDEO_TYPES:
        raise FlowError("video_type")
    if length is not None and length > MAX_VIDEO_BYTES:
        raise FlowError("video_too_large")
    with services.db.session() as session:
        challenge = session.get(Challenge, challenge_id)
        if challenge is None or challenge.wechat_user_id != wechat_user_id:
            raise FlowError("challenge_unknown")
        state = challenge_state(_aware(challenge.expires_at), challenge.used_at, now)
        if state is not ChallengeState.open:
            raise FlowError(f"challenge_{state.value}")
        existing = session.scalar(select(Attempt).where(Attempt.challenge_id == challenge_id))
        if existing is not None:
            return existing  # the same upload sent twice (double tap, network retry)
        retiree_id = challenge.retiree_id
        # Binding and consent are checked again where the video arrives, not only at the challenge.
        check_may_certify(session, wechat_user_id, retiree_id, now.date())
        require_consent(session, wechat_user_id, retiree_id)
        if challenge.timeline is not None and not streamed:
            # a whole file (mini-program camera API): it can only exist once the timeline ran
            if challenge.recording_started_at is None:
                raise FlowError("recording_not_started")
            tl = Timeline.from_dict(challenge.timeline)
            at = _elapsed(challenge, now)
            if not (tl.duration_s - UPLOAD_EARLY_S <= at <= tl.duration_s + UPLOAD_LATE_S) or \
                    len(challenge.reveals) < len(tl.prompts):
                challenge.used_at = now
                audit.record(session, "wechat", "upload.timing_refused", actor_id=wechat_user_id,
                             target_kind="challenge", target_id=challenge_id, at_s=round(at, 3))
                session.commit()
                raise FlowError("stream_timing")
        _check_limits(session, retiree_id, now, policy, wechat_user_id=wechat_user_id)

    attempt = Attempt(id=new_uuid(), retiree_id=retiree_id, wechat_user_id=wechat_user_id,
                      challenge_id=challenge_id, created_at=now)
    key = f"{VIDEO_PREFIX}{now:%Y/%m}/{attempt.id}.{VIDEO_TYPES[base_type]}"
    reader = _HashingLimitedReader(stream, MAX_VIDEO_BYTES)
    try:
        services.objects.put(key, reader, length if length is not None else -1, base_type)
    except ObjectStoreError as exc:
        log.warning("video upload failed", extra={"challenge_id": challenge_id, "error": str(exc)})
        raise FlowError("store_unavailable") from exc
    if reader.size == 0 or not _looks_like_video(reader.head):
        services.objects.delete(key)
        raise FlowError("video_unusable")
    attempt.video_key = key
    attempt.video_sha256 = reader.sha256.hexdigest()
    try:
        with services.db.session() as session:
            session.add(attempt)
    except IntegrityError as exc:  # another upload to this challenge got there first (one attempt each)
        services.objects.delete(key)  # no orphan video
        log.info("second upload to one challenge refused", extra={"challenge_id": challenge_id})
        raise FlowError("challenge_used") from exc
    log.info("video stored", extra={"attempt_id": attempt.id, "bytes": reader.size})
    return attempt


def submit(services, attempt_id: str, wechat_user_id: int, now: dt.datetime | None = None,
           policy: AttemptPolicy = AttemptPolicy()) -> Attempt:
    """Queue an uploaded attempt for verification — once, however often it is submitted."""
    now = now or utcnow()
    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None or attempt.wechat_user_id != wechat_user_id:
            raise FlowError("attempt_unknown")
        if attempt.status == AttemptStatus.created:
            check_may_certify(session, wechat_user_id, attempt.retiree_id, now.date())
            require_consent(session, wechat_user_id, attempt.retiree_id)
            _check_limits(session, attempt.retiree_id, now, policy, exclude_attempt=attempt.id,
                          wechat_user_id=wechat_user_id)
        changed = session.execute(
            update(Attempt).where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.created)
            .values(status=AttemptStatus.queued)
        ).rowcount
        if changed:
            session.execute(update(Challenge).where(Challenge.id == attempt.challenge_id).values(used_at=now))
    if changed:
        enqueue_verification(services, attempt_id)
    with services.db.session() as session:
        return session.get(Attempt, attempt_id)


def enqueue_verification(services, attempt_id: str) -> None:
    queues.enqueue(services, queues.VERIFY_ATTEMPT, attempt_id, job_id=f"verify-{attempt_id}",
                   failure_ttl=7 * 86400, retry=Retry(max=2, interval=[5, 30]))


MAX_RUNS = 3  # verification jobs started for one attempt before it is given up as unusable


def recover_stuck_attempts(services, now: dt.datetime | None = None,
                           older_than: dt.timedelta = dt.timedelta(minutes=5),
                           started_older_than: dt.timedelta = dt.timedelta(minutes=10)) -> list[str]:
    """Re-queue attempts the queue has lost (Redis restarted) or whose worker died; give up on poison.

    An attempt counts as stuck when it has been queued or running for longer than
    ``older_than`` and its job is not alive in Redis. One whose job has been started
    ``MAX_RUNS`` times (it crashes the worker, or fails every time) is not queued again:
    it ends ``failed`` with "video_unusable" and the person is told and may start again at
    once. Safe to run any time: the job is idempotent. Returns the ids re-queued.
    """
    now = now or utcnow()
    requeued = []
    with services.db.session() as session:
        rows = session.execute(
            select(Attempt.id, Attempt.status, Attempt.created_at, Attempt.started_at, Attempt.runs)
            .where(Attempt.status.in_([AttemptStatus.queued, AttemptStatus.running]))
        ).all()
    for row in rows:
        since = _aware(row.started_at or row.created_at)
        try:
            job = Job.fetch(f"verify-{row.id}", connection=services.redis)
            status = job.get_status(refresh=True)
        except NoSuchJobError:
            status = None
        if status == JobStatus.FAILED and (row.runs or 0) >= MAX_RUNS:
            give_up(services, row.id, now)  # rq's own retries are spent too: no need to wait
            continue
        if now - since < older_than:
            continue
        if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
            continue
        if status == JobStatus.STARTED and now - since < started_older_than:
            continue
        if (row.runs or 0) >= MAX_RUNS:
            give_up(services, row.id, now)
            continue
        with services.db.session() as session:
            session.execute(update(Attempt).where(Attempt.id == row.id).values(status=AttemptStatus.queued,
                                                                                 started_at=None))
        enqueue_verification(services, row.id)
        requeued.append(row.id)
        log.warning("attempt re-queued", extra={"attempt_id": row.id, "job_status": str(status)})
    return requeued


def give_up(services, attempt_id: str, now: dt.datetime) -> bool:
    """End an attempt whose verification keeps failing: ``failed``, "video_unusable", and a message saying so.

    The attempt, and the message about it, in one transaction; False when it had finished meanwhile.
    """
    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id, with_for_update=True)
        if attempt is None or attempt.status in FINISHED:
            return False
        attempt.status, attempt.verdict = AttemptStatus.failed, "fail"
        attempt.reasons, attempt.advice = ["video_unusable"], ["try_again"]
        attempt.finished_at = now
        openid = session.scalar(select(WeChatUser.oa_openid).where(WeChatUser.id == attempt.wechat_user_id)) \
            if attempt.wechat_user_id else None
        session.flush()
        notify_attempt_result(services, session, attempt_id, openid, attempt.retiree_id, "failed")
    log.warning("attempt given up after repeated job failures", extra={"attempt_id": attempt_id})
    return True


def recent_verdicts(session, retiree_id: int, wechat_user_id: int | None = None) -> list[str]:
    """The latest verdicts of a retiree's attempts that count for ``wechat_user_id``, newest first
    (an unproven claimant's failures are his own: see :func:`unproven_claimants`)."""
    return list(session.scalars(
        select(Attempt.verdict).where(Attempt.retiree_id == retiree_id, Attempt.verdict.is_not(None),
                                      counted_attempt_filter(session, retiree_id, wechat_user_id))
        .order_by(Attempt.finished_at.desc()).limit(10)))
