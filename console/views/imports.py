"""Console section: imports."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePosixPath

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from console.auth import require
from console.views.common import ROSTER_TYPES, audit_action, services, viewer
from flows import imports as imports_flow
from flows import progress
from storage import queues
from wording import zh

bp = Blueprint("imports", __name__)

# --- imports -------------------------------------------------------------------------


@bp.get("/imports")
@require("import")
def imports():
    return render_template("console/imports.html")


def _start_import(kind: str, job: queues.JobSpec, upload, suffix: str, *args) -> str:
    svc = services()
    job_key = progress.new_job_key(kind)
    upload_key = f"imports/{job_key}/{uuid.uuid4().hex}{suffix}"
    # encrypted while it waits for the worker: both kinds hold full ID numbers (and the ZIP, faces)
    imports_flow.stage_upload(svc, upload_key, upload.stream,
                              imports_flow.STAGED_CONTEXT if kind == "roster" else imports_flow.STAGED_PHOTOS_CONTEXT)
    progress.start(svc.redis, job_key, kind, viewer().agency_id)
    queues.enqueue(svc, job, job_key, upload_key, *args, job_id=job_key, result_ttl=86400)
    with svc.db.session() as s:
        audit_action(s, f"{kind}.upload", target_kind="job", target_id=job_key)
    return job_key


@bp.post("/imports/roster")
@require("import")
def import_roster():
    upload = request.files.get("file")
    suffix = PurePosixPath(upload.filename or "").suffix.lower() if upload else ""
    if not upload or suffix not in ROSTER_TYPES:
        flash(zh.CHOOSE_ROSTER, "error")
        return redirect(url_for("console.imports.imports"))
    file_date = request.form.get("file_date") or None
    if file_date:
        try:
            file_date = dt.date.fromisoformat(file_date).isoformat()
        except ValueError:
            flash(zh.IMPORT_BAD_FILE_DATE, "error")
            return redirect(url_for("console.imports.imports"))
    job_key = _start_import("roster", queues.IMPORT_ROSTER, upload, suffix, suffix, viewer().agency_id, viewer().id,
                            file_date)
    return redirect(url_for("console.imports.import_status", job_key=job_key))


@bp.post("/imports/photos")
@require("import")
def import_photos():
    upload = request.files.get("file")
    if not upload or PurePosixPath(upload.filename or "").suffix.lower() != ".zip":
        flash(zh.CHOOSE_ZIP, "error")
        return redirect(url_for("console.imports.imports"))
    job_key = _start_import("photos", queues.IMPORT_PHOTOS, upload, ".zip", viewer().agency_id, viewer().id)
    return redirect(url_for("console.imports.import_status", job_key=job_key))


def _job_or_404(job_key: str) -> dict:
    state = progress.read(services().redis, job_key)
    if state is None or state["agency_id"] != viewer().agency_id:
        abort(404)
    return state


@bp.get("/imports/<job_key>")
@require("import")
def import_status(job_key: str):
    return render_template("console/import_status.html", job_key=job_key, state=_job_or_404(job_key))


@bp.get("/imports/<job_key>/progress")
@require("import")
def import_progress(job_key: str):
    return jsonify(_job_or_404(job_key))


