"""Benchmark: certifications per minute with 1 and 2 worker processes, and upload → message latency.

    python bench/ops_bench.py [--burst 16] [--repeats 3] [--rate 1.0] [--seconds 40] [--clips]

Runs the production-shaped stack of the drills (tests/e2e/drills/stack.py): PostgreSQL,
Redis, SeaweedFS S3, the fake WeChat, and under supervisord gunicorn, rq workers, the
scheduler and rq cron; real face videos through the HTTP API and the real models: the whole
11.8 s recording ``../shared/testdata/videos/lp_d3.mp4`` made unique per upload, or with
``--clips`` its 5-second clips as in bench/flow_bench.py.

Why the whole recording by default: a product recording of 2-3 actions is 15-20 s
(vision/timeline.py: 1.5 s lead-in, per action the spoken prompt and a 4 s window, 1.5 s
tail), so 11.8 s is still the short side of it. On 5-second clips the per-certification
work outside the workers (web, PostgreSQL, Redis, S3, the fake WeChat: ~0.04 CPU-s, fixed
per certification) is 8 % of the worker's, and on this 2-core box it runs on the cores the
second worker needs, which caps the measured scaling near 90 % (README); that is a
property of the box, not of the workers. Both figures are in README.

1. Throughput: ``--burst`` certifications uploaded, then submitted together, with 1 worker process and
   with 2; certifications per minute from the first submit to the last verdict,
   and the scaling efficiency (rate with 2 / (2 × rate with 1)). Each burst is run
   ``--repeats`` times and the median rate counts: one 16-job burst on this shared 2-core box
   varies by ±20 % from run to run (9.9–14.0 s for the same 16 with 1 worker), so a single
   pair of bursts can read anywhere from 83 % to 106 %. The 1- and 2-worker bursts
   alternate (1, 2, 1, 2, …): run as all 1-worker bursts and then all 2-worker ones, a
   slow spell of the box fell on one phase only (the worker's CPU per certification moved
   by 20 % between phases, in either direction from run to run). Each burst prints the
   CPU time the hypervisor gave to other guests (steal), the box's share of it.
2. Latency at a steady arrival rate: one certification every 1/``--rate`` s for
   ``--seconds``, 2 workers; each from the upload's 201 to the template message's
   arrival at the fake WeChat; p50 / p99 / max. Target p99 ≤ 5 s at 1 per second.

Printed figures, not a test. The machine is shared: the load average is printed too.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("LIFECERT_SHARED_DIR", REPO.parent / "shared"))
VIDEO = "testdata/videos/lp_d3.mp4"


def enrolled_template() -> bytes:
    import av

    import vision

    with av.open(str(SHARED / VIDEO)) as container:
        frame = next(f for i, f in enumerate(container.decode(video=0)) if i == 30)
    buf = io.BytesIO()
    frame.to_image().save(buf, "JPEG", quality=92)
    config = vision.VisionConfig(models_dir=SHARED / "models").with_overrides(
        enroll_min_long_side=512, enroll_min_short_side=512)
    result = vision.enroll_photo(buf.getvalue(), config=config, models=vision.load_models(config))
    assert result.ok, result.reasons
    return result.template


#: Process kinds by command line, for the CPU split of a burst (first match wins).
KINDS = (("rq worker", "worker"), ("rq cron", "cron"), ("jobs.scheduler", "scheduler"), ("gunicorn", "web"),
         ("postgres", "postgresql"), ("redis-server", "redis"), ("weed", "s3"), ("supervisord", "supervisor"),
         ("ops_bench", "bench + fake WeChat"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds used so far by every process on the box, summed per kind (from /proc)."""
    out: dict[str, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = next((k for pat, k in KINDS if pat in cmd), "other")
        out[kind] = out.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / TICK
    return out


def steal_and_total() -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs so far, from the first line of /proc/stat."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (f[7] if len(f) > 7 else 0), sum(f[:8])


def burst(stack, n: int) -> float:
    """Certifications per minute for ``n`` queued together: every phone uploads first (no job
    yet), then all submit at once and the clock runs from the first submit to the last verdict.

    Why not ``rq suspend`` / ``rq resume`` around the submits (as before 2026-12-04): a worker
    blocked waiting for a job still takes the first one queued after the suspension, and a
    suspended worker looks for the resumption once a second, so each burst began with a
    random 0-1 s per worker and one job already done: noise of the size of the effect measured.
    Idle workers here wait in a blocking pop and start on the first submit at once.
    """
    people = stack.add_people(n)
    uploads = []
    for p in people:
        up = stack.upload(p)
        assert up.status_code == 201, up.text
        uploads.append((p, up.json()["attempt_id"]))
    time.sleep(1)  # the uploads' own work (the web process, S3) is over before the clock starts
    start, cpu0, st0 = time.monotonic(), cpu_by_kind(), steal_and_total()
    for p, attempt_id in uploads:
        sub = stack.submit(p, attempt_id)
        assert sub.status_code == 202, sub.text
    ids = [a for _, a in uploads]
    stack.wait_finished(ids, timeout=900)
    took, cpu1, st1 = time.monotonic() - start, cpu_by_kind(), steal_and_total()
    steal = (st1[0] - st0[0]) / max(1, st1[1] - st0[1]) * 100
    statuses = stack.attempt_statuses(ids)
    passed = sum(1 for s in statuses.values() if s == "passed")
    used = {k: cpu1.get(k, 0.0) - cpu0.get(k, 0.0) for k in cpu1}
    split = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v / n >= 0.01)
    print(f"  {n} certifications ({passed} passed) in {took:.1f} s; CPU-s per certification: {split}; "
          f"box busy {sum(used.values()) / took / (os.cpu_count() or 1) * 100:.0f} %, steal {steal:.1f} %", flush=True)
    return n / took * 60


