"""Flask CLI commands for operators: ``flask --app app <command>``."""

from __future__ import annotations

import click
from flask import Flask, current_app


def _services():
    return current_app.extensions["lifecert"]


def register_cli(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    @click.option("--revision", default="head", show_default=True)
    def db_upgrade(revision: str) -> None:
        """Apply the database migrations."""
        from storage.db import current_revision, upgrade

        url = _services().db.url
        upgrade(url, revision)
        click.echo(f"database at revision {current_revision(url)}")
