"""Headless Chromium drives the console as an agency admin would: log in, import a roster and a photo ZIP,
watch the dashboard, approve a review, send a reminder campaign and read each recipient's result.

The app runs in a thread; rq jobs run in this (main) thread with a burst worker while the page polls.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from rq import SimpleWorker
from sqlalchemy import select
from werkzeug.serving import make_server

from flows import clock
from jobs.console import use_services
from storage.models import (
    Attempt,
    AttemptStatus,
    Binding,
    BindingKind,
    Certification,
    Retiree,
    WeChatUser,
)
from storage.queues import DEFAULT, queue
from tests.integration.console.conftest import PASSWORD, make_id
from tests.integration.console.test_imports import fake_enroll, gbk_zip
from tests.servers import free_port

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def served(app, world, monkeypatch):
    import flows.photos

    monkeypatch.setattr(flows.photos, "enroll", lambda services, data: fake_enroll(data))
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    use_services(world.services)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def browser():
    from tests.webdriver import Browser

    b = Browser()
    yield b
    b.quit()


def run_jobs(world) -> None:
    SimpleWorker([queue(world.services, DEFAULT)], connection=world.services.redis).work(burst=True)


def login(browser, base, password=PASSWORD):
    browser.open(base + "/console/login")
    browser.type("#username", "admin1")
    browser.type("#password", password)
    browser.click("#login-button")


def test_admin_day_in_the_browser(served, browser, world, tmp_path):
    base = served
    login(browser, base, "wrong password")
    assert "用户名或密码不对" in browser.text("#login-error")
    login(browser, base)
    browser.wait_for_text("本周期")
    browser.screenshot(ARTIFACTS / "console-dashboard-empty.png")

    # roster: birthdays this month, so all are due this month
    month = clock.local_today().month
    people = [(f"老{'甲乙丙丁'[i]}", make_id("230102", f"1950{month:02d}{i + 1:02d}", f"{i:03d}")) for i in range(4)]
    roster = tmp_path / "名单.csv"
    roster.write_text("姓名,身份证号,所属区域\n" + "".join(f"{n},{i},南岗区\n" for n, i in people)
                      + "坏人,123,南岗区\n", encoding="gbk")
    browser.open(base + "/console/imports")
    browser.type("#roster-file", str(roster))
    browser.click("#roster-submit")
    browser.wait_for_text("正在导入", "#status-text")  # the progress page, polling
    browser.wait_for_text("已完成", "#status-text", tick=lambda: run_jobs(world))
    assert "新增 4 人" in browser.text("#status-text") and "第 6 行" in browser.text("#reject-table")

    # photos: a GBK-named ZIP; one too dark
    zip_path = tmp_path / "照片.zip"
    zip_path.write_bytes(gbk_zip({f"{n}{i}.jpg": (b"dark" if k == 3 else _tiny_jpeg((120, 150, 200))) for k, (n, i) in
                                  enumerate(people)}))
    browser.open(base + "/console/imports")
    browser.type("#photos-file", str(zip_path))
    browser.click("#photos-submit")
    browser.wait_for_text("成功登记 3 张", "#status-text", tick=lambda: run_jobs(world))
    assert "照片太暗" in browser.text("#reject-table")
    browser.screenshot(ARTIFACTS / "console-photo-import.png")

    # bind two of them to WeChat, and put one attempt in review
    with world.services.db.session() as s:
        ids = {r.name: r.id for r in s.scalars(select(Retiree))}
        for n in ("老甲", "老乙"):
            user = WeChatUser(oa_openid=f"oid-{n}", subscribed=True)
            s.add(user)
            s.flush()
            s.add(Binding(wechat_user_id=user.id, retiree_id=ids[n], kind=BindingKind.self_, created_via="name_id"))
        attempt = Attempt(retiree_id=ids["老甲"], wechat_user_id=user.id - 1, status=AttemptStatus.review,
                          verdict="review", scores={"match_distance": 0.58, "actions": {"blink": []}}, reasons=["not_same_person"],
                          best_frame_key="frames/review.jpg")
        s.add(attempt)
        s.flush()
        attempt_id = attempt.id
    world.services.objects.put_bytes("frames/review.jpg", _tiny_jpeg(), "image/jpeg")

    browser.open(base + "/console/")
    assert browser.text("#n-due") == "4"
    assert browser.exists("svg rect")
    browser.screenshot(ARTIFACTS / "console-dashboard.png")

    # review: see both pictures, approve
    browser.open(base + "/console/review")
    browser.click(f'a[data-attempt="{attempt_id}"]')
    browser.find("#best-frame")
    assert browser.script("return document.getElementById('best-frame').naturalWidth") > 0
    assert browser.script("return document.getElementById('enrolled-photo').naturalWidth") > 0
    assert "dlib比对距离" in browser.text()
    browser.screenshot(ARTIFACTS / "console-review.png")
    browser.click("#approve-button")
    browser.wait_for_text("已通过")
    with world.services.db.session() as s:
        assert s.scalar(select(Certification.method).where(Certification.retiree_id == ids["老甲"])).value == "manual_review"
        assert s.get(Attempt, attempt_id).status == AttemptStatus.passed

    # broadcast: preview the due-this-month segment, send, read per-recipient results
    browser.open(base + "/console/campaigns")
    browser.click('input[value="due_month"]')
    browser.click("#preview-button")
    assert browser.text("#preview-total") == "3"  # 老甲 is certified now
    assert browser.text("#preview-reachable") == "1"
    browser.click("#send-button")
    browser.find("#campaign-status")
    browser.wait_for_text("已完成", "#campaign-status", tick=lambda: run_jobs(world))
    browser.open(browser.url())
    results = browser.text("#recipient-table")
    assert "已发送" in results and "未发送（没有绑定微信）" in results
    browser.screenshot(ARTIFACTS / "console-campaign.png")


def _tiny_jpeg(colour=(200, 170, 150)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "JPEG")
    return out.getvalue()
