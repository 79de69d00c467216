"""Imports started from the browser: the roster file and the ZIP of enrollment photos.

Both run as rq jobs on the "default" queue (a 30,000-line roster or 5,000 photos
take minutes) and report progress through flows.progress. The upload is put
in the object store first, so the worker that runs the job need not share a
disk with the web server.

Photo ZIPs are what agencies already collect: one file per person named
姓名+身份证号.jpg (.jpeg/.png too), zipped on Chinese Windows — which writes the
names in GBK without saying so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import re
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from certification.idnumber import InvalidIdNumber, mask_id_number, validate_id_number
from flows import clock, get_row, photos, progress
from flows.personal_keys import id_number_matches
from flows.photos import Enrollment, reason_words
from flows.roster import RosterFileError, import_roster, read_rows
from storage import audit
from storage.models import Agency, EnrollmentPhoto, Retiree
from storage.objects import ObjectStoreError
from storage.personal_data import DecryptionError, FieldCipher
from wording import zh

log = logging.getLogger("lifecert.console")

PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_ZIP_ENTRIES = 50_000
_UTF8_FLAG = 0x800
_NAME_ID = re.compile(r"^(?P<name>.*?)[\s_\-－—]*(?P<id>[0-9]{17}[0-9Xx])$")


@dataclasses.dataclass
class PhotoReject:
    file: str  # the file name with the ID number masked
    codes: list[str]

    @property
    def message(self) -> str:
        return reason_words(self.codes)


@dataclasses.dataclass
class PhotoReport:
    enrolled: int = 0
    rejects: list[PhotoReject] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        return {"enrolled": self.enrolled,
                "rejects": [{"file": r.file, "codes": r.codes, "message": r.message} for r in self.rejects]}


def zip_entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's real name: ZIPs without the UTF-8 flag hold bytes that Python decoded as cp437."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _masked_file(name: str) -> str:
    """A file name fit for a report: any 18-character ID number in it masked."""
    return re.sub(r"[0-9]{17}[0-9Xx]", lambda m: mask_id_number(m.group(0).upper()), name)


def unsafe_entry(name: str) -> bool:
    """A path that would leave the folder it is unpacked into: absolute, a drive, or with a '..' part."""
    path = name.replace("\\", "/")
    return path.startswith("/") or re.match(r"^[A-Za-z]:", path) is not None or ".." in path.split("/")


def photo_entries(archive: zipfile.ZipFile) -> Iterator[tuple[str, zipfile.ZipInfo]]:
    """(base name, entry) for every file worth looking at; folders and Mac/Windows debris are skipped.

    Entries with an unsafe path (see :func:`unsafe_entry`) are yielded too, for the report to list them
    as rejected; they are never read.
    """
    for info in archive.infolist()[:MAX_ZIP_ENTRIES]:
        if info.is_dir():
            continue
        name = zip_entry_name(info)
        if unsafe_entry(name):
            yield name, info
            continue
        path = PurePosixPath(name.replace("\\", "/"))
        if any(part.startswith(("__MACOSX", ".")) for part in path.parts) or path.name.lower() == "thumbs.db":
            continue
        yield path.name, info


def parse_photo_name(filename: str) -> tuple[str, str] | None:
    """'张三230102194603151234.jpg' → ('张三', '230102194603151234'); None if it is not name+ID."""
    stem = PurePosixPath(filename).stem.strip().replace("\u3000", "").replace(" ", "")
    match = _NAME_ID.match(stem)
    if not match or not match.group("name"):
        return None
    return match.group("name").strip("_-－— "), match.group("id").upper()


def import_photo_zip(services, cipher: FieldCipher, agency_id: int, zip_file, enroll: Callable[[bytes], Enrollment],
                     today: dt.date, on_progress: Callable[[int, int], None] | None = None,
                     source: str = "zip_import") -> PhotoReport:
    """Enroll every photo in ``zip_file`` (a path or file object) for ``agency_id``'s retirees.

    Each person is committed on its own: a failure on photo 3,000 keeps the first
    2,999. A person's older active photos are deactivated once the new one is stored.
    """
    report = PhotoReport()
    seen: set[int] = set()
    with zipfile.ZipFile(zip_file) as archive:
        entries = list(photo_entries(archive))
        total = len(entries)
        for done, (filename, info) in enumerate(entries, start=1):
            codes = _enroll_entry(services, cipher, agency_id, archive, filename, info, enroll, today, seen, source)
            if codes:
                report.rejects.append(PhotoReject(_masked_file(filename), codes))
            else:
                report.enrolled += 1
            if on_progress:
                on_progress(done, total)
    log.info("photo zip imported", extra={"agency_id": agency_id, "enrolled": report.enrolled,
                                          "rejected": len(report.rejects)})
    return report


def _enroll_entry(services, cipher, agency_id, archive, filename, info, enroll, today, seen, source) -> list[str]:
    if unsafe_entry(filename):
        return ["unsafe_path"]
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in PHOTO_TYPES:
        return ["unsupported_type"]
    parsed = parse_photo_name(filename)
    if parsed is None:
        return ["bad_file_name"]
    name, id_number = parsed
    try:
        info_id = validate_id_number(id_number, today=today)
    except InvalidIdNumber:
        return ["bad_id_number"]
    with services.db.session() as session:
        retiree = session.scalar(select(Retiree).where(
            id_number_matches(cipher, info_id.number),
            Retiree.agency_id == agency_id))
        if retiree is None:
            return ["not_in_roster"]
        if retiree.name != name:
            return ["name_mismatch"]
        retiree_id = retiree.id
    if retiree_id in seen:
        return ["duplicate_in_zip"]
    seen.add(retiree_id)
    if info.file_size > MAX_PHOTO_BYTES:
        return ["too_large"]
    data = archive.read(info)
    try:
        result = enroll(data)
    except Exception:  # noqa: BLE001 - a model failure must not end the import; the photo is reported
        log.exception("photo enrollment failed", extra={"retiree_id": retiree_id})
        return ["vision_unavailable"]
    if not result.ok or not result.template:
        return [r for r in result.reasons if r] or ["photo_unreadable"]
    ext = ".jpg" if suffix == ".jpeg" else suffix
    key = f"photos/{retiree_id}/{uuid.uuid4().hex}{ext}"
    services.objects.put_bytes(key, data, PHOTO_TYPES[suffix])
    with services.db.session() as session:
        session.execute(update(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == retiree_id,
                                                      EnrollmentPhoto.active.is_(True)).values(active=False))
        # Templates of different models cannot be compared: keep which models made this one.
        models = dict(getattr(result, "models", None) or {})
        quality = dict(result.quality or {})
        if models:
            quality["models"] = models
        session.add(EnrollmentPhoto(retiree_id=retiree_id, object_key=key, template=result.template,
                                    template_model=str(models.get("embedding") or "")[:64] or None,
                                    quality=quality, source=source, active=True))
    return []


# --- the jobs ------------------------------------------------------------------


def _failure_reason(exc: BaseException) -> str:
    """Which of wording's import failure reasons ``exc`` is."""
    if isinstance(exc, ObjectStoreError):
        return "store"
    if isinstance(exc, SQLAlchemyError):
        return "database"
    return "internal"


