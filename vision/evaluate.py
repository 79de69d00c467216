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

from vision.clipmaker import read_frames
from vision.config import VisionConfig
from vision.enroll import PhotoUnreadable, embed_face_image, find_face, read_image
from vision.liveness import ACTIONS
from vision.loading import VisionModels, load_models
from vision.match import DLIB_PUBLISHED_DISTANCE, SFACE_PUBLISHED_COSINE, FrameFace, fuse, match_faces, pair_scores
from vision.pipeline import analyze_evidence_only
from vision.templates import FaceTemplate

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


#: The three columns of every verification table.
COLUMNS = ("dlib", "sface", "fusion")
#: Fusion weights tabulated to choose ``match_sface_weight`` (0 = dlib alone, 1 = SFace alone).
WEIGHTS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Fused-score thresholds tabulated to choose ``match_pass_score`` / ``match_review_score``.
FUSION_POINTS = (0.85, 0.9, 0.925, 0.95, 0.975, 1.0, 1.05, 1.1, 1.15)

#: Identities whose photos show people of about 60 and over (evaldata MANIFEST, "older adults").
OLDER_ADULTS = frozenset({"john_hammond", "elton_john", "jerry_seinfeld", "madonna", "tom_hanks", "simon_cowell",
                          "hugh_laurie", "james_spader"})
#: Women (and one unclear) among the East-Asian verification identities; the rest are men.
#: From the public identities of these entertainers (the MANIFEST: "about 25 of 29 men").
EASTASIAN_NOT_MEN = frozenset({"9_an_yaping", "10_ai_dai", "114_chen_yanxi", "122_cheng_su", "121_cai_xinglin"})
#: East-Asian subjects of evaldata/liveness (by eye on the clips; labels.csv has no such column).
EASTASIAN_CLIP_MEN = frozenset({"lp_d0_man", "lp_d9_man_glasses", "lp_d12_man_glasses", "lp_d13_man_glasses",
                                "lp_d20_man", "vr_face1_man_suit", "jo_man"})
EASTASIAN_CLIP_SUBJECTS = EASTASIAN_CLIP_MEN | {"lp_d14_woman"}


def shipped_thresholds(config: VisionConfig) -> dict[str, tuple[float, float]]:
    """(pass, review) per column, in "lower = more alike" units: dlib distance, SFace
    1 - cosine (published 0.363 -> 0.637; SFace alone has no review band), fused score."""
    sface = 1.0 - SFACE_PUBLISHED_COSINE
    return {"dlib": (config.match_threshold, config.match_review_threshold), "sface": (sface, sface),
            "fusion": (config.match_pass_score, config.match_review_score)}


def fused_column(dlib_d: np.ndarray, sface_d: np.ndarray, weight: float) -> np.ndarray:
    """Fused score from dlib distances and SFace 1-cosine (inf where either is missing)."""
    with np.errstate(invalid="ignore"):
        out = fuse(dlib_d / DLIB_PUBLISHED_DISTANCE, sface_d / (1.0 - SFACE_PUBLISHED_COSINE), weight)
    out[~(np.isfinite(dlib_d) & np.isfinite(sface_d))] = np.inf
    return out


def column_metrics(gen: np.ndarray, imp: np.ndarray, pass_thr: float, review_thr: float,
                   target_far: float) -> dict[str, Any]:
    """verification_metrics plus the counts a decision makes at the shipped thresholds."""
    m = verification_metrics(gen, imp, pass_thr, target_far)
    m.pop("operating_points", None)
    m.update(
        pass_threshold=pass_thr, review_threshold=review_thr,
        genuine_not_passed=int(np.sum(gen > pass_thr)), genuine_failed=int(np.sum(gen > review_thr)),
        impostor_passed=int(np.sum(imp <= pass_thr)), impostor_in_review=int(np.sum((imp > pass_thr) & (imp <= review_thr))),
    )
    return m


def _pair_rows(pairs_csv: Path, limit: int | None) -> list[dict[str, str]]:
    rows = list(csv.DictReader(open(pairs_csv, newline="")))
    return rows[:limit] if limit else rows


