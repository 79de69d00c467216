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

bp = Blueprint("login", __name__)

# --- login -----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = "登录已超时，请重新登录" if session.pop("expired", False) else None
    if request.method == "POST":
        user, reason = auth.check_login(services(), request.form.get("username", ""), request.form.get("password", ""))
        with services().db.session() as s:
            if user is None:
                audit.record(s, "admin", "console.login_failed", reason=reason)
            else:
                audit.record(s, "admin", "console.login", actor_id=user.id)
        if user is not None:
            auth.start_session(user)
            target = request.args.get("next") or ""
            return redirect(target if target.startswith("/console/") else url_for("console.dashboard.dashboard"))
        error = {"locked": "密码错误次数过多，请 15 分钟后再试", "no_agency": "该账号不属于任何经办机构"}.get(
            reason, "用户名或密码不对")
    return render_template("console/login.html", error=error), (401 if error and request.method == "POST" else 200)


@bp.post("/logout")
def logout():
    if g.viewer:
        with services().db.session() as s:
            audit_action(s, "console.logout")
    session.clear()
    return redirect(url_for("console.login.login"))


