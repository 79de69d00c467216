"""A WSGI app for the token test: the product app plus one route that calls WeChat with the shared token."""

from __future__ import annotations

from app import create_app

app = create_app()


@app.get("/_test/menu")
def menu_via_wechat():
    app.extensions["lifecert"].wechat.menu.get()
    return "ok"
