"""Console section: the agency's console users (admins only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from console.auth import ROLE_LABELS, require
from console.views.common import services, viewer
from flows import staff
from flows.staff import StaffError
from storage.models import AdminUser, Region
from wording import zh
from wording.zh import STAFF_ERRORS

bp = Blueprint("users", __name__)


def _region_ids() -> list[int]:
    try:
        return [int(v) for v in request.form.getlist("region_ids")]
    except ValueError:
        return [-1]


@bp.get("/users")
@require("users")
def users_page():
    with services().db.session() as s:
        users = staff.staff_of(s, viewer().agency_id)
        regions = {r.id: r.name for r in s.scalars(select(Region).where(Region.agency_id == viewer().agency_id)
                                                   .order_by(Region.id))}
    return render_template("console/users.html", users=users, regions=regions, roles=ROLE_LABELS)


@bp.post("/users")
@require("users")
def users_create():
    try:
        with services().db.session() as s:
            staff.create_staff(s, viewer().agency_id, viewer().id, request.form.get("username", ""),
                               request.form.get("password", ""), request.form.get("role", ""), _region_ids())
    except StaffError as exc:
        flash(STAFF_ERRORS.get(exc.code, exc.code), "error")
    else:
        flash(zh.STAFF_CREATED.format(username=request.form.get("username", "").strip()), "ok")
    return redirect(url_for("console.users.users_page"))


@bp.post("/users/<int:user_id>")
@require("users")
def users_update(user_id: int):
    try:
        with services().db.session() as s:
            staff.update_staff(s, viewer().agency_id, viewer().id, user_id, request.form.get("role", ""),
                               _region_ids())
    except StaffError as exc:
        flash(STAFF_ERRORS.get(exc.code, exc.code), "error")
    else:
        flash(zh.STAFF_SAVED, "ok")
    return redirect(url_for("console.users.users_page"))


@bp.post("/users/<int:user_id>/<any(disable, enable):action>")
@require("users")
def users_active(user_id: int, action: str):
    if action == "disable" and request.form.get("confirmed") != "yes":
        with services().db.session() as s:
            user = s.get(AdminUser, user_id)
            name = user.username if user is not None and user.agency_id == viewer().agency_id else None
        if name is None:
            flash(STAFF_ERRORS["not_found"], "error")
            return redirect(url_for("console.users.users_page"))
        return render_template("console/confirm.html", title=zh.STAFF_DISABLE_TITLE,
                               lines=[zh.STAFF_DISABLE_TEXT.format(username=name)],
                               action=url_for("console.users.users_active", user_id=user_id, action="disable"),
                               button=zh.STAFF_DISABLE_BUTTON, back=url_for("console.users.users_page"))
    try:
        with services().db.session() as s:
            staff.set_active(s, viewer().agency_id, viewer().id, user_id, action == "enable")
    except StaffError as exc:
        flash(STAFF_ERRORS.get(exc.code, exc.code), "error")
    else:
        flash(zh.STAFF_DISABLED if action == "disable" else zh.STAFF_ENABLED, "ok")
    return redirect(url_for("console.users.users_page"))
