"""Issue 11: every H5 page in headless Chromium, as each kind of user.

The retiree herself (confirmed), a family member (by QR), someone whose "self" claim is not yet
proven, and a WeChat user not linked to anyone. Each logs in through the fake WeChat's OAuth (the
random state round trip included), opens every page, and sees what they may — and nothing more.
The pages run under the CSP without inline script: the recording page's script must still start.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from certification.cycle import HARBIN
from flows import people
from flows.people import CONSENT_VERSION
from storage.models import Agency, Binding, BindingKind, Certification, Consent, EnrollmentPhoto, Retiree
from storage.personal_data import FieldCipher
from tests.integration.flows.conftest import make_id
from tests.integration.wechat.conftest import build_stack
from wechat.oauth import authorize_url
from wording import zh


@pytest.fixture
def stack(tmp_path, redis_url):
    s, stops = build_stack(tmp_path, redis_url)
    yield s
    for stop in stops:
        stop()


def _seed(stack) -> tuple[int, dict[str, str]]:
    settings = stack.services.settings
    cipher = FieldCipher(settings.data_key, settings.index_key)
    number = make_id("230102", "19420508", "226")
    openids = {kind: stack.new_user() for kind in ("self", "family", "pending", "unlinked")}
    with stack.services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        r = Retiree(agency_id=agency.id, name="刘淑珍", id_number_enc=cipher.encrypt(number, b"id_number"),
                    id_number_index=cipher.blind_index(number, b"id_number"), id_number_masked=number[:4] + "*" * 10 + number[-4:],
                    birth_date=dt.date(1942, 5, 8), phone_enc=cipher.encrypt("13812345678", b"phone"),
                    phone_masked="138****5678")
        s.add(r)
        s.flush()
        s.add(EnrollmentPhoto(retiree_id=r.id, object_key="photos/t.jpg", template=b"\0" * 512, source="test"))
        s.add(Certification(retiree_id=r.id, method="on_site", certified_on=dt.date(2025, 5, 20)))
        users = {}
        for kind, openid in openids.items():
            u = people.user_for_openid(s, oa_openid=openid)  # the subscribe event created it
            users[kind] = u.id
            if kind != "unlinked":
                s.add(Consent(wechat_user_id=u.id, retiree_id=r.id, text_version=CONSENT_VERSION))
        s.add(Binding(wechat_user_id=users["self"], retiree_id=r.id, kind=BindingKind.self_, created_via="test"))
        s.add(Binding(wechat_user_id=users["family"], retiree_id=r.id, kind=BindingKind.family, created_via="qr_code"))
        s.add(Binding(wechat_user_id=users["pending"], retiree_id=r.id, kind=BindingKind.self_, created_via="name_id",
                      confirmed_at=None))
        s.flush()
        s.query(Binding).filter_by(wechat_user_id=users["pending"]).update({"confirmed_at": None})
        return r.id, openids


def _login(stack, browser, openid: str) -> None:
    link = authorize_url(stack.services.settings.wechat, "/h5/certify", state="menu")
    opened = stack.call("POST", f"/_fake/users/{openid}/view", url=link, name="资格认证")
    browser.open(opened["open_url"])
    browser.wait_for_text("养老金资格认证")
    assert browser.url().startswith(stack.app_url + "/h5/certify"), browser.url()


def test_every_page_as_each_kind_of_user(stack):
    from tests.webdriver import Browser

    rid, openids = _seed(stack)
    pages = {
        "/h5/certify": {"self": ["刘淑珍", "开始认证"], "family": ["刘淑珍（代认证）"],
                        "pending": [zh.SELF_PENDING_TEXT], "unlinked": ["第一次使用"]},
        "/h5/records": {"self": ["现场认证"], "family": ["现场认证"], "pending": [],
                        "unlinked": []},
        "/h5/family": {"self": ["刘淑珍"], "family": ["刘淑珍"], "pending": [], "unlinked": []},
        "/h5/contact": {"self": ["138****5678"], "family": ["138****5678"], "pending": [], "unlinked": []},
        f"/h5/record/{rid}": {"self": ["为 刘淑珍 认证"], "family": ["为 刘淑珍 认证"], "pending": ["为 刘淑珍 认证"],
                              "unlinked": [zh.REFUSALS["not_bound"]]},
        f"/h5/family/qr/{rid}": {"self": ["家属二维码"], "family": [zh.PAGE_QR_REFUSED[1]],
                                 "pending": [zh.PAGE_QR_REFUSED[1]], "unlinked": [zh.PAGE_QR_REFUSED[1]]},
    }
    # what an unproven claimant must never see of the record
    hidden_from_pending = ["138****5678", "今年已认证", "待认证", "已逾期", "2025年5月20日", "现场认证"]
    for kind, openid in openids.items():
        browser = Browser(extra_args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"])
        try:
            _login(stack, browser, openid)
            for path, expected in pages.items():
                browser.open(stack.app_url + path)
                body = browser.text()
                assert "Internal Server Error" not in body and body.strip(), (kind, path)
                for needle in expected[kind]:
                    assert needle in body, (kind, path, body[:300])
                if kind == "pending" and not path.startswith("/h5/record/"):
                    assert not [w for w in hidden_from_pending if w in body], (path, body[:300])
                assert browser.script("return document.querySelectorAll('script:not([src])').length") == 0
                if path.startswith("/h5/record/") and kind != "unlinked":
                    deadline = time.monotonic() + 10
                    while not browser.script("return !!document.getElementById('preview').srcObject"):
                        assert time.monotonic() < deadline, f"the recording script did not start for {kind}"
                        time.sleep(0.2)
        finally:
            browser.quit()
