"""The daily cycle run: suspends the lapsed once, resumes late passes, notifies once, dry run writes nothing; exports."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from flows import clock
from flows.cycle_run import run_cycle
from storage.models import AuditLog, Certification, CertificationMethod, Notification, PensionStatus, Retiree
from tests.integration.console.conftest import make_id, post

UTC = dt.timezone.utc
DAY = dt.date(2027, 1, 3)  # Harbin: cycle 2026 ended Dec 31; suspension date Jan 1


def setup_people(world):
    old = dt.datetime(2025, 3, 1, tzinfo=UTC)
    lapsed = world.add_retiree("未认证", make_id("230102", "19450101", "101"), openid="oid-a", created_at=old)
    fine = world.add_retiree("已认证", make_id("230102", "19450101", "102"), openid="oid-b", created_at=old)
    late = world.add_retiree("补认证", make_id("230102", "19450101", "103"), openid="oid-c", created_at=old,
                             pension_status=PensionStatus.suspended, suspended_since=dt.date(2026, 1, 1))
    with world.services.db.session() as s:
        s.add(Certification(retiree_id=fine, method=CertificationMethod.face, certified_on=dt.date(2026, 6, 1)))
        # recorded without apply_pass (say, by an import): the run must still resume them
        s.add(Certification(retiree_id=late, method=CertificationMethod.on_site, certified_on=dt.date(2026, 4, 10)))
    return lapsed, fine, late


def test_dry_run_reports_and_writes_nothing(world):
    lapsed, _fine, late = setup_people(world)
    [report] = run_cycle(world.services, DAY, dry_run=True, agency_codes=["harbin"])
    assert report.suspended == [lapsed] and report.resumed == [late] and report.suspend_since == dt.date(2027, 1, 1)
    with world.services.db.session() as s:
        assert s.get(Retiree, lapsed).pension_status == PensionStatus.active
        assert s.get(Retiree, late).pension_status == PensionStatus.suspended
        assert s.scalar(select(func.count(Notification.id))) == 0


def test_run_suspends_resumes_notifies_and_is_idempotent(world):
    lapsed, fine, late = setup_people(world)
    [report] = run_cycle(world.services, DAY, agency_codes=["harbin"])
    assert (report.suspended, report.resumed) == ([lapsed], [late])
    with world.services.db.session() as s:
        a = s.get(Retiree, lapsed)
        assert (a.pension_status, a.suspended_since) == (PensionStatus.suspended, dt.date(2027, 1, 1))
        assert s.get(Retiree, fine).pension_status == PensionStatus.active
        assert s.get(Retiree, late).pension_status == PensionStatus.active
        kinds = sorted(s.scalars(select(Notification.kind)))
    assert kinds == ["resumption", "suspension"]
    [again] = run_cycle(world.services, DAY + dt.timedelta(days=1), agency_codes=["harbin"])
    assert (again.suspended, again.resumed, again.notified) == ([], [], 0)
    with world.services.db.session() as s:
        assert s.scalar(select(func.count(Notification.id))) == 2
        assert s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "retiree.suspend")) == 1


def test_payment_export_lists_changes_with_back_pay(as_admin, world):
    _lapsed, _fine, _late = setup_people(world)
    run_cycle(world.services, DAY, agency_codes=["harbin"])
    today = clock.local_today().isoformat()  # the export's days are Beijing days (issue 12)
    csv_text = as_admin.get("/console/exports/payments.csv", query_string={"from": today, "to": today}).data.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("变动类型,姓名,社保编号")
    assert any(line.startswith("暂停发放,未认证,") and "2027-01-01" in line for line in lines)
    resumed = next(line for line in lines if line.startswith("恢复发放,补认证"))
    assert "2026-05-01" in resumed and ",4,2026-01,2026-02,2026-03,2026-04" in resumed.replace('"', "")
    assert make_id("230102", "19450101", "101") not in csv_text  # masked ID numbers only
    xlsx = as_admin.get("/console/exports/payments.xlsx", query_string={"from": today, "to": today}).data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A1"].value == "变动类型" and sheet.max_row == 3


def test_cli_run_cycle_dry_run(app, world):
    setup_people(world)
    result = app.test_cli_runner().invoke(args=["run-cycle", "--dry-run", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "[试运行] harbin 2027-01-03：将暂停发放 1 人" in result.output


def test_cycle_page_shows_the_dry_run_and_runs(as_admin, world):
    page = as_admin.get("/console/cycle").get_data(as_text=True)
    assert "试运行" in page
    # in plain words: the agency's name, not its code, and an estimate of the notices
    assert "哈尔滨市社保中心" in page and "harbin" not in page.split('id="dry-run"')[1][:200]
    assert "预计发微信通知" in page
    asked = post(as_admin, "/console/cycle/run")
    assert asked.status_code == 200 and "确认执行" in asked.get_data(as_text=True)
    assert post(as_admin, "/console/cycle/run", {"confirmed": "yes"}).status_code == 302


def test_dry_run_in_plain_words_estimates_notices_and_calls(world):
    from sqlalchemy import update

    from storage.models import WeChatUser

    lapsed, _fine, late = setup_people(world)
    no_wechat = world.add_retiree("没微信", make_id("230102", "19450101", "104"),
                                  created_at=dt.datetime(2025, 3, 1, tzinfo=UTC))
    with world.services.db.session() as s:  # 补认证's account unfollowed: a call, not a notice
        s.execute(update(WeChatUser).where(WeChatUser.oa_openid == "oid-c").values(subscribed=False))
    [report] = run_cycle(world.services, DAY, dry_run=True, agency_codes=["harbin"])
    assert sorted(report.suspended) == sorted([lapsed, no_wechat]) and report.resumed == [late]
    assert (report.notices_estimate, report.without_wechat) == (1, 2)
    assert report.plain() == ("哈尔滨市社保中心：如果今天（2027年1月3日）执行，将暂停发放 2 人（从2027年1月1日起），"
                              "将恢复发放 1 人，预计发微信通知 1 条；另有 2 人没有关注公众号，需要电话或上门通知。")
