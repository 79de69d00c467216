"""The mini-program's JSON API (also used by the recording page's script).

Same use cases as the H5 pages; errors are ``{"error": code, "message": words}`` with an HTTP status.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    g,
    jsonify,
    request,
    url_for,
)

from flows import FlowError
from flows import certify as certify_flow
from flows import people as people_flow
from flows import result as result_flow
from storage.models import Attempt, WeChatUser
from web import schemas
from web.login import (
    api_login_required,
    current_services,
    current_user,
    current_user_id,
    form_or_json,
    link_self_from_request,
    refusal,
    today,
)
from web.presenters import attempt_json, person_json
from wording import zh

log = logging.getLogger("lifecert.web.api")
bp = Blueprint("api", __name__)



@bp.get("/api/openapi.json")
def api_openapi():
    """The request schemas as OpenAPI 3 (web/schemas.py)."""
    return jsonify(schemas.openapi_document())


@bp.get("/api/people")
@api_login_required
def api_people():
    with current_services().db.session() as db:
        people = people_flow.people_of(db, current_user(db), today())
        consented = people_flow.has_consent(db, g.user_id)
    return jsonify(people=[person_json(p) for p in people], consented=consented)


@bp.post("/api/link")
@api_login_required
def api_link_self():
    retiree_id, code, text = link_self_from_request()
    if code:
        return jsonify(error=code, message=text), 429 if code == "rate_limited" else 400
    return jsonify(retiree_id=retiree_id)


@bp.post("/api/consent")
def api_consent():
    user_id = current_user_id()
    if user_id is None:
        abort(401)
    with current_services().db.session() as db:
        people_flow.give_consent(db, db.get(WeChatUser, user_id))
    return jsonify(consented=True, version=people_flow.CONSENT_VERSION)


@bp.post("/api/consent/withdraw")
@api_login_required
def api_withdraw_consent():
    data = form_or_json()
    try:
        retiree_id = int(data.get("retiree_id", 0))
        with current_services().db.session() as db:
            stopped = people_flow.withdraw_consent(db, current_user(db), retiree_id)
    except FlowError as exc:
        return refusal(exc, 403)
    except ValueError:
        return refusal(FlowError("not_bound"), 400)
    return jsonify(withdrawn=True, face_processing_stopped=stopped)


@bp.post("/api/challenges")
@api_login_required
def api_new_challenge():
    body = schemas.parse(schemas.ChallengeRequest, form_or_json())  # BadInput: 400 (web/errors.py)
    try:
        challenge = certify_flow.start_challenge(current_services(), g.user_id, body.retiree_id)
    except FlowError as exc:
        return refusal(exc, 403 if exc.code in ("not_bound", "stopped", "in_person_required")
                       else 429 if exc.code == "too_many_challenges" else 409)
    except ValueError:
        return jsonify(error="bad_request", message=zh.API_BAD_REQUEST), 400
    # issue 15: nothing of the timeline before it is needed, only how many steps and how long
    tl = challenge.timeline or {}
    return jsonify(challenge_id=challenge.id, nonce=challenge.nonce, steps=len(challenge.actions),
                   expires_at=challenge.expires_at.isoformat(),
                   duration_s=tl.get("duration_s"),
                   start_url=url_for("api.api_start_recording", challenge_id=challenge.id),
                   step_url=url_for("api.api_step", challenge_id=challenge.id, k=0)[:-1],
                   chunk_url=url_for("api.api_chunk", challenge_id=challenge.id, seq=0)[:-1],
                   finish_url=url_for("api.api_finish_stream", challenge_id=challenge.id),
                   upload_url=url_for("api.api_upload", challenge_id=challenge.id),
                   chunk_s=certify_flow.CHUNK_S,
                   max_seconds=int((tl.get("duration_s") or 10) + 5), max_bytes=certify_flow.MAX_VIDEO_BYTES), 201


def _step_refusal(exc: FlowError):
    if exc.code == "step_not_yet":
        return refusal(exc, 425)
    return refusal(exc, 404 if exc.code in ("challenge_unknown", "step_unknown") else 409)


@bp.post("/api/challenges/<challenge_id>/start")
@api_login_required
def api_start_recording(challenge_id: str):
    """The recorder started: the server's clock for this timeline starts; step 0 comes back."""
    try:
        return jsonify(certify_flow.start_recording(current_services(), challenge_id, g.user_id))
    except FlowError as exc:
        return _step_refusal(exc)


@bp.get("/api/challenges/<challenge_id>/steps/<int:k>")
@api_login_required
def api_step(challenge_id: str, k: int):
    """Step k (prompt + its flashes), only once the recording has reached it (else 425: poll again)."""
    try:
        return jsonify(certify_flow.reveal_step(current_services(), challenge_id, g.user_id, k))
    except FlowError as exc:
        return _step_refusal(exc)


@bp.put("/api/uploads/<challenge_id>/chunks/<int:seq>")
@api_login_required
def api_chunk(challenge_id: str, seq: int):
    """One MediaRecorder timeslice, sent while recording."""
    data = request.get_data(cache=False)
    try:
        return jsonify(certify_flow.receive_chunk(current_services(), challenge_id, g.user_id, seq, data)), 201
    except FlowError as exc:
        return refusal(exc, 413 if exc.code == "video_too_large" else 409)


@bp.post("/api/uploads/<challenge_id>/finish")
@api_login_required
def api_finish_stream(challenge_id: str):
    """All chunks sent: the server checks their timing and joins them into the recording."""
    data = form_or_json()
    try:
        attempt = certify_flow.finish_stream(current_services(), challenge_id, g.user_id,
                                             str(data.get("content_type") or "video/webm"))
    except FlowError as exc:
        status = {"store_unavailable": 503, "video_too_large": 413, "video_type": 415}.get(exc.code, 409)
        return refusal(exc, status)
    return jsonify(attempt_id=attempt.id, status=attempt.status.value), 201


@bp.route("/api/uploads/<challenge_id>", methods=["PUT", "POST"])
@api_login_required
def api_upload(challenge_id: str):
    """The recording, streamed from the request body into the object store."""
    try:
        attempt = certify_flow.receive_upload(current_services(), challenge_id, g.user_id, request.stream,
                                              request.content_type or "", request.content_length)
    except FlowError as exc:
        status = {"store_unavailable": 503, "video_too_large": 413, "video_type": 415,
                  "challenge_used": 409}.get(exc.code, 400)
        return refusal(exc, status)
    return jsonify(attempt_id=attempt.id, status=attempt.status.value), 201


@bp.post("/api/attempts/<attempt_id>/submit")
@api_login_required
def api_submit(attempt_id: str):
    try:
        attempt = certify_flow.submit(current_services(), attempt_id, g.user_id)
    except FlowError as exc:
        return refusal(exc, 404 if exc.code == "attempt_unknown" else 409)
    return jsonify(attempt_id=attempt.id, status=attempt.status.value), 202


@bp.get("/api/attempts/<attempt_id>")
@api_login_required
def api_attempt(attempt_id: str):
    with current_services().db.session() as db:
        attempt = db.get(Attempt, attempt_id)
        if attempt is None or attempt.wechat_user_id != g.user_id:
            return refusal(FlowError("attempt_unknown"), 404)
        view = result_flow.result_of(db, attempt, current_services().settings.wechat.hotline)
        return jsonify(attempt_json(attempt, view))
