"""analyze_video: one selfie video + challenge + enrolled templates -> pass / fail / review.

Order of work (why): decode once and convert only ~10 frames a second; the face mesh
(3 ms) runs on those; the detector, anti-spoofing and the 80 ms dlib embedding run only
on the few frames that need them. Verdict rules:

* ``fail``   the video shows something wrong that the user can fix or that indicates an
             attack: unusable file, no / several / small / dark / blurred face, face left
             the frame, action missing or out of order, spoof evidence, different person.
* ``review`` the machine cannot decide: a model is missing or broken, the match or the
             anti-spoof score is in its uncertainty band, or no template was given.
* ``pass``   only when every check ran on every model and all of them agreed.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import cv2
import numpy as np

from vision.binding import ADVICE as BINDING_ADVICE
from vision.binding import BindingConfig, judge_binding
from vision.config import VisionConfig
from vision.detect import FaceBox
from vision.landmarks import FrameMeasure, measure
from vision.liveness import ACTIONS, Series, check_order, detect_actions, parallax
from vision.loading import VisionModels, load_models
from vision.match import FrameFace, match_faces, needs_another_frame
from vision.quality import luma_and_sharpness
from vision.templates import FaceQuality, FaceTemplate, parse_template
from vision.timeline import Timeline
from vision.video import DecodedVideo, VideoRejected, load_video

log = logging.getLogger("lifecert.vision")

#: Reason key -> advice keys (the bot turns advice keys into plain Chinese).
ADVICE: dict[str, tuple[str, ...]] = {
    "video_unusable": ("try_again",),
    "no_face": ("face_in_frame", "more_light"),
    "several_faces": ("alone_in_frame",),
    "face_too_small": ("move_closer",),
    "too_dark": ("more_light",),
    "too_blurred": ("hold_phone_steady", "more_light"),
    "face_left_frame": ("face_in_frame",),
    "action_missing": ("follow_prompts_in_order", "remove_glasses_hat"),
    "actions_out_of_order": ("follow_prompts_in_order",),
    "spoof_suspected": ("go_offline",),
    "not_same_person": ("go_offline",),
    "match_uncertain": ("wait_for_review",),
    "no_template": ("wait_for_review",),
    "model_unavailable": ("wait_for_review",),
}
ADVICE.update(BINDING_ADVICE)  # issue 15: light, windows, earlier uploads (vision/binding.py)

#: Reasons whose presence alone makes the verdict at most "review" (never "fail").
REVIEW_REASONS = frozenset({"model_unavailable", "match_uncertain", "no_template"})


@dataclass
class Verdict:
    verdict: str
    reasons: list[str]
    advice: list[str]
    scores: dict[str, Any]
    best_frame_jpeg: bytes | None
    models: dict[str, str]
    timings: dict[str, float]
    cpu_timings: dict[str, float] = field(default_factory=dict)
    challenge: list[str] = field(default_factory=list)
    video: dict[str, Any] = field(default_factory=dict)
    #: Template (vision.templates bytes) of the best embedded frame, when both face models
    #: ran on it: what a supervised or strong certification may enrol as an extra template.
    best_frame_template: bytes | None = None
    #: Content fingerprint of this clip (vision.fingerprint), when the challenge was a
    #: Timeline: stored with the upload and passed back as an earlier fingerprint.
    fingerprint: bytes | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable record (no image bytes)."""
        return {
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "advice": list(self.advice),
            "scores": _jsonable(self.scores),
            "has_best_frame": self.best_frame_jpeg is not None,
            "models": dict(self.models),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "cpu_timings": {k: round(v, 4) for k, v in self.cpu_timings.items()},
            "challenge": list(self.challenge),
            "video": _jsonable(self.video),
            "has_best_frame_template": self.best_frame_template is not None,
        }


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return round(v, 4) if np.isfinite(v) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


class _Timer:
    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c


@dataclass
class Evidence:
    """Everything measured on one clip, independent of the challenge and the templates.
    ``vision.evaluate`` reuses it to score every action on one pass over the video."""

    video: DecodedVideo | None
    measures: list[FrameMeasure]
    series: Series | None
    events: dict
    luma: list[float]
    sharpness: list[float]
    boxes: dict[int, list[FaceBox]]  # sampled-frame position -> detector boxes (analysis pixels)
    main_box: dict[int, FaceBox]
    spoof_scores: list[float]
    embeddings: list[tuple[int, FrameFace]]
    best_pos: int | None
    errors: list[str]


