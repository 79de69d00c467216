"""The console user page: an admin creates, disables and re-roles staff; nobody else can; every change is audited."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AdminUser, AuditLog
from tests.integration.console.conftest import PASSWORD, login, post


def test_admin_creates_sets_role_and_regions_disables_and_all_is_audited(client, world):
    login(client, "admin1")
    page = client.get("/console/users").get_data(as_text=True)
    assert "账号管理" in page and "reviewer1" in page and "新建账号" in page
    bad = post(client, "/console/users", {"username": "li", "password": "short", "role": "staff"},
               follow_redirects=True)
    assert "账号只能用" in bad.get_data(as_text=True)
    post(client, "/console/users", {"username": "li.ming", "password": "a long password 1", "role": "staff",
                                    "region_ids": [str(world.regions["道里区"])]})
    with world.services.db.session() as s:
        user = s.scalar(select(AdminUser).where(AdminUser.username == "li.ming"))
        assert user.role.value == "staff" and user.region_ids == [world.regions["道里区"]]
        uid = user.id
    post(client, f"/console/users/{uid}", {"role": "reviewer", "region_ids": []})
    with world.services.db.session() as s:
        user = s.get(AdminUser, uid)
        assert user.role.value == "reviewer" and user.region_ids == []
    # disabling asks first, then takes effect at once
    asked = post(client, f"/console/users/{uid}/disable")
    assert asked.status_code == 200 and "确认停用" in asked.get_data(as_text=True)
    with world.services.db.session() as s:
        assert s.get(AdminUser, uid).active
    other = client.application.test_client()
    assert login(other, "li.ming", "a long password 1").status_code == 302
    post(client, f"/console/users/{uid}/disable", {"confirmed": "yes"})
    assert other.get("/console/").status_code == 302  # logged out on the next request
    with world.services.db.session() as s:
        assert not s.get(AdminUser, uid).active
        actions = s.scalars(select(AuditLog.action).where(AuditLog.target_kind == "admin_user",
                                                          AuditLog.target_id == str(uid))).all()
    assert actions == ["staff.create", "staff.update", "staff.disable"]
    # an admin cannot lock themself out
    post(client, f"/console/users/{world.users['admin1']}/disable", {"confirmed": "yes"})
    with world.services.db.session() as s:
        assert s.get(AdminUser, world.users["admin1"]).active


def test_only_admins_see_the_user_page_and_only_their_agency(client, world):
    login(client, "reviewer1", PASSWORD)
    assert client.get("/console/users").status_code == 403
    assert post(client, "/console/users", {"username": "x.y.z", "password": "a long password 1",
                                           "role": "admin"}).status_code == 403
    other = client.application.test_client()
    login(other, "other1")
    assert "reviewer1" not in other.get("/console/users").get_data(as_text=True)
    post(other, f"/console/users/{world.users['reviewer1']}/disable", {"confirmed": "yes"})
    with world.services.db.session() as s:
        assert s.get(AdminUser, world.users["reviewer1"]).active
