"""Face analysis for proof-of-life certification: video input, detection, landmarks,
liveness, anti-spoofing and 1:1 matching. No Flask, no storage, no settings: callers
pass a ``VisionConfig`` and a ``VisionModels`` from ``load_models`` (once per worker).

    from vision import analyze_video, enroll_photo, VisionConfig, load_models, ACTIONS
    models = load_models(config)
    verdict = analyze_video(video, challenge=["blink", "turn_left"], templates=[t], config=config, models=models)
"""

from vision.config import VisionConfig
from vision.enroll import EnrollmentResult, enroll_photo, frame_template
from vision.liveness import ACTIONS
from vision.loading import VisionModels, load_models
from vision.pipeline import Verdict, analyze_video

__all__ = [
    "ACTIONS",
    "EnrollmentResult",
    "Verdict",
    "VisionConfig",
    "VisionModels",
    "analyze_video",
    "enroll_photo",
    "frame_template",
    "load_models",
]
