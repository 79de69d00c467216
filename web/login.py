"""Who is asking: the WeChat user behind an H5 page (OAuth, session cookie) or a mini-program call (bearer token).

Also the first-use link of a WeChat user to "myself" by name + ID number, shared by the page and the API.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import logging
import secrets

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from flows import FlowError, clock
from flows import people as people_flow
from flows.ports import Services
from storage.models import WeChatUser
from storage.personal_data import FieldCipher
from web import schemas
from wechat.miniprogram import code_to_session
from wechat.oauth import OAuthCodeInvalid, authorize_url, exchange_code
from wording import zh
from wording.zh import refusal_text

log = logging.getLogger("lifecert.web.login")
bp = Blueprint("login", __name__)



# The mini-program logs in again silently (wx.login) when its token runs out.
TOKEN_MAX_AGE = 2 * 3600


def current_services() -> Services:
    return current_app.extensions["lifecert"]


def current_cipher() -> FieldCipher:
    return current_services().cipher


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lifecert-mini-program")


def today() -> dt.date:
    """Today for the rules a page applies: Beijing time (the default agency zone), never the server's."""
    return clock.local_today()


def _version_of(user_id: int) -> int | None:
    with current_services().db.session() as db:
        return db.scalar(select(WeChatUser.session_version).where(WeChatUser.id == user_id))


def current_user_id() -> int | None:
    """The WeChat user of this request, if their session or token is still current.

    Sessions and tokens carry the user's ``session_version``; unfollowing, an ended binding or
    a logout raises it, which ends them all.
    """
    if "user_id" in g:
        return g.user_id
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        try:
            user_id, version = _serializer().loads(auth[7:], max_age=TOKEN_MAX_AGE)
            user_id, version = int(user_id), int(version)
        except (BadSignature, SignatureExpired, ValueError, TypeError):
            return None
    else:
        user_id, version = session.get("wx_user_id"), session.get("wx_ver")
        if user_id is None:
            return None
    if version is None or _version_of(user_id) != version:
        session.pop("wx_user_id", None)
        return None
    return user_id


def _login_with_code(code: str) -> bool:
    """Swap a WeChat OAuth code for the openid and start our session; False if the code is stale."""
    try:
        token = exchange_code(current_services().settings.wechat, code)
    except OAuthCodeInvalid:
        return False
    with current_services().db.session() as db:
        user = people_flow.user_for_openid(db, oa_openid=token["openid"], unionid=token.get("unionid"))
        session.clear()
        session["wx_user_id"] = user.id
        session["wx_ver"] = user.session_version or 0
        session.permanent = True
    return True


def page_login_required(view):
    """H5 pages: WeChat sends the user here with ``?code=`` (menu links go through OAuth);
    without a code or a session, send them through OAuth and back to this page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user_id() is None:
            code = request.args.get("code")
            # The code counts only with the random state this browser was sent off with (login CSRF:
            # a code of someone else's account, or a menu link's fixed state, starts a fresh round).
            expected = session.pop("oauth_state", None)
            given = request.args.get("state", "")
            if code and expected and hmac.compare_digest(given, expected) and _login_with_code(code):
                return redirect(request.path)  # drop the single-use code from the address bar
            state = secrets.token_urlsafe(24)
            session["oauth_state"] = state
            return redirect(authorize_url(current_services().settings.wechat, request.path, state=state))
        g.user_id = current_user_id()
        return view(*args, **kwargs)

    return wrapper


def api_login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        user_id = current_user_id()
        if user_id is None:
            return jsonify(error="login_required", message=zh.API_LOGIN_REQUIRED), 401
        g.user_id = user_id
        return view(*args, **kwargs)

    return wrapper


def refusal(exc: FlowError, status: int = 400):
    return jsonify(error=exc.code, message=refusal_text(exc.code)), status


def current_user(db) -> WeChatUser:
    return db.get(WeChatUser, g.user_id)


def form_or_json() -> dict:
    return request.get_json(silent=True) or request.form.to_dict()


def _link_rate_limited() -> bool:
    """At most 5 name + ID tries per user per hour: the form must not become an ID-number oracle."""
    key = f"lifecert:link-tries:{g.user_id}"
    r = current_services().redis
    tries = r.incr(key)
    if tries == 1:
        r.expire(key, 3600)
    return tries > 5


def link_self_from_request() -> tuple[int | None, str | None, str | None]:
    """Name + ID number from the form or JSON → (retiree id, or the refusal code and its words)."""
    if _link_rate_limited():
        return None, "rate_limited", refusal_text("rate_limited")
    data = schemas.parse(schemas.LinkRequest, form_or_json())  # BadInput: 400 (web/errors.py)
    try:
        with current_services().db.session() as db:
            retiree = people_flow.link_self(db, current_cipher(), current_user(db), data.name,
                                            data.id_number, today())
            return retiree.id, None, None
    except FlowError as exc:
        return None, exc.code, zh.MESSAGES.get(exc.code) or refusal_text(exc.code)


@bp.post("/api/mp/login")
def mini_program_login():
    """Mini-program: ``wx.login()`` code → jscode2session → our bearer token."""
    try:
        code = schemas.parse(schemas.LoginRequest, request.get_json(silent=True) or {}).code
    except schemas.BadInput:
        return jsonify(error="bad_request", message=zh.API_NO_LOGIN_CODE), 400
    try:
        info = code_to_session(current_services().settings.wechat, code)
    except Exception as exc:  # noqa: BLE001 - WeChat said no: the code is bad or used
        log.info("jscode2session refused", extra={"error": type(exc).__name__})
        return jsonify(error="login_failed", message=zh.API_LOGIN_FAILED), 401
    with current_services().db.session() as db:
        user = people_flow.user_for_openid(db, mini_openid=info["openid"], unionid=info.get("unionid"))
        user_id, version = user.id, user.session_version or 0
    return jsonify(token=_serializer().dumps([user_id, version]), expires_in=TOKEN_MAX_AGE)


@bp.post("/api/logout")
@bp.post("/h5/logout")
def logout():
    """End every session and token of this WeChat user (the mini-program's 退出, the page's button)."""
    user_id = current_user_id()
    if user_id is not None:
        with current_services().db.session() as db:
            people_flow.bump_session_version(db, user_id)
    session.clear()
    return jsonify(ok=True)
