"""Console section: people and certifications by other channels."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from certification.idnumber import InvalidIdNumber, mask_id_number, validate_id_number
from console.auth import require
from console.views.common import ERRORS, agency_today, audit_action, cipher, services, viewer
from flows import FlowError, channels, standing
from flows import people as people_flow
from flows.cycles import policy_of, retiree_state
from flows.personal_keys import id_number_matches
from storage.models import (
    Agency,
    Binding,
    BindingKind,
    Certification,
    EnrollmentPhoto,
    Region,
    Retiree,
)
from wechat.qrcode import create_scene_qrcode
from wording import zh

SHARE_TOKEN_TTL = dt.timedelta(days=30)

bp = Blueprint("people", __name__)

# --- people and certifications by other channels -----------------------------------------


@bp.route("/people", methods=["GET", "POST"])
@require("people")
def people():
    # POST, so a typed ID number never lands in a URL (and so in access logs or browser history).
    q = request.form.get("q", "").strip()
    rows = []
    shown_q = q
    if q:
        with services().db.session() as s:
            query = select(Retiree).where(Retiree.agency_id == viewer().agency_id)
            if viewer().scope:
                query = query.where(Retiree.region_id.in_(viewer().scope))
            if len(q) >= 15 and q[:17].isdigit():
                shown_q = mask_id_number(q) if len(q) == 18 else ""
                try:
                    number = validate_id_number(q, today=agency_today()).number
                    query = query.where(id_number_matches(cipher(), number))
                except InvalidIdNumber:
                    query = query.where(Retiree.id == -1)
            else:
                query = query.where((Retiree.name == q) | (Retiree.ss_number == q))
            rows = list(s.scalars(query.order_by(Retiree.id).limit(50)))
            audit_action(s, "people.search", found=len(rows))
    return render_template("console/people.html", q=shown_q, searched=bool(q), rows=rows)


@bp.get("/people/<int:retiree_id>")
@require("people")
def person(retiree_id: int):
    with services().db.session() as s:
        retiree = s.get(Retiree, retiree_id)
        if not channels.in_scope(retiree, viewer().agency_id, viewer().scope):
            abort(404)
        agency = s.get(Agency, retiree.agency_id) or abort(404)
        policy = policy_of(agency)
        code = standing.code_of(retiree_state(s, retiree, policy), policy, agency_today())
        certs = list(s.scalars(select(Certification).where(Certification.retiree_id == retiree.id)
                               .order_by(Certification.certified_on.desc()).limit(20)))
        photo = s.scalar(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == retiree.id,
                                                       EnrollmentPhoto.active.is_(True)).limit(1))
        region = s.get(Region, retiree.region_id) if retiree.region_id else None
        selves = list(s.scalars(select(Binding).where(Binding.retiree_id == retiree.id, Binding.kind == BindingKind.self_,
                                                      Binding.revoked_at.is_(None)).order_by(Binding.id)))
        audit_action(s, "people.view", target_kind="retiree", target_id=retiree.id)
    return render_template("console/person.html", retiree=retiree, code=code, certs=certs, photo=photo, region=region,
                           staff_methods=channels.STAFF_METHODS, today=agency_today(), selves=selves)


# --- identity: confirm a self claim, recover a taken record (issue 11) --------------------


@bp.post("/people/<int:retiree_id>/claims/<int:binding_id>/confirm")
@require("identity")
def confirm_claim(retiree_id: int, binding_id: int):
    """The agency saw the person (no photo to match a face against) and confirms their claim of "self"."""
    try:
        with services().db.session() as s:
            row = s.get(Binding, binding_id)
            if row is None or row.retiree_id != retiree_id:
                abort(404)
            people_flow.confirm_self_by_agency(s, binding_id, viewer().agency_id, viewer().id, viewer().scope)
    except FlowError:
        abort(404)
    flash(zh.CONSOLE_CLAIM_CONFIRMED, "ok")
    return redirect(url_for("console.people.person", retiree_id=retiree_id))


@bp.post("/people/<int:retiree_id>/recover")
@require("identity")
def recover(retiree_id: int):
    """End every self binding (and the proxies made since): the record was taken by someone else."""
    try:
        with services().db.session() as s:
            ended = people_flow.recover_record(s, retiree_id, viewer().agency_id, viewer().id, viewer().scope)
    except FlowError:
        abort(404)
    flash(zh.CONSOLE_RECOVERED.format(count=len(ended)), "ok")
    return redirect(url_for("console.people.person", retiree_id=retiree_id))


@bp.post("/people/<int:retiree_id>/certify")
@require("record")
def person_certify(retiree_id: int):
    try:
        day = dt.date.fromisoformat(request.form.get("certified_on") or agency_today().isoformat())
    except ValueError:
        flash(zh.BAD_DATE_FORMAT, "error")
        return redirect(url_for("console.people.person", retiree_id=retiree_id))
    with services().db.session() as s:
        retiree = s.get(Retiree, retiree_id)
        if not channels.in_scope(retiree, viewer().agency_id, viewer().scope):
            abort(404)
        try:
            _cert, effect = channels.record_certification(s, retiree, request.form.get("method", ""), day,
                                                          viewer().id, request.form.get("note"))
        except channels.ChannelError as exc:
            flash(ERRORS.get(exc.code, exc.code), "error")
            return redirect(url_for("console.people.person", retiree_id=retiree_id))
    text = zh.CERTIFICATION_RECORDED
    if effect is not None and effect.resume_month:
        text += zh.RESUMED_NOTE.format(month=zh.month_text(effect.resume_month), months=effect.back_pay_months)
    elif effect is not None and effect.in_person_required:
        text += zh.IN_PERSON_NOTE
    flash(text, "ok")
    return redirect(url_for("console.people.person", retiree_id=retiree_id))


@bp.post("/people/<int:retiree_id>/consent-qr")
@require("record")
def person_consent_qr(retiree_id: int):
    """The person's own consent QR, to share one phone with a spouse: printed, or shown at the counter.

    Staff hand it to the person themself; scanning it with the shared phone adds them there
    (flows.people.redeem_share_token). Single use, 30 days.
    """
    with services().db.session() as s:
        retiree = s.get(Retiree, retiree_id)
        if not channels.in_scope(retiree, viewer().agency_id, viewer().scope):
            abort(404)
        if retiree.pension_status.value == "stopped":
            flash(ERRORS["stopped"], "error")
            return redirect(url_for("console.people.person", retiree_id=retiree_id))
        token = people_flow.new_binding_token(s, retiree_id, ttl=SHARE_TOKEN_TTL, purpose="share")
        audit_action(s, "binding.share_qr", target_kind="retiree", target_id=retiree_id)
        name = retiree.name
    qr = create_scene_qrcode(services(), f"{people_flow.SHARE_PREFIX}:{token}",
                             expire_seconds=int(SHARE_TOKEN_TTL.total_seconds()))
    return render_template("console/consent_qr.html", name=name, qr_url=qr["url"], days=SHARE_TOKEN_TTL.days,
                           retiree_id=retiree_id)


@bp.route("/data-comparison", methods=["GET", "POST"])
@require("record")
def data_comparison():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            day = dt.date.fromisoformat(request.form.get("certified_on") or agency_today().isoformat())
        except ValueError:
            day = agency_today()
        if not upload:
            flash(zh.CHOOSE_CSV, "error")
        else:
            with services().db.session() as s:
                agency = s.get(Agency, viewer().agency_id)
                try:
                    report = channels.record_data_comparison(s, cipher(), agency, viewer().scope, upload.read(),
                                                             day, viewer().id)
                except channels.ChannelError as exc:
                    flash(ERRORS.get(exc.code, exc.code), "error")
    return render_template("console/data_comparison.html", report=report, today=agency_today())


