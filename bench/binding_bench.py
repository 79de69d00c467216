"""Bound-challenge benchmark (issue 15): APCER per attack species, BPCER of simulated
bona fide recordings (normal, 0.6x slowed, late-starting), and the CPU of the new checks.

    python bench/binding_bench.py [--shared ../shared] [--challenges 1] [--limit N] [--out binding.json]

Bona fide set: every live video of ../shared (testdata + evaldata/liveness) whose footage
shows at least one action clearly (each action is first rendered alone and kept only when
the product's own detector finds it in its window: the simulator can only ask a simulated
person for what the real footage shows, and only footage with the whole face in the picture
and deliberate turns, nods and mouth openings, as a person following the page does:
``vision.simulator.usable_events``; since 2026-12-04, before which 7 of 108 bona fide
rejections came from such footage). For each source, ``--challenges`` random
timelines (random order of up to 3 of its actions, random light sequence, the server's
speech times and 4 s windows), each rendered three ways: normal (moves 0.5 s after the
spoken prompt ends), slowed (0.6x), late (waits 2.5 s after the spoken prompt ends); light gain and camera lag drawn at random
(0.06-0.2, 0.05-0.35 s). The person's template comes from a rest frame of the source.

Attacks, per source and challenge (worst case for us: the fraudster re-rolled until the
fresh challenge asks the same actions in the same order, so the prompt times match too):
an earlier genuine recording (timeline A, fingerprint stored as an earlier upload) sent
against fresh timeline B as is, with 8 bytes appended, re-encoded at 0.75x scale,
trimmed by 0.5 s, spliced to B's windows, and filmed off a screen (weak uniform
reflection of B's light). Photo attacks on every still of evaldata/liveness/images:
printed (reflects B's light like skin), on a screen (weak uniform reflection) and an
injected still (no light, no motion), against 2-action timelines of turns and blinks.

APCER = passes / attacks per species; BPCER = non-passes / bona fide recordings (review
counts as a rejection of the automatic path). Printed with counts.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


from vision import (  # noqa: E402
    VisionConfig,
    analyze_video,
    attacks,  # noqa: E402
    load_models,
)
from vision.binding import check_windows  # noqa: E402
from vision.enroll import embed_face_image, find_face, photo_template, read_image  # noqa: E402
from vision.pipeline import analyze_evidence_only  # noqa: E402
from vision.simulator import LATE_S, load_source, photo_clip, simulate  # noqa: E402
from vision.templates import template_to_bytes  # noqa: E402
from vision.timeline import plan_timeline  # noqa: E402

#: What the server plans for each spoken prompt (flows.certify.SPEECH_S: the espeak-ng
#: audio's length plus a margin); copied so that the benchmark needs vision only.
SPEECH_S = {"blink": 2.3, "turn_left": 4.8, "turn_right": 4.8, "open_mouth": 2.3, "nod": 2.6}


def live_videos(shared: Path) -> list[Path]:
    out: dict[str, Path] = {}
    for p in sorted((shared / "testdata" / "videos").glob("*")):
        if "fake" not in p.name:
            out[p.name] = p
    labels = shared / "evaldata" / "liveness" / "labels.csv"
    if labels.exists():
        with labels.open() as f:
            for row in csv.DictReader(f):
                if row["live"] == "1" and row["file"].startswith("videos/"):
                    out.setdefault(Path(row["file"]).name, shared / "evaldata" / "liveness" / row["file"])
    return list(out.values())


def still_images(shared: Path) -> list[Path]:
    return sorted((shared / "evaldata" / "liveness" / "images").glob("*"))


def usable_actions(src, models, cfg, tmp: Path) -> list[str]:
    keep = []
    for a in src.actions():
        tl = plan_timeline([a], np.random.default_rng(7))
        p = simulate(src, tl, tmp / "calib.mp4")
        ev, _ = analyze_evidence_only(p, cfg, models)
        if ev is not None and check_windows(tl, ev.events).ok:
            keep.append(a)
    return keep


def template_of(src, models, cfg) -> bytes | None:
    rgb = src.frames[src.rest[len(src.rest) // 2]]
    vec = embed_face_image(rgb, models, cfg)
    return template_to_bytes(vec) if vec is not None else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--challenges", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None, help="only the first N source videos / stills")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=Path("binding_bench.json"))
    ap.add_argument("--bona-fide-only", action="store_true", help="skip the attacks (BPCER only)")
    args = ap.parse_args(argv)

    cfg = VisionConfig(models_dir=args.shared / "models")
    models = load_models(cfg)
    if models.unavailable:
        print(f"models unavailable: {models.unavailable}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    results: dict[str, list[dict]] = defaultdict(list)
    cpu_per_5s: list[float] = []
    t_start = time.time()

    def run(species: str, path: Path, tl, templates, earlier, meta: dict) -> dict:
        v = analyze_video(path, tl, templates, cfg, models, earlier_fingerprints=earlier)
        d = v.to_dict()
        rec = {"species": species, "verdict": v.verdict, "reasons": v.reasons, **meta,
               "light": d["scores"].get("light"), "replay": d["scores"].get("replay")}
        results[species].append(rec)
        dur = d["video"].get("duration_s") or 0
        if dur and "binding" in v.cpu_timings:
            cpu_per_5s.append(v.cpu_timings["binding"] / dur * 5.0)
        print(f"  {species:16s} {v.verdict:6s} {','.join(v.reasons) or '-'}", flush=True)
        return {"verdict": v.verdict, "fingerprint": v.fingerprint}

    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        videos = live_videos(args.shared)[: args.limit]
        for vid in videos:
            src = load_source(vid, models, cfg)
            acts = usable_actions(src, models, cfg, tmp)
            tmpl = template_of(src, models, cfg)
            print(f"{vid.name}: actions {acts}", flush=True)
            if not acts or tmpl is None:
                continue
            for c in range(args.challenges):
                order = [str(a) for a in rng.permutation(acts)[:3]]
                tl_a = plan_timeline(order, rng, speech_s=SPEECH_S)
                tl_b = plan_timeline(order, rng, speech_s=SPEECH_S)  # the re-rolled fresh challenge: same actions
                meta = {"source": vid.name, "actions": order}
                # bona fide, three ways (each judged against the source's earlier genuine upload
                # of *other* footage: none exists for most people, so [] here)
                variants = {"bona_fide": {}, "bona_fide_slow": {"speed": 0.6}, "bona_fide_late": {"delay_s": LATE_S}}
                for name, kw in variants.items():
                    g, lag = float(rng.uniform(0.06, 0.2)), float(rng.uniform(0.05, 0.35))
                    p = simulate(src, tl_b, tmp / f"{name}.mp4", gain=g, lag_s=lag, seed=int(rng.integers(1 << 30)), **kw)
                    run(name, p, tl_b, [tmpl], [], {**meta, "gain": round(g, 3), "lag_s": round(lag, 3)})
                if args.bona_fide_only:
                    continue
                # the fraudster's stored genuine recording, made for A and uploaded then
                old = attacks.old_recording(src, tl_a, tmp / "old.mp4", seed=c)
                first = analyze_video(old, tl_a, [tmpl], cfg, models)
                earlier = [first.fingerprint] if first.fingerprint else []
                meta_a = {**meta, "old_verdict": first.verdict}
                run("replay", old, tl_b, [tmpl], earlier, meta_a)
                run("replay_no_fp", old, tl_b, [tmpl], [], meta_a)
                run("replay_bytes", attacks.append_bytes(old, tmp / "bytes.mp4"), tl_b, [tmpl], earlier, meta_a)
                run("replay_reencode", attacks.reencode(old, tmp / "re.mp4"), tl_b, [tmpl], earlier, meta_a)
                run("replay_trim", attacks.trim(old, tmp / "trim.mp4"), tl_b, [tmpl], earlier, meta_a)
                sp = attacks.splice(old, tl_a, tl_b, tmp / "splice.mp4")
                run("spliced", sp, tl_b, [tmpl], earlier, meta_a)
                run("spliced_no_fp", sp, tl_b, [tmpl], [], meta_a)
                run("screen_replay", attacks.screen_replay(old, tl_b, tmp / "screen.mp4"), tl_b, [tmpl], earlier, meta_a)

        for img_path in ([] if args.bona_fide_only else still_images(args.shared)[: args.limit]):
            rgb = read_image(img_path.read_bytes(), cfg.enroll_max_side)
            rgb2, boxes = find_face(rgb, models, cfg, pad_tight=True)
            if not boxes:
                print(f"{img_path.name}: no face found, skipped", flush=True)
                continue
            b = boxes[0]
            tmpl = photo_template(rgb2, b, models).to_bytes()
            order = [str(a) for a in rng.permutation(["blink", "turn_left", "turn_right", "open_mouth", "nod"])[:2]]
            tl = plan_timeline(order, rng)
            meta = {"source": img_path.name, "actions": order}
            box = (b.x1, b.y1, b.x2, b.y2)
            print(f"{img_path.name}:", flush=True)
            run("printed_photo", photo_clip(rgb2, tl, tmp / "print.mp4", box, gain=0.12), tl, [tmpl], [], meta)
            run("screen_photo", photo_clip(rgb2, tl, tmp / "sphoto.mp4", box, gain=0.03, whole_frame=True), tl,
                [tmpl], [], meta)
            run("static_photo", photo_clip(rgb2, tl, tmp / "still.mp4", box, gain=0.0, wobble_px=0.0), tl,
                [tmpl], [], meta)

    summary: dict[str, dict] = {}
    for species, recs in results.items():
        n = len(recs)
        passes = sum(r["verdict"] == "pass" for r in recs)
        reasons: dict[str, int] = defaultdict(int)
        for r in recs:
            for k in r["reasons"]:
                reasons[k] += 1
        if species.startswith("bona_fide"):
            summary[species] = {"n": n, "rejected": n - passes, "BPCER": (n - passes) / n if n else None,
                                "reasons": dict(reasons)}
        else:
            summary[species] = {"n": n, "passed": passes, "APCER": passes / n if n else None, "reasons": dict(reasons)}
    bf = [r for s, rs in results.items() if s.startswith("bona_fide") for r in rs]
    bf_rej = sum(r["verdict"] != "pass" for r in bf)
    report = {
        "summary": summary,
        "bona_fide_all": {"n": len(bf), "rejected": bf_rej, "BPCER": bf_rej / len(bf) if bf else None},
        "binding_cpu_s_per_5s_video": {"median": statistics.median(cpu_per_5s) if cpu_per_5s else None,
                                        "max": max(cpu_per_5s) if cpu_per_5s else None, "n": len(cpu_per_5s)},
        "wall_s": round(time.time() - t_start, 1),
        "records": results,
    }
    args.out.write_text(json.dumps(report, indent=1, default=str))
    print("\nspecies              n   result")
    for species, s in summary.items():
        if "BPCER" in s:
            print(f"{species:18s} {s['n']:4d}   BPCER {s['rejected']}/{s['n']} = {100 * (s['BPCER'] or 0):.1f} %   {s['reasons']}")
        else:
            print(f"{species:18s} {s['n']:4d}   APCER {s['passed']}/{s['n']} = {100 * (s['APCER'] or 0):.1f} %   {s['reasons']}")
    b = report["bona_fide_all"]
    print(f"bona fide (all variants): BPCER {b['rejected']}/{b['n']}")
    c = report["binding_cpu_s_per_5s_video"]
    print(f"binding checks CPU per 5 s of video: median {c['median']:.4f} s, max {c['max']:.4f} s (n={c['n']})"
          if c["n"] else "no CPU figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
