"""Console section: login."""

from __future__ import annotations

from flask import (
    Blueprint,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from console import auth
from console.views.common import audit_action, services
from storage import audit
from wording import zh

bp = Blueprint("login", __name__)

# --- login -----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = zh.LOGIN_EXPIRED if session.pop("expired", False) else None
    if request.method == "POST":
        username = request.form.get("username", "")
        source = request.remote_addr or ""  # behind nginx: ProxyFix sets it from X-Forwarded-For
        user, reason = auth.check_login(services(), username, request.form.get("password", ""), source)
        with services().db.session() as s:
            if user is None:
                # a staff user name (not a citizen's data) and the address, to see who is guessing
                audit.record(s, "admin", "console.login_failed", reason=reason, username=username.strip()[:64],
                             source=source[:64])
            else:
                audit.record(s, "admin", "console.login", actor_id=user.id)
        if user is not None:
            auth.start_session(user)
            target = request.args.get("next") or ""
            return redirect(target if target.startswith("/console/") else url_for("console.dashboard.dashboard"))
        error = zh.LOGIN_ERRORS.get(
            reason, zh.LOGIN_FAILED)
    return render_template("console/login.html", error=error), (401 if error and request.method == "POST" else 200)


@bp.post("/logout")
def logout():
    if g.viewer:
        with services().db.session() as s:
            audit_action(s, "console.logout")
            auth.end_all_sessions(s, g.viewer.id)  # a copied cookie dies with the logout
    session.clear()
    return redirect(url_for("console.login.login"))