def _fail(services, job_key: str, exc: BaseException) -> None:
    """Mark the job failed with a reason the progress page shows; a Redis failure here is only logged."""
    log.exception("import job failed", extra={"job_key": job_key})
    try:
        progress.update(services.redis, job_key, state="failed",
                        message=zh.import_failed_text(_failure_reason(exc), type(exc).__name__))
    except Exception:  # noqa: BLE001 - nowhere left to report to
        log.exception("could not record the import failure", extra={"job_key": job_key})


STAGED_CONTEXT = b"staged_roster"
STAGED_PHOTOS_CONTEXT = b"staged_photos"


def stage_upload(services, upload_key: str, stream, context: bytes = STAGED_CONTEXT) -> None:
    """Keep an uploaded file (a roster with full ID numbers; a photo ZIP named 姓名+身份证号.jpg, of faces)
    in the object store only encrypted, bound to its key, until the job that reads it deletes it."""
    data = stream.read()
    services.objects.put_bytes(upload_key, services.cipher.encrypt_bytes(data, context, row=upload_key))


def stage_roster(services, upload_key: str, stream) -> None:
    """A roster upload, staged encrypted (see :func:`stage_upload`)."""
    stage_upload(services, upload_key, stream, STAGED_CONTEXT)


def _read_staged(services, upload_key: str, context: bytes = STAGED_CONTEXT) -> bytes:
    blob = services.objects.get_bytes(upload_key)
    try:
        return services.cipher.decrypt_bytes(blob, context, row=upload_key)
    except DecryptionError:
        return blob  # staged by a release before staged files were encrypted


