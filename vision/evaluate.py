"""Evaluation command: face verification and liveness figures on labelled public data.

    python -m vision.evaluate --evaldata ../shared/evaldata --models-dir ../shared/models --out eval.json

Verification (pairs CSV ``left,right,same``): each image goes through the product's
detector + 5-point alignment + dlib descriptor (no enrollment quality gate, so the
matcher itself is measured; tight face crops are padded before detection). An image
without a detected face is a failure to enrol (FTE); its pairs count as "no match"
(they lower TAR, they never raise FAR). Reported: TAR at FAR 1e-2 and 1e-3, EER, the
threshold that gives ``--target-far``, and TAR/FAR at the configured ``match_threshold``,
overall and per subset.

Liveness (labels CSV ``file,live,...,actions``): every video is measured once and every
action detector is scored against the collector's labels (mapping below; labels are
from 1-frame-per-second contact sheets, so they are coarse). Presentation attacks:
APCER (attacks accepted) and BPCER (bona fide rejected) of the MiniFASNet decision at
``spoof_fail_below`` on the videos and on the still images.

Thresholds come from ``VisionConfig``; this command reports them, it never fits them
to the evaluation files.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from vision.config import VisionConfig
from vision.embedding import distance
from vision.enroll import PhotoUnreadable, embed_face_image, find_face, read_image
from vision.liveness import ACTIONS
from vision.loading import VisionModels, load_models
from vision.pipeline import analyze_evidence_only

log = logging.getLogger("lifecert.vision")

# Label vocabulary of evaldata/liveness/labels.csv -> our actions. "pos": the action is
# shown; "ignore": cannot tell (e.g. natural blinks while talking are likely but
# unverified, small head motion may or may not reach a turn); anything else: negative.
LABEL_MAP: dict[str, dict[str, set[str]]] = {
    "blink": {
        "pos": {"eyes_closed", "eyes_closed_or_down", "blink_or_wink_visible"},
        "ignore": {"talking", "wink_left", "wink_right", "laughing", "exaggerated_expressions"},
    },
    "turn": {  # labels do not say left or right: scored as "turn_left or turn_right"
        "pos": {"head_turn"},
        "ignore": {"small_head_turn", "small_head_motion", "head_motion", "camera_motion", "selfie_handheld",
                   "phone_moved", "gaze"},
    },
    "open_mouth": {
        "pos": {"mouth_open", "mouth_open_wide"},
        "ignore": {"talking", "mouth_shapes", "laughing", "exaggerated_expressions", "tongue_out", "smile"},
    },
    "nod": {
        "pos": set(),  # no clip in the set is labelled with a nod
        "ignore": {"head_motion", "small_head_motion", "head_tilt", "camera_motion", "selfie_handheld",
                   "phone_moved", "eyes_closed_or_down", "exaggerated_expressions", "laughing"},
    },
}


# ------------------------------------------------------------------ verification metrics
#: Distances at which TAR/FAR are tabulated (dlib's published operating point is 0.6).
OPERATING_POINTS = (0.45, 0.5, 0.55, 0.6, 0.65)


def verification_metrics(gen: np.ndarray, imp: np.ndarray, threshold: float, target_far: float) -> dict[str, Any]:
    """TAR at FAR targets, EER and the threshold for ``target_far``. Distances: smaller =
    more alike; inf = no embedding (never a match)."""
    gen = np.asarray(gen, float)
    imp = np.asarray(imp, float)
    out: dict[str, Any] = {"genuine_pairs": int(gen.size), "impostor_pairs": int(imp.size)}
    finite_imp = np.sort(imp[np.isfinite(imp)])

    def thr_for_far(far: float) -> float:
        # accept d <= t; the largest t with (#imp <= t) / n_imp <= far
        k = int(math.floor(far * imp.size))  # impostors we may accept
        if k >= finite_imp.size:
            return float("inf")
        nxt = finite_imp[k]  # accepting this one would exceed the budget
        return float(np.nextafter(nxt, -np.inf))

    for far in (1e-2, 1e-3):
        t = thr_for_far(far)
        out[f"tar_at_far_{far:g}"] = float(np.mean(gen <= t)) if gen.size else float("nan")
        out[f"threshold_at_far_{far:g}"] = t
    t = thr_for_far(target_far)
    out["target_far"] = target_far
    out["threshold_for_target_far"] = t
    out["tar_at_target_far"] = float(np.mean(gen <= t)) if gen.size else float("nan")
    # EER over all candidate thresholds
    cands = np.unique(np.concatenate([gen[np.isfinite(gen)], finite_imp]))
    best = (1.0, float("nan"), 1.0, 1.0)
    for c in cands:
        far = float(np.mean(imp <= c))
        frr = float(np.mean(gen > c))
        gap = abs(far - frr)
        if gap < best[0]:
            best = (gap, float(c), far, frr)
    out["eer"] = (best[2] + best[3]) / 2
    out["eer_threshold"] = best[1]
    out["operating_points"] = {
        f"{t:.2f}": {"tar": float(np.mean(gen <= t)) if gen.size else None,
                     "far": float(np.mean(imp <= t)) if imp.size else None}
        for t in OPERATING_POINTS
    }
    out["configured_threshold"] = threshold
    out["tar_at_configured"] = float(np.mean(gen <= threshold)) if gen.size else float("nan")
    out["far_at_configured"] = float(np.mean(imp <= threshold)) if imp.size else float("nan")
    return out


def evaluate_verification(pairs_csv: Path, models: VisionModels, config: VisionConfig, target_far: float,
                          limit: int | None = None) -> dict[str, Any]:
    root = pairs_csv.parent
    rows = list(csv.DictReader(open(pairs_csv, newline="")))
    if limit:
        rows = rows[:limit]
    cache: dict[str, np.ndarray | None] = {}
    t0 = time.perf_counter()
    for r in rows:
        for key in (r["left"], r["right"]):
            if key not in cache:
                try:
                    cache[key] = embed_face_image(root / key, models, config)
                except PhotoUnreadable:
                    cache[key] = None
    embed_s = time.perf_counter() - t0

    def subset(p: str) -> str:
        parts = Path(p).parts
        return parts[1] if len(parts) > 2 and parts[0] == "images" else parts[0]

    by: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"gen": [], "imp": []})
    allg, alli = [], []
    for r in rows:
        a, b = cache[r["left"]], cache[r["right"]]
        d = distance(a, b) if a is not None and b is not None else float("inf")
        key = "gen" if r["same"].strip() in ("1", "True", "true") else "imp"
        (allg if key == "gen" else alli).append(d)
        by[subset(r["left"])][key].append(d)
    out = verification_metrics(np.array(allg), np.array(alli), config.match_threshold, target_far)
    out["images"] = len(cache)
    out["fte_images"] = sum(v is None for v in cache.values())
    out["seconds"] = round(embed_s, 1)
    subsets = {}
    for name, d in sorted(by.items()):
        g, i = np.array(d["gen"]), np.array(d["imp"])
        imgs = [k for k in cache if subset(k) == name]
        subsets[name] = {
            "genuine": int(g.size), "impostor": int(i.size),
            "fte_images": sum(cache[k] is None for k in imgs), "images": len(imgs),
            "tar_at_configured": float(np.mean(g <= config.match_threshold)) if g.size else None,
            "far_at_configured": float(np.mean(i <= config.match_threshold)) if i.size else None,
            "median_genuine_distance": float(np.median(g[np.isfinite(g)])) if np.isfinite(g).any() else None,
            "median_impostor_distance": float(np.median(i[np.isfinite(i)])) if np.isfinite(i).any() else None,
        }
    out["subsets"] = subsets
    no_orl = [k for k in by if k != "orl"]
    if len(no_orl) < len(by):
        g = np.concatenate([by[k]["gen"] for k in no_orl]) if no_orl else np.array([])
        i = np.concatenate([by[k]["imp"] for k in no_orl]) if no_orl else np.array([])
        out["colour_subsets_only"] = verification_metrics(g, i, config.match_threshold, target_far)
    return out


# ------------------------------------------------------------------ liveness
def _truth(action: str, labels: set[str]) -> bool | None:
    m = LABEL_MAP[action]
    if labels & m["pos"]:
        return True
    if labels & m["ignore"]:
        return None
    return False


def _pr(tp: int, fp: int, fn: int) -> dict[str, Any]:
    return {
        "tp": tp, "fp": fp, "fn": fn,
        "recall": tp / (tp + fn) if tp + fn else None,
        "precision": tp / (tp + fp) if tp + fp else None,
    }


def evaluate_liveness(labels_csv: Path, models: VisionModels, config: VisionConfig,
                      limit: int | None = None) -> dict[str, Any]:
    root = labels_csv.parent
    rows = [r for r in csv.DictReader(open(labels_csv, newline="")) if not _is_image(r["file"])]
    if limit:
        rows = rows[:limit]
    per_video = []
    counts = {a: [0, 0, 0] for a in LABEL_MAP}
    pad = {"attack": [], "bona_fide": []}
    t0 = time.perf_counter()
    for r in rows:
        live = r["live"].strip() == "1"
        labels = {x.strip() for x in r.get("actions", "").split(";") if x.strip()}
        ev, rejected = analyze_evidence_only(root / r["file"], config, models)
        rec: dict[str, Any] = {"file": r["file"], "live": live, "labels": sorted(labels)}
        if ev is None:
            rec["rejected"] = rejected
            per_video.append(rec)
            if live:
                pad["bona_fide"].append(None)
            else:
                pad["attack"].append(None)
            continue
        detected = {a: bool(ev.events.get(a)) for a in ACTIONS}
        rec["detected"] = [a for a in ACTIONS if detected[a]]
        rec["face_fraction"] = round(sum(m.face for m in ev.measures) / max(1, len(ev.measures)), 3)
        score = float(np.median(ev.spoof_scores)) if ev.spoof_scores else None
        rec["spoof_live_score"] = score
        (pad["bona_fide"] if live else pad["attack"]).append(score)
        if live:
            got = {"blink": detected["blink"], "turn": detected["turn_left"] or detected["turn_right"],
                   "open_mouth": detected["open_mouth"], "nod": detected["nod"]}
            for a in LABEL_MAP:
                truth = _truth(a, labels)
                if truth is None:
                    continue
                if truth and got[a]:
                    counts[a][0] += 1
                elif got[a]:
                    counts[a][1] += 1
                elif truth:
                    counts[a][2] += 1
        per_video.append(rec)
    thr = config.spoof_fail_below

    def is_attack(score: float | None) -> bool:
        return score is None or score < thr  # no face found: not accepted

    atk = pad["attack"]
    bf = pad["bona_fide"]
    video_pad = {
        "attacks": len(atk), "bona_fide": len(bf), "threshold": thr,
        "apcer": (sum(not is_attack(s) for s in atk) / len(atk)) if atk else None,
        "bpcer": (sum(is_attack(s) for s in bf) / len(bf)) if bf else None,
        "bona_fide_in_review_band": sum(s is not None and thr <= s < config.spoof_review_below for s in bf),
    }
    return {
        "videos": len(rows),
        "seconds": round(time.perf_counter() - t0, 1),
        "actions": {a: _pr(*counts[a]) for a in LABEL_MAP},
        "video_pad": video_pad,
        "per_video": per_video,
    }


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".pgm", ".bmp")


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def evaluate_pad_images(labels_csv: Path, models: VisionModels, config: VisionConfig,
                        limit: int | None = None) -> dict[str, Any]:
    """MiniFASNet on the still images listed in the labels CSV (``live`` column)."""
    root = labels_csv.parent
    rows = [r for r in csv.DictReader(open(labels_csv, newline="")) if _is_image(r["file"])]
    if limit:
        rows = rows[:limit]
    thr = config.spoof_fail_below
    res: dict[str, list[float | None]] = {"attack": [], "bona_fide": []}
    groups: dict[str, dict[str, list[float | None]]] = defaultdict(lambda: {"attack": [], "bona_fide": []})
    no_face = 0
    for r in rows:
        kind = "bona_fide" if r["live"].strip() == "1" else "attack"
        name = Path(r["file"]).name
        group = name.split("_")[0] + ("_crop (tight face crops)" if "_crop_" in name else "_full")
        rgb = read_image(root / r["file"], config.enroll_max_side)
        rgb, boxes = find_face(rgb, models, config, pad_tight=True)
        score = None
        if boxes:
            score = models.antispoof.live_score(rgb, boxes[0])
        else:
            no_face += 1
        res[kind].append(score)
        groups[group][kind].append(score)

    def rates(atk: list, bf: list) -> dict[str, Any]:
        return {
            "attacks": len(atk), "bona_fide": len(bf),
            "apcer": sum(s is not None and s >= thr for s in atk) / len(atk) if atk else None,
            "bpcer": sum(s is None or s < thr for s in bf) / len(bf) if bf else None,
        }

    out = rates(res["attack"], res["bona_fide"])
    out.update(no_face=no_face, threshold=thr,
               groups={g: rates(v["attack"], v["bona_fide"]) for g, v in sorted(groups.items())})
    return out


# ------------------------------------------------------------------ report
def _f(x: Any, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{100 * x:.1f}%" if pct else (f"{x:.3f}" if isinstance(x, float) else str(x))


def render(report: dict[str, Any]) -> str:
    lines = []
    v = report.get("verification")
    if v:
        lines.append("## Verification (dlib ResNet, Euclidean distance)")
        lines.append(f"pairs: {v['genuine_pairs']} genuine / {v['impostor_pairs']} impostor; images {v['images']}, "
                     f"failed to enrol (no face found) {v['fte_images']}")
        lines.append("| set | TAR@FAR=1e-2 | TAR@FAR=1e-3 | EER | thr@FAR=1e-3 | TAR / FAR at configured thr |")
        lines.append("|---|---|---|---|---|---|")
        for name, m in (("all pairs", v), ("colour subsets (no ORL)", v.get("colour_subsets_only"))):
            if not m:
                continue
            lines.append(f"| {name} | {_f(m['tar_at_far_0.01'], True)} | {_f(m['tar_at_far_0.001'], True)} | "
                         f"{_f(m['eer'], True)} | {_f(m['threshold_at_far_0.001'])} | "
                         f"{_f(m['tar_at_configured'], True)} / {_f(m['far_at_configured'], True)} at {m['configured_threshold']} |")
        lines.append("| operating point (distance <=) | " + " | ".join(v["operating_points"]) + " |")
        lines.append("|---|" + "---|" * len(v["operating_points"]))
        for name, m in (("all pairs", v), ("colour subsets (no ORL)", v.get("colour_subsets_only"))):
            if m:
                lines.append(f"| TAR / FAR, {name} | " + " | ".join(
                    f"{_f(o['tar'], True)} / {_f(o['far'], True)}" for o in m["operating_points"].values()) + " |")
        lines.append(f"threshold for target FAR {v['target_far']:g}: {_f(v['threshold_for_target_far'])} "
                     f"(TAR {_f(v['tar_at_target_far'], True)}); EER threshold {_f(v['eer_threshold'])}")
        lines.append("| subset | images (FTE) | genuine / impostor | TAR | FAR | median d genuine / impostor |")
        lines.append("|---|---|---|---|---|---|")
        for name, s in v["subsets"].items():
            lines.append(f"| {name} | {s['images']} ({s['fte_images']}) | {s['genuine']} / {s['impostor']} | "
                         f"{_f(s['tar_at_configured'], True)} | {_f(s['far_at_configured'], True)} | "
                         f"{_f(s['median_genuine_distance'])} / {_f(s['median_impostor_distance'])} |")
    lv = report.get("liveness")
    if lv:
        lines.append("")
        lines.append(f"## Liveness actions ({lv['videos']} videos; live clips only, labels mapped as in LABEL_MAP)")
        lines.append("| action | TP | FP | FN | recall | precision |")
        lines.append("|---|---|---|---|---|---|")
        for a, m in lv["actions"].items():
            lines.append(f"| {a} | {m['tp']} | {m['fp']} | {m['fn']} | {_f(m['recall'], True)} | {_f(m['precision'], True)} |")
        p = lv["video_pad"]
        lines.append("")
        lines.append("## Presentation attack (MiniFASNet, live if median score >= threshold)")
        lines.append("| data | attacks | bona fide | APCER | BPCER | threshold |")
        lines.append("|---|---|---|---|---|---|")
        lines.append(f"| videos | {p['attacks']} | {p['bona_fide']} | {_f(p['apcer'], True)} | {_f(p['bpcer'], True)} | {p['threshold']} |")
        pi = report.get("pad_images")
        if pi:
            lines.append(f"| still images | {pi['attacks']} | {pi['bona_fide']} | {_f(pi['apcer'], True)} | "
                         f"{_f(pi['bpcer'], True)} | {pi['threshold']} |")
            for g, m in pi["groups"].items():
                lines.append(f"| &nbsp; {g} | {m['attacks']} | {m['bona_fide']} | {_f(m['apcer'], True)} | "
                             f"{_f(m['bpcer'], True)} | {pi['threshold']} |")
            lines.append(f"still images without a detected face (counted as rejected): {pi['no_face']}")
        lines.append(f"bona fide videos in the review band [{p['threshold']}, review): {p['bona_fide_in_review_band']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m vision.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--evaldata", type=Path, default=None, help="folder with verification/ and liveness/")
    ap.add_argument("--pairs", type=Path, default=None)
    ap.add_argument("--labels", type=Path, default=None)
    ap.add_argument("--models-dir", type=Path, required=True)
    ap.add_argument("--target-far", type=float, default=1e-3)
    ap.add_argument("--out", type=Path, default=Path("vision_eval.json"))
    ap.add_argument("--limit", type=int, default=None, help="only the first N rows of each CSV (smoke runs)")
    ap.add_argument("--max-duration", type=float, default=60.0,
                    help="video duration limit for the evaluation clips (product default is 30 s)")
    args = ap.parse_args(argv)
    if args.evaldata:
        args.pairs = args.pairs or args.evaldata / "verification" / "pairs.csv"
        args.labels = args.labels or args.evaldata / "liveness" / "labels.csv"
    if not args.pairs and not args.labels:
        ap.error("give --evaldata or --pairs/--labels")
    logging.basicConfig(level=logging.WARNING)
    config = VisionConfig(models_dir=args.models_dir, max_duration_s=args.max_duration)
    models = load_models(config)
    if models.unavailable:
        print(f"models unavailable: {models.unavailable}", file=sys.stderr)
        return 2
    report: dict[str, Any] = {"config": config.to_dict(), "models": models.versions()}
    if args.pairs:
        report["verification"] = evaluate_verification(args.pairs, models, config, args.target_far, args.limit)
    if args.labels:
        report["liveness"] = evaluate_liveness(args.labels, models, config, args.limit)
        report["pad_images"] = evaluate_pad_images(args.labels, models, config, args.limit)
    print(render(report))
    args.out.write_text(json.dumps(report, indent=2, default=float))
    print(f"\nJSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
