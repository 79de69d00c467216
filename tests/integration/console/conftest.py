"""Console fixtures: an agency with regions, users of each role, a roster, and a fake WeChat sender."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from certification import cycle
from storage.models import (
    AdminRole,
    AdminUser,
    Agency,
    Binding,
    BindingKind,
    Region,
    Retiree,
    WeChatUser,
)
from storage.personal_data import FieldCipher

PASSWORD = "correct horse 12"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


@pytest.fixture
def fake_sender(monkeypatch):
    import flows.outbox
    from tests.integration.console import fake_sender as module

    monkeypatch.setattr(flows.outbox, "enqueue_template", module.enqueue_template)
    module.UNFOLLOWED.clear()
    return module


@dataclasses.dataclass
class World:
    services: object
    cipher: FieldCipher
    agency_id: int
    regions: dict[str, int]
    users: dict[str, int]
    people: dict[str, int]  # name -> retiree id
    ids: dict[str, str]  # name -> ID number

    def add_retiree(self, name: str, id_number: str, region: str = "南岗区", openid: str | None = None,
                    created_at: dt.datetime | None = None, **values) -> int:
        from certification.idnumber import mask_id_number, validate_id_number

        info = validate_id_number(id_number, today=dt.date.today())
        with self.services.db.session() as s:
            r = Retiree(agency_id=self.agency_id, region_id=self.regions[region], name=name,
                        id_number_enc=self.cipher.encrypt(info.number, b"id_number"),
                        id_number_index=self.cipher.blind_index(info.number, b"id_number"),
                        id_number_masked=mask_id_number(info.number), birth_date=info.birth_date, sex=info.sex,
                        ss_number=f"SB{id_number[-6:]}", **values)
            if created_at is not None:
                r.created_at = created_at
            s.add(r)
            s.flush()
            if openid:
                user = WeChatUser(oa_openid=openid, subscribed=True)
                s.add(user)
                s.flush()
                s.add(Binding(wechat_user_id=user.id, retiree_id=r.id, kind=BindingKind.self_, created_via="name_id"))
            rid = r.id
        self.people[name] = rid
        self.ids[name] = id_number
        return rid

    def wechat_user(self, retiree_id: int) -> WeChatUser:
        with self.services.db.session() as s:
            return s.scalar(select(WeChatUser).join(Binding, Binding.wechat_user_id == WeChatUser.id)
                            .where(Binding.retiree_id == retiree_id))


@pytest.fixture
def world(app, fake_sender) -> World:
    services = app.extensions["lifecert"]
    cipher = FieldCipher(services.settings.data_key, services.settings.index_key)
    with services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=cycle.HARBIN.to_dict(),
                        settings={"campaign_rate_per_s": 0})
        other = Agency(code="other", name="别的机构", cycle_policy=cycle.HARBIN.to_dict())
        s.add_all([agency, other])
        s.flush()
        regions = {name: Region(agency_id=agency.id, name=name) for name in ("南岗区", "道里区")}
        s.add_all(regions.values())
        s.flush()
        users = {}
        for username, role, region_ids in (("admin1", "admin", []), ("reviewer1", "reviewer", []),
                                           ("staff1", "staff", []),
                                           ("daoli", "reviewer", [regions["道里区"].id])):
            u = AdminUser(username=username, password_hash=generate_password_hash(PASSWORD), role=AdminRole(role),
                          agency_id=agency.id, region_ids=region_ids)
            s.add(u)
            s.flush()
            users[username] = u.id
        other_admin = AdminUser(username="other1", password_hash=generate_password_hash(PASSWORD),
                                role=AdminRole.admin, agency_id=other.id)
        s.add(other_admin)
        s.flush()
        users["other1"] = other_admin.id
        w = World(services, cipher, agency.id, {k: v.id for k, v in regions.items()}, users, {}, {})
    return w


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client, path: str = "/console/login") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_of(client)
    return client.post("/console/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def as_admin(client, world):
    assert login(client, "admin1").status_code == 302
    return client


def post(client, path: str, data: dict | None = None, **kwargs):
    """POST with the session's CSRF token, as the page's form would."""
    with client.session_transaction() as sess:
        token = sess["csrf"]
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)
