"""The certification pages (H5, opened from the WeChat menu).

Each view parses the request, calls one use case in flows/ and maps a refusal code to plain Chinese.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re

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

from certification.idnumber import IdNumberProblem, normalize_id_number, suspect_positions
from certification.phone import InvalidPhoneNumber, mask_phone, validate_phone
from flows import FlowError, clock
from flows import people as people_flow
from flows import requests as requests_flow
from flows import result as result_flow
from flows.roster import note_self_change
from storage import audit
from storage.models import Agency, Attempt, Binding, BindingKind, Retiree, WeChatUser
from web import schemas
from web.login import (
    current_cipher,
    current_services,
    current_user,
    current_user_id,
    link_self_from_request,
    page_login_required,
    today,
)
from web.presenters import history_json, person_json
from wechat.qrcode import create_scene_qrcode
from wording import zh
from wording.zh import CAMERA_HELP, RESULT_BUTTONS, SELF_PENDING_HINT, refusal_text

log = logging.getLogger("lifecert.web.pages")
ID_PROBLEMS = {p.value for p in IdNumberProblem}
bp = Blueprint("h5", __name__, template_folder="templates", static_folder="static", static_url_path="/h5/static")



@bp.get("/h5/certify")
@page_login_required
def certify_home():
    with current_services().db.session() as db:
        user = current_user(db)
        people = people_flow.people_of(db, user, today())
        consented = people_flow.has_consent(db, user.id)
    return render_template("h5/home.html", people=[person_json(p) for p in people], consented=consented,
                           pending_hint=SELF_PENDING_HINT, consent_title=zh.CONSENT_TITLE, consent_text=zh.CONSENT_TEXT,
                           withdraw_label=zh.CONSENT_WITHDRAW_LABEL)


@bp.post("/h5/link")
@page_login_required
def link_self_page():
    _retiree_id, code, text = link_self_from_request()
    if code == "rate_limited":
        return render_template("h5/message.html", title=zh.PAGE_RATE_LIMITED, text=text), 429
    if code:
        # keep what was typed and mark the characters to look at, instead of an empty form
        typed_name, typed = request.form.get("name", ""), normalize_id_number(request.form.get("id_number", ""))
        marks = set(suspect_positions(typed, code, today()))
        return render_template("h5/home.html", people=[], consented=False, link_error=text, typed_name=typed_name,
                               typed_id=typed, id_chars=[(ch, i in marks) for i, ch in enumerate(typed)],
                               id_field_error=code in ID_PROBLEMS), 400
    return redirect(url_for("h5.certify_home"))


@bp.post("/h5/consent")
def consent():
    user_id = current_user_id()
    if user_id is None:
        abort(401)
    with current_services().db.session() as db:
        people_flow.give_consent(db, db.get(WeChatUser, user_id))
    return redirect(safe_next(request.form.get("next")) or url_for("h5.certify_home"))


def safe_next(target: str | None) -> str | None:
    """Only our own H5 pages (a path, never another site: no scheme, no //host, no backslash)."""
    if not target or not target.startswith("/h5/") or "//" in target or "\\" in target:
        return None
    return target


@bp.post("/h5/consent/withdraw/<int:retiree_id>")
@page_login_required
def withdraw_consent_page(retiree_id: int):
    """Withdraw consent to face processing; the page then points to the offline channels."""
    try:
        with current_services().db.session() as db:
            people_flow.withdraw_consent(db, current_user(db), retiree_id)
    except FlowError as exc:
        return render_template("h5/message.html", title=zh.CONSENT_TITLE, text=refusal_text(exc.code),
                               back="/h5/certify"), 400
    return render_template("h5/message.html", title=zh.CONSENT_TITLE, text=zh.CONSENT_WITHDRAWN, back="/h5/certify")


@bp.get("/h5/record/<int:retiree_id>")
@page_login_required
def record_page(retiree_id: int):
    with current_services().db.session() as db:
        try:
            retiree = people_flow.check_may_certify(db, g.user_id, retiree_id, today())
        except FlowError as exc:
            return render_template("h5/message.html", title=zh.PAGE_CANNOT_CERTIFY, text=refusal_text(exc.code),
                                   back="/h5/certify"), 403
        if not people_flow.has_consent(db, g.user_id, retiree_id=retiree_id):
            return redirect(url_for("h5.certify_home"))
        shown = next((p for p in people_flow.people_of(db, current_user(db), today()) if p.retiree_id == retiree_id),
                     None)
        if shown is not None and not shown.may_start:  # already certified, or staff are reviewing
            return render_template("h5/message.html", title=zh.PAGE_NOTHING_TO_DO,
                                   text=zh.status_line(shown.shown_status, shown.due_by, shown.valid_until,
                                                       shown.back_pay_months), back="/h5/certify")
        name = retiree.name
        phone = result_flow.agency_phone(db.get(Agency, retiree.agency_id), current_services().settings.wechat.hotline)
    return render_template("h5/record.html", retiree_id=retiree_id, name=name, phone=phone, buttons=RESULT_BUTTONS,
                           home_visit_url=f"{result_flow.HOME_VISIT_PATH}?retiree_id={retiree_id}")


@bp.get("/h5/result/<attempt_id>")
@page_login_required
def result_page(attempt_id: str):
    """The result of one attempt (linked from the template message): one reason, one action, big buttons."""
    with current_services().db.session() as db:
        attempt = db.get(Attempt, attempt_id)
        if attempt is None or not _may_see(db, attempt):
            abort(404)
        view = result_flow.result_of(db, attempt, current_services().settings.wechat.hotline)
    return render_template("h5/result.html", view=view, buttons=RESULT_BUTTONS)


def _may_see(db, attempt: Attempt) -> bool:
    """The recorder, or anyone still bound to the person, may read an attempt's result — but not
    someone whose claim of being the person is not yet proven (they typed a name and ID number)."""
    if attempt.wechat_user_id == g.user_id:
        return True
    bindings = db.scalars(select(Binding).where(Binding.wechat_user_id == g.user_id,
                                                Binding.retiree_id == attempt.retiree_id,
                                                Binding.revoked_at.is_(None)))
    return any(not people_flow.is_pending(b) for b in bindings)


@bp.get("/h5/camera-help")
@page_login_required
def camera_help_page():
    """Camera denied: how to allow it in WeChat, and the ways to certify without a camera."""
    retiree_id = request.args.get("retiree_id", type=int)
    with current_services().db.session() as db:
        retiree = db.get(Retiree, retiree_id) if retiree_id else None
        agency = db.get(Agency, retiree.agency_id) if retiree else None
        phone = result_flow.agency_phone(agency, current_services().settings.wechat.hotline)
    return render_template("h5/camera_help.html", phone=phone, retiree_id=retiree_id,
                           home_visit_url=f"{result_flow.HOME_VISIT_PATH}?retiree_id={retiree_id or ''}",
                           buttons=RESULT_BUTTONS, words=CAMERA_HELP)


@bp.get("/h5/records")
@page_login_required
def records_page():
    with current_services().db.session() as db:
        people = people_flow.people_of(db, current_user(db), today())
        # an unproven claim of "self" sees no history of the record
        history = {p.retiree_id: [history_json(line) for line in people_flow.history_of(db, p.retiree_id)]
                   for p in people if p.kind != "self_pending"}
    return render_template("h5/records.html", people=[person_json(p) for p in people], history=history)


@bp.get("/h5/family")
@page_login_required
def family_page():
    """My proxies (people who certify for me) and the people I certify for, each removable."""
    with current_services().db.session() as db:
        mine = db.execute(select(Binding, Retiree).join(Retiree, Binding.retiree_id == Retiree.id).where(
            Binding.wechat_user_id == g.user_id, Binding.revoked_at.is_(None))).all()
        self_ids = [r.id for b, r in mine if b.kind == BindingKind.self_ and b.confirmed_at is not None]
        proxies = db.execute(select(Binding).where(Binding.retiree_id.in_(self_ids), Binding.kind == BindingKind.family,
                                                   Binding.revoked_at.is_(None))).scalars().all() if self_ids else []
        # "own", not "self": Jinja reserves ``self`` (the template object), which made this page a 500
        rows = {"own": [{"retiree_id": r.id, "name": r.name} for b, r in mine if r.id in self_ids],
                "for": [{"binding_id": b.id, "name": r.name, "helper_name": b.helper_name or ""} for b, r in mine
                        if b.kind == BindingKind.family and b.created_via not in people_flow.SHARED_PHONE_VIA],
                "shared": [{"binding_id": b.id, "name": r.name} for b, r in mine
                           if b.kind == BindingKind.family and b.created_via in people_flow.SHARED_PHONE_VIA],
                "proxies": [{"binding_id": b.id, "since": clock.local_date_of(b.created_at), "name": b.helper_name}
                            for b in proxies]}
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


@bp.post("/h5/family/name/<int:binding_id>")
@page_login_required
def helper_name_page(binding_id: int):
    """A helper's name for themself, which the retiree reads beside what the helper did."""
    try:
        with current_services().db.session() as db:
            people_flow.set_helper_name(db, binding_id, current_user(db), request.form.get("helper_name", ""))
    except FlowError as exc:
        return render_template("h5/message.html", title=zh.PAGE_NAME_NOT_SAVED, text=refusal_text(exc.code),
                               back="/h5/family"), 400
    return redirect(url_for("h5.family_page"))


@bp.get("/h5/family/qr/<int:retiree_id>")
@page_login_required
def family_qr_page(retiree_id: int):
    """A 'let my family certify for me' QR code: a WeChat parametric QR with a single-use token."""
    with current_services().db.session() as db:
        if not people_flow.is_confirmed_self(db, g.user_id, retiree_id):  # an unproven claim may not invite proxies
            return render_template("h5/message.html", title=zh.PAGE_QR_REFUSED[0], text=zh.PAGE_QR_REFUSED[1],
                                   back="/h5/family"), 403
        token = people_flow.new_binding_token(db, retiree_id)
    qr = create_scene_qrcode(current_services(), f"{people_flow.SCENE_PREFIX}:{token}", expire_seconds=int(people_flow.TOKEN_TTL.total_seconds()))
    return render_template("h5/family_qr.html", qr_url=qr["url"], expires_days=people_flow.TOKEN_TTL.days)


@bp.get("/h5/qr.png")
def qr_png():
    """Render a QR for a WeChat QR ``url`` ourselves (no call to showqrcode needed)."""
    url = request.args.get("u", "")
    if not re.fullmatch(r"https?://weixin\.qq\.com/q/[A-Za-z0-9_-]{1,64}", url):
        abort(400)  # only WeChat's own QR links: never a page of anyone's choosing
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
        # An unproven self claim may not change the phone the agency reaches the retiree on.
        people = [p for p in people_flow.people_of(db, current_user(db), today()) if p.kind != "self_pending"]
        if request.method == "POST":
            try:
                form = schemas.parse(schemas.ContactForm, request.form.to_dict())  # BadInput: 400
                retiree_id = form.retiree_id
                if retiree_id not in {p.retiree_id for p in people}:
                    abort(403)
                phone = validate_phone(form.phone)
            except InvalidPhoneNumber:
                message = zh.BAD_PHONE_INPUT
            else:
                retiree = db.get(Retiree, retiree_id)
                if not people_flow.is_confirmed_self(db, g.user_id, retiree_id):
                    people_flow.tell_roster_phone(db, retiree, "phone_changed_by_proxy")  # the old number hears
                retiree.phone_enc = current_cipher().encrypt(phone, b"phone", row=retiree.id_number_index)
                retiree.phone_masked = mask_phone(phone)
                note_self_change(retiree, "phone")

                audit.record(db, "wechat", "retiree.phone_change", actor_id=g.user_id, target_kind="retiree",
                             target_id=retiree_id)
                message = zh.PHONE_SAVED
        phones = {p.retiree_id: db.get(Retiree, p.retiree_id).phone_masked for p in people}
    return render_template("h5/contact.html", people=[person_json(p) for p in people], phones=phones,
                           message=message)


# --- the start page, home visits, death reports, a second person on this phone (journeys-agency) ---


@bp.get("/")
def start_page():
    """A newcomer's start page: the phone (the fake WeChat's chat page, when the service talks to one),
    the console, and health."""
    api_base = current_services().settings.wechat.api_base_url.rstrip("/")
    return render_template("h5/index.html", phone_url=f"{api_base}/_fake/" if api_base else None)



def _request_views(db, kind: str) -> list[dict]:
    return [{"id": r.id, "name": r.name, "status": r.status, "status_text": zh.REQUEST_STATUS_FOR_USER.get(r.status, r.status),
             "scheduled_for": r.scheduled_for, "times": zh.visit_times_text(r.preferred_times),
             "phone": r.contact_phone_masked, "died_on": r.died_on, "created_on": r.created_at.date()}
            for r in requests_flow.requests_of(db, current_user(db), kind)]


@bp.route("/h5/home-visit", methods=["GET", "POST"])
@page_login_required
def home_visit_page():
    """Ask for a home visit (contact phone, when someone is at home) and see the agency's schedule."""
    # a link from the result page may name the person: /h5/home-visit?retiree_id=…
    form = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
    message, status, filed = None, 200, False
    with current_services().db.session() as db:
        people = people_flow.people_of(db, current_user(db), today())
        if request.method == "POST":
            try:
                retiree_id = int(form.get("retiree_id") or 0)
                if retiree_id not in {p.retiree_id for p in people}:
                    raise FlowError("not_bound")
                requests_flow.request_home_visit(db, current_user(db), retiree_id, form.get("note"),
                                                 phone=form.get("phone", ""), times=request.form.getlist("times"),
                                                 cipher=current_cipher())
                filed = True
            except FlowError as exc:
                message, status = refusal_text(exc.code), 400
        visits = _request_views(db, requests_flow.HOME_VISIT)
    chosen = request.form.getlist("times") if request.method == "POST" else []
    return render_template("h5/home_visit.html", people=[person_json(p) for p in people], form=form,
                           chosen=chosen, message=message, filed=filed, visits=visits,
                           times=zh.VISIT_TIMES), status


@bp.route("/h5/death-report", methods=["GET", "POST"])
@page_login_required
def death_report_page():
    """A family member reports a death: date, relationship, optional photo of the certificate."""
    form = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
    message, status, filed = None, 200, False
    with current_services().db.session() as db:
        mine = db.execute(select(Binding, Retiree).join(Retiree, Binding.retiree_id == Retiree.id).where(
            Binding.wechat_user_id == g.user_id, Binding.revoked_at.is_(None),
            Binding.kind == BindingKind.family)).all()
        choices = [{"retiree_id": r.id, "name": r.name} for _b, r in mine
                   if r.pension_status.value != "stopped"]
        if request.method == "POST":
            try:
                retiree_id = int(form.get("retiree_id") or 0)
                if retiree_id not in {c["retiree_id"] for c in choices}:
                    raise FlowError("not_bound")
                try:
                    died_on = dt.date.fromisoformat(form.get("died_on", ""))
                except ValueError as exc:
                    raise FlowError("bad_death_date") from exc
                photo = request.files.get("certificate")
                key = None
                if photo and photo.filename:
                    key = requests_flow.store_certificate(current_services(), retiree_id, photo.read(),
                                                          photo.mimetype)
                requests_flow.report_death(db, current_user(db), retiree_id, form.get("note"), died_on=died_on,
                                           relation=form.get("relation", ""), certificate_key=key, today=today())
                filed = True
            except FlowError as exc:
                message, status = refusal_text(exc.code), 400
        reports = _request_views(db, requests_flow.DEATH_REPORT)
    return render_template("h5/death_report.html", choices=choices, form=form, message=message, filed=filed,
                           reports=reports, relations=zh.RELATIONS, today=today()), status


@bp.get("/h5/add-person")
@page_login_required
def add_person_page():
    """Add a second person (a spouse sharing this phone), only with that person's own consent."""
    with current_services().db.session() as db:
        people = people_flow.people_of(db, current_user(db), today())
    return render_template("h5/add_person.html", people=[person_json(p) for p in people])


@bp.app_template_filter("zh_date")
def zh_date(value) -> str:
    return zh.date_text(value)