def _subset(p: str) -> str:
    parts = Path(p).parts
    return parts[1] if len(parts) > 2 and parts[0] == "images" else parts[0]


def _identity(p: str) -> str:
    parts = Path(p).parts
    return parts[2] if len(parts) > 3 else Path(p).stem


def embed_pair_images(rows: list[dict[str, str]], root: Path, models: VisionModels, config: VisionConfig,
                      cache: dict[str, FaceTemplate | None]) -> None:
    for r in rows:
        for key in (r["left"], r["right"]):
            if key not in cache:
                try:
                    cache[key] = embed_face_image(root / key, models, config)
                except PhotoUnreadable:
                    cache[key] = None


def raw_pair_scores(rows: list[dict[str, str]], cache: dict[str, FaceTemplate | None]) -> dict[str, np.ndarray]:
    """Per pair: genuine flag, dlib distance, SFace 1 - cosine (inf = no descriptor)."""
    same, dl, sf = [], [], []
    for r in rows:
        a, b = cache.get(r["left"]), cache.get(r["right"])
        d = c = None
        if a is not None and b is not None:
            d, c = pair_scores(a, b)  # type: ignore[arg-type]
        same.append(r["same"].strip() in ("1", "True", "true"))
        dl.append(d if d is not None else np.inf)
        sf.append(1.0 - c if c is not None else np.inf)
    return {"same": np.array(same, bool), "dlib": np.array(dl), "sface": np.array(sf)}


def score_set(raw: dict[str, np.ndarray], mask: np.ndarray, config: VisionConfig, target_far: float) -> dict[str, Any]:
    """The three columns for the pairs selected by ``mask``."""
    thr = shipped_thresholds(config)
    cols = {"dlib": raw["dlib"], "sface": raw["sface"],
            "fusion": fused_column(raw["dlib"], raw["sface"], config.match_sface_weight)}
    g, i = mask & raw["same"], mask & ~raw["same"]
    out: dict[str, Any] = {"genuine_pairs": int(g.sum()), "impostor_pairs": int(i.sum()),
                           "pairs_without_both_models": int(np.sum(mask & ~(np.isfinite(raw["dlib"]) & np.isfinite(raw["sface"]))))}
    for name, v in cols.items():
        out[name] = column_metrics(v[g], v[i], *thr[name], target_far)
    return out


def weight_table(raw: dict[str, np.ndarray], mask: np.ndarray, config: VisionConfig) -> dict[str, Any]:
    """For each fusion weight: EER, TAR at FAR 1e-3, and TAR / FAR at the shipped pass score."""
    g, i = mask & raw["same"], mask & ~raw["same"]
    out = {}
    for w in WEIGHTS:
        f = fused_column(raw["dlib"], raw["sface"], w)
        m = verification_metrics(f[g], f[i], config.match_pass_score, 1e-3)
        out[f"{w:g}"] = {"eer": m["eer"], "tar_at_far_0.001": m["tar_at_far_0.001"],
                         "tar_at_pass": m["tar_at_configured"], "far_at_pass": m["far_at_configured"],
                         "impostor_passed": int(np.sum(f[i] <= config.match_pass_score))}
    return out


def fusion_points(raw: dict[str, np.ndarray], mask: np.ndarray, config: VisionConfig) -> dict[str, Any]:
    g, i = mask & raw["same"], mask & ~raw["same"]
    f = fused_column(raw["dlib"], raw["sface"], config.match_sface_weight)
    return {f"{t:g}": {"tar": float(np.mean(f[g] <= t)) if g.any() else None,
                       "far": float(np.mean(f[i] <= t)) if i.any() else None,
                       "impostor_passed": int(np.sum(f[i] <= t))} for t in FUSION_POINTS}


#: The stated operating point: at most this FAR on the East-Asian pairs at the pass score.
EASTASIAN_FAR_TARGET = 2e-3


