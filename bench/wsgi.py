"""The product app plus a trivial endpoint, for bench/wechat_bench.py's baseline."""

from __future__ import annotations

from app import create_app

app = create_app()


@app.get("/bench/ping")
def ping():
    return "ok"
