"""Who is using the console, what they may do, and the guards on every request.

* Passwords: werkzeug's salted hashes (``create-admin`` sets them).
* Sessions: Flask's signed cookie holding the user id, the login time and the
  last activity; idle for 30 minutes or logged in for 12 hours → log in again.
  The user row is re-read on every request, so deactivating someone takes
  effect at once.
* Failed logins: 5 per username in 15 minutes, then refused for the rest of it.
* CSRF: a random token per session, required on every POST (form field
  ``csrf_token`` or header ``X-CSRF-Token``), compared in constant time.
* Scope: a user sees only their agency, and only their regions where listed.
"""

from __future__ import annotations

import dataclasses
import functools
import hmac
import secrets
import time
from collections.abc import Callable
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from storage.models import AdminRole, AdminUser, Agency, utcnow
from wording import zh

IDLE_TIMEOUT_S = 30 * 60
ABSOLUTE_TIMEOUT_S = 12 * 3600
MAX_FAILURES = 5
MAX_FAILURES_PER_SOURCE = 20  # one address guessing across many user names
FAILURE_WINDOW_S = 15 * 60
ROLE_LABELS = zh.ROLES

# What each role may do. Review and recording certifications change payment; imports,
# broadcasts, the cycle run, exports and death confirmations are the administrator's.
PERMISSIONS: dict[str, set[str]] = {
    "dashboard": {"admin", "reviewer", "staff"},
    "people": {"admin", "reviewer", "staff"},
    "record": {"admin", "reviewer", "staff"},
    "requests": {"admin", "reviewer", "staff"},
    "review": {"admin", "reviewer"},
    "import": {"admin"},
    "campaign": {"admin"},
    "cycle": {"admin"},
    "death": {"admin"},
    "users": {"admin"},
    "identity": {"admin"},  # confirm a self claim, recover a record taken by someone else (issue 11)
}


@dataclasses.dataclass(frozen=True)
class Viewer:
    id: int
    username: str
    role: str
    agency_id: int
    agency_name: str
    region_ids: list[int]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, set())

    @property
    def scope(self) -> list[int] | None:
        """Region ids to filter by, or None for the whole agency."""
        return list(self.region_ids) or None


def check_login(services, username: str, password: str, source: str = "") -> tuple[AdminUser | None, str]:
    """(user, "") on success, else (None, reason code): locked / bad_credentials / no_agency.

    Failures count per user name and per source address: guessing many names from one
    address locks that address out too.
    """
    username = (username or "").strip()[:64]
    fail_key = f"console:login:fail:{username.lower()}"
    source_key = f"console:login:fail-source:{source[:64]}"
    if (int(services.redis.get(fail_key) or 0) >= MAX_FAILURES
            or (source and int(services.redis.get(source_key) or 0) >= MAX_FAILURES_PER_SOURCE)):
        return None, "locked"
    with services.db.session() as s:
        user = s.scalar(select(AdminUser).where(AdminUser.username == username))
        # Check a hash even for an unknown name, so timing does not tell which names exist.
        ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
        if not ok or user is None or not user.active:
            pipe = services.redis.pipeline()
            for key in (fail_key, source_key) if source else (fail_key,):
                pipe.incr(key)
                pipe.expire(key, FAILURE_WINDOW_S)
            pipe.execute()
            return None, "bad_credentials"
        if user.agency_id is None:
            return None, "no_agency"
        user.last_login_at = utcnow()
    services.redis.delete(fail_key)
    return user, ""


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def start_session(user: AdminUser) -> None:
    session.clear()
    now = int(time.time())
    session.update(uid=user.id, sv=user.session_version or 0, login_at=now, seen_at=now, csrf=secrets.token_urlsafe(32))
    session.permanent = False


def load_viewer(services) -> Viewer | None:
    """The logged-in user for this request, or None (not logged in, expired, deactivated)."""
    uid = session.get("uid")
    if not uid:
        return None
    now = int(time.time())
    if now - int(session.get("seen_at", 0)) > IDLE_TIMEOUT_S or now - int(session.get("login_at", 0)) > ABSOLUTE_TIMEOUT_S:
        session.clear()
        session["expired"] = True
        return None
    with services.db.session() as s:
        row = s.execute(select(AdminUser, Agency.name).join(Agency, Agency.id == AdminUser.agency_id)
                        .where(AdminUser.id == uid)).first()
    if row is None or not row[0].active or session.get("sv") != (row[0].session_version or 0):
        session.clear()  # deactivated, or logged out / password changed since this session began
        return None
    user, agency_name = row
    session["seen_at"] = now
    role = user.role.value if isinstance(user.role, AdminRole) else str(user.role)
    return Viewer(user.id, user.username, role, user.agency_id, agency_name, list(user.region_ids or []))


def end_all_sessions(session_db, user_id: int) -> None:
    """Every console session of this user ends (cookies are client-side: the number they carry no longer matches)."""
    user = session_db.get(AdminUser, user_id)
    if user is not None:
        user.session_version = (user.session_version or 0) + 1


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok() -> bool:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def require(permission: str) -> Callable:
    """Route decorator: logged in (handled by the blueprint) and allowed to ``permission``, else 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            viewer: Viewer | None = g.get("viewer")
            if viewer is None:
                return redirect(url_for("console.login.login", next=request.path))
            if not viewer.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