def weights_at_far(ref: dict[str, np.ndarray], other: dict[str, np.ndarray], other_mask: np.ndarray,
                   far: float) -> dict[str, Any]:
    """For each fusion weight: the largest pass score with FAR <= ``far`` on ``ref`` (the
    East-Asian pairs), and the TAR it gives on ``ref`` and on ``other`` (the colour pairs)."""
    out = {}
    for w in WEIGHTS:
        fr = fused_column(ref["dlib"], ref["sface"], w)
        gi, ii = ref["same"], ~ref["same"]
        imp = np.sort(fr[ii][np.isfinite(fr[ii])])
        k = int(math.floor(far * ii.sum()))
        t = float(np.nextafter(imp[k], -np.inf)) if k < imp.size else float("inf")
        fo = fused_column(other["dlib"], other["sface"], w)
        go = other_mask & other["same"]
        io = other_mask & ~other["same"]
        out[f"{w:g}"] = {"threshold": t, "ref_tar": float(np.mean(fr[gi] <= t)), "ref_impostor_passed": int(np.sum(fr[ii] <= t)),
                         "other_tar": float(np.mean(fo[go] <= t)), "other_impostor_passed": int(np.sum(fo[io] <= t))}
    return out


def evaluate_verification(pairs_csv: Path, models: VisionModels, config: VisionConfig, target_far: float,
                          limit: int | None = None, eastasian_csv: Path | None = None) -> dict[str, Any]:
    """dlib, SFace and their fusion side by side on the pairs; the East-Asian pairs apart."""
    root = pairs_csv.parent
    cache: dict[str, FaceTemplate | None] = {}
    t0 = time.perf_counter()
    rows = _pair_rows(pairs_csv, limit)
    embed_pair_images(rows, root, models, config, cache)
    ea_rows = _pair_rows(eastasian_csv, limit) if eastasian_csv and eastasian_csv.is_file() else []
    embed_pair_images(ea_rows, eastasian_csv.parent if eastasian_csv else root, models, config, cache)
    embed_s = time.perf_counter() - t0

    raw = raw_pair_scores(rows, cache)
    subsets = np.array([_subset(r["left"]) for r in rows])
    older = np.array([_identity(r["left"]) in OLDER_ADULTS or _identity(r["right"]) in OLDER_ADULTS for r in rows], bool)
    colour = subsets != "orl"
    out: dict[str, Any] = {
        "images": len(cache), "seconds": round(embed_s, 1),
        "fte_images": sum(v is None for v in cache.values()),
        "images_without_sface": sum(v is not None and v.sface is None for v in cache.values()),
        "all_pairs": score_set(raw, np.ones(len(rows), bool), config, target_far),
        "colour": score_set(raw, colour, config, target_far),
        "older_adults": score_set(raw, colour & older, config, target_far),
        "subsets": {name: score_set(raw, subsets == name, config, target_far) for name in sorted(set(subsets.tolist()))},
        "weights": {"colour": weight_table(raw, colour, config)},
        "fusion_points": {"colour": fusion_points(raw, colour, config)},
    }
    for name in out["subsets"]:
        keys = [k for r in rows for k in (r["left"], r["right"]) if _subset(k) == name]
        out["subsets"][name]["fte_images"] = len({k for k in keys if cache.get(k) is None})
    if ea_rows:
        ea = raw_pair_scores(ea_rows, cache)
        men = np.array([_identity(r["left"]) not in EASTASIAN_NOT_MEN and _identity(r["right"]) not in EASTASIAN_NOT_MEN
                        for r in ea_rows], bool)
        all_ea = np.ones(len(ea_rows), bool)
        out["eastasian"] = score_set(ea, all_ea, config, target_far)
        out["eastasian_men"] = score_set(ea, men, config, target_far)
        out["weights"]["eastasian"] = weight_table(ea, all_ea, config)
        out["fusion_points"]["eastasian"] = fusion_points(ea, all_ea, config)
        out["weights_at_eastasian_far"] = weights_at_far(ea, raw, colour, EASTASIAN_FAR_TARGET)
        ea_keys = {k for r in ea_rows for k in (r["left"], r["right"])}
        out["eastasian"]["fte_images"] = sum(cache.get(k) is None for k in ea_keys)
    return out


