"""The schedule: ``rq cron jobs/cron.py --url $LIFECERT_REDIS_URL`` (scripts/embedded.py starts it).

The outbox sweeper runs every minute (LIFECERT_OUTBOX_SWEEP_S shortens it for drills) on the
messages queue, so the message workers run it. Times are server time (Beijing in production).
The daily cycle run is at 01:30, after the night's payment file has been cut.
"""

from rq import cron

from jobs.console import run_cycle, tick
from jobs.maintenance import apply_video_retention, recover_attempts
from jobs.messaging import sweep_outbox
from settings import load_settings
from storage.queues import DEFAULT, MESSAGES

cron.register(recover_attempts, DEFAULT, interval=load_settings().recovery_interval_s, job_timeout=120,
              name="recover-attempts")
cron.register(apply_video_retention, DEFAULT, cron="30 3 * * *", job_timeout=3600, name="video-retention")
cron.register(run_cycle, DEFAULT, cron="30 1 * * *", job_timeout=3600, name="lifecert-daily-cycle")
cron.register(tick, DEFAULT, interval=60, job_timeout=50, name="lifecert-campaign-watchdog")
cron.register(sweep_outbox, MESSAGES, interval=load_settings().outbox_sweep_s, job_timeout=120, name="outbox-sweeper")
