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
        return refusal(exc, 403 if exc.code in ("not_bound", "stopped", "in_person_required") else 409)
    except ValueError:
        return jsonify(error="bad_request", message=zh.API_BAD_REQUEST), 400
    return jsonify(challenge_id=challenge.id, actions=challenge.actions, nonce=challenge.nonce,
                   expires_at=challenge.expires_at.isoformat(),
                   upload_url=url_for("api.api_upload", challenge_id=challenge.id),
                   max_seconds=10, max_bytes=certify_flow.MAX_VIDEO_BYTES), 201


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
        return refusal(exc, 404)
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
