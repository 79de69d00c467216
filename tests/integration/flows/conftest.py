"""A populated world for the certification flow: an agency, retirees, WeChat users."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bootstrap import build_services
from certification.cycle import HARBIN
from flows.people import CONSENT_VERSION
from storage.db import upgrade
from storage.models import (
    Agency,
    Binding,
    BindingKind,
    Certification,
    CertificationMethod,
    Consent,
    PensionStatus,
    Retiree,
    WeChatUser,
)
from storage.personal_data import FieldCipher
from tests.idnumbers import make_id


@dataclasses.dataclass
class World:
    services: object
    cipher: FieldCipher
    agency_id: int
    retiree_id: int  # 张桂兰, active
    suspended_id: int  # 王建国, suspended since 2026-01-01
    self_user_id: int  # 张桂兰's own WeChat, bound as self, consented
    family_user_id: int  # a family member, not yet bound
    zhang_id_number: str

    def add_user(self, openid: str, consent: bool = True) -> int:
        with self.services.db.session() as s:
            user = WeChatUser(oa_openid=openid, subscribed=True)
            s.add(user)
            s.flush()
            if consent:
                s.add(Consent(wechat_user_id=user.id, text_version=CONSENT_VERSION))
            return user.id

    def bind(self, user_id: int, retiree_id: int, kind: BindingKind = BindingKind.family) -> int:
        with self.services.db.session() as s:
            b = Binding(wechat_user_id=user_id, retiree_id=retiree_id, kind=kind, created_via="test")
            s.add(b)
            s.flush()
            return b.id


@pytest.fixture
def services(settings):
    upgrade(settings.database_url)
    svc = build_services(settings)
    yield svc
    svc.db.engine.dispose()


@pytest.fixture
def world(services) -> World:
    cipher = FieldCipher(services.settings.data_key, services.settings.index_key)
    zhang = make_id("230102", "19400315", "124")
    wang = make_id("230103", "19380601", "131")
    with services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        people = []
        for name, number, status in (("张桂兰", zhang, PensionStatus.active), ("王建国", wang, PensionStatus.suspended)):
            r = Retiree(agency_id=agency.id, name=name, id_number_enc=cipher.encrypt(number, b"id_number"),
                        id_number_index=cipher.blind_index(number, b"id_number"), id_number_masked=number[:4] + "*" * 10 + number[-4:],
                        birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                        pension_status=status,
                        suspended_since=dt.date(2026, 1, 1) if status == PensionStatus.suspended else None)
            s.add(r)
            people.append(r)
        s.flush()
        # certified on site last year, so this year's certification is what is due
        s.add(Certification(retiree_id=people[0].id, method=CertificationMethod.on_site,
                            certified_on=dt.date(2025, 6, 10)))
        agency_id, zhang_id, wang_id = agency.id, people[0].id, people[1].id
    w = World(services, cipher, agency_id, zhang_id, wang_id, 0, 0, zhang)
    w.self_user_id = w.add_user("o_zhang_self")
    w.bind(w.self_user_id, zhang_id, BindingKind.self_)
    w.family_user_id = w.add_user("o_family_son")
    return w
