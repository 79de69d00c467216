"""Issue 11, critical: a roster import is scoped to the importing agency.

The attack: agency B imports a file naming a retiree of agency A. Before the fix the
import matched by ID number across all agencies, moved the person into B and
overwrote name, address, phone and region — and its report said the ID existed.
"""

from __future__ import annotations

import csv
import datetime as dt
import os

import pytest
from sqlalchemy import select

from flows.roster import import_roster, read_rows
from storage.db import Database, upgrade
from storage.models import Agency, Retiree
from storage.personal_data import FieldCipher
from tests.idnumbers import make_id

TODAY = dt.date(2026, 11, 22)
VICTIM = make_id("230102", "19460315", "123")
HEADER = ["姓名", "身份证号", "社保编号", "手机号", "地址", "所属区域"]


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    upgrade(url)
    database = Database(url)
    with database.session() as s:
        s.add_all([Agency(code="a", name="甲机构", cycle_policy={}), Agency(code="b", name="乙机构", cycle_policy={})])
    return database


@pytest.fixture
def cipher():
    return FieldCipher(os.urandom(32), os.urandom(32))


def run_import(db, cipher, tmp_path, agency_code, rows, name="r.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    _, it = read_rows(path)
    with db.session() as s:
        agency = s.scalar(select(Agency).where(Agency.code == agency_code))
        return import_roster(s, cipher, agency, it, today=TODAY)


def test_import_by_another_agency_neither_moves_nor_reveals(db, cipher, tmp_path):
    run_import(db, cipher, tmp_path, "a", [["张三", VICTIM, "SB1", "13812345678", "南岗区一曼街1号", "南岗区"]])
    report = run_import(db, cipher, tmp_path, "b", [["李四", VICTIM, "X", "13900001111", "骗子地址", "别处"]], "b.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert [e.code for e in report.errors] == ["not_importable"]
    message = report.errors[0].message
    assert "其他" not in message and "已存在" not in message and "机构" not in message.replace("本机构", "")
    with db.session() as s:
        person = s.scalar(select(Retiree))
        a = s.scalar(select(Agency).where(Agency.code == "a"))
        assert person.agency_id == a.id
        assert (person.name, person.address, person.phone_masked, person.region.name) == (
            "张三", "南岗区一曼街1号", "138****5678", "南岗区")


@pytest.mark.parametrize("column,value", [("address", "地" * 201), ("ss_number", "S" * 33), ("region", "区" * 101)])
def test_overlong_fields_are_refused_by_line(db, cipher, tmp_path, column, value):
    row = {"name": "张三", "id_number": VICTIM, "ss_number": "", "phone": "", "address": "", "region": ""}
    row[column] = value
    report = run_import(db, cipher, tmp_path, "a", [[row[k] for k in
                                                      ("name", "id_number", "ss_number", "phone", "address", "region")]])
    assert report.created == 0
    assert [(e.line, e.code) for e in report.errors] == [(2, "too_long")]


def test_each_created_or_changed_row_is_audited_without_values(db, cipher, tmp_path):
    from storage.models import AuditLog

    run_import(db, cipher, tmp_path, "a", [["张三", VICTIM, "SB1", "", "旧地址", "南岗区"]])
    run_import(db, cipher, tmp_path, "a", [["张三", VICTIM, "SB1", "13812345678", "新地址", "南岗区"]], "b.csv")
    with db.session() as s:
        entries = list(s.scalars(select(AuditLog).where(AuditLog.action == "roster.row").order_by(AuditLog.id)))
    assert [e.detail["change"] for e in entries] == ["created", "updated"]
    assert sorted(entries[1].detail["fields"]) == ["address", "phone"]
    text = repr([e.detail for e in entries])
    assert "新地址" not in text and "13812345678" not in text
