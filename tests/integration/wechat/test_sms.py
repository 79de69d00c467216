"""Issue 11, "the roster phone is told": a claim on a retiree's record reaches the number on the roster.

Before: the notice row waited in the outbox for an SMS gateway nobody had written, so the real
retiree never heard that a stranger had typed their name and ID number. Now the outbox sends it
through the gateway (Alibaba Cloud's SendSms; the fake WeChat plays it and checks the signature).
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import select

from flows import outbox as sender
from flows import people
from sms import SmsClient, SmsError
from sms.config import SmsSettings
from storage.models import Agency, Notification, Retiree, WeChatUser
from tests.idnumbers import make_id

TODAY = dt.date(2026, 12, 3)
NUMBER = make_id("230102", "19420315", "123")
ROSTER_PHONE = "13812345678"


def _retiree(stack) -> int:
    cipher = stack.services.cipher
    index = cipher.blind_index(NUMBER, b"id_number")
    with stack.services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy={}, settings={"phone": "0451-86281234"})
        s.add(agency)
        s.flush()
        r = Retiree(agency_id=agency.id, name="王建国", id_number_enc=cipher.encrypt(NUMBER, b"id_number", row=index),
                    id_number_index=index, id_number_masked="2301**********123", birth_date=dt.date(1942, 3, 15),
                    phone_enc=cipher.encrypt(ROSTER_PHONE, b"phone", row=index), phone_masked="138****5678")
        s.add(r)
        s.flush()
        return r.id


def _claim(stack, openid: str = "o_stranger") -> None:
    with stack.services.db.session() as s:
        user = WeChatUser(oa_openid=openid)
        s.add(user)
        s.flush()
        people.link_self(s, stack.services.cipher, user, "王建国", NUMBER, TODAY)


def _texts(stack, phone: str = ROSTER_PHONE) -> list[str]:
    return [m["text"] for m in stack.call("GET", f"/_fake/sms?phone={phone}")["items"]]


def _rows(stack) -> list[Notification]:
    with stack.services.db.session() as s:
        return list(s.scalars(select(Notification).where(Notification.channel == "sms").order_by(Notification.id)))


def _sweep_and_work(stack) -> None:
    sender.sweep(stack.services)
    stack.run_worker()


def test_a_stranger_claiming_a_record_is_texted_to_the_roster_phone(sms_stack):
    _retiree(sms_stack)
    _claim(sms_stack)
    _sweep_and_work(sms_stack)
    assert _texts(sms_stack) == [
        "【社保认证】有人在微信上用您的姓名和身份证号申请本人认证。如果不是您或您同意的，请打电话0451-86281234。"]
    (row,) = _rows(sms_stack)
    assert (row.status, row.tries) == ("sent", 1) and row.msgid
    assert "phone_enc" not in row.payload and row.payload["phone_masked"] == "138****5678"  # the number is gone
    _sweep_and_work(sms_stack)  # a later sweep sends nothing twice
    assert len(_texts(sms_stack)) == 1


def test_a_gateway_hiccup_is_retried_and_the_text_arrives_once(sms_stack):
    _retiree(sms_stack)
    sms_stack.call("POST", "/_fake/sms/inject", codes=["isp.SYSTEM_ERROR", "isv.BUSINESS_LIMIT_CONTROL"])
    _claim(sms_stack)
    _sweep_and_work(sms_stack)
    (row,) = _rows(sms_stack)
    assert (row.status, row.tries) == ("sent", 3)
    assert len(_texts(sms_stack)) == 1


def test_a_number_the_gateway_refuses_fails_without_retrying(sms_stack):
    _retiree(sms_stack)
    sms_stack.call("POST", "/_fake/sms/inject", codes=["isv.MOBILE_NUMBER_ILLEGAL"])
    _claim(sms_stack)
    _sweep_and_work(sms_stack)
    far = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    sender.sweep(sms_stack.services, now=far)
    sms_stack.run_worker()
    (row,) = _rows(sms_stack)
    assert (row.status, row.tries) == ("failed", 1)
    assert row.errmsg.startswith("isv.MOBILE_NUMBER_ILLEGAL") and "phone_enc" not in row.payload
    assert _texts(sms_stack) == []


def test_the_old_number_hears_when_a_proxy_changes_it(sms_stack):
    """The notice is queued before the change and sent after it: it must still reach the old number."""
    retiree_id = _retiree(sms_stack)
    cipher = sms_stack.services.cipher
    with sms_stack.services.db.session() as s:
        r = s.get(Retiree, retiree_id)
        people.tell_roster_phone(s, r, "phone_changed_by_proxy")
        r.phone_enc = cipher.encrypt("13900001111", b"phone", row=r.id_number_index)
    _sweep_and_work(sms_stack)
    assert [t[:20] for t in _texts(sms_stack)] == ["【社保认证】您在社保登记的手机号刚被家属"]
    assert _texts(sms_stack, "13900001111") == []


def test_without_a_gateway_the_notice_waits_and_is_sent_once_one_is_set(stack):
    """No LIFECERT_SMS_URL: nothing is sent (not through WeChat either), and nothing is lost."""
    _retiree(stack)
    _claim(stack)
    _sweep_and_work(stack)
    (row,) = _rows(stack)
    assert (row.status, row.tries) == ("queued", 0)
    assert stack.call("GET", "/_fake/sms")["items"] == []


def test_the_gateway_checks_the_signature(sms_stack):
    """The fake refuses what the real gateway refuses, so the client's signing is really tested."""
    url = f"{sms_stack.fake.url}/sms/"
    good = SmsClient(SmsSettings(url=url))
    assert good.send(ROSTER_PHONE, "SMS_LC_SELF_CLAIM", {"phone": "12333"})
    with pytest.raises(SmsError) as wrong_secret:
        SmsClient(SmsSettings(url=url, access_key_secret="guessed")).send(ROSTER_PHONE, "SMS_LC_SELF_CLAIM",
                                                                          {"phone": "12333"})
    assert wrong_secret.value.code == "SignatureDoesNotMatch" and not wrong_secret.value.permanent
    with pytest.raises(SmsError) as unknown_template:
        good.send(ROSTER_PHONE, "SMS_NOT_APPROVED", {"phone": "12333"})
    assert unknown_template.value.permanent
    with pytest.raises(SmsError) as no_param:
        good.send(ROSTER_PHONE, "SMS_LC_SELF_CLAIM", {})
    assert no_param.value.code == "isv.TEMPLATE_MISSING_PARAMETERS"
    # a captured request replayed is refused (the nonce is remembered)
    captured: dict = {}

    class Capture(requests.Session):
        def post(self, url, data=None, **kw):  # type: ignore[override]
            captured.update(data)
            return super().post(url, data=data, **kw)

    SmsClient(SmsSettings(url=url), session=Capture()).send(ROSTER_PHONE, "SMS_LC_SELF_CLAIM", {"phone": "12333"})
    replay = requests.post(url, data=captured, timeout=10).json()
    assert replay["Code"] == "SignatureNonceUsed"
