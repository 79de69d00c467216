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
from console.views.common import ERRORS, services, viewer
from flows import channels
from storage.models import (
    ServiceRequest,
)
from wording import zh

bp = Blueprint("requests", __name__)

# --- requests from the menu ---------------------------------------------------------------


@bp.get("/requests")
@require("requests")
def requests_page():
    with services().db.session() as s:
        visits = channels.requests_list(s, viewer().agency_id, viewer().scope, "home_visit")
        deaths = channels.requests_list(s, viewer().agency_id, viewer().scope, "death_report", ("open",))
    return render_template("console/requests.html", visits=visits, deaths=deaths, today=dt.date.today(),
                           status_labels=channels.REQUEST_STATUS_LABELS)


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


