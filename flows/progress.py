"""Progress of long console jobs (imports, campaign planning), kept in Redis for the page to poll.

The job writes, the browser reads every second; a day later the record expires.
Nothing personal goes in: counts, a state, and report lines that show masked
ID numbers only.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

TTL_S = 24 * 3600
PREFIX = "console:job:"


def new_job_key(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(8)}"


def start(redis, key: str, kind: str, agency_id: int, total: int = 0) -> None:
    redis.hset(PREFIX + key, mapping={"kind": kind, "agency_id": agency_id, "state": "queued", "done": 0,
                                      "total": total, "message": "", "report": ""})
    redis.expire(PREFIX + key, TTL_S)


def update(redis, key: str, **fields: Any) -> None:
    values = {k: (json.dumps(v, ensure_ascii=False) if k == "report" else v) for k, v in fields.items()}
    redis.hset(PREFIX + key, mapping=values)
    redis.expire(PREFIX + key, TTL_S)


def read(redis, key: str) -> dict[str, Any] | None:
    raw = redis.hgetall(PREFIX + key)
    if not raw:
        return None
    data = {k.decode(): v.decode() for k, v in raw.items()}
    done, total = int(data.get("done") or 0), int(data.get("total") or 0)
    return {
        "kind": data.get("kind"),
        "agency_id": int(data.get("agency_id") or 0),
        "state": data.get("state"),
        "done": done,
        "total": total,
        "percent": 100 if data.get("state") == "done" else (int(done * 100 / total) if total else 0),
        "message": data.get("message", ""),
        "report": json.loads(data["report"]) if data.get("report") else None,
    }
