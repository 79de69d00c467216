"""Console users of one agency: create, disable or enable, set role and regions (admins only; audited).

``create-admin`` on the command line stays for the first account; everything after is here.
"""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from storage import audit
from storage.models import AdminRole, AdminUser, Region


class StaffError(Exception):
    """``code``: bad_username / username_taken / weak_password / bad_role / bad_region / not_found /
    self_demote / self_disable (worded in wording.zh.STAFF_ERRORS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


USERNAME = re.compile(r"[A-Za-z0-9_.\-]{3,64}")
MIN_PASSWORD = 10


@dataclasses.dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    role: str
    region_ids: list[int]
    active: bool
    last_login_at: object


def staff_of(session: Session, agency_id: int) -> list[StaffView]:
    rows = session.scalars(select(AdminUser).where(AdminUser.agency_id == agency_id).order_by(AdminUser.username))
    return [StaffView(u.id, u.username, u.role.value, list(u.region_ids or []), u.active, u.last_login_at) for u in rows]


def _regions(session: Session, agency_id: int, region_ids: list[int]) -> list[int]:
    valid = set(session.scalars(select(Region.id).where(Region.agency_id == agency_id)))
    if not set(region_ids) <= valid:
        raise StaffError("bad_region")
    return sorted(set(region_ids))


def _role(role: str) -> AdminRole:
    try:
        return AdminRole(role)
    except ValueError as exc:
        raise StaffError("bad_role") from exc


def create_staff(session: Session, agency_id: int, by_admin_id: int, username: str, password: str, role: str,
                 region_ids: list[int]) -> AdminUser:
    """A new console user of this agency; StaffError bad_username / username_taken / weak_password / bad_role / bad_region."""
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        raise StaffError("bad_username")
    if len(password or "") < MIN_PASSWORD:
        raise StaffError("weak_password")
    if session.scalar(select(AdminUser.id).where(AdminUser.username == username)):
        raise StaffError("username_taken")
    user = AdminUser(username=username, password_hash=generate_password_hash(password), role=_role(role),
                     agency_id=agency_id, region_ids=_regions(session, agency_id, region_ids), active=True)
    session.add(user)
    session.flush()
    audit.record(session, "admin", "staff.create", actor_id=by_admin_id, target_kind="admin_user",
                 target_id=user.id, role=role, region_ids=user.region_ids)
    return user


def _own(session: Session, agency_id: int, user_id: int) -> AdminUser:
    user = session.get(AdminUser, user_id)
    if user is None or user.agency_id != agency_id:
        raise StaffError("not_found")
    return user


def update_staff(session: Session, agency_id: int, by_admin_id: int, user_id: int, role: str,
                 region_ids: list[int]) -> AdminUser:
    """Set role and regions (an admin cannot take their own admin role away: someone must remain)."""
    user = _own(session, agency_id, user_id)
    new_role = _role(role)
    if user.id == by_admin_id and new_role != AdminRole.admin:
        raise StaffError("self_demote")
    user.role = new_role
    user.region_ids = _regions(session, agency_id, region_ids)
    audit.record(session, "admin", "staff.update", actor_id=by_admin_id, target_kind="admin_user", target_id=user.id,
                 role=role, region_ids=user.region_ids)
    return user


def set_active(session: Session, agency_id: int, by_admin_id: int, user_id: int, active: bool) -> AdminUser:
    """Disable (the next request of that user is refused: auth re-reads the row) or enable again."""
    user = _own(session, agency_id, user_id)
    if user.id == by_admin_id and not active:
        raise StaffError("self_disable")
    user.active = active
    audit.record(session, "admin", "staff.enable" if active else "staff.disable", actor_id=by_admin_id,
                 target_kind="admin_user", target_id=user.id)
    return user
