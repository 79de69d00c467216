"""The console blueprint and what every section shares: the guard, the viewer, the error words."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from console import auth
from flows import channels, clock, standing
from flows.ports import Services
from storage import audit
from storage.models import Agency
from storage.personal_data import FieldCipher
from wording import zh

log = logging.getLogger("lifecert.console")

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="../templates",
               static_folder="../static", static_url_path="/static")

ERRORS = zh.CONSOLE_ERRORS
ROSTER_TYPES = (".csv", ".xlsx")


def services() -> Services:
    return current_app.extensions["lifecert"]


def cipher() -> FieldCipher:
    return services().cipher


def viewer() -> auth.Viewer:
    return g.viewer


def agency_today():
    """Today in the viewer's agency's time zone (Beijing time unless the agency says otherwise)."""
    with services().db.session() as s:
        return clock.agency_today(s, viewer().agency_id if g.get("viewer") else None)


def audit_action(session, action: str, **detail) -> None:
    audit.record(session, "admin", action, actor_id=viewer().id, **detail)


IMPORT_MAX_BYTES = 1024 ** 3  # a ZIP of thousands of photos; nginx.conf allows the same under /console/imports/


@bp.before_request
def _guard():
    if request.endpoint == "console.static":
        return None
    g.viewer = auth.load_viewer(services())  # from the cookie alone: no body read yet
    if (request.endpoint in ("console.imports.import_photos", "console.imports.import_roster")
            and g.viewer is not None and g.viewer.can("import")):
        request.max_content_length = IMPORT_MAX_BYTES  # only for who may import, before the CSRF check reads the body
    if request.method == "POST" and not auth.csrf_ok():
        abort(400, description=zh.PAGE_EXPIRED)
    if g.viewer is None and request.endpoint not in ("console.login.login",):
        if request.path.endswith("/progress"):
            return jsonify(error="login"), 401
        return redirect(url_for("console.login.login", next=request.path))
    return None


@bp.after_request
def _no_cache(response):
    # Pages show personal data: never keep them in a shared or back-button cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.app_template_filter("local_time")
def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) moment in the viewer's agency's zone, for the console's tables."""
    if not value:
        return ""
    with services().db.session() as s:
        agency = s.get(Agency, viewer().agency_id) if g.get("viewer") else None
        zone = clock.zone_of(agency)
    return clock.local_now(zone, value).strftime(fmt)


@bp.app_context_processor
def _inject():
    return {"viewer": g.get("viewer"), "csrf_token": auth.csrf_token, "labels": standing.LABELS,
            "method_labels": channels.METHOD_LABELS, "wechat_error": zh.wechat_error_text}


@bp.errorhandler(403)
def _forbidden(_exc):
    return render_template("console/message.html", title=zh.FORBIDDEN[0], text=zh.FORBIDDEN[1]), 403


def error_page(status: int, title: str, text: str):
    """The console's error page (the app's error handler calls it for /console/ paths)."""
    return render_template("console/message.html", title=title, text=text, home=True), status


