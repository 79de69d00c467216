"""Vision benchmark: CPU seconds per 5-second 720p H.264 selfie video, by stage, and peak memory.

    python bench/vision_bench.py [--shared ../shared] [--runs 5] [--source videos/lp_d3.mp4]

Generates the clip from a real shared test video (rescaled to 1280x720, looped to 5 s,
libx264 "veryfast" like a phone encoder's output), loads the models once, runs one
warm-up and then ``--runs`` analyses, and prints the median CPU seconds per stage
(process CPU time: all threads, so it is what a worker really costs), wall seconds, and
the peak resident memory. Target from issue #4: <= 0.5 CPU-seconds per video.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vision import VisionConfig, analyze_video, load_models  # noqa: E402
from vision.clipmaker import make_selfie_clip  # noqa: E402
from vision.enroll import embed_face_image  # noqa: E402


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--source", default="testdata/videos/lp_d3.mp4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--x264-preset", default="veryfast",
                    help="veryfast has B-frames (skipped when decoding); ultrafast has none, like many phone encoders")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--make-clip", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make_clip:
        make_selfie_clip(args.shared / args.source, args.make_clip, 1280, 720, 5.0, 30.0,
                         options={"preset": args.x264_preset, "crf": "23"})
        return 0

    config = VisionConfig(models_dir=args.shared / "models")
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "selfie_720p.mp4"
        t = time.perf_counter()
        # made in a child process so that its memory does not count in this one's peak RSS
        subprocess.run([sys.executable, __file__, "--shared", str(args.shared), "--source", args.source,
                        "--x264-preset", args.x264_preset, "--make-clip", str(clip)], check=True)
        make_s = time.perf_counter() - t
        rss_start = rss_mib()
        t = time.process_time()
        models = load_models(config)
        load_cpu = time.process_time() - t
        if models.unavailable:
            print(f"models unavailable: {models.unavailable}", file=sys.stderr)
            return 2
        rss_models = rss_mib()
        from vision.clipmaker import read_frames

        first, _ = read_frames(clip, max_frames=1)
        vec = embed_face_image(first[0], models, config)
        del first
        templates = [vec.to_bytes()] if vec is not None else []
        data = clip.read_bytes()
        challenge = ["blink"]  # shown in the first 5 s of lp_d3; every stage runs whatever the verdict
        analyze_video(data, challenge, templates, config, models)  # warm-up
        runs = []
        for _ in range(args.runs):
            c0, w0 = time.process_time(), time.perf_counter()
            v = analyze_video(data, challenge, templates, config, models)
            runs.append((time.process_time() - c0, time.perf_counter() - w0, v))
        rss_peak = rss_mib()

    stages = [k for k in runs[-1][2].cpu_timings if k != "total"]
    med = {k: statistics.median(r[2].cpu_timings.get(k, 0.0) for r in runs) for k in stages}
    cpu_total = statistics.median(r[0] for r in runs)
    wall_total = statistics.median(r[1] for r in runs)
    v = runs[-1][2]
    print(f"clip: x264 preset {args.x264_preset}, {v.video.get('width')}x{v.video.get('height')} {v.video.get('codec')} "
          f"{v.video.get('duration_s')} s, {v.video.get('decoded_frames')} frames decoded, "
          f"{v.video.get('sampled_frames')} analysed ({len(data) / 1e6:.2f} MB; made in {make_s:.1f} s)")
    print(f"verdict on the bench clip: {v.verdict} {v.reasons}")
    print(f"{'stage':<12}{'CPU s (median of ' + str(args.runs) + ')':>26}")
    for k in stages:
        print(f"{k:<12}{med[k]:>26.3f}")
    print(f"{'TOTAL':<12}{cpu_total:>26.3f}   (min {min(r[0] for r in runs):.3f}, max {max(r[0] for r in runs):.3f}; "
          f"wall {wall_total:.3f} s; target <= 0.5 CPU-s)")
    print(f"machine load average during the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(CPU seconds grow when other processes compete for the cores)")
    print(f"model load: {load_cpu:.2f} CPU-s once per worker")
    print(f"peak RSS: {rss_peak:.0f} MiB (before models {rss_start:.0f} MiB, after loading models {rss_models:.0f} MiB)")
    if args.json:
        args.json.write_text(json.dumps({
            "cpu_s_per_video": cpu_total, "cpu_s_min": min(r[0] for r in runs), "loadavg": os.getloadavg()[0], "wall_s_per_video": wall_total, "cpu_s_by_stage": med,
            "peak_rss_mib": rss_peak, "rss_after_models_mib": rss_models, "model_load_cpu_s": load_cpu,
            "runs": args.runs, "clip": v.video,
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