# ------------------------------------------------------------------ video vs template (impostors)
def _clip_decisions(faces: list[FrameFace], tmpl: FaceTemplate, config: VisionConfig) -> dict[str, str]:
    """Per column: pass / review / fail of one clip's embedded frames against one template."""
    res = match_faces(faces, [tmpl], config)
    d = [x for f in faces if (x := pair_scores(f, tmpl)[0]) is not None]
    c = [x for f in faces if (x := pair_scores(f, tmpl)[1]) is not None]
    out = {"fusion": res.decision}
    if d:
        md = float(np.median(d))
        out["dlib"] = "pass" if md <= config.match_threshold else "review" if md <= config.match_review_threshold else "fail"
    if c:
        out["sface"] = "pass" if float(np.median(c)) >= SFACE_PUBLISHED_COSINE else "fail"
    return out


def evaluate_video_identity(clips: dict[str, tuple[str, list[FrameFace]]], root: Path, models: VisionModels,
                            config: VisionConfig) -> dict[str, Any]:
    """Every live clip against a template made from the first frame of every other
    identity's first clip (and its own identity, as the genuine check). ``clips``:
    file -> (subject, embedded frames of that clip)."""
    templates: dict[str, FaceTemplate | None] = {}
    for file, (subject, _faces) in clips.items():
        if subject in templates:
            continue
        frames, _fps = read_frames(root / file, max_frames=1)
        templates[subject] = embed_face_image(frames[0], models, config) if frames else None
    enrol_failed = sorted(s for s, t in templates.items() if t is None or t.sface is None or t.dlib is None)

    def tally() -> dict[str, Any]:
        return {"pairs": 0, **{col: {"pass": 0, "review": 0, "fail": 0} for col in COLUMNS}, "passed_pairs": []}

    groups = {"all": tally(), "eastasian": tally(), "eastasian_men": tally(), "genuine": tally()}
    no_frames = []
    for file, (subject, faces) in clips.items():
        if not faces:
            no_frames.append(file)
            continue
        for other, tmpl in templates.items():
            if tmpl is None or other in enrol_failed:
                continue
            dec = _clip_decisions(faces, tmpl, config)
            keys = ["genuine"] if other == subject else ["all"]
            if other != subject and subject in EASTASIAN_CLIP_SUBJECTS and other in EASTASIAN_CLIP_SUBJECTS:
                keys.append("eastasian")
            if other != subject and subject in EASTASIAN_CLIP_MEN and other in EASTASIAN_CLIP_MEN:
                keys.append("eastasian_men")
            for k in keys:
                g = groups[k]
                g["pairs"] += 1
                for col, v in dec.items():
                    g[col][v] += 1
                if dec["fusion"] == "pass" and k != "genuine":
                    g["passed_pairs"].append(f"{file} vs {other}")
    return {"clips": len(clips), "identities": len(templates), "enrol_failed": enrol_failed,
            "clips_without_embedded_frames": no_frames, **groups}


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
                      limit: int | None = None, clips_out: dict | None = None) -> dict[str, Any]:
    """Action and PAD figures; with ``clips_out`` the embedded frames of every live clip are
    collected there (file -> (subject, frames)) for ``evaluate_video_identity``."""
    root = labels_csv.parent
    rows = [r for r in csv.DictReader(open(labels_csv, newline="")) if not _is_image(r["file"])]
    if limit:
        rows = rows[:limit]
    per_video = []
    counts = {a: [0, 0, 0] for a in LABEL_MAP}
    pad: dict[str, list[float | None]] = {"attack": [], "bona_fide": []}
    t0 = time.perf_counter()
    for r in rows:
        live = r["live"].strip() == "1"
        labels = {x.strip() for x in r.get("actions", "").split(";") if x.strip()}
        ev, rejected = analyze_evidence_only(root / r["file"], config, models, need_embedding=clips_out is not None and live)
        if clips_out is not None and live:
            clips_out[r["file"]] = (r.get("subject") or r["file"], [f for _, f in ev.embeddings] if ev else [])
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
    antispoof = models.antispoof
    if antispoof is None:
        raise RuntimeError("MiniFASNet is unavailable")
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
            score = antispoof.live_score(rgb, boxes[0])
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


