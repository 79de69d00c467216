"""Flask CLI commands for operators: ``flask --app app <command>``.

Output is for agency staff and operators: Chinese where staff read it (import
reports), English for operator plumbing (migrations).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from certification import cycle
from flows.campaigns import plan_automatic
from flows.cycle_run import run_cycle
from flows.ports import Services
from flows.roster import RosterFileError, import_roster, read_rows
from storage import audit, queues
from storage.db import current_revision, upgrade
from storage.models import AdminRole, AdminUser, Agency
from storage.objects import VIDEO_PREFIX
from storage.personal_data import FieldCipher
from wording import zh


def _services() -> Services:
    return current_app.extensions["lifecert"]


def _cipher() -> FieldCipher:
    return _services().cipher


def _agency(session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise click.ClickException(zh.CLI_NO_AGENCY.format(code=code))
    return agency


def register_cli(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    @click.option("--revision", default="head", show_default=True)
    def db_upgrade(revision: str) -> None:
        """Apply the database migrations."""
        url = _services().db.url
        upgrade(url, revision)
        click.echo(f"database at revision {current_revision(url)}")

    @app.cli.command("setup-storage")
    def setup_storage() -> None:
        """Create the bucket and its lifecycle rule (raw videos expire after the retention period)."""
        services = _services()
        if hasattr(services.objects, "ensure_bucket"):
            services.objects.ensure_bucket()
        days = services.settings.video_retention_days
        services.objects.apply_retention(VIDEO_PREFIX, days)
        click.echo(f"object store ready; raw videos are kept {days} days")

    @app.cli.command("create-agency")
    @click.option("--code", required=True, help="short code, e.g. harbin")
    @click.option("--name", required=True, help=zh.CLI_AGENCY_NAME_HELP)
    @click.option("--policy", default="harbin", show_default=True,
                  help="a preset (harbin, shijiazhuang) or a JSON file with the cycle policy")
    def create_agency(code: str, name: str, policy: str) -> None:
        """Create (or update) a pension agency and its certification-cycle policy."""
        presets = {"harbin": cycle.HARBIN, "shijiazhuang": cycle.SHIJIAZHUANG}
        if policy in presets:
            policy_dict = presets[policy].to_dict()
        else:
            try:
                policy_dict = cycle.CyclePolicy.from_dict(json.loads(Path(policy).read_text())).to_dict()
            except (OSError, ValueError, TypeError, KeyError) as exc:
                raise click.ClickException(f"cannot read policy {policy}: {exc}") from exc
        with _services().db.session() as session:
            agency = session.scalar(select(Agency).where(Agency.code == code))
            if agency is None:
                agency = Agency(code=code, name=name)
                session.add(agency)
            agency.name = name
            agency.cycle_policy = policy_dict
            session.flush()
            audit.record(session, "cli", "agency.save", target_kind="agency", target_id=agency.id)
        click.echo(zh.CLI_AGENCY_SAVED.format(code=code))

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--role", type=click.Choice([r.value for r in AdminRole]), default="admin", show_default=True)
    @click.option("--agency", "agency_code", default=None, help="agency code; omit for a system-wide admin")
    @click.password_option(help="prompted for if omitted")
    def create_admin(username: str, role: str, agency_code: str | None, password: str) -> None:
        """Create a console user (or reset their password)."""
        if len(password) < 10:
            raise click.ClickException(zh.CLI_PASSWORD_SHORT)
        with _services().db.session() as session:
            agency_id = _agency(session, agency_code).id if agency_code else None
            user = session.scalar(select(AdminUser).where(AdminUser.username == username))
            if user is None:
                user = AdminUser(username=username, password_hash="", role=AdminRole(role), agency_id=agency_id)
                session.add(user)
            user.password_hash = generate_password_hash(password)
            user.role = AdminRole(role)
            user.agency_id = agency_id
            session.flush()
            audit.record(session, "cli", "admin.save", target_kind="admin_user", target_id=user.id, role=role)
        click.echo(zh.CLI_ADMIN_SAVED.format(username=username, role=role))

    @app.cli.command("import-roster")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--agency", "agency_code", required=True, help="agency code")
    def import_roster_cmd(path: Path, agency_code: str) -> None:
        """Import retirees from a CSV or XLSX file (姓名, 身份证号, 社保编号, 手机号, 地址, 所属区域)."""
        try:
            total, rows = read_rows(path)
        except RosterFileError as exc:
            raise click.ClickException(str(exc)) from exc
        db = _services().db
        with db.session() as session:
            agency = _agency(session, agency_code)
            with click.progressbar(length=total, label=zh.ROSTER_IMPORTING, file=click.get_text_stream("stderr")) as bar:  # type: ignore[operator]
                report = import_roster(session, _cipher(), agency, rows, today=dt.date.today(),
                                       on_row=lambda: bar.update(1))
            audit.record(session, "cli", "roster.import", target_kind="agency", target_id=agency.id,
                         created=report.created, updated=report.updated, unchanged=report.unchanged,
                         errors=len(report.errors))
        for err in report.errors:
            click.echo(zh.ROSTER_ROW_LINE.format(line=err.line, message=err.message))
        click.echo(zh.ROSTER_REPORT.format(created=report.created, updated=report.updated, unchanged=report.unchanged,
                                           errors=len(report.errors)))

    @app.cli.command("run-cycle")
    @click.option("--dry-run", is_flag=True, help="compute and report, write and send nothing")
    @click.option("--date", "day", default=None, help="run as of this day (YYYY-MM-DD); default today")
    @click.option("--agency", "agency_codes", multiple=True, help="only these agencies (repeatable)")
    @click.option("--queue", "via_queue", is_flag=True, help="enqueue the rq job instead of running here")
    def run_cycle_cmd(dry_run: bool, day: str | None, agency_codes: tuple[str, ...], via_queue: bool) -> None:
        """Apply the yearly cycle rules: suspend the lapsed, resume the certified, notify; then the automatic reminders."""

        if via_queue:
            job = queues.enqueue(_services(), queues.RUN_CYCLE, dry_run, day)
            click.echo(f"queued job {job.id}")
            return
        today = dt.date.fromisoformat(day) if day else dt.date.today()
        reports = run_cycle(_services(), today, dry_run=dry_run, agency_codes=list(agency_codes) or None)
        for report in reports:
            click.echo((zh.CYCLE_DRY_RUN if dry_run else "") + report.summary())
        if not dry_run and not agency_codes:
            click.echo(zh.AUTO_CAMPAIGNS_STARTED.format(count=len(plan_automatic(_services(), today))))
