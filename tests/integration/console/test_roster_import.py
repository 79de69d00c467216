"""Roster import from CSV and XLSX: good rows kept, bad rows reported by line, re-import updates."""

from __future__ import annotations

import csv
import datetime as dt
import os

import pytest
from sqlalchemy import func, select

from flows.roster import RosterFileError, import_roster, read_rows
from storage.db import Database, upgrade
from storage.models import Agency, Region, Retiree
from storage.personal_data import FieldCipher
from tests.idnumbers import make_id

TODAY = dt.date(2026, 11, 22)


GOOD_1 = make_id("230102", "19460315", "123")
GOOD_2 = make_id("230103", "19501101", "456")
GOOD_3 = make_id("130102", "19400229", "789")  # born on a leap day
BAD_CHECK = GOOD_1[:-1] + ("0" if GOOD_1[-1] != "0" else "1")
HEADER = ["姓名", "身份证号", "社保编号", "手机号", "地址", "所属区域"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    database = Database(url)
    with database.session() as s:
        s.add(Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy={}))
    return database


@pytest.fixture
def cipher():
    return FieldCipher(os.urandom(32), os.urandom(32))


def write_csv(path, rows, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def run_import(db, cipher, path):
    total, rows = read_rows(path)
    with db.session() as s:
        agency = s.scalar(select(Agency))
        ticks = []
        report = import_roster(s, cipher, agency, rows, today=TODAY, on_row=lambda: ticks.append(1))
    return total, report, len(ticks)


def test_clean_csv_imports_everyone_encrypted(db, cipher, tmp_path):
    path = write_csv(tmp_path / "r.csv", [
        ["张三", GOOD_1, "SB001", "13812345678", "南岗区一曼街1号", "南岗区"],
        ["李四", GOOD_2, "SB002", "", "道里区", "道里区"],
    ])
    total, report, ticks = run_import(db, cipher, path)
    assert (total, ticks) == (2, 2)
    assert (report.created, report.updated, report.errors) == (2, 0, [])
    with db.session() as s:
        zhang = s.scalar(select(Retiree).where(Retiree.name == "张三"))
        assert zhang.birth_date == dt.date(1946, 3, 15)
        assert zhang.id_number_masked == GOOD_1[:4] + "*" * 10 + GOOD_1[-4:]
        assert GOOD_1.encode() not in zhang.id_number_enc
        assert cipher.decrypt(zhang.id_number_enc, b"id_number", row=zhang.id_number_index) == GOOD_1
        assert cipher.decrypt(zhang.phone_enc, b"phone", row=zhang.id_number_index) == "13812345678"
        assert zhang.phone_masked == "138****5678"
        assert zhang.region.name == "南岗区"
        assert s.scalar(select(func.count(Region.id))) == 2


def test_bad_rows_are_reported_by_line_and_good_rows_kept(db, cipher, tmp_path):
    path = write_csv(tmp_path / "r.csv", [
        ["张三", GOOD_1, "", "", "", "南岗区"],  # line 2: fine
        ["王五", BAD_CHECK, "", "", "", ""],  # line 3
        ["", GOOD_2, "", "", "", ""],  # line 4
        ["赵六", "230102460315123", "", "", "", ""],  # line 5: 15-digit
        ["钱七", make_id("230102", "19991332", "001"), "", "", "", ""],  # line 6: month 13
        ["孙八", GOOD_2, "", "12345", "", ""],  # line 7: bad phone
        ["张三", GOOD_1, "", "", "", ""],  # line 8: duplicate in file
        ["周九", GOOD_3, "", "", "", "长安区"],  # line 9: fine
    ])
    _, report, _ = run_import(db, cipher, path)
    assert report.created == 2
    assert [(e.line, e.code) for e in report.errors] == [
        (3, "bad_check_digit"), (4, "missing_name"), (5, "legacy_15_digit"), (6, "bad_birth_date"),
        (7, "bad_phone"), (8, "duplicate_in_file"),
    ]
    assert "15位" in report.errors[2].message


def test_reimport_updates_instead_of_duplicating(db, cipher, tmp_path):
    write_csv(tmp_path / "a.csv", [["张三", GOOD_1, "SB001", "", "旧地址", "南岗区"], ["李四", GOOD_2, "", "", "", ""]])
    run_import(db, cipher, tmp_path / "a.csv")
    write_csv(tmp_path / "b.csv", [["张三", GOOD_1.lower(), "SB001", "13900001111", "新地址", "南岗区"],
                                   ["李四", GOOD_2, "", "", "", ""]])
    _, report, _ = run_import(db, cipher, tmp_path / "b.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    with db.session() as s:
        assert s.scalar(select(func.count(Retiree.id))) == 2
        zhang = s.scalar(select(Retiree).where(Retiree.name == "张三"))
        assert zhang.address == "新地址"
        assert zhang.phone_masked == "139****1111"


def test_gbk_csv_from_excel_is_read(db, cipher, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [["张三", GOOD_1, "", "", "", "南岗区"]], encoding="gbk")
    _, report, _ = run_import(db, cipher, path)
    assert report.created == 1


def test_xlsx_with_number_cells(db, cipher, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "姓名", "公民身份号码", "联系电话", "所属区域"])
    ws.append([1, "张三", GOOD_1, 13812345678, "南岗区"])  # phone typed as a number in Excel
    ws.append([2, "王五", BAD_CHECK, None, "南岗区"])
    ws.append([None, None, None, None, None])
    ws.append([3, "李四", GOOD_2, None, "道里区"])
    wb.save(tmp_path / "r.xlsx")
    _, report, ticks = run_import(db, cipher, tmp_path / "r.xlsx")
    assert report.created == 2 and ticks == 3
    assert [(e.line, e.code) for e in report.errors] == [(3, "bad_check_digit")]


def test_missing_columns_and_wrong_type_are_refused(tmp_path):
    (tmp_path / "x.csv").write_text("名字,电话\n张三,1\n", encoding="utf-8")
    with pytest.raises(RosterFileError, match="身份证号"):
        read_rows(tmp_path / "x.csv")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(RosterFileError):
        read_rows(tmp_path / "x.pdf")
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(RosterFileError):
        read_rows(tmp_path / "fake.xlsx")


def test_reimport_keeps_a_phone_the_retiree_changed_after_the_files_date_and_shows_the_conflict(db, cipher, tmp_path):
    """The retiree changed her phone on 20 November; a file exported on 1 November must not put the old one back."""
    from certification.phone import mask_phone
    from flows.roster import note_self_change

    old = write_csv(tmp_path / "old.csv", [["张三", GOOD_1, "SB001", "13812345678", "南岗区一曼街1号", "南岗区"],
                                            ["李四", GOOD_2, "SB002", "13911112222", "道里区", "道里区"]])
    run_import(db, cipher, old)
    with db.session() as s:
        zhang = s.scalar(select(Retiree).where(Retiree.name == "张三"))
        zhang.phone_enc = cipher.encrypt("13700001111", b"phone")
        zhang.phone_masked = mask_phone("13700001111")
        note_self_change(zhang, "phone", at=dt.datetime(2026, 11, 20, 3, tzinfo=dt.timezone.utc))
    again = write_csv(tmp_path / "again.csv", [["张三", GOOD_1, "SB001", "13812345678", "南岗区一曼街1号", "南岗区"],
                                                ["李四", GOOD_2, "SB002", "13933334444", "道里区", "道里区"]])
    total, rows = read_rows(again)
    with db.session() as s:
        report = import_roster(s, cipher, s.scalar(select(Agency)), rows, today=TODAY, file_date=dt.date(2026, 11, 1))
    with db.session() as s:
        zhang = s.scalar(select(Retiree).where(Retiree.name == "张三"))
        li = s.scalar(select(Retiree).where(Retiree.name == "李四"))
        assert cipher.decrypt(zhang.phone_enc, b"phone") == "13700001111"  # hers, kept
        assert cipher.decrypt(li.phone_enc, b"phone", row=li.id_number_index) == "13933334444"  # never changed by him: the file wins
    assert [(c.line, c.name, c.field, c.kept, c.in_file) for c in report.conflicts] == [
        (2, "张三", "phone", "137****1111", "138****5678")]
    # a file dated after her change is newer information: it applies
    total, rows = read_rows(again)
    with db.session() as s:
        report = import_roster(s, cipher, s.scalar(select(Agency)), rows, today=TODAY, file_date=dt.date(2026, 11, 21))
    assert report.conflicts == []
    with db.session() as s:
        zhang = s.scalar(select(Retiree).where(Retiree.name == "张三"))
        assert cipher.decrypt(zhang.phone_enc, b"phone", row=zhang.id_number_index) == "13812345678"


def test_xlsx_whose_dimension_lies_imports_every_row(db, cipher, tmp_path):
    """A generator wrote <dimension ref="A1:E4"/> for 50 people: read-only openpyxl trusted it and kept 3."""
    import re
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "所属区域"])
    people = [make_id("230102", f"19{40 + i // 12:02d}{i % 12 + 1:02d}15", f"{100 + i:03d}") for i in range(50)]
    for i, number in enumerate(people):
        ws.append(["张" + "一二三四五六七八九十"[i % 10] + "丰", number, "南岗区"])
    wb.save(tmp_path / "full.xlsx")
    lying = tmp_path / "r.xlsx"
    with zipfile.ZipFile(tmp_path / "full.xlsx") as src, zipfile.ZipFile(lying, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:C4"', data)
                assert n == 1
            dst.writestr(item, data)
    total, report, _ = run_import(db, cipher, lying)
    assert total == 50
    assert report.created == 50 and report.errors == []
