"""Writing the append-only audit log. Details hold row ids and counts, never personal data."""

from __future__ import annotations

from sqlalchemy.orm import Session

from logconfig import request_id
from storage.models import AuditLog


def record(session: Session, actor_kind: str, action: str, *, actor_id: str | int | None = None,
           target_kind: str | None = None, target_id: str | int | None = None, **detail) -> AuditLog:
    entry = AuditLog(
        actor_kind=actor_kind,
        actor_id=None if actor_id is None else str(actor_id),
        action=action,
        target_kind=target_kind,
        target_id=None if target_id is None else str(target_id),
        detail=detail,
        request_id=request_id.get(),
    )
    session.add(entry)
    return entry
