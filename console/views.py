"""The agency console's pages, under /console. Chinese for staff; masked ID numbers only.

Every POST is CSRF-checked and every action lands in the audit log (the domain
modules write it; login and exports are recorded here).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import PurePosixPath

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, select

from console import auth, campaigns, channels, progress, review, standing
from console.auth import require
from flows.cycles import policy_of, retiree_state
from storage import audit
from storage.models import (
    Agency,
    Attempt,
    Campaign,
    Certification,
    EnrollmentPhoto,
    Region,
    Retiree,
    ServiceRequest,
)
from storage.personal_data import FieldCipher
from web.wording import REASONS

log = logging.getLogger("lifecert.console")

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")

ERRORS = {
    "already_decided": "这条认证已经被处理过了",
    "stopped": "该人员已停发待遇，不能认证",
    "not_found": "没有找到，或不在您负责的区域",
    "reason_required": "请填写驳回原因",
    "bad_method": "认证方式不对",
    "future_date": "认证日期不能晚于今天",
    "bad_state": "当前状态不能做这个操作",
    "bad_date": "请选择今天或以后的日期",
    "bad_encoding": "文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV",
}
ROSTER_TYPES = (".csv", ".xlsx")


def _services():
    return current_app.extensions["lifecert"]


def _cipher() -> FieldCipher:
    settings = _services().settings
    return FieldCipher(settings.data_key, settings.index_key)


def _viewer() -> auth.Viewer:
    return g.viewer


def _audit(session, action: str, **detail) -> None:
    audit.record(session, "admin", action, actor_id=_viewer().id, **detail)


IMPORT_MAX_BYTES = 1024 ** 3  # a ZIP of thousands of photos; nginx.conf allows the same under /console/imports/


@bp.before_request
def _guard():
    if request.endpoint in ("console.import_photos", "console.import_roster"):
        request.max_content_length = IMPORT_MAX_BYTES  # before the CSRF check reads the body
    g.viewer = auth.load_viewer(_services())
    if request.method == "POST" and not auth.csrf_ok():
        abort(400, description="页面已过期，请刷新后再提交")
    if g.viewer is None and request.endpoint not in ("console.login",):
        if request.path.endswith("/progress"):
            return jsonify(error="login"), 401
        return redirect(url_for("console.login", next=request.path))
    return None


@bp.after_request
def _no_cache(response):
    # Pages show personal data: never keep them in a shared or back-button cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                   "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
    return response


@bp.app_context_processor
def _inject():
    return {"viewer": g.get("viewer"), "csrf_token": auth.csrf_token, "labels": standing.LABELS,
            "method_labels": channels.METHOD_LABELS}


@bp.errorhandler(403)
def _forbidden(_exc):
    return render_template("console/message.html", title="没有权限", text="您的角色不能使用这个功能。"), 403


# --- login -----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = "登录已超时，请重新登录" if session.pop("expired", False) else None
    if request.method == "POST":
        user, reason = auth.check_login(_services(), request.form.get("username", ""), request.form.get("password", ""))
        with _services().db.session() as s:
            if user is None:
                audit.record(s, "admin", "console.login_failed", reason=reason)
            else:
                audit.record(s, "admin", "console.login", actor_id=user.id)
        if user is not None:
            auth.start_session(user)
            target = request.args.get("next") or ""
            return redirect(target if target.startswith("/console/") else url_for("console.dashboard"))
        error = {"locked": "密码错误次数过多，请 15 分钟后再试", "no_agency": "该账号不属于任何经办机构"}.get(
            reason, "用户名或密码不对")
    return render_template("console/login.html", error=error), (401 if error and request.method == "POST" else 200)


@bp.post("/logout")
def logout():
    if g.viewer:
        with _services().db.session() as s:
            _audit(s, "console.logout")
    session.clear()
    return redirect(url_for("console.login"))


# --- dashboard ---------------------------------------------------------------------


@bp.get("/")
@require("dashboard")
def dashboard():
    from console import charts
    from console.dashboard import figures

    with _services().db.session() as s:
        agency = s.get(Agency, _viewer().agency_id)
        if not agency.cycle_policy:
            return render_template("console/message.html", title="尚未设置认证周期",
                                   text="请先用 flask create-agency 设置本机构的认证周期。")
        data = figures(s, agency, _viewer().scope, dt.date.today())
        review_waiting = s.scalar(select(func.count(Attempt.id)).join(Retiree, Retiree.id == Attempt.retiree_id)
                                  .where(Retiree.agency_id == agency.id, Attempt.status == "review"))
    merged = [{**c, "overdue": c["overdue"] + c["lapsed"]} for c in data["by_region"]]
    region_chart = charts.stacked_bars(data["regions"], [
        (code, standing.LABELS[code], [c[code] for c in merged]) for code in ("certified", "due", "overdue", "suspended")
    ], title="各区域认证情况")
    month_chart = charts.stacked_bars([m[2:] for m in data["months"]], [
        ("face", "刷脸认证", data["face_by_month"]), ("other", "其他方式", data["other_by_month"])], bar_height=18,
        title="每月认证人数")
    rate_chart = charts.columns([m[5:] + "月" for m in data["months"]], data["pass_rate_by_month"], title="每月刷脸通过率（%）")
    return render_template("console/dashboard.html", data=data, region_chart=region_chart, month_chart=month_chart,
                           rate_chart=rate_chart, review_waiting=review_waiting)


# --- imports -------------------------------------------------------------------------


@bp.get("/imports")
@require("import")
def imports():
    return render_template("console/imports.html")


def _start_import(kind: str, func_name: str, upload, suffix: str, *args) -> str:
    services = _services()
    job_key = progress.new_job_key(kind)
    upload_key = f"imports/{job_key}/{uuid.uuid4().hex}{suffix}"
    services.objects.put(upload_key, upload.stream, -1)
    progress.start(services.redis, job_key, kind, _viewer().agency_id)
    from jobs.queues import DEFAULT, queue

    queue(services, DEFAULT).enqueue(f"jobs.console.{func_name}", job_key, upload_key, *args,
                                     job_id=job_key, job_timeout=3 * 3600, result_ttl=86400)
    with services.db.session() as s:
        _audit(s, f"{kind}.upload", target_kind="job", target_id=job_key)
    return job_key


@bp.post("/imports/roster")
@require("import")
def import_roster():
    upload = request.files.get("file")
    suffix = PurePosixPath(upload.filename or "").suffix.lower() if upload else ""
    if not upload or suffix not in ROSTER_TYPES:
        flash("请选择 .csv 或 .xlsx 名单文件", "error")
        return redirect(url_for("console.imports"))
    job_key = _start_import("roster", "import_roster", upload, suffix, suffix, _viewer().agency_id, _viewer().id)
    return redirect(url_for("console.import_status", job_key=job_key))


@bp.post("/imports/photos")
@require("import")
def import_photos():
    upload = request.files.get("file")
    if not upload or PurePosixPath(upload.filename or "").suffix.lower() != ".zip":
        flash("请选择 .zip 压缩包", "error")
        return redirect(url_for("console.imports"))
    job_key = _start_import("photos", "import_photos", upload, ".zip", _viewer().agency_id, _viewer().id)
    return redirect(url_for("console.import_status", job_key=job_key))


def _job_or_404(job_key: str) -> dict:
    state = progress.read(_services().redis, job_key)
    if state is None or state["agency_id"] != _viewer().agency_id:
        abort(404)
    return state


@bp.get("/imports/<job_key>")
@require("import")
def import_status(job_key: str):
    return render_template("console/import_status.html", job_key=job_key, state=_job_or_404(job_key))


@bp.get("/imports/<job_key>/progress")
@require("import")
def import_progress(job_key: str):
    return jsonify(_job_or_404(job_key))


# --- review --------------------------------------------------------------------------


@bp.get("/review")
@require("review")
def review_list():
    status = request.args.get("status", "review")
    if status not in ("review", "failed"):
        status = "review"
    with _services().db.session() as s:
        items = review.queue(s, _viewer().agency_id, _viewer().scope, status)
    return render_template("console/review_list.html", items=items, status=status)


@bp.get("/review/<attempt_id>")
@require("review")
def review_detail(attempt_id: str):
    with _services().db.session() as s:
        try:
            attempt, retiree, photo = review.load(s, attempt_id, _viewer().agency_id, _viewer().scope)
        except review.ReviewError:
            abort(404)
        region = s.get(Region, retiree.region_id) if retiree.region_id else None
        _audit(s, "review.view", target_kind="attempt", target_id=attempt_id)
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
            effect = review.approve(_services(), attempt_id, _viewer().id, _viewer().agency_id, _viewer().scope,
                                    request.form.get("note", ""))
            text = "已通过，认证已记录"
            if effect.resume_month:
                text += f"；{effect.resume_month:%Y年%m月}起恢复发放，补发 {effect.back_pay_months} 个月"
            flash(text, "ok")
        elif decision == "reject":
            reason = request.form.get("reason_other", "").strip() or request.form.get("reason", "")
            review.reject(_services(), attempt_id, _viewer().id, _viewer().agency_id, _viewer().scope, reason)
            flash("已驳回，原因已通过微信告知", "ok")
        else:
            abort(400)
    except review.ReviewError as exc:
        if exc.code == "not_found":
            abort(404)
        flash(ERRORS.get(exc.code, exc.code), "error")
        return redirect(url_for("console.review_detail", attempt_id=attempt_id))
    return redirect(url_for("console.review_list"))


@bp.get("/media/frame/<attempt_id>")
@require("review")
def media_frame(attempt_id: str):
    with _services().db.session() as s:
        try:
            attempt, _retiree, _photo = review.load(s, attempt_id, _viewer().agency_id, _viewer().scope)
        except review.ReviewError:
            abort(404)
        key = attempt.best_frame_key
    if not key:
        abort(404)
    return Response(_services().objects.get_bytes(key), mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/media/photo/<int:photo_id>")
@require("people")
def media_photo(photo_id: int):
    with _services().db.session() as s:
        photo = s.get(EnrollmentPhoto, photo_id)
        retiree = s.get(Retiree, photo.retiree_id) if photo else None
        if not channels.in_scope(retiree, _viewer().agency_id, _viewer().scope):
            abort(404)
        key = photo.object_key
    mimetype = "image/png" if key.endswith(".png") else "image/jpeg"
    return Response(_services().objects.get_bytes(key), mimetype=mimetype, headers={"Cache-Control": "no-store"})


# --- people and certifications by other channels -----------------------------------------


@bp.route("/people", methods=["GET", "POST"])
@require("people")
def people():
    # POST, so a typed ID number never lands in a URL (and so in access logs or browser history).
    q = request.form.get("q", "").strip()
    rows = []
    shown_q = q
    if q:
        with _services().db.session() as s:
            query = select(Retiree).where(Retiree.agency_id == _viewer().agency_id)
            if _viewer().scope:
                query = query.where(Retiree.region_id.in_(_viewer().scope))
            if len(q) >= 15 and q[:17].isdigit():
                from certification.idnumber import InvalidIdNumber, validate_id_number

                from certification.idnumber import mask_id_number

                shown_q = mask_id_number(q) if len(q) == 18 else ""
                try:
                    number = validate_id_number(q, today=dt.date.today()).number
                    query = query.where(Retiree.id_number_index == _cipher().blind_index(number, b"id_number"))
                except InvalidIdNumber:
                    query = query.where(Retiree.id == -1)
            else:
                query = query.where((Retiree.name == q) | (Retiree.ss_number == q))
            rows = list(s.scalars(query.order_by(Retiree.id).limit(50)))
            _audit(s, "people.search", found=len(rows))
    return render_template("console/people.html", q=shown_q, searched=bool(q), rows=rows)


@bp.get("/people/<int:retiree_id>")
@require("people")
def person(retiree_id: int):
    with _services().db.session() as s:
        retiree = s.get(Retiree, retiree_id)
        if not channels.in_scope(retiree, _viewer().agency_id, _viewer().scope):
            abort(404)
        agency = s.get(Agency, retiree.agency_id)
        policy = policy_of(agency)
        code = standing.code_of(retiree_state(s, retiree, policy), policy, dt.date.today())
        certs = list(s.scalars(select(Certification).where(Certification.retiree_id == retiree.id)
                               .order_by(Certification.certified_on.desc()).limit(20)))
        photo = s.scalar(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == retiree.id,
                                                       EnrollmentPhoto.active.is_(True)).limit(1))
        region = s.get(Region, retiree.region_id) if retiree.region_id else None
        _audit(s, "people.view", target_kind="retiree", target_id=retiree.id)
    return render_template("console/person.html", retiree=retiree, code=code, certs=certs, photo=photo, region=region,
                           staff_methods=channels.STAFF_METHODS, today=dt.date.today())


@bp.post("/people/<int:retiree_id>/certify")
@require("record")
def person_certify(retiree_id: int):
    try:
        day = dt.date.fromisoformat(request.form.get("certified_on") or dt.date.today().isoformat())
    except ValueError:
        flash("日期格式不对", "error")
        return redirect(url_for("console.person", retiree_id=retiree_id))
    with _services().db.session() as s:
        retiree = s.get(Retiree, retiree_id)
        if not channels.in_scope(retiree, _viewer().agency_id, _viewer().scope):
            abort(404)
        try:
            _cert, effect = channels.record_certification(s, retiree, request.form.get("method", ""), day,
                                                          _viewer().id, request.form.get("note"))
        except channels.ChannelError as exc:
            flash(ERRORS.get(exc.code, exc.code), "error")
            return redirect(url_for("console.person", retiree_id=retiree_id))
    text = "认证已记录"
    if effect is not None and effect.resume_month:
        text += f"；{effect.resume_month:%Y年%m月}起恢复发放，补发 {effect.back_pay_months} 个月"
    elif effect is not None and effect.in_person_required:
        text += "；暂停已超过期限，需本人到经办机构现场认证才能恢复"
    flash(text, "ok")
    return redirect(url_for("console.person", retiree_id=retiree_id))


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
            flash("请选择 CSV 文件", "error")
        else:
            with _services().db.session() as s:
                agency = s.get(Agency, _viewer().agency_id)
                try:
                    report = channels.record_data_comparison(s, _cipher(), agency, _viewer().scope, upload.read(),
                                                             day, _viewer().id)
                except channels.ChannelError as exc:
                    flash(ERRORS.get(exc.code, exc.code), "error")
    return render_template("console/data_comparison.html", report=report, today=dt.date.today())


# --- requests from the menu ---------------------------------------------------------------


@bp.get("/requests")
@require("requests")
def requests_page():
    with _services().db.session() as s:
        visits = channels.requests_list(s, _viewer().agency_id, _viewer().scope, "home_visit")
        deaths = channels.requests_list(s, _viewer().agency_id, _viewer().scope, "death_report", ("open",))
    return render_template("console/requests.html", visits=visits, deaths=deaths, today=dt.date.today(),
                           status_labels=channels.REQUEST_STATUS_LABELS)


@bp.post("/requests/<int:request_id>/<action>")
@require("requests")
def request_action(request_id: int, action: str):
    if action in ("confirm", "reject") and not _viewer().can("death"):
        abort(403)
    when = None
    if request.form.get("when"):
        try:
            when = dt.date.fromisoformat(request.form["when"])
        except ValueError:
            flash("日期格式不对", "error")
            return redirect(url_for("console.requests_page"))
    with _services().db.session() as s:
        if s.get(ServiceRequest, request_id) is None:
            abort(404)
        try:
            channels.handle_request(s, request_id, action, _viewer().id, _viewer().agency_id, _viewer().scope, when,
                                    request.form.get("note"))
        except channels.ChannelError as exc:
            if exc.code == "not_found":
                abort(404)
            flash(ERRORS.get(exc.code, exc.code), "error")
            return redirect(url_for("console.requests_page"))
    flash("已处理", "ok")
    return redirect(url_for("console.requests_page"))


# --- campaigns ---------------------------------------------------------------------------


def _segment_from_form() -> dict:
    segment = {"kind": request.values.get("kind", "due_month")}
    region_ids = [int(r) for r in request.values.getlist("region_ids") if r.isdigit()]
    scope = _viewer().scope
    if scope:
        region_ids = [r for r in region_ids if r in scope] or scope
    if region_ids:
        segment["region_ids"] = region_ids
    return segment


@bp.get("/campaigns")
@require("campaign")
def campaigns_page():
    with _services().db.session() as s:
        rows = list(s.scalars(select(Campaign).where(Campaign.agency_id == _viewer().agency_id)
                              .order_by(Campaign.id.desc()).limit(100)))
        regions = list(s.scalars(select(Region).where(Region.agency_id == _viewer().agency_id).order_by(Region.name)))
    return render_template("console/campaigns.html", rows=rows, regions=regions, segments=campaigns.SEGMENTS,
                           status_labels=campaigns.STATUS_LABELS)


@bp.get("/campaigns/preview")
@require("campaign")
def campaign_preview():
    segment = _segment_from_form()
    if segment["kind"] not in campaigns.SEGMENTS:
        abort(400)
    with _services().db.session() as s:
        agency = s.get(Agency, _viewer().agency_id)
        data = campaigns.preview(s, agency, segment, dt.date.today())
        bounds = standing.bounds_for(policy_of(agency), dt.date.today())
    return render_template("console/campaign_preview.html", segment=segment, data=data, bounds=bounds,
                           segment_label=campaigns.SEGMENTS[segment["kind"]])


@bp.post("/campaigns")
@require("campaign")
def campaign_create():
    segment = _segment_from_form()
    if segment["kind"] not in campaigns.SEGMENTS:
        abort(400)
    name = request.form.get("name", "").strip() or campaigns.SEGMENTS[segment["kind"]]
    with _services().db.session() as s:
        agency = s.get(Agency, _viewer().agency_id)
        campaign = campaigns.plan(s, agency, name, segment, dt.date.today(), admin_id=_viewer().id)
        cid = campaign.id
    if request.form.get("start") == "1":
        campaigns.set_status(_services(), cid, "start", _viewer().id)
    return redirect(url_for("console.campaign_detail", campaign_id=cid))


def _campaign_or_404(s, campaign_id: int) -> Campaign:
    campaign = s.get(Campaign, campaign_id)
    if campaign is None or campaign.agency_id != _viewer().agency_id:
        abort(404)
    return campaign


@bp.get("/campaigns/<int:campaign_id>")
@require("campaign")
def campaign_detail(campaign_id: int):
    status = request.args.get("result") or None
    page = max(int(request.args.get("page", "1") or 1), 1)
    with _services().db.session() as s:
        campaign = _campaign_or_404(s, campaign_id)
        counts = campaigns.result_counts(s, campaign_id)
        rows = campaigns.recipients_page(s, campaign_id, status, offset=(page - 1) * 50)
    handled = campaign.total - counts.get("pending", 0)
    percent = int(handled * 100 / campaign.total) if campaign.total else 100
    return render_template("console/campaign_detail.html", campaign=campaign, counts=counts, rows=rows, page=page,
                           percent=percent,
                           result=status, result_labels=campaigns.RESULT_LABELS, status_labels=campaigns.STATUS_LABELS,
                           segment_label=campaigns.SEGMENTS.get(campaign.segment.get("kind"), ""))


@bp.get("/campaigns/<int:campaign_id>/progress")
@require("campaign")
def campaign_progress(campaign_id: int):
    with _services().db.session() as s:
        campaign = _campaign_or_404(s, campaign_id)
        counts = campaigns.result_counts(s, campaign_id)
    handled = campaign.total - counts.get("pending", 0)
    return jsonify(status=campaign.status, status_label=campaigns.STATUS_LABELS.get(campaign.status, campaign.status),
                   total=campaign.total, handled=handled, counts=counts,
                   percent=int(handled * 100 / campaign.total) if campaign.total else 100)


@bp.post("/campaigns/<int:campaign_id>/<action>")
@require("campaign")
def campaign_action(campaign_id: int, action: str):
    if action not in ("start", "pause", "resume", "cancel"):
        abort(404)
    with _services().db.session() as s:
        _campaign_or_404(s, campaign_id)
    campaigns.set_status(_services(), campaign_id, action, _viewer().id)
    return redirect(url_for("console.campaign_detail", campaign_id=campaign_id))


# --- the cycle and the payment exports -----------------------------------------------------


@bp.get("/cycle")
@require("cycle")
def cycle_page():
    from console.cycle_run import run_cycle

    with _services().db.session() as s:
        code = s.scalar(select(Agency.code).where(Agency.id == _viewer().agency_id))
    reports = run_cycle(_services(), dt.date.today(), dry_run=True, agency_codes=[code])
    today = dt.date.today()
    return render_template("console/cycle.html", report=reports[0] if reports else None,
                           month_start=today.replace(day=1), today=today)


@bp.post("/cycle/run")
@require("cycle")
def cycle_run():
    from console.cycle_run import run_cycle

    with _services().db.session() as s:
        code = s.scalar(select(Agency.code).where(Agency.id == _viewer().agency_id))
        _audit(s, "cycle.run", target_kind="agency", target_id=_viewer().agency_id)
    reports = run_cycle(_services(), dt.date.today(), agency_codes=[code])
    flash(reports[0].summary() if reports else "没有可执行的周期规则", "ok")
    return redirect(url_for("console.cycle_page"))


@bp.get("/exports/payments.<fmt>")
@require("cycle")
def payments_export(fmt: str):
    from console.payments import payment_changes, to_csv, to_xlsx

    if fmt not in ("csv", "xlsx"):
        abort(404)
    today = dt.date.today()
    try:
        start = dt.date.fromisoformat(request.args.get("from") or today.replace(day=1).isoformat())
        end = dt.date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        abort(400)
    with _services().db.session() as s:
        rows = payment_changes(s, _viewer().agency_id, start, end)
        _audit(s, "payments.export", target_kind="agency", target_id=_viewer().agency_id, rows=len(rows), fmt=fmt)
    name = f"payment-changes-{start}-{end}.{fmt}"
    if fmt == "csv":
        return Response(to_csv(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return Response(to_xlsx(rows), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
