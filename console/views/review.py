"""Console section: review."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from console.auth import require
from console.views.common import ERRORS, audit_action, services, viewer
from flows import channels, review
from storage.models import (
    EnrollmentPhoto,
    Region,
    Retiree,
)
from wording import zh
from wording.zh import REASONS

bp = Blueprint("review", __name__)

# --- review --------------------------------------------------------------------------


@bp.get("/review")
@require("review")
def review_list():
    status = request.args.get("status", "review")
    if status not in ("review", "failed"):
        status = "review"
    with services().db.session() as s:
        items = review.queue(s, viewer().agency_id, viewer().scope, status)
        audit_action(s, "review.list", status=status, shown=len(items))  # a list of people: a personal-data view
    return render_template("console/review_list.html", items=items, status=status)


@bp.get("/review/<attempt_id>")
@require("review")
def review_detail(attempt_id: str):
    with services().db.session() as s:
        try:
            attempt, retiree, photo = review.load(s, attempt_id, viewer().agency_id, viewer().scope)
        except review.ReviewError:
            abort(404)
        region = s.get(Region, retiree.region_id) if retiree.region_id else None
        audit_action(s, "review.view", target_kind="attempt", target_id=attempt_id)
    reasons = [REASONS.get(r, r) for r in attempt.reasons or []]
    scores = review.score_rows(attempt.scores or {})
    return render_template("console/review_detail.html", attempt=attempt, retiree=retiree, photo=photo, region=region,
                           reasons=reasons, scores=scores, reject_reasons=review.REJECT_REASONS)


@bp.post("/review/<attempt_id>/decide")
@require("review")
def review_decide(attempt_id: str):
    decision = request.form.get("decision")
    try:
        if decision == "approve":
            effect = review.approve(services(), attempt_id, viewer().id, viewer().agency_id, viewer().scope,
                                    request.form.get("note", ""))
            text = zh.REVIEW_APPROVED
            if effect.resume_month:
                text += zh.RESUMED_NOTE.format(month=zh.month_text(effect.resume_month), months=effect.back_pay_months)
            flash(text, "ok")
        elif decision == "reject":
            reason = request.form.get("reason_other", "").strip() or request.form.get("reason", "")
            review.reject(services(), attempt_id, viewer().id, viewer().agency_id, viewer().scope, reason)
            flash(zh.REVIEW_REJECTED, "ok")
        else:
            abort(400)
    except review.ReviewError as exc:
        if exc.code == "not_found":
            abort(404)
        flash(ERRORS.get(exc.code, exc.code), "error")
        return redirect(url_for("console.review.review_detail", attempt_id=attempt_id))
    return redirect(url_for("console.review.review_list"))


@bp.get("/media/frame/<attempt_id>")
@require("review")
def media_frame(attempt_id: str):
    with services().db.session() as s:
        try:
            attempt, _retiree, _photo = review.load(s, attempt_id, viewer().agency_id, viewer().scope)
        except review.ReviewError:
            abort(404)
        key = attempt.best_frame_key
        if key:
            audit_action(s, "media.frame", target_kind="attempt", target_id=attempt_id)  # a face
    if not key:
        abort(404)
    return Response(services().objects.get_bytes(key), mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/media/photo/<int:photo_id>")
@require("people")
def media_photo(photo_id: int):
    with services().db.session() as s:
        photo = s.get(EnrollmentPhoto, photo_id)
        retiree = s.get(Retiree, photo.retiree_id) if photo else None
        if photo is None or not channels.in_scope(retiree, viewer().agency_id, viewer().scope):
            abort(404)
        key = photo.object_key
        audit_action(s, "media.photo", target_kind="enrollment_photo", target_id=photo_id, retiree_id=retiree.id)
    mimetype = "image/png" if key.endswith(".png") else "image/jpeg"
    return Response(services().objects.get_bytes(key), mimetype=mimetype, headers={"Cache-Control": "no-store"})