def _n(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}% ({k}/{n})" if n else "-"


TARGETS = {
    "colour": {"eer": "fusion <= 0.6%", "genuine_not_passed": "fusion <= 5%"},
    "eastasian": {"impostor_passed": "fusion <= 0.2% (1/540)", "tar_at_configured": "fusion >= 90%"},
}


def _set_table(title: str, m: dict[str, Any], targets: dict[str, str] | None = None) -> list[str]:
    targets = targets or {}
    lines = [f"### {title}: {m['genuine_pairs']} genuine / {m['impostor_pairs']} impostor pairs "
             f"({m['pairs_without_both_models']} pairs lack a descriptor of either model: counted as no match)",
             "| metric | dlib | SFace | fusion | target |", "|---|---|---|---|---|"]
    c = {k: m[k] for k in COLUMNS}

    def row(label: str, key: str, fmt) -> None:
        lines.append(f"| {label} | " + " | ".join(fmt(c[k]) for k in COLUMNS) + f" | {targets.get(key, '')} |")

    row("TAR @ FAR 1e-2", "tar_at_far_0.01", lambda x: _f(x["tar_at_far_0.01"], True))
    row("TAR @ FAR 1e-3", "tar_at_far_0.001", lambda x: _f(x["tar_at_far_0.001"], True))
    row("EER", "eer", lambda x: _f(x["eer"], True))
    row("pass threshold (lower = alike)", "pass_threshold", lambda x: f"{x['pass_threshold']:.3f}")
    row("TAR at pass threshold", "tar_at_configured", lambda x: _f(x["tar_at_configured"], True))
    row("genuine not passed (review + fail)", "genuine_not_passed", lambda x: _n(x["genuine_not_passed"], x["genuine_pairs"]))
    row("genuine failed (beyond review line)", "genuine_failed", lambda x: _n(x["genuine_failed"], x["genuine_pairs"]))
    row("impostor passed", "impostor_passed", lambda x: _n(x["impostor_passed"], x["impostor_pairs"]))
    row("impostor to review", "impostor_in_review", lambda x: _n(x["impostor_in_review"], x["impostor_pairs"]))
    return lines


def render_verification(v: dict[str, Any]) -> list[str]:
    lines = ["## Face match: dlib, SFace and their fusion (pairs of photos)",
             f"images {v['images']}; failed to enrol (no face) {v['fte_images']}; a face but no SFace "
             f"descriptor (no mesh points) {v['images_without_sface']}. Units: dlib distance, SFace 1 - cosine, fused score."]
    lines += _set_table("Western colour pairs (pairs.csv without ORL)", v["colour"], TARGETS["colour"])
    if "eastasian" in v:
        lines += _set_table("East-Asian pairs (pairs_eastasian.csv)", v["eastasian"], TARGETS["eastasian"])
        lines += _set_table("East-Asian men only", v["eastasian_men"])
    lines += _set_table("Older adults (colour pairs touching an identity of ~60+)", v["older_adults"])
    lines.append("")
    lines.append("| subset | images (FTE) | genuine / impostor | genuine not passed: dlib / SFace / fusion | impostor passed: dlib / SFace / fusion |")
    lines.append("|---|---|---|---|---|")
    for name, m in v["subsets"].items():
        lines.append(f"| {name} | ({m.get('fte_images', '-')}) | {m['genuine_pairs']} / {m['impostor_pairs']} | "
                     + " / ".join(str(m[k]["genuine_not_passed"]) for k in COLUMNS) + " | "
                     + " / ".join(str(m[k]["impostor_passed"]) for k in COLUMNS) + " |")
    lines.append("")
    lines.append("Fusion weight (w = SFace share) at the shipped pass score: EER / TAR@FAR 1e-3 / TAR at pass / impostors passed")
    sets = list(v["weights"])
    lines.append("| w | " + " | ".join(sets) + " |")
    lines.append("|---|" + "---|" * len(sets))
    for w in WEIGHTS:
        k = f"{w:g}"
        lines.append(f"| {k} | " + " | ".join(
            f"{_f(v['weights'][st][k]['eer'], True)} / {_f(v['weights'][st][k]['tar_at_far_0.001'], True)} / "
            f"{_f(v['weights'][st][k]['tar_at_pass'], True)} / {v['weights'][st][k]['impostor_passed']}" for st in sets) + " |")
    if "weights_at_eastasian_far" in v:
        lines.append("")
        lines.append(f"Fusion weight at the stated operating point (largest pass score with East-Asian FAR <= "
                     f"{EASTASIAN_FAR_TARGET:.1%}): threshold, TAR and impostors passed on each set")
        lines.append("| w | pass score | East-Asian TAR (impostors passed) | colour TAR (impostors passed) |")
        lines.append("|---|---|---|---|")
        for w, m in v["weights_at_eastasian_far"].items():
            lines.append(f"| {w} | {_f(m['threshold'])} | {_f(m['ref_tar'], True)} ({m['ref_impostor_passed']}) | "
                         f"{_f(m['other_tar'], True)} ({m['other_impostor_passed']}) |")
    lines.append("")
    lines.append("Fused-score operating points (TAR / FAR, impostors passed) at the shipped weight")
    lines.append("| set | " + " | ".join(f"<= {t:g}" for t in FUSION_POINTS) + " |")
    lines.append("|---|" + "---|" * len(FUSION_POINTS))
    for st, pts in v["fusion_points"].items():
        lines.append(f"| {st} | " + " | ".join(f"{_f(o['tar'], True)} / {_f(o['far'], True)} ({o['impostor_passed']})"
                                               for o in pts.values()) + " |")
    return lines


