"""The schedule: ``rq cron jobs/cron.py --url $LIFECERT_REDIS_URL`` (scripts/embedded.py starts it)."""

from rq import cron

from jobs.maintenance import apply_video_retention, recover_attempts
from jobs.queues import DEFAULT

cron.register(recover_attempts, DEFAULT, interval=60, job_timeout=120, name="recover-attempts")
cron.register(apply_video_retention, DEFAULT, cron="30 3 * * *", job_timeout=3600, name="video-retention")