def _iou(a: tuple[float, float, float, float], b: FaceBox) -> float:
    x1, y1 = max(a[0], b.x1), max(a[1], b.y1)
    x2, y2 = min(a[2], b.x2), min(a[3], b.y2)
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    return inter / (area_a + b.area - inter + 1e-9)


def _spread(positions: Sequence[int], k: int) -> list[int]:
    """k positions evenly spread over ``positions`` (all of them when fewer)."""
    positions = list(positions)
    if len(positions) <= k:
        return positions
    idx = np.linspace(0, len(positions) - 1, k).round().astype(int)
    return [positions[i] for i in sorted(set(idx.tolist()))]


def gather_evidence(
    decoded: DecodedVideo,
    models: VisionModels,
    config: VisionConfig,
    timer: _Timer,
    need_embedding: bool = True,
    templates: list[FaceTemplate] | None = None,
) -> Evidence:
    """Run the models on the sampled frames (see module docstring for the budget)."""
    frames = decoded.frames
    ev = Evidence(decoded, [], None, {}, [], [], {}, {}, [], [], None, [])

    with timer.stage("landmarks"):
        if models.landmarks_ok:
            try:
                with models.new_landmarker() as tracker:
                    for f in frames:
                        pts = tracker.landmarks(f.rgb)
                        h, w = f.rgb.shape[:2]
                        ev.measures.append(
                            measure(pts, w, h, f.t, config.mirrored_input) if pts is not None else FrameMeasure(f.t, False)
                        )
            except Exception as exc:  # noqa: BLE001
                models.mark_broken("landmarks", f"{exc.__class__.__name__}: {exc}"[:200])
                ev.errors.append("landmarks")
                ev.measures = []
    face_pos = [i for i, m in enumerate(ev.measures) if m.face]

    with timer.stage("quality"):
        for i in _spread(face_pos, config.quality_frames):
            box = ev.measures[i].box
            if box is None:  # a frame with a face always has its box
                continue
            lu, sh = luma_and_sharpness(frames[i].rgb, box)
            ev.luma.append(lu)
            ev.sharpness.append(sh)

    with timer.stage("liveness"):
        if ev.measures:
            ev.series = Series.from_measures(ev.measures)
            ev.events = detect_actions(ev.series, config)

    # Rank face frames for the reviewer's picture and the embedding: frontal, eyes open,
    # mouth near closed, sharp.
    ranked: list[int] = []
    frontal: list[int] = []
    if face_pos and ev.series is not None:
        s = ev.series
        yaw0 = float(np.nanmedian(s.yaw[face_pos]))
        pitch0 = float(np.nanmedian(s.pitch[face_pos]))
        ear = (s.ear_r + s.ear_l) / 2
        ear_base = float(np.nanpercentile(ear[face_pos], 80)) or 1.0
        sharp = dict(zip(_spread(face_pos, config.quality_frames), ev.sharpness))
        sh_ref = float(np.nanmedian(ev.sharpness)) or 1.0

        def badness(i: int) -> float:
            b = abs(s.yaw[i] - yaw0) / 10 + abs(s.pitch[i] - pitch0) / 10
            b += max(0.0, 0.9 - ear[i] / ear_base) * 5 + max(0.0, s.mar[i] - 0.15) * 5
            b += max(0.0, 1.0 - sharp.get(i, sh_ref) / sh_ref)  # unmeasured frames: neutral
            return float(b) if np.isfinite(b) else 1e9

        ranked = sorted(face_pos, key=badness)
        ev.best_pos = ranked[0]
        # MiniFASNet was trained on near-frontal faces; its score on a head turned by
        # 40-60 degrees is noise (0.25-0.86 on one webcam clip), so it reads frontal frames.
        frontal = [i for i in face_pos if abs(s.yaw[i] - yaw0) <= config.antispoof_max_yaw_deg
                   and abs(s.pitch[i] - pitch0) <= config.antispoof_max_yaw_deg]

    with timer.stage("detect"):
        if models.detector is not None:
            pool = frontal if len(frontal) >= config.detect_frames else list(range(len(frames)))
            want = _spread(pool, config.detect_frames)
            if need_embedding:
                want = sorted(set(want) | set(ranked[: config.embed_frames]))
            try:
                for i in want:
                    boxes = models.detector.detect(frames[i].rgb, config.det_score_threshold)
                    ev.boxes[i] = boxes
                    if not boxes:
                        continue
                    m = ev.measures[i] if i < len(ev.measures) else None
                    mbox = m.box if m is not None and m.face else None
                    if mbox is not None:
                        best = max(boxes, key=lambda b: _iou(mbox, b))
                        if _iou(mbox, best) < 0.2:
                            best = boxes[0]
                    else:
                        best = boxes[0]
                    ev.main_box[i] = best
            except Exception as exc:  # noqa: BLE001
                models.mark_broken("detector", f"{exc.__class__.__name__}: {exc}"[:200])
                ev.errors.append("detector")

    with timer.stage("antispoof"):
        if models.antispoof is not None and ev.main_box:
            try:
                cands = [i for i in sorted(ev.main_box) if i in set(frontal)] or sorted(ev.main_box)
                for i in _spread(cands, config.antispoof_frames):
                    ev.spoof_scores.append(models.antispoof.live_score(frames[i].rgb, ev.main_box[i]))
            except Exception as exc:  # noqa: BLE001
                models.mark_broken("antispoof", f"{exc.__class__.__name__}: {exc}"[:200])
                ev.errors.append("antispoof")
                ev.spoof_scores = []

    with timer.stage("embedding"):
        if need_embedding and (models.embedder is not None or models.sface is not None):
            for i in [p for p in ranked if p in ev.main_box][: config.embed_frames]:
                face = _frame_face(frames[i].rgb, ev.main_box[i], ev.measures[i], ev.series, i, decoded.scale,
                                   models, ev.errors)
                ev.embeddings.append((i, face))
                if templates is not None and not needs_another_frame(face, templates, config):
                    break
    return ev


