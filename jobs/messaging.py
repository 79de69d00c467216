"""rq jobs on the ``messages`` queue: sending WeChat template and customer-service messages."""

from __future__ import annotations

from flows.outbox import deliver, resume_sending, sweep
from jobs.context import get_services


def send_notification(notification_id: int) -> str:
    """Send one Notification row (see flows.outbox.deliver); returns its new status."""
    return deliver(get_services(), notification_id)


def resume_paused() -> int:
    """Scheduled for when a 45009 pause ends: put the waiting messages back on the queue."""
    return resume_sending(get_services())


def sweep_outbox() -> dict[str, int]:
    """rq cron, every minute: hand the sender every message row whose lease ran out (see flows.outbox.sweep)."""
    return sweep(get_services())
