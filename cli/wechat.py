"""Operator commands for WeChat: ``flask --app app wechat-menu push``, ``wechat-send``, ``wechat-worker``, ``fake-wechat``."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app

from fakewechat.server import FakeWeChat, config_from_settings
from flows.outbox import QUEUE, paused_until, resume_sending
from jobs.context import use_services, worker_connection
from storage.models import Notification
from wechat.menu import build_menu, problems, push_menu


def _services():
    return current_app.extensions["lifecert"]


def register_wechat_cli(app: Flask) -> None:
    @app.cli.group("wechat-menu")
    def menu_group() -> None:
        """The official account's custom menu."""

    @menu_group.command("push")
    def menu_push() -> None:
        """Validate the menu (wechat/menu.py) and publish it with menu/create."""
        menu = push_menu(_services())
        click.echo("menu published: " + " | ".join(b["name"] for b in menu["button"]))

    @menu_group.command("show")
    def menu_show() -> None:
        """Print the menu this code would publish, and any limit it breaks."""
        menu = build_menu(_services().settings.wechat)
        click.echo(json.dumps(menu, ensure_ascii=False, indent=2))
        for p in problems(menu):
            click.echo("PROBLEM: " + p, err=True)

    @app.cli.group("wechat-send")
    def send_group() -> None:
        """The template / customer-service message queue."""

    @send_group.command("status")
    def send_status() -> None:
        """Is sending paused (quota 45009), and how many messages are in each state?"""
        from sqlalchemy import func, select


        services = _services()
        until = paused_until(services)
        click.echo(f"paused until {until.isoformat()}" if until else "sending is running")
        with services.db.session() as s:
            for status, n in s.execute(select(Notification.status, func.count()).group_by(Notification.status)):
                click.echo(f"{status}: {n}")

    @send_group.command("resume")
    def send_resume() -> None:
        """Lift a quota pause now (e.g. after clear_quota) and queue the waiting messages again."""
        click.echo(f"requeued {resume_sending(_services())} paused messages")

    @app.cli.command("wechat-worker")
    @click.option("--burst", is_flag=True, help="stop when the queue is empty")
    def wechat_worker(burst: bool) -> None:
        """Run an rq worker for the ``messages`` queue (with the scheduler: back-off and quota resume)."""
        from rq import Queue, Worker


        services = _services()
        use_services(services)
        conn = worker_connection(services)
        Worker([Queue(QUEUE, connection=conn)], connection=conn).work(burst=burst, with_scheduler=True)

    @app.cli.command("fake-wechat")
    @click.option("--port", default=8099, show_default=True)
    @click.option("--callback", default="http://127.0.0.1:5000/wechat", show_default=True,
                  help="the bot's /wechat URL")
    @click.option("--token-grace", default=300, show_default=True,
                  help="seconds an old access token keeps working after a refresh")
    def fake_wechat(port: int, callback: str, token_grace: int) -> None:
        """Run the fake WeChat (API + phone side + page at /_fake/) on 127.0.0.1."""
        config = config_from_settings(_services().settings.wechat, callback, port, sms=_services().settings.sms)
        config.token_grace_s = token_grace
        fake = FakeWeChat(config)
        click.echo(f"fake WeChat on {fake.url}  (page: {fake.url}/_fake/ ; pushes to {callback})")
        click.echo(f"point the service at it: LIFECERT_WECHAT_API_BASE_URL={fake.url}")
        try:
            fake.serve_forever()
        except KeyboardInterrupt:
            pass