def _frame_face(rgb: np.ndarray, box: FaceBox, m: FrameMeasure, series: Series | None, i: int, scale: float,
                models: VisionModels, errors: list[str]) -> FrameFace:
    """Both descriptors of one frame's face (a model that raises is marked broken) and the
    frame's quality for vision.match."""
    face = FrameFace()
    if models.embedder is not None:
        try:
            face.dlib = models.embedder.embed(rgb, box)
        except Exception as exc:  # noqa: BLE001
            models.mark_broken("embedding", f"{exc.__class__.__name__}: {exc}"[:200])
            errors.append("embedding")
    if models.sface is not None and m.five is not None:
        try:
            face.sface = models.sface.embed(rgb, m.five)
        except Exception as exc:  # noqa: BLE001
            models.mark_broken("sface", f"{exc.__class__.__name__}: {exc}"[:200])
            errors.append("sface")
    luma, sharp = luma_and_sharpness(rgb, (box.x1, box.y1, box.x2, box.y2))
    yaw = float(series.yaw[i]) if series is not None and i < len(series.yaw) else float("nan")
    face.quality = FaceQuality(face_px=box.height / scale, sharpness=sharp, luma=luma, yaw=yaw)
    return face


def _longest_gap(t: list[float], present: list[bool]) -> float:
    """Longest stretch (seconds) without a face, counting one sample interval per frame."""
    if len(t) < 2:
        return 0.0
    dt = float(np.median(np.diff(t)))
    best, start = 0.0, None
    for i, ok in enumerate(present + [True]):
        if not ok and start is None:
            start = i
        elif ok and start is not None:
            best = max(best, t[i - 1] - t[start] + dt)
            start = None
    return best


def _validate_challenge(challenge: Sequence[str]) -> list[str]:
    ch = list(challenge)
    if not ch:
        raise ValueError("the challenge must hold at least one action")
    unknown = [a for a in ch if a not in ACTIONS]
    if unknown:
        raise ValueError(f"unknown action(s) {unknown}; allowed: {ACTIONS}")
    return ch


