"""Writing the append-only audit log. Details hold row ids and counts, never personal data.

The log is evidence, so its entries are hash-chained: each entry's ``entry_hash`` is the
sha256 of the previous entry's hash and of this entry's content. Editing, deleting or
inserting a row in the middle breaks the chain, and :func:`verify_chain` (the
``flask audit-verify`` command) finds the first entry where it breaks. On PostgreSQL the
writers queue on an advisory lock, so the chain stays a line under concurrent writers; on
SQLite they queue on its write lock, taken (by a write that changes nothing) before the last
hash is read — else two writers could read the same last entry and fork the chain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from logconfig import request_id
from storage.models import AuditLog, utcnow

_CHAIN_LOCK = 0x6C6966  # pg_advisory_xact_lock key: one audit writer at a time per transaction
_MAX_REQUEST_ID = 32


def _at_text(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def entry_digest(prev_hash: str | None, entry: AuditLog) -> str:
    """The hash of one entry: its content (canonical JSON) and the previous entry's hash."""
    content = json.dumps([
        prev_hash or "", _at_text(entry.at), entry.actor_kind, entry.actor_id, entry.action, entry.target_kind,
        entry.target_id, entry.detail or {}, entry.request_id,
    ], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    """Hold the chain until this transaction ends, before the last hash is read."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    else:  # SQLite: a write that changes nothing still takes the database's write lock for the transaction
        session.execute(text("DELETE FROM audit_log WHERE 0 = 1"))


def record(session: Session, actor_kind: str, action: str, *, actor_id: str | int | None = None,
           target_kind: str | None = None, target_id: str | int | None = None, at: dt.datetime | None = None,
           **detail) -> AuditLog:
    """Append one entry, chained to the last; ``at`` (default now) is fixed before the hash, never changed after."""
    rid = request_id.get()
    entry = AuditLog(
        at=at or utcnow(),
        actor_kind=actor_kind,
        actor_id=None if actor_id is None else str(actor_id),
        action=action,
        target_kind=target_kind,
        target_id=None if target_id is None else str(target_id),
        detail=detail,
        request_id=rid[:_MAX_REQUEST_ID] if rid else None,
    )
    _lock_chain(session)
    prev = session.scalar(select(AuditLog.entry_hash).order_by(AuditLog.id.desc()).limit(1))  # autoflushes ours
    entry.prev_hash = prev
    entry.entry_hash = entry_digest(prev, entry)
    session.add(entry)
    session.flush()
    return entry


def record_many(session: Session, actor_kind: str, action: str, entries: list[dict]) -> int:
    """Many entries of one action in one bulk INSERT, chained in order. Each dict: target_kind, target_id, detail."""
    if not entries:
        return 0
    _lock_chain(session)
    prev = session.scalar(select(AuditLog.entry_hash).order_by(AuditLog.id.desc()).limit(1))
    rid = request_id.get()
    rows = []
    for item in entries:
        entry = AuditLog(at=utcnow(), actor_kind=actor_kind, actor_id=None, action=action,
                         target_kind=item.get("target_kind"),
                         target_id=None if item.get("target_id") is None else str(item["target_id"]),
                         detail=item.get("detail") or {}, request_id=rid[:_MAX_REQUEST_ID] if rid else None)
        digest = entry_digest(prev, entry)
        rows.append({"at": entry.at, "actor_kind": entry.actor_kind, "actor_id": None, "action": action,
                     "target_kind": entry.target_kind, "target_id": entry.target_id, "detail": entry.detail,
                     "request_id": entry.request_id, "prev_hash": prev, "entry_hash": digest})
        prev = digest
    session.execute(insert(AuditLog), rows)
    return len(rows)


@dataclasses.dataclass
class ChainReport:
    checked: int
    unchained: int  # entries written before the chain existed (migration 0011)
    broken_at: int | None  # id of the first entry that does not fit
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in id order and recompute every hash."""
    checked = unchained = 0
    prev: str | None = None
    started = False
    last_id = 0
    while True:
        rows = list(session.scalars(select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)))
        if not rows:
            return ChainReport(checked, unchained, None)
        for entry in rows:
            last_id = entry.id
            if entry.entry_hash is None and not started:
                unchained += 1
                continue
            started = True
            checked += 1
            if entry.entry_hash is None or entry.prev_hash != prev:
                return ChainReport(checked, unchained, entry.id, "link to the previous entry is broken")
            if entry_digest(prev, entry) != entry.entry_hash:
                return ChainReport(checked, unchained, entry.id, "content does not match its hash")
            prev = entry.entry_hash
        session.expunge_all()
