"""The verification job: object store → vision → verdict, run by an rq worker.

Run the videos queue with rq's SimpleWorker (no fork per job) so the face models
are loaded once per worker process and kept, not reloaded for every video:
``rq worker -w rq.worker.SimpleWorker videos``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from logconfig import job_id as job_id_var

log = logging.getLogger("lifecert.jobs.verify")


_loaded: dict = {}


def _vision(settings):
    """The config and the loaded models, once per worker process (loading takes about a second)."""
    import vision

    config = settings.vision_config()
    key = repr(config)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = (config, vision.load_models(config))
    return _loaded[key]


def verify_attempt(attempt_id: str, services=None) -> str:
    """Verify one attempt; returns the recorded verdict. Safe to run more than once."""
    from rq import get_current_job

    from flows.certify import load_for_verification, mark_running, record_verdict

    from jobs.context import get_services

    services = services or get_services()
    current = get_current_job()
    token = job_id_var.set(current.id if current else f"verify-{attempt_id}")
    try:
        work = load_for_verification(services, attempt_id)
        if work is None:
            log.info("attempt already finished", extra={"attempt_id": attempt_id})
            return "done"
        mark_running(services, attempt_id)
        if work.reused:
            from flows.certify import REUSED_VIDEO

            log.warning("video submitted before", extra={"attempt_id": attempt_id})
            return record_verdict(services, attempt_id, REUSED_VIDEO, now=dt.datetime.now(dt.timezone.utc))
        started = time.perf_counter()
        config, models = _vision(services.settings)
        import vision

        with services.objects.local_copy(work.video_key) as path:
            verdict = vision.analyze_video(path, challenge=work.actions, templates=work.templates,
                                           config=config, models=models)
        log.info("vision done", extra={"attempt_id": attempt_id, "verdict": verdict.verdict,
                                       "reasons": verdict.reasons, "seconds": round(time.perf_counter() - started, 3)})
        return record_verdict(services, attempt_id, verdict, now=dt.datetime.now(dt.timezone.utc))
    finally:
        job_id_var.reset(token)
