"""1:1 identity decision: two embedding models fused into one score, pass / review / fail
thresholds, several frames and several templates, and quality-aware borderline handling.

Why two models: dlib alone accepts 16 % of East-Asian impostor pairs at its pass distance;
SFace alone is far better there but a little weaker on the Western colour pairs; their
fusion is better than either on both (vision/README.md, "Face match", has the tables).

Score (lower = more alike; 1.0 = each model's published operating point)::

    s_dlib  = euclidean_distance / 0.6          (dlib's published threshold)
    s_sface = (1 - cosine) / (1 - 0.363)        (OpenCV's published SFace threshold)
    score   = w * s_sface + (1 - w) * s_dlib    (w = VisionConfig.match_sface_weight)

Nothing is fitted: the two scalings are the models' published thresholds, and ``w`` and
the thresholds were read off the operating-point tables of ``python -m vision.evaluate``
on the Western colour pairs and the East-Asian pairs, each reported separately.

Several frames, several templates: per frame, the best (lowest) score over the person's
active templates counts (every template is the same person, enrolled at another time; the
one that matched is reported), then the **median** over frames: one lucky frame cannot
pass a stranger and one blurred frame cannot fail the person.

One model missing (not loaded, failed, or the template was made before SFace): the
decision is "review" at best, never a pass on one model; the reason says which.

Quality: when the score is in the fail zone but within ``match_quality_margin`` of the
review line, and the frame or the enrolled photo is small, blurred, dark, over-exposed or
turned, the decision is "review" (a person looks) instead of "fail"; ``why`` names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence, TypeVar

import numpy as np

from vision.config import VisionConfig
from vision.templates import FaceQuality, FaceTemplate

DLIB_PUBLISHED_DISTANCE = 0.6
SFACE_PUBLISHED_COSINE = 0.363


def scaled_dlib(dist: float) -> float:
    return float(dist) / DLIB_PUBLISHED_DISTANCE


def scaled_sface(cos: float) -> float:
    return (1.0 - float(cos)) / (1.0 - SFACE_PUBLISHED_COSINE)


#: A fused score is computed for one pair (float) or for a column of pairs (the evaluation).
Score = TypeVar("Score", float, np.ndarray)


def fuse(s_dlib: Score, s_sface: Score, sface_weight: float) -> Score:
    return sface_weight * s_sface + (1.0 - sface_weight) * s_dlib


@dataclass
class FrameFace:
    """Descriptors of one face (a video frame or a photo) and its quality."""

    dlib: np.ndarray | None = None
    sface: np.ndarray | None = None
    quality: FaceQuality = field(default_factory=FaceQuality)


@dataclass
class MatchResult:
    decision: str  # "pass" | "review" | "fail"
    reason: str | None  # None (pass), "match_uncertain" or "not_same_person"
    score: float | None  # fused median over frames (None: no fused score)
    frame_scores: list[float]
    template_index: int | None  # which template matched best (most frames)
    why: list[str]  # what moved a decision to review (one model, quality flags, borderline)
    per_model: dict[str, Any]

    def to_scores(self) -> dict[str, Any]:
        """The verdict's ``scores`` entries (kept flat and JSON-able for the reviewer)."""
        out: dict[str, Any] = {
            "match_score": self.score,
            "match_scores": self.frame_scores,
            "match_template": self.template_index,
            "match_review_why": list(self.why),
        }
        out.update(self.per_model)
        return out


def pair_scores(face: FrameFace, t: FaceTemplate) -> tuple[float | None, float | None]:
    """(dlib distance, SFace cosine) of one face against one template (None = model missing)."""
    d = float(np.linalg.norm(face.dlib - t.dlib)) if face.dlib is not None and t.dlib is not None else None
    c = None
    if face.sface is not None and t.sface is not None:
        c = float(face.sface @ t.sface / (np.linalg.norm(face.sface) * np.linalg.norm(t.sface) + 1e-12))
    return d, c


def fused_pair(face: FrameFace, t: FaceTemplate, config: VisionConfig) -> float | None:
    d, c = pair_scores(face, t)
    if d is None or c is None:
        return None
    return fuse(scaled_dlib(d), scaled_sface(c), config.match_sface_weight)


