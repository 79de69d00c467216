"""The certification pages (H5, opened from the WeChat menu) and their JSON API.

Who is asking comes from WeChat: the H5 pages learn the openid through OAuth
(snsapi_base, silent) and keep our user id in the signed session cookie; the
mini-program logs in with jscode2session and sends a bearer token. Everything
else is in flows/; this module only translates HTTP to flow calls and flow
refusals to plain Chinese.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging

import qrcode
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from flows import FlowError
from flows import certify as certify_flow
from flows import people as people_flow
from storage.models import Attempt, Binding, BindingKind, Certification, Retiree, WeChatUser
from storage.personal_data import FieldCipher
from web.wording import METHODS, advice_text, reason_text, refusal_text

log = logging.getLogger("lifecert.web.h5")
bp = Blueprint("h5", __name__, template_folder="templates", static_folder="static", static_url_path="/h5/static")

TOKEN_MAX_AGE = 7 * 86400
STATUS_WORDS = {
    "certified": "今年已认证",
    "due": "待认证",
    "overdue": "已逾期",
    "suspended": "已暂停发放",
    "in_person_required": "需本人到现场",
    "stopped": "已停发",
}
METHOD_WORDS = METHODS


def _services():
    return current_app.extensions["lifecert"]


def _cipher() -> FieldCipher:
    s = _services().settings
    return FieldCipher(s.data_key, s.index_key)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lifecert-mini-program")


def _today() -> dt.date:
    return dt.date.today()


def _current_user_id() -> int | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        try:
            return int(_serializer().loads(auth[7:], max_age=TOKEN_MAX_AGE))
        except (BadSignature, SignatureExpired, ValueError):
            return None
    return session.get("wx_user_id")


def _login_with_code(code: str) -> bool:
    """Swap a WeChat OAuth code for the openid and start our session; False if the code is stale."""
    from wechat.oauth import OAuthCodeInvalid, exchange_code

    try:
        token = exchange_code(_services().settings.wechat, code)
    except OAuthCodeInvalid:
        return False
    with _services().db.session() as db:
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
        if _current_user_id() is None:
            code = request.args.get("code")
            if code and _login_with_code(code):
                return redirect(request.path)  # drop the single-use code from the address bar
            from wechat.oauth import authorize_url

            return redirect(authorize_url(_services().settings.wechat, request.path, state="h5"))
        g.user_id = _current_user_id()
        return view(*args, **kwargs)

    return wrapper


def api_login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        user_id = _current_user_id()
        if user_id is None:
            return jsonify(error="login_required", message="请从微信菜单重新进入"), 401
        g.user_id = user_id
        return view(*args, **kwargs)

    return wrapper


def _refusal(exc: FlowError, status: int = 400):
    return jsonify(error=exc.code, message=refusal_text(exc.code)), status


# --- who is who -------------------------------------------------------------------------------


@bp.post("/api/mp/login")
def mini_program_login():
    """Mini-program: ``wx.login()`` code → jscode2session → our bearer token."""
    from wechat.miniprogram import code_to_session

    code = (request.get_json(silent=True) or {}).get("code", "")
    if not code:
        return jsonify(error="bad_request", message="缺少登录凭证"), 400
    try:
        info = code_to_session(_services().settings.wechat, code)
    except Exception as exc:  # noqa: BLE001 - WeChat said no: the code is bad or used
        log.info("jscode2session refused", extra={"error": type(exc).__name__})
        return jsonify(error="login_failed", message="登录失败，请重新打开小程序"), 401
    with _services().db.session() as db:
        user = people_flow.user_for_openid(db, mini_openid=info["openid"], unionid=info.get("unionid"))
        user_id = user.id
    return jsonify(token=_serializer().dumps(user_id), expires_in=TOKEN_MAX_AGE)


def _person_json(p: people_flow.PersonView) -> dict:
    return {"retiree_id": p.retiree_id, "binding_id": p.binding_id, "kind": p.kind, "name": p.name,
            "status": p.status, "status_text": STATUS_WORDS.get(p.status, p.status),
            "due_by": p.due_by.isoformat() if p.due_by else None,
            "last_certified_on": p.last_certified_on.isoformat() if p.last_certified_on else None}


def _user(db) -> WeChatUser:
    return db.get(WeChatUser, g.user_id)


@bp.get("/h5/certify")
@page_login_required
def certify_home():
    with _services().db.session() as db:
        user = _user(db)
        people = people_flow.people_of(db, user, _today())
        consented = people_flow.has_consent(db, user.id)
    return render_template("h5/home.html", people=[_person_json(p) for p in people], consented=consented)


@bp.get("/api/people")
@api_login_required
def api_people():
    with _services().db.session() as db:
        people = people_flow.people_of(db, _user(db), _today())
        consented = people_flow.has_consent(db, g.user_id)
    return jsonify(people=[_person_json(p) for p in people], consented=consented)


def _form_or_json() -> dict:
    return request.get_json(silent=True) or request.form.to_dict()


def _link_rate_limited() -> bool:
    """At most 5 name + ID tries per user per hour: the form must not become an ID-number oracle."""
    key = f"lifecert:link-tries:{g.user_id}"
    r = _services().redis
    tries = r.incr(key)
    if tries == 1:
        r.expire(key, 3600)
    return tries > 5


def _link_self() -> tuple[int | None, str | None, str | None]:
    """Name + ID number from the form or JSON → (retiree id, or the refusal code and its words)."""
    from certification.messages import MESSAGES

    if _link_rate_limited():
        return None, "rate_limited", refusal_text("rate_limited")
    data = _form_or_json()
    try:
        with _services().db.session() as db:
            retiree = people_flow.link_self(db, _cipher(), _user(db), data.get("name", ""),
                                            data.get("id_number", ""), _today())
            return retiree.id, None, None
    except FlowError as exc:
        return None, exc.code, MESSAGES.get(exc.code) or refusal_text(exc.code)


@bp.post("/h5/link")
@page_login_required
def link_self_page():
    _retiree_id, code, text = _link_self()
    if code == "rate_limited":
        return render_template("h5/message.html", title="请稍后再试", text=text), 429
    if code:
        return render_template("h5/message.html", title="没有绑定成功", text=text, back="/h5/certify"), 400
    return redirect(url_for("h5.certify_home"))


@bp.post("/api/link")
@api_login_required
def api_link_self():
    retiree_id, code, text = _link_self()
    if code:
        return jsonify(error=code, message=text), 429 if code == "rate_limited" else 400
    return jsonify(retiree_id=retiree_id)


@bp.post("/h5/consent")
@bp.post("/api/consent", endpoint="api_consent")
def consent():
    user_id = _current_user_id()
    if user_id is None:
        abort(401)
    with _services().db.session() as db:
        people_flow.give_consent(db, db.get(WeChatUser, user_id))
    if request.path.startswith("/api/"):
        return jsonify(consented=True, version=people_flow.CONSENT_VERSION)
    return redirect(request.form.get("next") or url_for("h5.certify_home"))


# --- certifying -------------------------------------------------------------------------------


@bp.get("/h5/record/<int:retiree_id>")
@page_login_required
def record_page(retiree_id: int):
    with _services().db.session() as db:
        try:
            retiree = people_flow.check_may_certify(db, g.user_id, retiree_id, _today())
        except FlowError as exc:
            return render_template("h5/message.html", title="暂时不能认证", text=refusal_text(exc.code),
                                   back="/h5/certify"), 403
        if not people_flow.has_consent(db, g.user_id):
            return redirect(url_for("h5.certify_home"))
        name = retiree.name
    return render_template("h5/record.html", retiree_id=retiree_id, name=name)


@bp.post("/api/challenges")
@api_login_required
def api_new_challenge():
    data = _form_or_json()
    try:
        retiree_id = int(data.get("retiree_id", 0))
        challenge = certify_flow.start_challenge(_services(), g.user_id, retiree_id)
    except FlowError as exc:
        return _refusal(exc, 403 if exc.code in ("not_bound", "stopped", "in_person_required") else 409)
    except ValueError:
        return jsonify(error="bad_request", message="参数不对"), 400
    return jsonify(challenge_id=challenge.id, actions=challenge.actions, nonce=challenge.nonce,
                   expires_at=challenge.expires_at.isoformat(),
                   upload_url=url_for("h5.api_upload", challenge_id=challenge.id),
                   max_seconds=10, max_bytes=certify_flow.MAX_VIDEO_BYTES), 201


@bp.route("/api/uploads/<challenge_id>", methods=["PUT", "POST"])
@api_login_required
def api_upload(challenge_id: str):
    """The recording, streamed from the request body into the object store."""
    try:
        attempt = certify_flow.receive_upload(_services(), challenge_id, g.user_id, request.stream,
                                              request.content_type or "", request.content_length)
    except FlowError as exc:
        status = {"store_unavailable": 503, "video_too_large": 413, "video_type": 415}.get(exc.code, 400)
        return _refusal(exc, status)
    return jsonify(attempt_id=attempt.id, status=attempt.status.value), 201


@bp.post("/api/attempts/<attempt_id>/submit")
@api_login_required
def api_submit(attempt_id: str):
    try:
        attempt = certify_flow.submit(_services(), attempt_id, g.user_id)
    except FlowError as exc:
        return _refusal(exc, 404)
    return jsonify(attempt_id=attempt.id, status=attempt.status.value), 202


def attempt_json(attempt: Attempt) -> dict:
    status = attempt.status.value
    if status == "passed":
        headline, detail = "认证通过", "本年度认证已完成，谢谢您！"
    elif status in ("failed", "rejected"):
        headline = "这次没有通过"
        detail = reason_text(attempt.reasons)
        if advice := advice_text(attempt.advice):
            detail += "。" + advice
    elif status == "review":
        headline = "已转人工审核"
        detail = ("多次没有通过，工作人员会帮您审核。也可以到社区服务点办理，或预约上门认证。"
                  if "repeated_failures" in attempt.reasons else "工作人员会尽快审核，结果会通过微信通知您。")
    elif status == "error":
        headline, detail = "系统出了点问题", "请稍后再试一次"
    else:
        headline, detail = "正在核验，请稍候", "一般几秒钟就好"
    return {"attempt_id": attempt.id, "status": status, "verdict": attempt.verdict,
            "reasons": list(attempt.reasons), "advice": list(attempt.advice),
            "finished": status in ("passed", "failed", "rejected", "review", "error"),
            "headline": headline, "detail": detail}


@bp.get("/api/attempts/<attempt_id>")
@api_login_required
def api_attempt(attempt_id: str):
    with _services().db.session() as db:
        attempt = db.get(Attempt, attempt_id)
        if attempt is None or attempt.wechat_user_id != g.user_id:
            return _refusal(FlowError("attempt_unknown"), 404)
        return jsonify(attempt_json(attempt))


# --- records, family, contact -------------------------------------------------------------------


@bp.get("/h5/records")
@page_login_required
def records_page():
    with _services().db.session() as db:
        people = people_flow.people_of(db, _user(db), _today())
        history = {}
        for p in people:
            rows = db.scalars(select(Certification).where(Certification.retiree_id == p.retiree_id)
                              .order_by(Certification.certified_on.desc()).limit(10))
            history[p.retiree_id] = [{"date": c.certified_on, "method": METHOD_WORDS.get(c.method.value, c.method.value)}
                                     for c in rows]
    return render_template("h5/records.html", people=[_person_json(p) for p in people], history=history)


@bp.get("/h5/family")
@page_login_required
def family_page():
    """My proxies (people who certify for me) and the people I certify for, each removable."""
    with _services().db.session() as db:
        mine = db.execute(select(Binding, Retiree).join(Retiree, Binding.retiree_id == Retiree.id).where(
            Binding.wechat_user_id == g.user_id, Binding.revoked_at.is_(None))).all()
        self_ids = [r.id for b, r in mine if b.kind == BindingKind.self_]
        proxies = db.execute(select(Binding).where(Binding.retiree_id.in_(self_ids), Binding.kind == BindingKind.family,
                                                   Binding.revoked_at.is_(None))).scalars().all() if self_ids else []
        rows = {"self": [{"retiree_id": r.id, "name": r.name} for b, r in mine if b.kind == BindingKind.self_],
                "for": [{"binding_id": b.id, "name": r.name} for b, r in mine if b.kind == BindingKind.family],
                "proxies": [{"binding_id": b.id, "since": b.created_at.date()} for b in proxies]}
    return render_template("h5/family.html", **rows)


@bp.post("/h5/family/revoke/<int:binding_id>")
@page_login_required
def revoke_page(binding_id: int):
    try:
        with _services().db.session() as db:
            people_flow.revoke_binding(db, binding_id, _user(db))
    except FlowError as exc:
        return render_template("h5/message.html", title="没有解除", text=refusal_text(exc.code), back="/h5/family"), 400
    return redirect(url_for("h5.family_page"))


@bp.get("/h5/family/qr/<int:retiree_id>")
@page_login_required
def family_qr_page(retiree_id: int):
    """A 'let my family certify for me' QR code: a WeChat parametric QR with a single-use token."""
    from wechat.scenes import create_scene_qrcode

    with _services().db.session() as db:
        own = db.scalar(select(Binding.id).where(Binding.wechat_user_id == g.user_id, Binding.retiree_id == retiree_id,
                                                 Binding.kind == BindingKind.self_, Binding.revoked_at.is_(None)))
        if own is None:
            return render_template("h5/message.html", title="不能生成", text="只有老人本人可以生成家属二维码。",
                                   back="/h5/family"), 403
        token = people_flow.new_binding_token(db, retiree_id)
    qr = create_scene_qrcode(_services(), f"{people_flow.SCENE_PREFIX}:{token}", expire_seconds=int(people_flow.TOKEN_TTL.total_seconds()))
    return render_template("h5/family_qr.html", qr_url=qr["url"], expires_days=people_flow.TOKEN_TTL.days)


@bp.get("/h5/qr.png")
def qr_png():
    """Render a QR for a WeChat QR ``url`` ourselves (no call to showqrcode needed)."""
    url = request.args.get("u", "")
    if not url.startswith(("http://weixin.qq.com/q/", "https://weixin.qq.com/q/", "http://127.0.0.1", "http://localhost")):
        abort(400)
    img = qrcode.make(url, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue(), 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}


@bp.route("/h5/contact", methods=["GET", "POST"])
@page_login_required
def contact_page():
    """Change the phone number on file for a person one certifies for (self or family)."""
    from certification.phone import InvalidPhoneNumber, mask_phone, validate_phone

    message = None
    with _services().db.session() as db:
        people = people_flow.people_of(db, _user(db), _today())
        if request.method == "POST":
            try:
                retiree_id = int(request.form.get("retiree_id", "0"))
                if retiree_id not in {p.retiree_id for p in people}:
                    abort(403)
                phone = validate_phone(request.form.get("phone", ""))
            except InvalidPhoneNumber:
                message = "请输入正确的11位手机号码"
            else:
                retiree = db.get(Retiree, retiree_id)
                retiree.phone_enc = _cipher().encrypt(phone, b"phone")
                retiree.phone_masked = mask_phone(phone)
                from storage import audit

                audit.record(db, "wechat", "retiree.phone_change", actor_id=g.user_id, target_kind="retiree",
                             target_id=retiree_id)
                message = "已保存"
        phones = {p.retiree_id: db.get(Retiree, p.retiree_id).phone_masked for p in people}
    return render_template("h5/contact.html", people=[_person_json(p) for p in people], phones=phones,
                           message=message)


@bp.app_template_filter("zh_date")
def zh_date(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"

