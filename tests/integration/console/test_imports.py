"""Imports from the browser: the photo ZIP (GBK names, .jpeg/.png, rejects with reasons) and the roster, as rq jobs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from flows import progress
from flows.imports import import_photo_zip, parse_photo_name, run_photo_job, run_roster_job
from jobs.console import use_services
from storage.models import EnrollmentPhoto, Retiree
from storage.objects import ObjectStoreError
from storage.queues import DEFAULT, queue
from tests.integration.console.conftest import make_id, post


@dataclasses.dataclass
class FakeEnrollment:
    ok: bool
    template: bytes | None
    quality: dict
    reasons: list


def fake_enroll(data: bytes) -> FakeEnrollment:
    """Photos whose bytes say "dark" fail like vision would; the rest pass with a template."""
    if b"dark" in data:
        return FakeEnrollment(False, None, {"brightness": 20}, ["too_dark"])
    return FakeEnrollment(True, b"\x00" * 512, {"brightness": 120, "sharpness": 80}, [])


def gbk_zip(entries: dict[str, bytes]) -> bytes:
    """A ZIP as Chinese Windows writes it: names in GBK, no UTF-8 flag."""
    buf = io.BytesIO()
    placeholders = {}
    with zipfile.ZipFile(buf, "w") as z:
        for i, (name, data) in enumerate(entries.items()):
            raw = name.encode("gbk")
            placeholder = f"{i:03d}".encode() + b"_" * (len(raw) - 3)
            placeholders[placeholder] = raw
            z.writestr(placeholder.decode(), data)
    blob = buf.getvalue()
    for placeholder, raw in placeholders.items():
        blob = blob.replace(placeholder, raw)
    return blob


def test_file_names_are_parsed():
    assert parse_photo_name("张三230102194603151234.jpg") == ("张三", "230102194603151234")
    assert parse_photo_name("张三_23010219460315123x.JPEG") == ("张三", "23010219460315123X")
    assert parse_photo_name("照片1.jpg") is None


def test_photo_zip_enrolls_good_photos_and_reports_rejects(world):
    a = world.add_retiree("张三", make_id("230102", "19460315", "123"))
    b = world.add_retiree("李四", make_id("230102", "19501101", "456"))
    c = world.add_retiree("王五", make_id("230102", "19520101", "789"))
    stranger = make_id("110101", "19500101", "001")
    with world.services.db.session() as s:  # an older photo of 张三 to be replaced
        s.add(EnrollmentPhoto(retiree_id=a, object_key="photos/old.jpg", template=b"o", source="zip_import"))
    blob = gbk_zip({
        f"照片/张三{world.ids['张三']}.jpg": b"\xff\xd8good",
        f"李四{world.ids['李四']}.jpeg": b"\xff\xd8dark",
        f"王五{world.ids['王五']}.png": b"\x89PNGgood",
        f"赵六{stranger}.jpg": b"good",
        f"错名{world.ids['张三']}.jpg": b"good",
        "说明.txt": b"hello",
        "__MACOSX/._x.jpg": b"junk",
    })
    ticks = []
    report = import_photo_zip(world.services, world.cipher, world.agency_id, io.BytesIO(blob), fake_enroll,
                              dt.date.today(), lambda done, total: ticks.append((done, total)))
    assert report.enrolled == 2 and ticks[-1] == (6, 6)
    rejects = {r.file: r.message for r in report.rejects}
    assert rejects[f"李四{world.ids['李四'][:4]}**********{world.ids['李四'][-4:]}.jpeg"] == "照片太暗"
    assert any("名单里没有" in m for m in rejects.values())
    assert any("姓名和名单不一致" in m for m in rejects.values())
    assert rejects["说明.txt"].startswith("只支持")
    assert not any(world.ids["张三"] in f for f in rejects)  # reports carry masked ID numbers only
    with world.services.db.session() as s:
        photos = list(s.scalars(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == a)
                                .order_by(EnrollmentPhoto.id)))
        assert [p.active for p in photos] == [False, True]
        assert photos[1].object_key.startswith(f"photos/{a}/") and photos[1].object_key.endswith(".jpg")
        assert photos[1].quality == {"brightness": 120, "sharpness": 80}
        png = s.scalar(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == c))
        assert png.object_key.endswith(".png")
        assert s.scalar(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == b)) is None
    assert world.services.objects.get_bytes(photos[1].object_key) == b"\xff\xd8good"


def test_photo_job_records_progress(world):
    world.add_retiree("张三", make_id("230102", "19460315", "123"))
    key = progress.new_job_key("photos")
    progress.start(world.services.redis, key, "photos", world.agency_id)
    world.services.objects.put_bytes("imports/x.zip", gbk_zip({f"张三{world.ids['张三']}.jpg": b"ok"}))
    result = run_photo_job(world.services, key, "imports/x.zip", world.agency_id, world.users["admin1"], fake_enroll)
    assert result["enrolled"] == 1
    state = progress.read(world.services.redis, key)
    assert state["state"] == "done" and state["percent"] == 100 and "成功登记 1 张" in state["message"]
    assert not world.services.objects.exists("imports/x.zip")


def test_roster_upload_runs_as_a_job_with_progress_and_report(as_admin, world):
    good = make_id("230102", "19460315", "123")
    csv_text = f"姓名,身份证号,所属区域\n张三,{good},南岗区\n王五,{good[:-1]}0,南岗区\n"
    response = post(as_admin, "/console/imports/roster", {"file": (io.BytesIO(csv_text.encode("gbk")), "名单.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 302
    status_url = response.headers["Location"]
    assert "正在导入" in as_admin.get(status_url).get_data(as_text=True)
    use_services(world.services)
    SimpleWorker([queue(world.services, DEFAULT)], connection=world.services.redis).work(burst=True)
    state = as_admin.get(status_url + "/progress").get_json()
    assert state["state"] == "done" and state["percent"] == 100
    page = as_admin.get(status_url).get_data(as_text=True)
    assert "新增 1 人" in page and "第 3 行" in page and "校验位" in page
    with world.services.db.session() as s:
        assert s.scalar(select(Retiree.name)) == "张三"
    # another agency's admin cannot read this job
    other = as_admin.application.test_client()
    from tests.integration.console.conftest import login

    login(other, "other1")
    assert other.get(status_url + "/progress").status_code == 404


def test_wrong_file_types_are_refused(as_admin, world):
    r = post(as_admin, "/console/imports/photos", {"file": (io.BytesIO(b"x"), "photos.rar")},
             content_type="multipart/form-data")
    assert "请选择 .zip" in as_admin.get(r.headers["Location"]).get_data(as_text=True)


def test_zip_entries_with_unsafe_paths_are_listed_as_rejected(world):
    good = make_id("230102", "19460315", "123")
    world.add_retiree("张三", good)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"张三{good}.jpg", b"ok")
        z.writestr(f"../../etc/李四{make_id('230103', '19501101', '456')}.jpg", b"ok")
        z.writestr("/abs/王五.jpg", b"ok")
    report = import_photo_zip(world.services, world.cipher, world.agency_id, io.BytesIO(buf.getvalue()),
                              fake_enroll, dt.date(2026, 11, 22))
    assert report.enrolled == 1
    rejects = {r.file: r.codes for r in report.rejects}
    assert len(rejects) == 2 and all(codes == ["unsafe_path"] for codes in rejects.values())
    assert all("不安全" in r.message for r in report.rejects)
    assert not any(good[6:14] in name for name in rejects)  # ID numbers masked in the report


def test_an_import_job_that_raises_ends_failed_with_a_reason(world):
    key = progress.new_job_key("roster")
    progress.start(world.services.redis, key, "roster", world.agency_id)
    with pytest.raises(ObjectStoreError):  # the upload is gone from the store: the job cannot even start
        run_roster_job(world.services, key, "imports/missing.csv", ".csv", world.agency_id, world.users["admin1"])
    state = progress.read(world.services.redis, key)
    assert state["state"] == "failed" and "导入没有完成" in state["message"] and "文件存储" in state["message"]

    key = progress.new_job_key("photos")
    progress.start(world.services.redis, key, "photos", world.agency_id)
    world.services.objects.put_bytes("imports/y.zip", gbk_zip({"张三230102194603151234.jpg": b"ok"}))

    def broken_enroll_and_db(data):
        raise SystemError("boom")  # caught per photo as vision_unavailable: the job itself goes on

    result = run_photo_job(world.services, key, "imports/y.zip", world.agency_id, world.users["admin1"],
                           broken_enroll_and_db)
    assert progress.read(world.services.redis, key)["state"] == "done" and "enrolled" in result
