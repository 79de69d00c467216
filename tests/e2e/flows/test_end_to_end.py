"""Issue 6 as people meet it: through the fake WeChat, the H5 pages, the queue and the real models.

A retiree subscribes, opens 资格认证 from the menu (OAuth), binds by name and ID
number, consents, records with a real video, and receives the template message.
Then a family member scans the retiree's QR code and certifies for them.
"""

from __future__ import annotations

import requests
from sqlalchemy import select

from storage.models import Certification, Notification
from tests.phone_stack import (  # noqa: F401 - fixtures
    VIDEO,
    certify_with_video,
    enrolled_template,
    open_certify_page,
    run_workers,
    seed_retiree,
    stack,
    templates_for,
)


def test_retiree_binds_certifies_and_family_certifies_by_qr(stack, enrolled_template, shared_dir):
    retiree_id, number = seed_retiree(stack, enrolled_template)
    video = (shared_dir / VIDEO).read_bytes()

    # --- the retiree herself -------------------------------------------------------------------
    openid = stack.new_user()
    browser = open_certify_page(stack, openid)
    assert "第一次使用" in browser.get(stack.app_url + "/h5/certify").text
    wrong = browser.post(stack.app_url + "/h5/link", data={"name": "刘淑珍", "id_number": number[:-1] + "0"})
    assert wrong.status_code == 400 and number not in wrong.text
    linked = browser.post(stack.app_url + "/h5/link", data={"name": "刘淑珍", "id_number": number.lower()})
    assert linked.status_code == 200 and "刘淑珍" in linked.text and "人脸信息使用说明" in linked.text
    refused = browser.post(stack.app_url + "/api/challenges", json={"retiree_id": retiree_id})
    assert refused.status_code == 409 and refused.json()["error"] == "no_consent"
    browser.post(stack.app_url + "/h5/consent")
    assert "开始认证" in browser.get(stack.app_url + "/h5/certify").text

    result = certify_with_video(stack, browser, retiree_id, video)
    assert result["status"] == "passed", result
    assert result["headline"] == "认证通过"
    chat = templates_for(stack, openid)
    assert any("认证通过" in str(i) for i in chat), chat[-3:]
    assert "已认证（有效至" in browser.get(stack.app_url + "/h5/certify").text  # issue 12: one clear status
    assert "刷脸认证" in browser.get(stack.app_url + "/h5/records").text

    # --- her son, on his own phone ---------------------------------------------------------------
    qr_page = browser.get(stack.app_url + f"/h5/family/qr/{retiree_id}")
    assert qr_page.status_code == 200 and "家属二维码" in qr_page.text
    ticket = next(t for t, q in stack.fake.state.qrcodes.items() if q["scene"].startswith("bind:"))
    son = stack.new_user()
    scanned = stack.call("POST", f"/_fake/users/{son}/scan", ticket=ticket)
    assert "绑定成功" in stack.last_bot_text(son), scanned
    run_workers(stack)  # the "a family member was bound to you" message to the retiree
    assert any("家属" in str(i) or "一位家人" in str(i) for i in templates_for(stack, openid))
    other = stack.new_user()
    stack.call("POST", f"/_fake/users/{other}/scan", ticket=ticket)
    assert "失效" in stack.last_bot_text(other)  # single use

    son_browser = open_certify_page(stack, son)
    son_browser.post(stack.app_url + "/h5/consent")
    home = son_browser.get(stack.app_url + "/h5/certify").text
    assert "刘淑珍（代认证）" in home
    second = certify_with_video(stack, son_browser, retiree_id, video)
    assert second["status"] == "failed" and "这段视频已经用过了" in second["detail"]  # a replayed recording
    with stack.services.db.session() as s:
        certs = s.scalars(select(Certification).where(Certification.retiree_id == retiree_id,
                                                      Certification.method == "face")).all()
        assert len(certs) == 1
        sent = s.scalars(select(Notification).where(Notification.openid == son)).all()
        assert len(sent) == 1 and sent[0].status in ("sent", "delivered")  # WeChat reports delivery later


def test_mini_program_login_gives_a_token_for_the_api(stack):
    openid = stack.new_user()
    code = stack.call("POST", "/_fake/jscode", openid=openid)["code"]
    login = requests.post(stack.app_url + "/api/mp/login", json={"code": code}, timeout=30)
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    people = requests.get(stack.app_url + "/api/people", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert people.status_code == 200 and people.json() == {"people": [], "consented": False}
    again = requests.post(stack.app_url + "/api/mp/login", json={"code": code}, timeout=30)
    assert again.status_code == 401  # a code works once
    forged = requests.get(stack.app_url + "/api/people", headers={"Authorization": "Bearer " + token[:-2] + "xx"})
    assert forged.status_code == 401
