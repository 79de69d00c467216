"""The retiree's H5 pages walked in headless Chromium at 390 px, as an 85-year-old's phone shows them.

Each walk asserts on what the user reads, saves a screenshot under test-artifacts/, and runs
axe-core (npm, injected through WebDriver) on the page: no serious or critical violations,
body text at least 18 px, touch targets at least 44 px.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from storage.models import Agency, Attempt, AttemptStatus, Challenge
from tests.conftest import REPO
from tests.servers import free_port

ARTIFACTS = REPO / "test-artifacts"
WIDTH, HEIGHT = 390, 844
NOW = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc)

MEASURE = """
const small = [], tiny = [];
const visible = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
for (const el of document.body.querySelectorAll('*')) {
  if (!visible(el)) continue;
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (own && parseFloat(getComputedStyle(el).fontSize) < 18) small.push(el.tagName + ':' + el.textContent.trim().slice(0, 20));
  if (el.matches('a[href], button, input:not([type=hidden]), select, textarea')) {
    const r = el.getBoundingClientRect();
    if (r.height < 44 || r.width < 44) tiny.push(el.tagName + ':' + (el.textContent || el.name).trim().slice(0, 20) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
}
return {small, tiny, width: window.innerWidth, scroll: document.documentElement.scrollWidth};
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    path = Path(os.environ.get("LIFECERT_AXE_JS", Path.home() / ".cache/lifecert/axe-core-4.10.3/node_modules/axe-core/axe.min.js"))
    if not path.is_file():
        raise RuntimeError(f"axe-core is missing at {path}: run ./scripts/test.sh (it installs it from npm)")
    return path.read_text()


@pytest.fixture
def site(world):
    with world.services.db.session() as s:
        agency = s.get(Agency, world.agency_id)
        agency.settings = {**(agency.settings or {}), "phone": "0451-12333"}
    app = create_app(world.services.settings, world.services)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def browser():
    from tests.webdriver import Browser

    b = Browser()
    b.set_size(WIDTH, HEIGHT)
    yield b
    b.quit()


def as_user(browser, site, user_id: int) -> None:
    app, base = site
    browser.open(base + "/healthz")
    cookie = app.session_interface.get_signing_serializer(app).dumps({"wx_user_id": user_id, "wx_ver": 0})
    browser.add_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie)


def check_page(browser, axe_source: str, name: str) -> str:
    """Screenshot, axe-core, text size and touch targets of the page now shown; returns its text."""
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / f"h5-{name}-390.png")
    browser.script(axe_source + "\nreturn true;")
    result = browser.script_async(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)]}]));")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
    sizes = browser.script(MEASURE)
    assert sizes["width"] == WIDTH, sizes["width"]
    assert sizes["scroll"] <= WIDTH, f"{name}: the page scrolls sideways ({sizes['scroll']} px)"
    assert not sizes["small"], f"{name}: text under 18 px: {sizes['small']}"
    assert not sizes["tiny"], f"{name}: touch targets under 44 px: {sizes['tiny']}"
    return browser.text()


def _attempt(world, status, reasons=(), advice=()) -> str:
    with world.services.db.session() as s:
        ch = Challenge(retiree_id=world.retiree_id, wechat_user_id=world.self_user_id, actions=["blink"], nonce="n",
                       created_at=NOW, expires_at=NOW + dt.timedelta(minutes=5))
        s.add(ch)
        s.flush()
        a = Attempt(retiree_id=world.retiree_id, wechat_user_id=world.self_user_id, challenge_id=ch.id,
                    status=status, reasons=list(reasons), advice=list(advice), created_at=NOW)
        s.add(a)
        s.flush()
        return a.id


def test_walk_home_result_records_and_review(world, site, browser, axe_source):
    _app, base = site
    as_user(browser, site, world.self_user_id)
    browser.open(base + "/h5/certify")
    text = check_page(browser, axe_source, "home-due")
    assert "张桂兰" in text and "待认证（截止" in text and "开始认证" in text

    attempt_id = _attempt(world, AttemptStatus.failed, ["too_dark", "spoof_suspected"],
                          ["more_light", "remove_glasses_hat", "go_offline", "try_again"])
    browser.open(base + f"/h5/result/{attempt_id}")
    text = check_page(browser, axe_source, "result-failed")
    assert "这次没有通过" in text and "光线太暗，看不清脸" in text and "请到亮一点的地方再试一次" in text
    assert "再试一次" in text and "打电话给社保" in text and "预约上门" in text and "不是本人" not in text

    browser.open(base + "/h5/records")
    text = check_page(browser, axe_source, "records")
    assert "现场认证（工作人员）" in text

    _attempt(world, AttemptStatus.review, ["repeated_failures"])
    browser.open(base + "/h5/certify")
    text = check_page(browser, axe_source, "home-review")
    assert "审核中（预计3个工作日内有结果）" in text and "开始认证" not in text


def test_walk_first_use_typo_keeps_the_form(world, site, browser, axe_source):
    _app, base = site
    as_user(browser, site, world.add_user("o_first_time"))
    browser.open(base + "/h5/certify")
    text = check_page(browser, axe_source, "first-use")
    assert "第一次使用" in text
    typed = world.zhang_id_number[:10] + "13" + world.zhang_id_number[12:]
    browser.type("#name", "张桂兰")
    browser.type("#id_number", typed)
    browser.click("form[action='/h5/link'] button")
    browser.wait_for_text("出生日期")
    text = check_page(browser, axe_source, "first-use-typo")
    assert "红色的字请对照身份证核对" in text
    assert browser.script("return document.getElementById('id_number').value") == typed
    assert browser.script("return document.getElementById('name').value") == "张桂兰"
    assert browser.script("return [...document.querySelectorAll('.id-check .wrong')].map(e => e.textContent)") == ["1", "3"]


def test_walk_camera_denied_and_errors(world, site, browser, axe_source):
    _app, base = site
    as_user(browser, site, world.self_user_id)
    # no camera in this browser: the recording page sends the user to the help page
    browser.open(base + f"/h5/record/{world.retiree_id}")
    text = browser.wait_for_text("需要打开摄像头")
    text = check_page(browser, axe_source, "camera-help")
    assert "微信" in text and "打电话给社保" in text and "预约上门" in text and "再试一次" in text
    browser.open(base + "/h5/no-such-page")
    text = check_page(browser, axe_source, "not-found")
    assert "没有找到这个页面" in text and "返回首页" in text