def run_roster_job(services, job_key: str, upload_key: str, suffix: str, agency_id: int, admin_id: int,
                   file_date: str | None = None) -> dict:
    """rq job body: import a roster file from the object store, updating progress as it goes.

    Whatever it raises, the job ends "failed" with a reason on the progress page (and rq records the error).
    """
    try:
        return _roster_job(services, job_key, upload_key, suffix, agency_id, admin_id, file_date)
    except Exception as exc:
        _fail(services, job_key, exc)
        raise


def _roster_job(services, job_key: str, upload_key: str, suffix: str, agency_id: int, admin_id: int,
                file_date: str | None) -> dict:
    redis = services.redis
    progress.update(redis, job_key, state="running")
    cipher = services.cipher
    try:
        with tempfile.TemporaryDirectory(prefix="lifecert-roster-") as tmp:
            path = Path(tmp) / f"roster{suffix}"
            path.write_bytes(_read_staged(services, upload_key))
            try:
                total, rows = read_rows(path)
            except RosterFileError as exc:
                progress.update(redis, job_key, state="failed", message=str(exc))
                return {"error": str(exc)}
            progress.update(redis, job_key, total=total)
            done = 0

            def tick() -> None:
                nonlocal done
                done += 1
                if done % 50 == 0 or done == total:
                    progress.update(redis, job_key, done=done)

            with services.db.session() as session:
                agency = get_row(session, Agency, agency_id)
                report = import_roster(session, cipher, agency, rows, today=clock.local_today(clock.zone_of(agency)),
                                       on_row=tick,
                                       file_date=dt.date.fromisoformat(file_date) if file_date else None)
                audit.record(session, "admin", "roster.import", actor_id=admin_id, target_kind="agency",
                             target_id=agency_id, created=report.created, updated=report.updated,
                             unchanged=report.unchanged, errors=len(report.errors))
    finally:
        # The upload holds full ID numbers: it goes whatever happened (a crash included).
        services.objects.delete(upload_key)
    result = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
              "errors": [{"line": e.line, "message": e.message} for e in report.errors[:2000]],
              "error_count": len(report.errors),
              "conflicts": [dataclasses.asdict(c) for c in report.conflicts[:2000]]}
    progress.update(redis, job_key, state="done", done=done, report=result,
                    message=zh.ROSTER_REPORT.format(created=report.created, updated=report.updated,
                                                    unchanged=report.unchanged, errors=len(report.errors))
                    + (zh.ROSTER_CONFLICTS_NOTE.format(count=len(report.conflicts)) if report.conflicts else ""))
    return result


def run_photo_job(services, job_key: str, upload_key: str, agency_id: int, admin_id: int,
                  enroll: Callable[[bytes], Enrollment] | None = None) -> dict:
    """rq job body: enroll a ZIP of photos from the object store, updating progress as it goes.

    Whatever it raises, the job ends "failed" with a reason on the progress page (and rq records the error).
    """
    try:
        return _photo_job(services, job_key, upload_key, agency_id, admin_id, enroll)
    except Exception as exc:
        _fail(services, job_key, exc)
        raise


def _photo_job(services, job_key: str, upload_key: str, agency_id: int, admin_id: int,
               enroll: Callable[[bytes], Enrollment] | None) -> dict:
    enroll = enroll or (lambda data: photos.enroll(services, data))
    redis = services.redis
    progress.update(redis, job_key, state="running")
    cipher = services.cipher

    def tick(done: int, total: int) -> None:
        if done % 5 == 0 or done == total:
            progress.update(redis, job_key, done=done, total=total)

    try:
        data = _read_staged(services, upload_key, STAGED_PHOTOS_CONTEXT)
        with services.db.session() as session:
            zone = clock.zone_of(session.get(Agency, agency_id))
        report = import_photo_zip(services, cipher, agency_id, io.BytesIO(data), enroll, clock.local_today(zone), tick)
    except zipfile.BadZipFile:
        progress.update(redis, job_key, state="failed", message=zh.PHOTO_BAD_ZIP)
        return {"error": "bad_zip"}
    finally:
        services.objects.delete(upload_key)
    with services.db.session() as session:
        audit.record(session, "admin", "photos.import", actor_id=admin_id, target_kind="agency", target_id=agency_id,
                     enrolled=report.enrolled, rejected=len(report.rejects))
    result = report.to_dict()
    progress.update(redis, job_key, state="done", report=result,
                    message=zh.PHOTO_REPORT.format(enrolled=report.enrolled, rejected=len(report.rejects)))
    return result

