"""A demo agency for a newcomer's first minute (``./scripts/serve.sh --demo``).

Seeds one agency, two regions, a handful of people with enrolled photos read at run
time from the shared test faces (never copied into the repository), and an admin
account. Running it again changes nothing that is already there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from certification import cycle
from certification.idnumber import mask_id_number, validate_id_number
from certification.phone import mask_phone
from flows import clock
from flows.personal_keys import find_retiree_by_id_number
from flows.photos import enroll as default_enroll
from flows.ports import Services
from storage import audit
from storage.models import (
    AdminRole,
    AdminUser,
    Agency,
    Certification,
    CertificationMethod,
    EnrollmentPhoto,
    Region,
    Retiree,
)
from wording import zh

log = logging.getLogger("lifecert.flows.demo")

AGENCY_CODE = "demo"
AGENCY_NAME = zh.DEMO_AGENCY_NAME
ADMIN_USERNAME = "admin"
REGIONS = zh.DEMO_REGIONS
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11]


@dataclasses.dataclass(frozen=True)
class DemoPerson:
    name: str
    id_number: str
    region: str
    phone: str
    face: str  # path under testdata/faces
    last_certified: dt.date | None


# Demo people: made-up names and ID numbers (valid check digits), faces from ../shared/testdata.
_NAMES, _REGIONS = zh.DEMO_NAMES, zh.DEMO_REGIONS
PEOPLE = (
    DemoPerson(_NAMES[0], _id_number("230102", "19400315", "124"), _REGIONS[0], "13912345678",
               "rose_leslie/img1.jpg", dt.date(2025, 12, 10)),
    # her husband shares her phone: the "add another person on this phone" walk
    DemoPerson(_NAMES[1], _id_number("230102", "19380601", "131"), _REGIONS[0], "13912345678", "obama/obama.jpg",
               dt.date(2025, 12, 10)),
    DemoPerson(_NAMES[2], _id_number("230103", "19451120", "246"), _REGIONS[1], "13698765432",
               "kit_harington/john1.jpeg", dt.date(2025, 3, 2)),
    DemoPerson(_NAMES[3], _id_number("230103", "19420708", "153"), _REGIONS[1], "13587654321", "biden/biden.jpg", None),
)


@dataclasses.dataclass
class DemoReport:
    agency_code: str
    admin_username: str
    admin_password: str | None  # None: the admin already existed, its password is unchanged
    people: list[tuple[str, str, str]]  # (name, ID number, photo outcome)


def seed_demo(services: Services, faces_dir: Path, admin_password: str,
              enroll: Callable = default_enroll, today: dt.date | None = None) -> DemoReport:
    """Create the demo agency, people, photos and admin if missing; return what a newcomer needs to log in."""
    today = today or clock.local_today()
    report = DemoReport(AGENCY_CODE, ADMIN_USERNAME, None, [])
    with services.db.session() as s:
        agency = s.scalar(select(Agency).where(Agency.code == AGENCY_CODE))
        if agency is None:
            agency = Agency(code=AGENCY_CODE, name=AGENCY_NAME, cycle_policy=cycle.HARBIN.to_dict(),
                            settings={"hotline": "12333"})
            s.add(agency)
            s.flush()
        regions = {}
        for name in REGIONS:
            region = s.scalar(select(Region).where(Region.agency_id == agency.id, Region.name == name))
            if region is None:
                region = Region(agency_id=agency.id, name=name)
                s.add(region)
                s.flush()
            regions[name] = region.id
        admin = s.scalar(select(AdminUser).where(AdminUser.username == ADMIN_USERNAME))
        if admin is None:
            s.add(AdminUser(username=ADMIN_USERNAME, password_hash=generate_password_hash(admin_password),
                            role=AdminRole.admin, agency_id=agency.id))
            report.admin_password = admin_password
        agency_id = agency.id
        audit.record(s, "cli", "demo.seed", target_kind="agency", target_id=agency_id)
    for person in PEOPLE:
        report.people.append((person.name, person.id_number, _seed_person(services, agency_id, regions, person,
                                                                            faces_dir, enroll, today)))
    return report


def _seed_person(services: Services, agency_id: int, regions: dict[str, int], person: DemoPerson,
                 faces_dir: Path, enroll: Callable, today: dt.date) -> str:
    cipher = services.cipher
    info = validate_id_number(person.id_number, today=today)
    with services.db.session() as s:
        retiree = find_retiree_by_id_number(s, cipher, info.number)
        if retiree is None:
            index = cipher.blind_index(info.number, b"id_number")
            retiree = Retiree(agency_id=agency_id, region_id=regions[person.region], name=person.name,
                              id_number_enc=cipher.encrypt(info.number, b"id_number", row=index),
                              id_number_index=index,
                              id_number_masked=mask_id_number(info.number), birth_date=info.birth_date, sex=info.sex,
                              ss_number=f"DEMO{info.number[-6:]}", phone_enc=cipher.encrypt(person.phone, b"phone", row=index),
                              phone_masked=mask_phone(person.phone), address=zh.DEMO_ADDRESS.format(region=person.region))
            s.add(retiree)
            s.flush()
            if person.last_certified:
                s.add(Certification(retiree_id=retiree.id, method=CertificationMethod.on_site,
                                    certified_on=person.last_certified))
        if s.scalar(select(EnrollmentPhoto.id).where(EnrollmentPhoto.retiree_id == retiree.id,
                                                     EnrollmentPhoto.active.is_(True)).limit(1)):
            return zh.DEMO_PHOTO["kept"]
        retiree_id = retiree.id
    path = faces_dir / person.face
    if not path.is_file():
        return zh.DEMO_PHOTO["missing"].format(path=path)
    data = path.read_bytes()
    content_type = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    result = enroll(services, data)
    if not result.ok:
        return zh.DEMO_PHOTO["refused"].format(reasons="、".join(result.reasons))
    key = f"photos/{retiree_id}/{uuid.uuid4().hex}.jpg"
    services.objects.put_bytes(key, data, content_type=content_type)
    models = dict(getattr(result, "models", None) or {})
    quality = dict(result.quality or {})
    if models:
        quality["models"] = models
    with services.db.session() as s:
        s.add(EnrollmentPhoto(retiree_id=retiree_id, object_key=key, template=result.template,
                              template_model=str(models.get("embedding") or "")[:64] or None, quality=quality,
                              source="demo"))
    return zh.DEMO_PHOTO["enrolled"]