def analyze_video(
    video: str | os.PathLike | bytes,
    challenge: Sequence[str] | Timeline,
    templates: Sequence[bytes | np.ndarray | FaceTemplate] = (),
    config: VisionConfig | None = None,
    models: VisionModels | None = None,
    earlier_fingerprints: Sequence[bytes] = (),
    binding: BindingConfig | None = None,
) -> Verdict:
    """Decide whether a live person did ``challenge`` in order and is the enrolled person.

    ``video`` is a path or the uploaded bytes; ``templates`` are the person's active
    templates (``vision.templates`` bytes, legacy 512-byte dlib ones, or FaceTemplate).
    ``challenge`` is a list of actions (order only) or a ``Timeline`` (issue 15: each action
    in its own window, the light sequence reflected by the face, and no footage of
    ``earlier_fingerprints``, the same person's earlier uploads). Raises ValueError only for
    programming errors (unknown action, malformed template); everything about the video ends
    in a Verdict."""
    config = config or VisionConfig()
    timeline: Timeline | None = None
    if isinstance(challenge, Timeline):
        timeline = challenge
        timeline.validate()
        ch = _validate_challenge(timeline.actions)
    else:
        ch = _validate_challenge(challenge)
    tmpl = [parse_template(t) for t in templates]
    timer = _Timer()
    t_all_w, t_all_c = time.perf_counter(), time.process_time()
    if models is None:
        with timer.stage("load_models"):
            models = load_models(config)

    reasons: list[str] = []
    scores: dict[str, Any] = {}
    video_info: dict[str, Any] = {}
    best_jpeg: bytes | None = None
    best_template: list[bytes] = []
    fp_bytes: list[bytes] = []

    def finish() -> Verdict:
        timer.wall["total"] = time.perf_counter() - t_all_w
        timer.cpu["total"] = time.process_time() - t_all_c
        uniq = list(dict.fromkeys(reasons))
        if not uniq:
            verdict = "pass"
        elif all(r in REVIEW_REASONS or r == "spoof_review" for r in uniq):
            verdict = "review"
        elif "model_unavailable" in uniq and "video_unusable" not in uniq:
            verdict = "review"  # a partial model set never fails or passes on its own
        else:
            verdict = "fail"
        uniq = ["spoof_suspected" if r == "spoof_review" else r for r in uniq]
        uniq = list(dict.fromkeys(uniq))
        advice: list[str] = []
        for r in uniq:
            advice.extend(ADVICE.get(r, ()))
        if verdict == "fail":
            advice.append("try_again")
        out = Verdict(
            verdict=verdict,
            reasons=uniq,
            advice=list(dict.fromkeys(advice)),
            scores=scores,
            best_frame_jpeg=best_jpeg,
            models=models.versions(),
            timings=dict(timer.wall),
            cpu_timings=dict(timer.cpu),
            challenge=ch,
            video=video_info,
            best_frame_template=best_template[0] if best_template else None,
            fingerprint=fp_bytes[0] if fp_bytes else None,
        )
        log.info(
            "vision verdict=%s reasons=%s challenge=%s total=%.2fs",
            out.verdict, ",".join(out.reasons), ",".join(ch), timer.wall["total"],
        )
        return out

    with timer.stage("decode"):
        try:
            decoded = load_video(video, config)
        except VideoRejected as exc:
            reasons.append("video_unusable")
            video_info["rejected"] = exc.detail
            video_info["message"] = str(exc)
            return finish()
    video_info.update(
        format=decoded.format_name, codec=decoded.codec, pix_fmt=decoded.pix_fmt, width=decoded.width,
        height=decoded.height, rotation=decoded.rotation, fps=round(decoded.fps, 3),
        duration_s=round(decoded.duration_s, 3), decoded_frames=decoded.decoded_frames,
        frames_in_file=decoded.info.get("packets"),
        sampled_frames=len(decoded.frames),
    )

    if models.unavailable:
        reasons.append("model_unavailable")
        scores["unavailable_models"] = models.unavailable

    ev = gather_evidence(decoded, models, config, timer, templates=tmpl)
    if ev.errors:
        reasons.append("model_unavailable")
        scores["broken_models"] = ev.errors

    with timer.stage("judge"):
        _judge(ev, ch, tmpl, config, models, reasons, scores)
        if ev.embeddings and ev.embeddings[0][1].dlib is not None and ev.embeddings[0][1].sface is not None:
            f = ev.embeddings[0][1]
            best_template.append(FaceTemplate(dlib=f.dlib, sface=f.sface, quality=f.quality).to_bytes())
    if timeline is not None:
        with timer.stage("binding"):
            fp = judge_binding(ev, timeline, earlier_fingerprints, reasons, scores, binding)
            if fp is not None:
                fp_bytes.append(fp.to_bytes())
    with timer.stage("judge"):
        if ev.best_pos is not None:
            rgb = decoded.frames[ev.best_pos].rgb
            ok, buf = cv2.imencode(
                ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, config.best_frame_jpeg_quality]
            )
            best_jpeg = buf.tobytes() if ok else None
            scores["best_frame_t"] = decoded.frames[ev.best_pos].t
    return finish()


