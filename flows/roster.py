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

from sqlalchemy import select
from sqlalchemy.orm import Session

from certification.idnumber import InvalidIdNumber, mask_id_number, validate_id_number
from certification.phone import InvalidPhoneNumber, mask_phone, validate_phone
from storage.models import Agency, Region, Retiree
from storage.personal_data import FieldCipher
from wording import zh

# Header spellings seen in agency exports → our field names.
HEADERS: dict[str, str] = zh.ROSTER_HEADERS
REQUIRED = ("name", "id_number")

# Reasons shown to agency staff, in the words they use.
ROW_ERRORS: dict[str, str] = zh.ROSTER_ROW_ERRORS

ID_CONTEXT = b"id_number"
PHONE_CONTEXT = b"phone"


class RosterFileError(ValueError):
    """The file as a whole cannot be read (wrong type, missing columns)."""


@dataclasses.dataclass
class RowError:
    line: int
    code: str
    message: str


@dataclasses.dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = dataclasses.field(default_factory=list)

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
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise RosterFileError(zh.ROSTER_EMPTY)
        mapping = _map_headers([_clean(h) for h in header])
        total = max((sheet.max_row or 1) - 1, 0)

        def xlsx_iter():
            for line, row in enumerate(rows, start=2):
                if row is None or all(_clean(c) == "" for c in row):
                    continue
                yield line, {f: _clean(row[i]) if i < len(row) else "" for i, f in mapping.items()}
            wb.close()

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
    return 1 < len(name) <= 30 and not any(ch.isdigit() for ch in name)


def import_roster(
    session: Session,
    cipher: FieldCipher,
    agency: Agency,
    rows: Iterable[tuple[int, dict[str, str]]],
    today: dt.date,
    on_row: Callable[[], None] | None = None,
    batch_size: int = 500,
) -> ImportReport:
    """Validate and upsert rows into ``agency``'s roster; commit every ``batch_size`` rows."""
    report = ImportReport()
    seen: set[str] = set()
    regions = {r.name: r for r in session.scalars(select(Region).where(Region.agency_id == agency.id))}
    pending = 0
    for line, fields in rows:
        if on_row:
            on_row()
        name = fields.get("name", "")
        code = None
        if not name:
            code = "missing_name"
        elif not _valid_name(name):
            code = "bad_name"
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

        region = None
        if region_name := fields.get("region"):
            region = regions.get(region_name)
            if region is None:
                region = Region(agency_id=agency.id, name=region_name)
                session.add(region)
                regions[region_name] = region

        retiree = session.scalar(select(Retiree).where(Retiree.id_number_index == index))
        values = {
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
                id_number_enc=cipher.encrypt(info.number, ID_CONTEXT),
                id_number_index=index,
                id_number_masked=mask_id_number(info.number),
                phone_enc=cipher.encrypt(phone, PHONE_CONTEXT) if phone else None,
                phone_masked=mask_phone(phone) if phone else None,
                **values,
            )
            session.add(retiree)
            report.created += 1
        else:
            changed = False
            for key, value in values.items():
                if getattr(retiree, key) != value:
                    setattr(retiree, key, value)
                    changed = True
            if retiree.agency_id != agency.id:
                retiree.agency_id = agency.id
                changed = True
            old_phone = cipher.decrypt(retiree.phone_enc, PHONE_CONTEXT) if retiree.phone_enc else None
            if phone and phone != old_phone:
                retiree.phone_enc = cipher.encrypt(phone, PHONE_CONTEXT)
                retiree.phone_masked = mask_phone(phone)
                changed = True
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        pending += 1
        if pending >= batch_size:
            session.commit()
            pending = 0
    session.commit()
    return report
