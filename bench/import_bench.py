"""Benchmark: a 10,000-row roster import (XLSX and CSV), read, validated, encrypted and written.

    python bench/import_bench.py [--rows 10000] [--database-url postgresql+psycopg://...]

Builds a roster of valid, distinct people (names, ID numbers with check digits, phones,
regions), writes it as .xlsx (openpyxl) and .csv, and times flows.roster.read_rows +
import_roster into a freshly migrated database (SQLite in a temporary folder by default).
Prints rows, seconds and rows per second for each format. Target: < 30 s for 10,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from flows.roster import import_roster, read_rows  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.models import Agency, Retiree  # noqa: E402
from storage.personal_data import FieldCipher  # noqa: E402
from tests.idnumbers import make_id  # noqa: E402

HEADER = ["姓名", "身份证号", "社保编号", "手机号", "地址", "所属区域"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "桂兰建国秀英志强淑珍玉梅德明凤英文华海燕春生"


def people(n: int) -> list[list[str]]:
    rows, start = [], dt.date(1936, 1, 1)
    for i in range(n):
        born = start + dt.timedelta(days=i % 9000)
        number = make_id("230102", born.strftime("%Y%m%d"), f"{i // 9000 + 1:03d}")
        name = SURNAMES[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i // 400) % 20]
        rows.append([name, number, f"SS{i:08d}", f"139{i:08d}", f"南岗区学府路{i}号", ("南岗区", "道里区")[i % 2]])
    # make_id may repeat an ID for the same birth date and sequence: keep each ID once
    seen, unique = set(), []
    for row in rows:
        if row[1] not in seen:
            seen.add(row[1])
            unique.append(row)
    return unique


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)


def run(path: Path, url: str) -> tuple[int, int, float]:
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        s.add(Agency(code="bench", name="基准测试社保中心", cycle_policy={}))
    cipher = FieldCipher(os.urandom(32), os.urandom(32))
    started = time.perf_counter()
    total, rows = read_rows(path)
    with db.session() as s:
        agency = s.scalar(select(Agency))
        report = import_roster(s, cipher, agency, rows, today=dt.date(2026, 11, 22))
    seconds = time.perf_counter() - started
    with db.session() as s:
        stored = s.scalar(select(func.count(Retiree.id)))
    db.engine.dispose()
    assert report.errors == [], report.errors[:3]
    return total, stored, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    rows = people(args.rows)
    with tempfile.TemporaryDirectory(prefix="lifecert-import-bench-") as tmp:
        tmp = Path(tmp)
        for fmt, writer in (("xlsx", write_xlsx), ("csv", write_csv)):
            path = tmp / f"roster.{fmt}"
            writer(path, rows)
            url = args.database_url or f"sqlite:///{tmp / f'{fmt}.sqlite3'}"
            total, stored, seconds = run(path, url)
            print(f"{fmt}: {total} rows read, {stored} people stored in {seconds:.1f} s "
                  f"({stored / seconds:.0f} rows/s; target < 30 s for 10,000)")


if __name__ == "__main__":
    main()