def _judge(
    ev: Evidence,
    challenge: list[str],
    templates: list[FaceTemplate],
    config: VisionConfig,
    models: VisionModels,
    reasons: list[str],
    scores: dict[str, Any],
) -> None:
    """Turn the evidence into reason keys and scores (the rules of the module docstring)."""
    n = len(ev.video.frames) if ev.video else 0
    if not ev.measures:  # landmarks unavailable: nothing else can be judged
        return
    face = [m.face for m in ev.measures]
    face_fraction = sum(face) / max(1, n)
    scores["face_fraction"] = face_fraction
    if face_fraction < config.min_face_fraction:
        reasons.append("no_face")
        return
    gap = _longest_gap([m.t for m in ev.measures], face)
    scores["longest_face_gap_s"] = gap
    if 1.0 - face_fraction > config.max_face_missing_fraction or gap > config.max_face_gap_s:
        reasons.append("face_left_frame")

    # several faces: a second clearly visible face in enough of the checked frames
    if ev.boxes:
        multi = 0
        for i, boxes in ev.boxes.items():
            main = ev.main_box.get(i)
            if main is None:
                continue
            others = [b for b in boxes if b is not main and b.height >= config.second_face_min_ratio * main.height]
            multi += bool(others)
        frac = multi / max(1, len(ev.boxes))
        scores["several_faces_fraction"] = frac
        if frac >= config.several_faces_min_fraction:
            reasons.append("several_faces")

    scale = ev.video.scale if ev.video else 1.0
    heights = [(m.box[3] - m.box[1]) / scale for m in ev.measures if m.face and m.box]
    face_h = float(np.median(heights)) if heights else 0.0
    scores["face_height_px"] = face_h
    if face_h < config.min_face_px:
        reasons.append("face_too_small")
    luma = float(np.nanmedian(ev.luma)) if ev.luma else float("nan")
    sharp = float(np.nanmedian(ev.sharpness)) if ev.sharpness else float("nan")
    scores["face_luma"] = luma
    scores["face_sharpness"] = sharp
    if np.isfinite(luma) and luma < config.min_face_luma:
        reasons.append("too_dark")
    if np.isfinite(sharp) and sharp < config.min_face_sharpness:
        reasons.append("too_blurred")

    # liveness: the actions, in order
    order = check_order(challenge, ev.events)
    scores["actions"] = {a: [e.to_dict() for e in ev.events.get(a, [])] for a in ACTIONS}
    scores["matched_actions"] = [e.to_dict() for e in order.matched]
    if order.missing:
        reasons.append("action_missing")
        scores["missing_actions"] = order.missing
    elif order.out_of_order:
        reasons.append("actions_out_of_order")

    # presentation attack: MiniFASNet + nose/outline parallax during head turns
    px = parallax(ev.series) if ev.series is not None else 0.0
    scores["parallax"] = px
    turns_asked = any(a in ("turn_left", "turn_right") for a in challenge)
    if turns_asked and not order.missing and px < config.min_parallax:
        reasons.append("spoof_suspected")
    if ev.spoof_scores:
        live = float(np.median(ev.spoof_scores))
        scores["spoof_live_score"] = live
        scores["spoof_live_scores"] = ev.spoof_scores
        if live < config.spoof_fail_below:
            reasons.append("spoof_suspected")
        elif live < config.spoof_review_below:
            reasons.append("spoof_review")
    elif models.antispoof is not None:
        # the detector never found the face the mesh tracked: cannot vouch for liveness
        reasons.append("face_too_small" if face_h < 2 * config.min_face_px else "no_face")

    # identity (vision.match: dlib + SFace fused, best template per frame, median over frames)
    if not templates:
        reasons.append("no_template")
    elif models.embedder is not None or models.sface is not None:
        faces = [f for _, f in ev.embeddings]
        if not faces:
            reasons.append("match_uncertain")
        else:
            res = match_faces(faces, templates, config)
            scores.update(res.to_scores())
            if res.reason:
                reasons.append(res.reason)


def analyze_evidence_only(
    video: str | os.PathLike | bytes, config: VisionConfig, models: VisionModels, need_embedding: bool = False
) -> tuple[Evidence | None, str | None]:
    """Challenge-free measurement of a clip (for evaluation): evidence, or the rejection key.
    With ``need_embedding`` the best ``embed_frames`` frames are embedded (no early stop)."""
    timer = _Timer()
    try:
        decoded = load_video(video, config)
    except VideoRejected as exc:
        return None, exc.detail
    return gather_evidence(decoded, models, config, timer, need_embedding=need_embedding), None
