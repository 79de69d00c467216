"""The recording page in headless Chromium with a fake camera fed by a real video.

The browser logs in through the fake WeChat's OAuth, records with MediaRecorder,
uploads, and shows the result in big words while the fake WeChat shows the
template message. A screenshot is saved under test-artifacts/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Attempt, Binding, BindingKind
from tests.conftest import REPO
from tests.phone_stack import (  # noqa: F401 - fixtures
    SHOWN_ACTIONS,
    VIDEO,
    enrolled_template,
    run_workers,
    seed_retiree,
    stack,
)

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def camera_y4m(shared_dir, tmp_path_factory) -> Path:
    """Seconds 7–12 of the test video as a Y4M file, which Chromium's fake camera plays in a loop."""
    import av

    out_path = tmp_path_factory.mktemp("camera") / "selfie.y4m"
    with av.open(str(shared_dir / VIDEO)) as inp, av.open(str(out_path), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=30)
        stream.width, stream.height, stream.pix_fmt = 512, 512, "yuv420p"
        for frame in inp.decode(video=0):
            if (frame.time or 0) < 7.0:
                continue
            if frame.time >= 12.0:
                break
            frame.pts = None
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return out_path


class AskedOrder:
    """The challenge's random source, pinned to the order the fake camera's video shows."""

    def randint(self, a: int, b: int) -> int:
        return len(SHOWN_ACTIONS)

    def sample(self, population, k: int) -> list[str]:
        return list(SHOWN_ACTIONS)


def test_record_upload_and_see_the_result(stack, enrolled_template, camera_y4m, monkeypatch):
    from flows import certify
    from tests.webdriver import Browser

    monkeypatch.setattr(certify.random, "SystemRandom", AskedOrder)
    retiree_id, _ = seed_retiree(stack, enrolled_template)
    openid = stack.new_user()
    from flows import people

    with stack.services.db.session() as s:
        user = people.user_for_openid(s, oa_openid=openid)
        s.add(Binding(wechat_user_id=user.id, retiree_id=retiree_id, kind=BindingKind.self_, created_via="test"))
        people.give_consent(s, user)

    browser = Browser(extra_args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                                  f"--use-file-for-fake-video-capture={camera_y4m}",
                                  "--autoplay-policy=no-user-gesture-required"])
    try:
        from wechat.oauth import authorize_url

        link = authorize_url(stack.services.settings.wechat, f"/h5/record/{retiree_id}", state="menu")
        opened = stack.call("POST", f"/_fake/users/{openid}/view", url=link, name="资格认证")
        browser.open(opened["open_url"])
        browser.wait_for_text("为 刘淑珍 认证")
        time.sleep(1.5)  # the camera preview starts
        browser.click("#start")
        deadline = time.monotonic() + 60
        attempt = None
        while attempt is None or attempt.status.value == "created":
            assert time.monotonic() < deadline, browser.text("#prompt")
            time.sleep(0.5)
            with stack.services.db.session() as s:
                attempt = s.scalars(select(Attempt).where(Attempt.retiree_id == retiree_id)).first()
        assert attempt.video_key.endswith((".webm", ".mp4"))
        run_workers(stack)
        deadline = time.monotonic() + 30
        while not (headline := browser.text("#headline")):
            assert time.monotonic() < deadline, browser.text("#prompt")
            time.sleep(0.3)
        ARTIFACTS.mkdir(exist_ok=True)
        browser.screenshot(ARTIFACTS / "h5-certify-result.png")
    finally:
        browser.quit()
    with stack.services.db.session() as s:
        attempt = s.get(Attempt, attempt.id)
    assert attempt.status.value in ("passed", "failed", "review"), attempt.reasons
    assert "video_unusable" not in attempt.reasons, "MediaRecorder's recording must be readable by vision"
    expected = {"passed": "认证通过", "failed": "这次没有通过", "review": "已转人工审核"}[attempt.status.value]
    assert headline == expected, headline
    chat = stack.call("GET", f"/_fake/users/{openid}/chat")["items"]
    said = {"passed": "认证通过", "failed": "未通过", "review": "人工审核中"}[attempt.status.value]
    assert any(said in str(i) for i in chat)
