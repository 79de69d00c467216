"""rq cron configuration: ``rq cron jobs/schedule.py --url $LIFECERT_REDIS_URL``.

The daily cycle run at 01:30 (server time; Beijing in production), after the
night's payment file has been cut; the campaign watchdog every minute.
"""

from rq import cron

from jobs.console import run_cycle, tick

cron.register(run_cycle, "default", cron="30 1 * * *", job_timeout=3600, name="lifecert-daily-cycle")
cron.register(tick, "default", interval=60, job_timeout=50, name="lifecert-campaign-watchdog")