def render_video_identity(vi: dict[str, Any]) -> list[str]:
    lines = ["", "## Video vs template: every live clip against the first-frame template of every identity",
             f"clips {vi['clips']}, identities {vi['identities']}; template enrolment failed: {vi['enrol_failed'] or 'none'}; "
             f"clips with no embedded frame: {vi['clips_without_embedded_frames'] or 'none'}",
             "| pairs | n | dlib pass / review / fail | SFace pass / fail | fusion pass / review / fail | target |",
             "|---|---|---|---|---|---|"]
    for key, label, target in (("all", "impostor, all", "fusion passes 0"),
                               ("eastasian", "impostor, East-Asian identities", "fusion passes 0"),
                               ("eastasian_men", "impostor, East-Asian men", "fusion passes 0"),
                               ("genuine", "genuine (own template)", "")):
        g = vi[key]
        lines.append(f"| {label} | {g['pairs']} | {g['dlib']['pass']} / {g['dlib']['review']} / {g['dlib']['fail']} | "
                     f"{g['sface']['pass']} / {g['sface']['fail']} | "
                     f"{g['fusion']['pass']} / {g['fusion']['review']} / {g['fusion']['fail']} | {target} |")
    for key in ("all", "eastasian_men"):
        if vi[key]["passed_pairs"]:
            lines.append(f"fusion passes ({key}): " + ", ".join(vi[key]["passed_pairs"]))
    return lines


def render(report: dict[str, Any]) -> str:
    lines: list[str] = []
    v = report.get("verification")
    if v:
        lines += render_verification(v)
    if report.get("video_identity"):
        lines += render_video_identity(report["video_identity"])
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
    ap.add_argument("--pairs-eastasian", type=Path, default=None, help="reported apart (default: next to --pairs)")
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
        args.pairs_eastasian = args.pairs_eastasian or args.evaldata / "verification" / "pairs_eastasian.csv"
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
        report["verification"] = evaluate_verification(args.pairs, models, config, args.target_far, args.limit,
                                                       args.pairs_eastasian)
    if args.labels:
        clips: dict = {}
        report["liveness"] = evaluate_liveness(args.labels, models, config, args.limit, clips_out=clips)
        report["video_identity"] = evaluate_video_identity(clips, args.labels.parent, models, config)
        report["pad_images"] = evaluate_pad_images(args.labels, models, config, args.limit)
    print(render(report))
    args.out.write_text(json.dumps(report, indent=2, default=float))
    print(f"\nJSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
