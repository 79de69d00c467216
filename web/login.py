"""Who is asking: the WeChat user behind an H5 page (OAuth, session cookie) or a mini-program call (bearer token).

Also the first-use link of a WeChat user to "myself" by name + ID number, shared by the page and the API.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

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

from flows import FlowError
from flows import people as people_flow
from flows.ports import Services
from storage.models import WeChatUser
from storage.personal_data import FieldCipher
from wechat.miniprogram import code_to_session
from wechat.oauth import OAuthCodeInvalid, authorize_url, exchange_code
from wording import zh
from wording.zh import refusal_text

log = logging.getLogger("lifecert.web.login")
bp = Blueprint("login", __name__)



TOKEN_MAX_AGE = 7 * 86400


def current_services() -> Services:
    return current_app.extensions["lifecert"]


def current_cipher() -> FieldCipher:
    return current_services().cipher


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lifecert-mini-program")


def today() -> dt.date:
    return dt.date.today()


def current_user_id() -> int | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        try:
            return int(_serializer().loads(auth[7:], max_age=TOKEN_MAX_AGE))
        except (BadSignature, SignatureExpired, ValueError):
            return None
    return session.get("wx_user_id")


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
        session.permanent = True
    return True


def page_login_required(view):
    """H5 pages: WeChat sends the user here with ``?code=`` (menu links go through OAuth);
    without a code or a session, send them through OAuth and back to this page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user_id() is None:
            code = request.args.get("code")
            if code and _login_with_code(code):
                return redirect(request.path)  # drop the single-use code from the address bar

            return redirect(authorize_url(current_services().settings.wechat, request.path, state="h5"))
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
    data = form_or_json()
    try:
        with current_services().db.session() as db:
            retiree = people_flow.link_self(db, current_cipher(), current_user(db), data.get("name", ""),
                                            data.get("id_number", ""), today())
            return retiree.id, None, None
    except FlowError as exc:
        return None, exc.code, zh.MESSAGES.get(exc.code) or refusal_text(exc.code)


@bp.post("/api/mp/login")
def mini_program_login():
    """Mini-program: ``wx.login()`` code → jscode2session → our bearer token."""
    code = (request.get_json(silent=True) or {}).get("code", "")
    if not code:
        return jsonify(error="bad_request", message=zh.API_NO_LOGIN_CODE), 400
    try:
        info = code_to_session(current_services().settings.wechat, code)
    except Exception as exc:  # noqa: BLE001 - WeChat said no: the code is bad or used
        log.info("jscode2session refused", extra={"error": type(exc).__name__})
        return jsonify(error="login_failed", message=zh.API_LOGIN_FAILED), 401
    with current_services().db.session() as db:
        user = people_flow.user_for_openid(db, mini_openid=info["openid"], unionid=info.get("unionid"))
        user_id = user.id
    return jsonify(token=_serializer().dumps(user_id), expires_in=TOKEN_MAX_AGE)
