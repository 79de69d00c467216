"""Roster import: CSV or XLSX files as agencies export them, with Chinese headers.

Rules the staff rely on:

* each bad row is reported with its line number and the reason, and the good
  rows are kept — one typo never throws away a 30,000-line file;
* re-importing the same (or a corrected) file updates people, never duplicates
  them: a person is identified by the blind index of their ID number;
* ID numbers and phone numbers are validated, then stored only encrypted.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certification.idnumber import InvalidIdNumber, mask_id_number, validate_id_number
from certification.phone import InvalidPhoneNumber, mask_phone, validate_phone
from flows.personal_keys import ID_CONTEXT, PHONE_CONTEXT, find_retiree_by_id_number, reindex_retiree
from storage import audit
from storage.models import Agency, Region, Retiree, utcnow
from storage.personal_data import FieldCipher
from wording import zh

# Header spellings seen in agency exports → our field names.
HEADERS: dict[str, str] = zh.ROSTER_HEADERS
REQUIRED = ("name", "id_number")

# Reasons shown to agency staff, in the words they use.
ROW_ERRORS: dict[str, str] = zh.ROSTER_ROW_ERRORS

# Longest value each imported field may hold (the column sizes in storage.models).
MAX_LENGTHS: dict[str, int] = {"address": 200, "ss_number": 32, "region": 100}


class RosterFileError(ValueError):
    """The file as a whole cannot be read (wrong type, missing columns)."""


@dataclasses.dataclass
class RowError:
    line: int
    code: str
    message: str


@dataclasses.dataclass
class Conflict:
    """A field the retiree changed themself after the file's date: kept, and shown to staff."""

    line: int
    name: str
    field: str  # phone / address
    kept: str  # what we keep (masked)
    in_file: str  # what the file says (masked)
    changed_at: str  # when the retiree changed it (ISO, UTC)


@dataclasses.dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = dataclasses.field(default_factory=list)
    conflicts: list[Conflict] = dataclasses.field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # Excel turns long numbers into floats
        value = int(value)
    return str(value).strip().replace("\u3000", " ")


