"""Other channels: on-site/home-visit/by-mail records, data comparison CSV, home-visit requests, death reports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from flows import FlowError, clock
from flows.requests import report_death, request_home_visit
from storage.models import Certification, PensionStatus, Retiree, ServiceRequest, WeChatUser
from tests.integration.console.conftest import login, make_id, post

TODAY = clock.local_today()


def test_staff_record_an_on_site_certification_once(client, world):
    rid = world.add_retiree("李强", make_id("230102", "19470304", "011"))
    login(client, "staff1")
    page = post(client, "/console/people", {"q": world.ids["李强"]}).get_data(as_text=True)
    assert "李强" in page and world.ids["李强"] not in page  # masked only
    for _ in range(2):  # a double click records once
        post(client, f"/console/people/{rid}/certify", {"method": "on_site", "certified_on": TODAY.isoformat()})
    assert "已认证" in client.get(f"/console/people/{rid}").get_data(as_text=True)
    future = post(client, f"/console/people/{rid}/certify",
                  {"method": "by_mail", "certified_on": (TODAY + dt.timedelta(days=1)).isoformat()})
    assert "不能晚于今天" in client.get(future.headers["Location"]).get_data(as_text=True)
    with world.services.db.session() as s:
        assert s.scalar(select(func.count(Certification.id))) == 1


def test_data_comparison_csv_marks_the_listed(client, world):
    a = world.add_retiree("赵一", make_id("230102", "19450101", "021"))
    world.add_retiree("钱二", make_id("230102", "19450102", "022"))
    stranger = make_id("110101", "19450103", "023")
    csv_text = f"姓名,身份证号\n赵一,{world.ids['赵一']}\n路人,{stranger}\n坏的,12345\n"
    login(client, "reviewer1")
    page = post(client, "/console/data-comparison", {"file": (io.BytesIO(csv_text.encode("gbk")), "比对.csv"),
                                                     "certified_on": TODAY.isoformat()},
                content_type="multipart/form-data").get_data(as_text=True)
    assert "记录 1 人" in page and "名单外 1 人" in page and "第 4 行" in page
    with world.services.db.session() as s:
        cert = s.scalar(select(Certification))
        assert (cert.retiree_id, cert.method.value) == (a, "data_comparison")


def test_home_visit_request_is_scheduled_and_done(client, world):
    rid = world.add_retiree("孙老", make_id("230102", "19400101", "031"), openid="oid-sun", address="南岗区一曼街1号")
    with world.services.db.session() as s:
        user = s.scalar(select(WeChatUser).where(WeChatUser.oa_openid == "oid-sun"))
        first = request_home_visit(s, user, rid, "腿脚不便")
        assert request_home_visit(s, user, rid, "又点了一次").id == first.id
        stranger = WeChatUser(oa_openid="oid-x")
        s.add(stranger)
        s.flush()
        with pytest.raises(FlowError):
            request_home_visit(s, stranger, rid, "")
        request_id = first.id
    login(client, "staff1")
    assert "腿脚不便" in client.get("/console/requests").get_data(as_text=True)
    post(client, f"/console/requests/{request_id}/schedule", {"when": (TODAY + dt.timedelta(days=2)).isoformat()})
    post(client, f"/console/requests/{request_id}/done")
    with world.services.db.session() as s:
        assert s.get(ServiceRequest, request_id).status == "done"
        assert s.scalar(select(Certification.method).where(Certification.retiree_id == rid)).value == "home_visit"


def test_death_report_confirmed_by_admin_stops_payment(client, world):
    rid = world.add_retiree("周老", make_id("230102", "19390101", "041"), openid="oid-zhou")
    with world.services.db.session() as s:
        user = s.scalar(select(WeChatUser).where(WeChatUser.oa_openid == "oid-zhou"))
        request_id = report_death(s, user, rid, "2026年11月去世").id
    login(client, "staff1")
    page = client.get("/console/requests").get_data(as_text=True)
    assert "2026年11月去世" in page and "待机构管理员核实" in page
    assert post(client, f"/console/requests/{request_id}/confirm").status_code == 403
    client.get("/console/login")
    post(client, "/console/logout")
    login(client, "admin1")
    # irreversible: the first click only asks again, saying what will happen
    asked = post(client, f"/console/requests/{request_id}/confirm", {"note": "已电话核实"})
    assert asked.status_code == 200 and "确认停发" in asked.get_data(as_text=True)
    assert "不能撤销" in asked.get_data(as_text=True) and "周老" in asked.get_data(as_text=True)
    with world.services.db.session() as s:
        assert s.get(Retiree, rid).pension_status != PensionStatus.stopped
    post(client, f"/console/requests/{request_id}/confirm", {"note": "已电话核实", "confirmed": "yes"})
    with world.services.db.session() as s:
        retiree = s.get(Retiree, rid)
        assert retiree.pension_status == PensionStatus.stopped and retiree.stopped_reason == "death"
    # a stopped retiree cannot be certified by any channel
    post(client, f"/console/people/{rid}/certify", {"method": "on_site", "certified_on": TODAY.isoformat()})
    with world.services.db.session() as s:
        assert s.scalar(select(func.count(Certification.id))) == 0


def test_confirming_a_death_report_that_does_not_exist_is_404_not_500(client, world):
    login(client, "admin1")
    assert post(client, "/console/requests/999999/confirm", {"note": "x"}).status_code == 404
