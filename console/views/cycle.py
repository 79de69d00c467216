"""Console section: the cycle and the payment exports."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from console.auth import require
from console.views.common import agency_today, audit_action, services, viewer
from flows.cycle_run import run_cycle
from flows.payments import payment_changes, to_csv, to_xlsx
from storage.models import (
    Agency,
)
from wording import zh

bp = Blueprint("cycle", __name__)

# --- the cycle and the payment exports -----------------------------------------------------


def _whole_agency_only() -> None:
    """The cycle run suspends people of every region: not for an admin limited to some regions."""
    if viewer().scope:
        abort(403)


@bp.get("/cycle")
@require("cycle")
def cycle_page():
    _whole_agency_only()
    with services().db.session() as s:
        code = s.scalar(select(Agency.code).where(Agency.id == viewer().agency_id))
    reports = run_cycle(services(), agency_today(), dry_run=True, agency_codes=[code])
    today = agency_today()
    return render_template("console/cycle.html", report=reports[0] if reports else None,
                           month_start=today.replace(day=1), today=today)


@bp.post("/cycle/run")
@require("cycle")
def cycle_run():
    _whole_agency_only()
    """Irreversible (suspends payments, sends notices): first a confirmation page with the dry run's words."""
    if request.form.get("confirmed") != "yes":
        with services().db.session() as s:
            code = s.scalar(select(Agency.code).where(Agency.id == viewer().agency_id))
        reports = run_cycle(services(), agency_today(), dry_run=True, agency_codes=[code])
        lines = [reports[0].plain()] if reports else [zh.CYCLE_NOTHING]
        return render_template("console/confirm.html", title=zh.CYCLE_CONFIRM_TITLE, lines=lines,
                               action=url_for("console.cycle.cycle_run"), button=zh.CYCLE_CONFIRM_BUTTON,
                               back=url_for("console.cycle.cycle_page"))
    with services().db.session() as s:
        code = s.scalar(select(Agency.code).where(Agency.id == viewer().agency_id))
        audit_action(s, "cycle.run", target_kind="agency", target_id=viewer().agency_id)
    reports = run_cycle(services(), agency_today(), agency_codes=[code])
    flash(reports[0].plain() if reports else zh.CYCLE_NOTHING, "ok")
    return redirect(url_for("console.cycle.cycle_page"))


@bp.get("/exports/payments.<fmt>")
@require("cycle")
def payments_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    today = agency_today()
    try:
        start = dt.date.fromisoformat(request.args.get("from") or today.replace(day=1).isoformat())
        end = dt.date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        abort(400)
    with services().db.session() as s:
        rows = payment_changes(s, viewer().agency_id, start, end, viewer().scope)
        audit_action(s, "payments.export", target_kind="agency", target_id=viewer().agency_id, rows=len(rows), fmt=fmt)
    name = f"payment-changes-{start}-{end}.{fmt}"
    if fmt == "csv":
        return Response(to_csv(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return Response(to_xlsx(rows), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
