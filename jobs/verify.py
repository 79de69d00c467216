"""The verification job on the ``videos`` queue: tags the logs with the job id, runs the use case.

Run the videos queue with rq's SimpleWorker (no fork per job) so the face models,
held by the process's Services, are loaded once per worker and kept between videos:
``rq worker -w rq.worker.SimpleWorker videos``.
"""

from __future__ import annotations

import logging

from rq import get_current_job

from flows import verification
from flows.ports import Services
from jobs.context import get_services
from logconfig import job_id as job_id_var

log = logging.getLogger("lifecert.jobs.verify")


def verify_attempt(attempt_id: str, services: Services | None = None) -> str:
    """Verify one attempt; returns the recorded status. Safe to run more than once."""
    services = services or get_services()
    current = get_current_job()
    token = job_id_var.set(current.id if current else f"verify-{attempt_id}")
    try:
        return verification.verify_attempt(services, attempt_id)
    finally:
        job_id_var.reset(token)
