"""The schedule: ``rq cron jobs/cron.py --url $LIFECERT_REDIS_URL`` (scripts/embedded.py starts it).

The outbox sweeper runs every minute (LIFECERT_OUTBOX_SWEEP_S shortens it for drills) on the
messages queue, so the message workers run it. rq cron reads cron strings in the host's local
time, so nothing a user sees hangs on one: the daily cycle run ticks every minute and runs each
agency once its own 01:30 has passed (flows.daily).
"""

from rq import cron

from jobs.console import daily, tick
from jobs.maintenance import apply_video_retention, recover_attempts
from jobs.messaging import sweep_outbox
from settings import load_settings
from storage.queues import DEFAULT, MESSAGES

cron.register(recover_attempts, DEFAULT, interval=load_settings().recovery_interval_s, job_timeout=120,
              name="recover-attempts")
cron.register(apply_video_retention, DEFAULT, cron="30 3 * * *", job_timeout=3600, name="video-retention")
cron.register(daily, DEFAULT, interval=60, job_timeout=3600, name="lifecert-daily-cycle")
cron.register(tick, DEFAULT, interval=60, job_timeout=50, name="lifecert-campaign-watchdog")
cron.register(sweep_outbox, MESSAGES, interval=load_settings().outbox_sweep_s, job_timeout=120, name="outbox-sweeper")
