"""Flask CLI commands for operators: ``flask --app app <command>``.

Output is for agency staff and operators: Chinese where staff read it (import
reports), English for operator plumbing (migrations).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from certification import cycle
from flows import clock
from flows.campaigns import plan_automatic
from flows.cycle_run import run_cycle
from flows.demo import seed_demo
from flows.face_templates import reembed_anchor_photos
from flows.personal_keys import reindex_retiree
from flows.ports import Services
from flows.roster import RosterFileError, import_roster, read_rows
from storage import audit, queues
from storage.db import current_revision, runtime_grants, upgrade
from storage.models import AdminRole, AdminUser, Agency, Retiree
from storage.objects import VIDEO_PREFIX
from storage.personal_data import DecryptionError, FieldCipher
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


def _unbound(cipher: FieldCipher, blob: bytes, context: bytes) -> bool:
    """A v2 value written without its row in the authenticated data (it decrypts with an empty row)."""
    try:
        cipher.decrypt(blob, context)
    except DecryptionError:
        return False
    return True


def _retiree_batches(batch: int) -> Iterator[tuple[Session, list[Retiree]]]:
    """Every retiree, ``batch`` rows per transaction (each committed when the next is asked for),
    paged by id so a long run never holds one huge transaction."""
    last_id = 0
    while True:
        with _services().db.session() as session:
            rows = list(session.scalars(select(Retiree).where(Retiree.id > last_id).order_by(Retiree.id).limit(batch)))
            if not rows:
                return
            last_id = rows[-1].id
            yield session, rows


def register_cli(app: Flask) -> None:
    @app.cli.command("audit-verify")
    def audit_verify() -> None:
        """Recompute the audit log's hash chain; exit 1 at the first entry that was changed, removed or slipped in."""
        with _services().db.session() as session:
            report = audit.verify_chain(session)
        if not report.ok:
            raise click.ClickException(f"audit chain broken at entry {report.broken_at}: {report.why} "
                                       f"({report.checked} entries checked)")
        click.echo(f"audit chain ok: {report.checked} entries checked, {report.unchained} from before the chain")

    @app.cli.command("reencrypt")
    @click.option("--batch", default=500, show_default=True, help="rows per transaction")
    def reencrypt(batch: int) -> None:
        """Move every encrypted field to the current data key (LIFECERT_DATA_KEY_ID), bound to its row."""
        cipher = _cipher()
        moved = 0
        for session, rows in _retiree_batches(batch):
            for retiree in rows:
                row = retiree.id_number_index
                for column, context in (("id_number_enc", b"id_number"), ("phone_enc", b"phone")):
                    blob = getattr(retiree, column)
                    if not blob:
                        continue
                    try:
                        value = cipher.decrypt(blob, context, row=row)
                    except DecryptionError:
                        value = cipher.decrypt(blob, context)  # written before values were bound to rows
                    if cipher.needs_reencryption(blob) or blob[:1] == b"\x02" and _unbound(cipher, blob, context):
                        setattr(retiree, column, cipher.encrypt(value, context, row=row))
                        moved += 1
            audit.record(session, "cli", "data.reencrypt", target_kind="retiree", target_id=rows[-1].id,
                         rows=len(rows), key_id=cipher.key_id)
        click.echo(f"re-encrypted {moved} values under key {cipher.key_id}")

    @app.cli.command("reindex")
    @click.option("--batch", default=500, show_default=True, help="rows per transaction")
    def reindex(batch: int) -> None:
        """Move every person's blind index to the current LIFECERT_INDEX_KEY (retired keys in LIFECERT_OLD_INDEX_KEYS).

        Each row's ID and phone ciphertexts are bound to its index, so they are re-encrypted with it.
        Look-ups match retired keys meanwhile; drop LIFECERT_OLD_INDEX_KEYS once this reports 0.
        """
        cipher = _cipher()
        moved = 0
        for session, rows in _retiree_batches(batch):
            in_batch = sum(reindex_retiree(cipher, retiree) for retiree in rows)
            moved += in_batch
            if in_batch:
                audit.record(session, "cli", "data.reindex", target_kind="retiree", target_id=rows[-1].id,
                             rows=in_batch)
        click.echo(f"re-indexed {moved} people under the current index key")

    @app.cli.command("db-grant-runtime")
    @click.argument("role")
    def db_grant_runtime(role: str) -> None:
        """PostgreSQL: give the app's runtime ROLE what it needs and no more (run as the owner role)."""
        db = _services().db
        with db.engine.begin() as conn:
            for statement in runtime_grants(role):
                conn.exec_driver_sql(statement)
        click.echo(f"runtime role {role}: granted (audit_log: INSERT and SELECT only)")

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
    @click.option("--time-zone", default=None, help="IANA zone its rules and messages use (default Asia/Shanghai)")
    @click.option("--phone", default=None, help="the number retirees are told to call, e.g. 0451-12333")
    def create_agency(code: str, name: str, policy: str, time_zone: str | None, phone: str | None) -> None:
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
            extra = dict(agency.settings or {})
            if time_zone:
                if clock.zone_named(time_zone).key != time_zone:
                    raise click.ClickException(f"unknown time zone {time_zone!r} (use an IANA name like Asia/Shanghai)")
                extra["time_zone"] = time_zone
            if phone:
                extra["phone"] = phone.strip()
            agency.settings = extra
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
            user.session_version = (user.session_version or 0) + 1  # a new password ends every session
            user.role = AdminRole(role)
            user.agency_id = agency_id
            session.flush()
            audit.record(session, "cli", "admin.save", target_kind="admin_user", target_id=user.id, role=role)
        click.echo(zh.CLI_ADMIN_SAVED.format(username=username, role=role))

    @app.cli.command("seed-demo")
    @click.option("--faces", "faces_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
                  help="the shared test faces (../shared/testdata/faces); read, never copied into the repo")
    @click.option("--admin-password", default="demo-admin-2026", show_default=True)
    def seed_demo_command(faces_dir: Path, admin_password: str) -> None:
        """Seed a demo agency, demo people with enrolled photos and an admin account (idempotent)."""
        report = seed_demo(_services(), faces_dir, admin_password)
        click.echo(zh.DEMO_AGENCY_LINE.format(code=report.agency_code))
        for name, number, outcome in report.people:
            click.echo(f"  {name}  {number}  {outcome}")
        if report.admin_password:
            click.echo(zh.DEMO_ADMIN_NEW.format(username=report.admin_username, password=report.admin_password))
        else:
            click.echo(zh.DEMO_ADMIN_KEPT.format(username=report.admin_username))

    @app.cli.command("import-roster")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--agency", "agency_code", required=True, help="agency code")
    @click.option("--file-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="the date the file was exported; changes retirees made themself since are kept and listed")
    def import_roster_cmd(path: Path, agency_code: str, file_date) -> None:
        """Import retirees from a CSV or XLSX file (姓名, 身份证号, 社保编号, 手机号, 地址, 所属区域)."""
        try:
            total, rows = read_rows(path)
        except RosterFileError as exc:
            raise click.ClickException(str(exc)) from exc
        db = _services().db
        with db.session() as session:
            agency = _agency(session, agency_code)
            with click.progressbar(length=total, label=zh.ROSTER_IMPORTING, file=click.get_text_stream("stderr")) as bar:  # type: ignore[operator]
                report = import_roster(session, _cipher(), agency, rows, today=clock.local_today(clock.zone_of(agency)),
                                       on_row=lambda: bar.update(1),
                                       file_date=file_date.date() if file_date else None)
            audit.record(session, "cli", "roster.import", target_kind="agency", target_id=agency.id,
                         created=report.created, updated=report.updated, unchanged=report.unchanged,
                         errors=len(report.errors))
        for err in report.errors:
            click.echo(zh.ROSTER_ROW_LINE.format(line=err.line, message=err.message))
        for c in report.conflicts:
            click.echo(zh.ROSTER_CONFLICT_LINE.format(line=c.line, name=c.name, field=zh.ROSTER_CONFLICT_FIELDS[c.field],
                                                      kept=c.kept, in_file=c.in_file))
        click.echo(zh.ROSTER_REPORT.format(created=report.created, updated=report.updated, unchanged=report.unchanged,
                                           errors=len(report.errors)))

    @app.cli.command("reembed-templates")
    @click.option("--limit", type=int, default=None, help="at most this many photos this run")
    def reembed_templates_cmd(limit: int | None) -> None:
        """Enrol again every active photo whose template was made before SFace (dlib only)."""
        counts = reembed_anchor_photos(_services(), limit)
        click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))

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
        today = dt.date.fromisoformat(day) if day else clock.local_today()
        reports = run_cycle(_services(), today, dry_run=dry_run, agency_codes=list(agency_codes) or None)
        for report in reports:
            click.echo((zh.CYCLE_DRY_RUN if dry_run else "") + report.summary())
        if not dry_run and not agency_codes:
            click.echo(zh.AUTO_CAMPAIGNS_STARTED.format(count=len(plan_automatic(_services(), today))))