def quality_flags(q: FaceQuality | None, prefix: str, config: VisionConfig) -> list[str]:
    """Which quality limits a face misses (NaN = not measured = no flag)."""
    if q is None:
        return []
    out = []
    if q.face_px < config.match_min_face_px:
        out.append(f"{prefix}_face_small")
    if q.sharpness < config.match_min_sharpness:
        out.append(f"{prefix}_blurred")
    if q.luma < config.match_min_luma:
        out.append(f"{prefix}_dark")
    if q.luma > config.match_max_luma:
        out.append(f"{prefix}_bright")
    if abs(q.yaw) > config.match_max_yaw_deg:
        out.append(f"{prefix}_turned")
    return out


def match_faces(frames: Sequence[FrameFace], templates: Sequence[FaceTemplate], config: VisionConfig) -> MatchResult:
    """The identity decision for the embedded frames of one certification."""
    per_model: dict[str, Any] = {}
    dl = [min((d for d, _ in (pair_scores(f, t) for t in templates) if d is not None), default=None) for f in frames]
    cs = [max((c for _, c in (pair_scores(f, t) for t in templates) if c is not None), default=None) for f in frames]
    if any(v is not None for v in dl):
        per_model["match_distance"] = float(np.median([v for v in dl if v is not None]))  # dlib, as before
    if any(v is not None for v in cs):
        per_model["match_sface_cosine"] = float(np.median([v for v in cs if v is not None]))

    best: list[tuple[float, int]] = []
    for f in frames:
        scored = [(s, i) for i, t in enumerate(templates) if (s := fused_pair(f, t, config)) is not None]
        if scored:
            best.append(min(scored))
    if not best:
        # one model only: never a pass, never an automatic fail on identity
        missing = []
        if not any(f.sface is not None for f in frames) or not any(t.sface is not None for t in templates):
            missing.append("sface")
        if not any(f.dlib is not None for f in frames) or not any(t.dlib is not None for t in templates):
            missing.append("dlib")
        why: list[str] = ["one_model_only"] + [f"missing_{m}" for m in missing]
        if any(t.sface is None for t in templates):
            why.append("template_without_sface")
        return MatchResult("review", "match_uncertain", None, [], _one_model_best(frames, templates), why, per_model)

    scores = [s for s, _ in best]
    score = float(np.median(scores))
    idx = [i for _, i in best]
    template_index = max(set(idx), key=lambda i: (idx.count(i), -min(s for s, j in best if j == i)))
    why = []
    if score <= config.match_pass_score:
        return MatchResult("pass", None, score, scores, template_index, why, per_model)
    if score <= config.match_review_score:
        why.append("borderline")
        return MatchResult("review", "match_uncertain", score, scores, template_index, why, per_model)
    if score <= config.match_review_score + config.match_quality_margin:
        flags = [fl for f in frames for fl in quality_flags(f.quality, "frame", config)]
        flags += quality_flags(templates[template_index].quality, "photo", config)
        flags = list(dict.fromkeys(flags))
        if flags:
            return MatchResult("review", "match_uncertain", score, scores, template_index, flags, per_model)
    return MatchResult("fail", "not_same_person", score, scores, template_index, why, per_model)


def _one_model_best(frames: Sequence[FrameFace], templates: Sequence[FaceTemplate]) -> int | None:
    """The template the one available model finds closest (reported, never decisive)."""
    best: tuple[float, int] | None = None
    for f in frames:
        for i, t in enumerate(templates):
            d, c = pair_scores(f, t)
            s = scaled_dlib(d) if d is not None else scaled_sface(c) if c is not None else None
            if s is not None and (best is None or s < best[0]):
                best = (s, i)
    return best[1] if best else None


def needs_another_frame(face: FrameFace, templates: Sequence[FaceTemplate], config: VisionConfig) -> bool:
    """One frame decides unless its fused score is near a threshold (or there is none)."""
    scored = [s for t in templates if (s := fused_pair(face, t, config)) is not None]
    if not scored:
        return bool(templates)
    s = min(scored)
    m = config.embed_second_margin
    return abs(s - config.match_pass_score) < m or abs(s - config.match_review_score) < m