def _map_headers(raw: list[str]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for i, header in enumerate(raw):
        field = HEADERS.get(_clean(header).replace(" ", ""))
        if field and field not in mapping.values():
            mapping[i] = field
    missing = [f for f in REQUIRED if f not in mapping.values()]
    if missing:
        names = zh.ROSTER_FIELD_NAMES
        raise RosterFileError(zh.ROSTER_MISSING_COLUMNS + zh.LIST_SEP.join(names[m] for m in missing))
    return mapping


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(zh.ROSTER_BAD_ENCODING)


def read_rows(path: Path) -> tuple[int, Iterator[tuple[int, dict[str, str]]]]:
    """Open a CSV or XLSX roster. Returns (number of data rows, iterator of (line number, fields))."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any parse failure: not a usable workbook
            raise RosterFileError(zh.ROSTER_BAD_XLSX) from exc
        sheet = wb.worksheets[0]
        # The file's <dimension> is written by whatever made it and may be wrong (it bounds read-only
        # iteration): forget it and read every row there is.
        sheet.reset_dimensions()
        try:
            all_rows = list(sheet.iter_rows(values_only=True))
        finally:
            wb.close()
        if not all_rows:
            raise RosterFileError(zh.ROSTER_EMPTY)
        header, body_rows = all_rows[0], all_rows[1:]
        mapping = _map_headers([_clean(h) for h in header])
        total = len(body_rows)

        def xlsx_iter():
            for line, row in enumerate(body_rows, start=2):
                if row is None or all(_clean(c) == "" for c in row):
                    continue
                yield line, {f: _clean(row[i]) if i < len(row) else "" for i, f in mapping.items()}

        return total, xlsx_iter()
    if suffix in (".csv", ".txt"):
        text = _decode(path.read_bytes())
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            raise RosterFileError(zh.ROSTER_EMPTY)
        mapping = _map_headers(header)
        body = list(reader)

        def csv_iter():
            for line, row in enumerate(body, start=2):
                if all(_clean(c) == "" for c in row):
                    continue
                yield line, {f: _clean(row[i]) if i < len(row) else "" for i, f in mapping.items()}

        return len(body), csv_iter()
    raise RosterFileError(zh.ROSTER_BAD_TYPE)


def _valid_name(name: str) -> bool:
    return 1 < len(name) <= 30 and not any(ch.isdigit() or ch in "<>&\"'`=@" or not ch.isprintable() for ch in name)


def import_roster(
    session: Session,
    cipher: FieldCipher,
    agency: Agency,
    rows: Iterable[tuple[int, dict[str, str]]],
    today: dt.date,
    on_row: Callable[[], None] | None = None,
    batch_size: int = 500,
    file_date: dt.date | None = None,
) -> ImportReport:
    """Validate and upsert rows into ``agency``'s roster; commit every ``batch_size`` rows.

    A phone number or address the retiree (or family) changed on or after ``file_date`` is
    kept and listed in ``report.conflicts`` instead of being put back to the file's older
    value; without a ``file_date`` every such self-made change is kept and listed.
    """
    report = ImportReport()
    seen: set[str] = set()
    regions = {r.name: r for r in session.scalars(select(Region).where(Region.agency_id == agency.id))}
    pending = 0
    changes: list[tuple[Retiree, str, list[str]]] = []
    for line, fields in rows:
        if on_row:
            on_row()
        name = fields.get("name", "")
        code = None
        if not name:
            code = "missing_name"
        elif not _valid_name(name):
            code = "bad_name"
        elif any(len(fields.get(f) or "") > n for f, n in MAX_LENGTHS.items()):
            code = "too_long"
        else:
            try:
                info = validate_id_number(fields.get("id_number", ""), today=today)
                phone = validate_phone(fields["phone"]) if fields.get("phone") else None
            except (InvalidIdNumber, InvalidPhoneNumber) as exc:
                code = str(exc.code)
        if code is not None:
            report.errors.append(RowError(line, code, ROW_ERRORS.get(code, code)))
            continue
        index = cipher.blind_index(info.number, ID_CONTEXT)
        if index in seen:
            report.errors.append(RowError(line, "duplicate_in_file", ROW_ERRORS["duplicate_in_file"]))
            continue
        seen.add(index)

        retiree = find_retiree_by_id_number(session, cipher, info.number)
        if retiree is not None and retiree.agency_id != agency.id:
            # Another agency's person: refuse in words that do not say so, touch nothing.
            code = "not_importable"
            report.errors.append(RowError(line, code, ROW_ERRORS[code]))
            continue
        if retiree is not None and retiree.id_number_index != index:
            reindex_retiree(cipher, retiree)  # found under a retired index key: move it now

        region = None
        if region_name := fields.get("region"):
            region = regions.get(region_name)
            if region is None:
                region = Region(agency_id=agency.id, name=region_name)
                session.add(region)
                regions[region_name] = region

        values: dict[str, Any] = {
            "name": name,
            "ss_number": fields.get("ss_number") or None,
            "address": fields.get("address") or None,
            "region": region,
            "birth_date": info.birth_date,
            "sex": info.sex,
        }
        if retiree is None:
            retiree = Retiree(
                agency_id=agency.id,
                id_number_enc=cipher.encrypt(info.number, ID_CONTEXT, row=index),
                id_number_index=index,
                id_number_masked=mask_id_number(info.number),
                phone_enc=cipher.encrypt(phone, PHONE_CONTEXT, row=index) if phone else None,
                phone_masked=mask_phone(phone) if phone else None,
                **values,
            )
            session.add(retiree)
            report.created += 1
            changes.append((retiree, "created", []))
        else:
            changed = False
            fields_changed = []
            if "address" in (retiree.self_changed or {}) and values["address"] != retiree.address \
                    and _changed_since(retiree, "address", file_date):
                report.conflicts.append(Conflict(line, name, "address", retiree.address or "", values["address"] or "",
                                                 (retiree.self_changed or {})["address"]))
                values["address"] = retiree.address
            for key, value in values.items():
                if getattr(retiree, key) != value:
                    setattr(retiree, key, value)
                    changed = True
                    fields_changed.append(key)
            old_phone = cipher.decrypt(retiree.phone_enc, PHONE_CONTEXT, row=index) if retiree.phone_enc else None
            if phone and phone != old_phone and _changed_since(retiree, "phone", file_date):
                report.conflicts.append(Conflict(line, name, "phone", retiree.phone_masked or "", mask_phone(phone),
                                                 (retiree.self_changed or {})["phone"]))
            elif phone and phone != old_phone:
                retiree.phone_enc = cipher.encrypt(phone, PHONE_CONTEXT, row=index)
                retiree.phone_masked = mask_phone(phone)
                changed = True
                fields_changed.append("phone")
            if changed:
                report.updated += 1
                changes.append((retiree, "updated", fields_changed))
            else:
                report.unchanged += 1
        pending += 1
        if pending >= batch_size:
            _audit_changes(session, changes)
            session.commit()
            pending = 0
    _audit_changes(session, changes)
    session.commit()
    return report


def _audit_changes(session: Session, changes: list) -> None:
    """One audit entry per created or changed person: the row id and the field names, never the values."""
    if not changes:
        return
    session.flush()
    audit.record_many(session, "system", "roster.row", [
        {"target_kind": "retiree", "target_id": retiree.id, "detail": {"change": change, "fields": fields}}
        for retiree, change, fields in changes])
    changes.clear()


# --- what the retiree changed themself (journeys-agency) -----------------------------


def _changed_since(retiree: Retiree, field: str, file_date: dt.date | None) -> bool:
    """Did the retiree change ``field`` themself on or after the file's date (or at all, if it is unknown)?"""
    when = (retiree.self_changed or {}).get(field)
    if not when:
        return False
    if file_date is None:
        return True
    return dt.datetime.fromisoformat(when).date() >= file_date


def note_self_change(retiree: Retiree, field: str, at: dt.datetime | None = None) -> None:
    """Remember that the retiree (or their family) changed ``field`` now, so an older roster file
    shows a conflict instead of silently putting the old value back."""
    changed = dict(retiree.self_changed or {})
    changed[field] = (at or utcnow()).isoformat()
    retiree.self_changed = changed
