"""The product as a phone meets it: the app and the fake WeChat on real ports, real workers, a
seeded retiree with a template from a real face. Shared by the end-to-end walks, the replay
attack through the API, the fault tests and the drills."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import update

from certification.cycle import HARBIN
from storage.models import (
    Agency,
    Certification,
    Challenge,
    EnrollmentPhoto,
    Retiree,
)
from storage.personal_data import FieldCipher
from tests.integration.flows.conftest import make_id
from tests.integration.wechat.conftest import build_stack

VIDEO = "testdata/videos/lp_d3.mp4"  # turns her head left (8–10 s), then opens her mouth (10–12 s)
SHOWN_ACTIONS = ["turn_left", "open_mouth"]


@pytest.fixture(scope="module")
def enrolled_template(shared_dir):
    """An 'agency photo' of the woman in the video: a still from its first second, enrolled through vision."""
    import av

    import vision

    with av.open(str(shared_dir / VIDEO)) as container:
        frame = next(f for i, f in enumerate(container.decode(video=0)) if i == 30)
    buf = io.BytesIO()
    frame.to_image().save(buf, "JPEG", quality=92)
    config = vision.VisionConfig(models_dir=shared_dir / "models").with_overrides(
        enroll_min_long_side=512, enroll_min_short_side=512)
    result = vision.enroll_photo(buf.getvalue(), config=config, models=vision.load_models(config))
    assert result.ok, result.reasons
    return result.template


@pytest.fixture
def stack(tmp_path, redis_url, shared_dir, monkeypatch):
    import flows.outbox

    monkeypatch.setattr(flows.outbox, "BACKOFF_S", (0, 0, 0, 0))
    s, stops = build_stack(tmp_path, redis_url, VISION_MODELS_DIR=str(shared_dir / "models"))
    yield s
    for stop in stops:
        stop()


def seed_retiree(stack, template: bytes) -> tuple[int, str]:
    settings = stack.services.settings
    cipher = FieldCipher(settings.data_key, settings.index_key)
    number = make_id("230102", "19420508", "226")
    with stack.services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        retiree = Retiree(agency_id=agency.id, name="刘淑珍", id_number_enc=cipher.encrypt(number, b"id_number"),
                          id_number_index=cipher.blind_index(number, b"id_number"),
                          id_number_masked=number[:4] + "*" * 10 + number[-4:], birth_date=dt.date(1942, 5, 8))
        s.add(retiree)
        s.flush()
        s.add(EnrollmentPhoto(retiree_id=retiree.id, object_key="photos/test.jpg", template=template,
                              template_model="dlib_resnet_v1", source="test"))
        s.add(Certification(retiree_id=retiree.id, method="on_site", certified_on=dt.date(2025, 5, 20)))
        return retiree.id, number


def open_certify_page(stack, openid: str) -> requests.Session:
    """Click 资格认证 in the fake WeChat and follow the OAuth redirects into our page."""
    from wechat.menu import build_menu

    menu = build_menu(stack.services.settings.wechat)
    url = menu["button"][0]["sub_button"][0]["url"]
    opened = stack.call("POST", f"/_fake/users/{openid}/view", url=url, name="资格认证")
    browser = requests.Session()
    page = browser.get(opened["open_url"], timeout=30)
    assert page.status_code == 200 and urlsplit(page.url).path == "/h5/certify", page.url
    return browser


def run_workers(stack) -> None:
    from rq import Queue, SimpleWorker

    from jobs.context import use_services

    use_services(stack.services)
    queues = [Queue(n, connection=stack.services.redis) for n in ("videos", "messages")]
    SimpleWorker(queues, connection=stack.services.redis).work(burst=True)


def certify_with_video(stack, browser, retiree_id: int, video: bytes) -> dict:
    api = stack.app_url
    challenge = browser.post(f"{api}/api/challenges", json={"retiree_id": retiree_id}, timeout=30)
    assert challenge.status_code == 201, challenge.text
    body = challenge.json()
    # The server drew a random order; this recording shows one particular order, so the
    # test makes the server have asked for exactly that (a real user follows the prompts).
    with stack.services.db.session() as s:
        # (the order-only path: the unsimulated clip cannot answer a light sequence; the
        # bound challenge end to end is tests/integration/flows/test_bound_challenge.py)
        s.execute(update(Challenge).where(Challenge.id == body["challenge_id"]).values(actions=SHOWN_ACTIONS,
                                                                                         timeline=None))
    up = browser.put(api + body["upload_url"], data=video, headers={"Content-Type": "video/mp4"}, timeout=60)
    assert up.status_code == 201, up.text
    sub = browser.post(f"{api}/api/attempts/{up.json()['attempt_id']}/submit", timeout=30)
    assert sub.status_code == 202
    run_workers(stack)
    return browser.get(f"{api}/api/attempts/{up.json()['attempt_id']}", timeout=30).json()


def templates_for(stack, openid: str) -> list[dict]:
    return stack.call("GET", f"/_fake/users/{openid}/chat")["items"]
