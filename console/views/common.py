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
from flows import channels, standing
from flows.ports import Services
from storage import audit
from storage.personal_data import FieldCipher
from wording import zh

log = logging.getLogger("lifecert.console")

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="../templates")

ERRORS = zh.CONSOLE_ERRORS
ROSTER_TYPES = (".csv", ".xlsx")


def services() -> Services:
    return current_app.extensions["lifecert"]


def cipher() -> FieldCipher:
    return services().cipher


def viewer() -> auth.Viewer:
    return g.viewer


def audit_action(session, action: str, **detail) -> None:
    audit.record(session, "admin", action, actor_id=viewer().id, **detail)


IMPORT_MAX_BYTES = 1024 ** 3  # a ZIP of thousands of photos; nginx.conf allows the same under /console/imports/


@bp.before_request
def _guard():
    if request.endpoint in ("console.imports.import_photos", "console.imports.import_roster"):
        request.max_content_length = IMPORT_MAX_BYTES  # before the CSRF check reads the body
    g.viewer = auth.load_viewer(services())
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
    response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                   "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
    return response


@bp.app_context_processor
def _inject():
    return {"viewer": g.get("viewer"), "csrf_token": auth.csrf_token, "labels": standing.LABELS,
            "method_labels": channels.METHOD_LABELS}


@bp.errorhandler(403)
def _forbidden(_exc):
    return render_template("console/message.html", title=zh.FORBIDDEN[0], text=zh.FORBIDDEN[1]), 403


