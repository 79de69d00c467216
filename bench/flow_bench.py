"""Benchmark: upload complete → template message received by the fake WeChat.

    python bench/flow_bench.py [--videos 12] [--workers 2]

Builds the whole path on loopback: a redis-server, the fake WeChat, the app on a
threaded server, and N rq worker processes (SimpleWorker on the videos and
messages queues, real models). Each round uploads a fresh 5-second selfie clip
(cut from ../shared/testdata/videos/lp_d3.mp4, where the woman turns her head
left and opens her mouth, made unique per round so the replay check does not
short-circuit it), submits it, and times until the fake has recorded the
template message for that user. Prints p50 / p99 / max. Target: p50 ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SHARED = Path(os.environ.get("LIFECERT_SHARED_DIR", REPO.parent / "shared"))


def five_second_clip(src: Path, tag: int) -> bytes:
    """Seconds 7–12 of the source, re-encoded H.264; ``tag`` in a corner of the first frame makes it unique.

    The tag is written as 16 black or white 4×4 cells (one bit each). Why not one grey block of
    ``tag * 37 % 256``: neighbouring greys (39 and 40) become the same luma in yuv420p, so 8 of
    the first 140 clips came out byte-identical to earlier ones, and the service rightly refused
    them as replays in 20 ms each, which flattered any burst that received them.
    """
    import av

    out_buf = io.BytesIO()
    with av.open(str(src)) as inp, av.open(out_buf, "w", format="mp4") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream("libx264", rate=vin.average_rate or 30)
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        vout.options = {"preset": "ultrafast"}
        first = True
        for frame in inp.decode(video=0):
            t = frame.time or 0.0
            if t < 7.0:
                continue
            if t >= 12.0:
                break
            img = frame.to_ndarray(format="rgb24")
            if first:  # a corner carries the tag: the same scene, different bytes
                for bit in range(16):
                    y, x = divmod(bit, 4)
                    img[4 * y:4 * y + 4, 4 * x:4 * x + 4] = 255 if (tag >> bit) & 1 else 0
                first = False
            new = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            for packet in vout.encode(new):
                out.mux(packet)
        for packet in vout.encode():
            out.mux(packet)
    return out_buf.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import requests
    from sqlalchemy import update
    from werkzeug.serving import make_server

    import vision
    from app import create_app
    from certification.cycle import HARBIN
    from fakewechat.server import FakeWeChat, config_from_settings
    from flows import people
    from settings import load_settings
    from storage.db import upgrade
    from storage.models import Agency, Binding, BindingKind, Challenge, EnrollmentPhoto, Retiree
    from storage.personal_data import FieldCipher
    from tests.servers import free_port, start_redis

    tmp = Path(tempfile.mkdtemp(prefix="lifecert-flowbench-"))
    redis = start_redis(tmp / "redis")
    app_port = free_port()
    env = {"LIFECERT_INSTANCE_DIR": str(tmp / "instance"), "LIFECERT_REDIS_URL": redis.url,
           "LIFECERT_VISION_MODELS_DIR": str(SHARED / "models"),
           "LIFECERT_PUBLIC_BASE_URL": f"http://127.0.0.1:{app_port}"}
    base = load_settings(env)
    fake = FakeWeChat(config_from_settings(base.wechat, callback_url=f"http://127.0.0.1:{app_port}/wechat")).start()
    env["LIFECERT_WECHAT_API_BASE_URL"] = fake.url
    settings = load_settings(env)
    upgrade(settings.database_url)
    app = create_app(settings)
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    services = app.extensions["lifecert"]

    # One retiree per round (the attempt limits are per person per day), all enrolled from the same face.
    config = settings.vision_config().with_overrides(enroll_min_long_side=512, enroll_min_short_side=512)
    import av

    with av.open(str(SHARED / "testdata/videos/lp_d3.mp4")) as c:
        still = next(f for i, f in enumerate(c.decode(video=0)) if i == 30).to_image()
    jpeg = io.BytesIO()
    still.save(jpeg, "JPEG", quality=92)
    template = vision.enroll_photo(jpeg.getvalue(), config=config, models=vision.load_models(config)).template
    cipher = FieldCipher(settings.data_key, settings.index_key)
    openids = [requests.post(fake.url + "/_fake/users", timeout=10).json()["openid"] for _ in range(args.videos)]
    with services.db.session() as s:
        agency = Agency(code="bench", name="bench", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        users = []
        for i, openid in enumerate(openids):
            requests.post(f"{fake.url}/_fake/users/{openid}/subscribe", timeout=10)
            number = f"23010219400101{i:03d}"
            retiree = Retiree(agency_id=agency.id, name=f"老人{i}", id_number_enc=cipher.encrypt(number, b"id_number"),
                              id_number_index=cipher.blind_index(number, b"id_number"), id_number_masked="*",
                              birth_date=dt.date(1940, 1, 1))
            s.add(retiree)
            s.flush()
            s.add(EnrollmentPhoto(retiree_id=retiree.id, object_key="x", template=template, source="bench"))
            user = people.user_for_openid(s, oa_openid=openid)
            s.add(Binding(wechat_user_id=user.id, retiree_id=retiree.id, kind=BindingKind.self_, created_via="bench"))
            people.give_consent(s, user)
            users.append((user.id, retiree.id, openid))

    clips = [five_second_clip(SHARED / "testdata/videos/lp_d3.mp4", i + 1) for i in range(args.videos)]
    assert len({hash(c) for c in clips}) == len(clips), "clips must differ byte for byte"
    worker_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    rq = os.path.join(os.path.dirname(sys.executable), "rq")
    workers = [subprocess.Popen([rq, "worker", "--url", redis.url, "-w", "rq.worker.SimpleWorker", "videos",
                                 "messages"], cwd=REPO, env=worker_env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(args.workers)]
    from flows import certify

    latencies, verdicts = [], []
    try:
        time.sleep(3)  # workers up and idle
        # Warm-up round: each worker loads its models once (about a second) before the timed rounds.
        for i, (user_id, retiree_id, openid) in enumerate(users):
            challenge = certify.start_challenge(services, user_id, retiree_id)
            with services.db.session() as s:
                s.execute(update(Challenge).where(Challenge.id == challenge.id).values(actions=["turn_left", "open_mouth"]))
            attempt = certify.receive_upload(services, challenge.id, user_id, io.BytesIO(clips[i]), "video/mp4",
                                             len(clips[i]))
            start = time.perf_counter()
            certify.submit(services, attempt.id, user_id)
            while True:
                got = requests.get(f"{fake.url}/_fake/templates", params={"touser": openid}, timeout=10).json()
                if got["items"]:
                    break
                if time.perf_counter() - start > 60:
                    raise TimeoutError("no template message within 60 s")
                time.sleep(0.01)
            elapsed = time.perf_counter() - start
            if i >= args.workers:  # the first rounds include model loading
                latencies.append(elapsed)
            with services.db.session() as s:
                from storage.models import Attempt

                row = s.get(Attempt, attempt.id)
                verdicts.append(f"{row.status.value}{row.reasons or ''}")
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)
        server.shutdown()
        fake.stop()
        redis.stop()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
    print(f"flow: upload complete -> template message at the fake WeChat, {args.workers} workers, "
          f"{len(latencies)} timed rounds (5 s 512x512 H.264 clips)")
    print(f"  p50 {statistics.median(latencies):.2f} s   p99 {p99:.2f} s   max {latencies[-1]:.2f} s   "
          f"verdicts: {', '.join(sorted(set(verdicts)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
