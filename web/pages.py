"""The certification pages (H5, opened from the WeChat menu).

Each view parses the request, calls one use case in flows/ and maps a refusal code to plain Chinese.
"""

from __future__ import annotations

import io
import logging

import qrcode
from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from certification.phone import InvalidPhoneNumber, mask_phone, validate_phone
from flows import FlowError
from flows import people as people_flow
from storage import audit
from storage.models import Binding, BindingKind, Certification, Retiree, WeChatUser
from web.login import (
    current_cipher,
    current_services,
    current_user,
    current_user_id,
    link_self_from_request,
    page_login_required,
    today,
)
from web.presenters import METHOD_WORDS, person_json
from wechat.qrcode import create_scene_qrcode
from wording import zh
from wording.zh import refusal_text

log = logging.getLogger("lifecert.web.pages")
bp = Blueprint("h5", __name__, template_folder="templates", static_folder="static", static_url_path="/h5/static")



@bp.get("/h5/certify")
@page_login_required
def certify_home():
    with current_services().db.session() as db:
        user = current_user(db)
        people = people_flow.people_of(db, user, today())
        consented = people_flow.has_consent(db, user.id)
    return render_template("h5/home.html", people=[person_json(p) for p in people], consented=consented)


@bp.post("/h5/link")
@page_login_required
def link_self_page():
    _retiree_id, code, text = link_self_from_request()
    if code == "rate_limited":
        return render_template("h5/message.html", title=zh.PAGE_RATE_LIMITED, text=text), 429
    if code:
        return render_template("h5/message.html", title=zh.PAGE_LINK_FAILED, text=text, back="/h5/certify"), 400
    return redirect(url_for("h5.certify_home"))


@bp.post("/h5/consent")
def consent():
    user_id = current_user_id()
    if user_id is None:
        abort(401)
    with current_services().db.session() as db:
        people_flow.give_consent(db, db.get(WeChatUser, user_id))
    return redirect(request.form.get("next") or url_for("h5.certify_home"))


@bp.get("/h5/record/<int:retiree_id>")
@page_login_required
def record_page(retiree_id: int):
    with current_services().db.session() as db:
        try:
            retiree = people_flow.check_may_certify(db, g.user_id, retiree_id, today())
        except FlowError as exc:
            return render_template("h5/message.html", title=zh.PAGE_CANNOT_CERTIFY, text=refusal_text(exc.code),
                                   back="/h5/certify"), 403
        if not people_flow.has_consent(db, g.user_id):
            return redirect(url_for("h5.certify_home"))
        name = retiree.name
    return render_template("h5/record.html", retiree_id=retiree_id, name=name)


@bp.get("/h5/records")
@page_login_required
def records_page():
    with current_services().db.session() as db:
        people = people_flow.people_of(db, current_user(db), today())
        history = {}
        for p in people:
            rows = db.scalars(select(Certification).where(Certification.retiree_id == p.retiree_id)
                              .order_by(Certification.certified_on.desc()).limit(10))
            history[p.retiree_id] = [{"date": c.certified_on, "method": METHOD_WORDS.get(c.method.value, c.method.value)}
                                     for c in rows]
    return render_template("h5/records.html", people=[person_json(p) for p in people], history=history)


@bp.get("/h5/family")
@page_login_required
def family_page():
    """My proxies (people who certify for me) and the people I certify for, each removable."""
    with current_services().db.session() as db:
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
        with current_services().db.session() as db:
            people_flow.revoke_binding(db, binding_id, current_user(db))
    except FlowError as exc:
        return render_template("h5/message.html", title=zh.PAGE_NOT_REVOKED, text=refusal_text(exc.code), back="/h5/family"), 400
    return redirect(url_for("h5.family_page"))


@bp.get("/h5/family/qr/<int:retiree_id>")
@page_login_required
def family_qr_page(retiree_id: int):
    """A 'let my family certify for me' QR code: a WeChat parametric QR with a single-use token."""
    with current_services().db.session() as db:
        own = db.scalar(select(Binding.id).where(Binding.wechat_user_id == g.user_id, Binding.retiree_id == retiree_id,
                                                 Binding.kind == BindingKind.self_, Binding.revoked_at.is_(None)))
        if own is None:
            return render_template("h5/message.html", title=zh.PAGE_QR_REFUSED[0], text=zh.PAGE_QR_REFUSED[1],
                                   back="/h5/family"), 403
        token = people_flow.new_binding_token(db, retiree_id)
    qr = create_scene_qrcode(current_services(), f"{people_flow.SCENE_PREFIX}:{token}", expire_seconds=int(people_flow.TOKEN_TTL.total_seconds()))
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
    message = None
    with current_services().db.session() as db:
        people = people_flow.people_of(db, current_user(db), today())
        if request.method == "POST":
            try:
                retiree_id = int(request.form.get("retiree_id", "0"))
                if retiree_id not in {p.retiree_id for p in people}:
                    abort(403)
                phone = validate_phone(request.form.get("phone", ""))
            except InvalidPhoneNumber:
                message = zh.BAD_PHONE_INPUT
            else:
                retiree = db.get(Retiree, retiree_id)
                retiree.phone_enc = current_cipher().encrypt(phone, b"phone")
                retiree.phone_masked = mask_phone(phone)

                audit.record(db, "wechat", "retiree.phone_change", actor_id=g.user_id, target_kind="retiree",
                             target_id=retiree_id)
                message = zh.PHONE_SAVED
        phones = {p.retiree_id: db.get(Retiree, p.retiree_id).phone_masked for p in people}
    return render_template("h5/contact.html", people=[person_json(p) for p in people], phones=phones,
                           message=message)


@bp.app_template_filter("zh_date")
def zh_date(value) -> str:
    return zh.date_text(value)
