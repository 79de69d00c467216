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
from console.views.common import ERRORS, audit_action, cipher, services, viewer
from flows import channels, standing
from flows.cycles import policy_of, retiree_state
from storage.models import (
    Agency,
    Certification,
    EnrollmentPhoto,
    Region,
    Retiree,
)
from wording import zh

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
                    number = validate_id_number(q, today=dt.date.today()).number
                    query = query.where(Retiree.id_number_index == cipher().blind_index(number, b"id_number"))
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
        agency = s.get(Agency, retiree.agency_id)
        policy = policy_of(agency)
        code = standing.code_of(retiree_state(s, retiree, policy), policy, dt.date.today())
        certs = list(s.scalars(select(Certification).where(Certification.retiree_id == retiree.id)
                               .order_by(Certification.certified_on.desc()).limit(20)))
        photo = s.scalar(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == retiree.id,
                                                       EnrollmentPhoto.active.is_(True)).limit(1))
        region = s.get(Region, retiree.region_id) if retiree.region_id else None
        audit_action(s, "people.view", target_kind="retiree", target_id=retiree.id)
    return render_template("console/person.html", retiree=retiree, code=code, certs=certs, photo=photo, region=region,
                           staff_methods=channels.STAFF_METHODS, today=dt.date.today())


@bp.post("/people/<int:retiree_id>/certify")
@require("record")
def person_certify(retiree_id: int):
    try:
        day = dt.date.fromisoformat(request.form.get("certified_on") or dt.date.today().isoformat())
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


@bp.route("/data-comparison", methods=["GET", "POST"])
@require("record")
def data_comparison():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            day = dt.date.fromisoformat(request.form.get("certified_on") or dt.date.today().isoformat())
        except ValueError:
            day = dt.date.today()
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
    return render_template("console/data_comparison.html", report=report, today=dt.date.today())


