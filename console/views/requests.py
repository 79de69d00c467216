"""Console section: requests from the menu."""

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

from console.auth import require
from console.views.common import ERRORS, agency_today, services, viewer
from flows import channels
from flows.requests import overpaid_months, payment_stop_month
from storage.models import (
    Retiree,
    ServiceRequest,
)
from wording import zh
from wording.zh import RELATIONS, VISIT_TIMES

bp = Blueprint("requests", __name__)

# --- requests from the menu ---------------------------------------------------------------


@bp.get("/requests")
@require("requests")
def requests_page():
    with services().db.session() as s:
        visits = channels.requests_list(s, viewer().agency_id, viewer().scope, "home_visit")
        deaths = channels.requests_list(s, viewer().agency_id, viewer().scope, "death_report", ("open",))
    return render_template("console/requests.html", visits=visits, deaths=deaths, today=agency_today(),
                           status_labels=channels.REQUEST_STATUS_LABELS, relations=RELATIONS,
                           visit_times=VISIT_TIMES)


def _zh_month(month: str) -> str:
    year, mon = month.split("-")
    return zh.CONFIRM_MONTH.format(year=year, month=int(mon))


def _death_confirmation(request_id: int):
    """Confirming a death stops the pension for good: say exactly what will happen, then ask again."""
    with services().db.session() as s:
        req = s.get(ServiceRequest, request_id)
        retiree = s.get(Retiree, req.retiree_id) if req else None
        if req is None or not channels.in_scope(retiree, viewer().agency_id, viewer().scope):
            abort(404)
        lines = [zh.DEATH_CONFIRM_STOP.format(name=retiree.name, id_masked=retiree.id_number_masked)]
        if req.died_on:
            stop = payment_stop_month(req.died_on)
            suspended = retiree.suspended_since if retiree.pension_status.value == "suspended" else None
            over = overpaid_months(req.died_on, agency_today(), suspended)
            lines.append(zh.DEATH_CONFIRM_DATES.format(died=zh.date_text(req.died_on),
                                                       stop=zh.CONFIRM_MONTH.format(year=stop.year, month=stop.month)))
            lines.append(zh.DEATH_CONFIRM_OVERPAID.format(count=len(over), months="、".join(_zh_month(m) for m in over))
                         if over else zh.DEATH_CONFIRM_NOT_OVERPAID)
        else:
            lines.append(zh.DEATH_CONFIRM_NO_DATE)
        if request.form.get("note"):
            lines.append(zh.DEATH_CONFIRM_NOTE.format(note=request.form["note"]))
    return render_template("console/confirm.html", title=zh.DEATH_CONFIRM_TITLE, lines=lines,
                           action=url_for("console.requests.request_action", request_id=request_id, action="confirm"),
                           button=zh.DEATH_CONFIRM_BUTTON, back=url_for("console.requests.requests_page"),
                           hidden={"note": request.form.get("note", "")})


@bp.get("/requests/<int:request_id>/certificate")
@require("death")
def request_certificate(request_id: int):
    with services().db.session() as s:
        req = s.get(ServiceRequest, request_id)
        retiree = s.get(Retiree, req.retiree_id) if req else None
        if req is None or not req.certificate_key or not channels.in_scope(retiree, viewer().agency_id, viewer().scope):
            abort(404)
        key = req.certificate_key
    kind = "image/png" if key.endswith(".png") else "image/webp" if key.endswith(".webp") else "image/jpeg"
    return services().objects.get_bytes(key), 200, {"Content-Type": kind, "Cache-Control": "no-store"}


@bp.post("/requests/<int:request_id>/<action>")
@require("requests")
def request_action(request_id: int, action: str):
    if action in ("confirm", "reject") and not viewer().can("death"):
        abort(403)
    when = None
    if request.form.get("when"):
        try:
            when = dt.date.fromisoformat(request.form["when"])
        except ValueError:
            flash(zh.BAD_DATE_FORMAT, "error")
            return redirect(url_for("console.requests.requests_page"))
    with services().db.session() as s:
        if s.get(ServiceRequest, request_id) is None:
            abort(404)
    if action == "confirm" and request.form.get("confirmed") != "yes":
        return _death_confirmation(request_id)
    with services().db.session() as s:
        try:
            channels.handle_request(s, request_id, action, viewer().id, viewer().agency_id, viewer().scope, when,
                                    request.form.get("note"))
        except channels.ChannelError as exc:
            if exc.code == "not_found":
                abort(404)
            flash(ERRORS.get(exc.code, exc.code), "error")
            return redirect(url_for("console.requests.requests_page"))
    flash(zh.REQUEST_HANDLED, "ok")
    return redirect(url_for("console.requests.requests_page"))