def steady(stack, rate: float, seconds: float) -> list[float]:
    """Upload → template message latency at ``rate`` certifications per second."""
    n = max(1, int(rate * seconds))
    people = stack.add_people(n)
    uploaded: dict[str, float] = {}
    threads = []

    def phone(p):
        up = stack.upload(p)
        uploaded[p[2]] = time.time()
        stack.submit(p, up.json()["attempt_id"])

    t0 = time.monotonic()
    for i, p in enumerate(people):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=phone, args=(p,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    deadline = time.monotonic() + 300
    openids = {p[2] for p in people}
    while True:
        with stack.fake.state.lock:
            first = {}
            for rec in stack.fake.state.templates:
                if rec["touser"] in openids:
                    first.setdefault(rec["touser"], rec["at"])
        if len(first) == n or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return sorted(first[o] - uploaded[o] for o in first)


#: Certifications run after worker-1 is started again, before the 2-worker burst.
WARM_AFTER_RESTART = 4


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="bursts per worker count; the median rate counts")
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--clips", action="store_true", help="5-second clips instead of the whole 11.8 s recording")
    args = parser.parse_args()

    from tests.e2e.drills import stack as drill_stack

    template = enrolled_template()
    tmp = Path(tempfile.mkdtemp(prefix="lifecert-ops-bench-"))
    stack = drill_stack.build(tmp, SHARED, template, VIDEO, workers=2)
    if args.clips:  # the 5-second clips of bench/flow_bench.py, unique per upload
        from bench.flow_bench import five_second_clip

        # encoded before the clock starts, so the phones' side costs no worker CPU during the runs
        total = 2 + args.repeats * (WARM_AFTER_RESTART + 2 * args.burst) + max(1, int(args.rate * args.seconds))
        clips = iter([five_second_clip(SHARED / VIDEO, i) for i in range(total)])
        stack.make_video = lambda: next(clips)
    try:
        print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
        warm = stack.add_people(2)
        stack.wait_finished([stack.certify(p) for p in warm], timeout=300)  # both workers load the models
        ones: list[float] = []
        twos: list[float] = []
        for r in range(args.repeats):  # alternating, so a slow spell of the box hits both
            print(f"throughput, 1 worker process ({r + 1}/{args.repeats}):", flush=True)
            stack.supervisor.ctl("stop", "worker:worker-1")
            ones.append(burst(stack, args.burst))
            print(f"throughput, 2 worker processes ({r + 1}/{args.repeats}):", flush=True)
            stack.supervisor.ctl("start", "worker:worker-1")
            stack.supervisor.wait_running()
            # the restarted worker loads its models on its first job (seconds of CPU): warm it as
            # the first worker was, or the 2-worker figure measures a model load
            warm = stack.add_people(WARM_AFTER_RESTART)
            stack.wait_finished([stack.certify(p) for p in warm], timeout=300)
            twos.append(burst(stack, args.burst))
        one, two = statistics.median(ones), statistics.median(twos)
        print(f"certifications per minute, median of {args.repeats} bursts of {args.burst}: "
              f"1 worker {one:.1f} ({min(ones):.1f}–{max(ones):.1f}), 2 workers {two:.1f} ({min(twos):.1f}–{max(twos):.1f}); "
              f"scaling efficiency {two / (2 * one) * 100:.0f} % (target ≥ 90 %)", flush=True)
        lat = steady(stack, args.rate, args.seconds)
        n = max(1, int(args.rate * args.seconds))
        print(f"steady {args.rate}/s for {args.seconds:.0f} s, 2 workers: {len(lat)}/{n} messages; "
              f"upload → template message p50 {statistics.median(lat):.2f} s, p99 {pct(lat, 0.99):.2f} s, "
              f"max {lat[-1]:.2f} s (target p99 ≤ 5 s)", flush=True)
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        drill_stack.tear_down(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
