"""Issue 11: an agency action (audited, admin only, own agency and regions) recovers a record taken by someone else."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditLog, Binding
from tests.integration.console.conftest import login, make_id, post


def test_recover_is_admin_only_and_audited(client, world, app):
    rid = world.add_retiree("张桂兰", make_id("230102", "19400315", "124"), openid="o_taker")
    assert login(client, "staff1").status_code == 302
    assert post(client, f"/console/people/{rid}/recover").status_code == 403
    other = app.test_client()
    login(other, "other1")
    assert post(other, f"/console/people/{rid}/recover").status_code == 404  # another agency
    admin = app.test_client()
    login(admin, "admin1")
    page = admin.get(f"/console/people/{rid}").get_data(as_text=True)
    assert "recover-form" in page
    assert post(admin, f"/console/people/{rid}/recover").status_code == 302
    with world.services.db.session() as s:
        assert s.scalar(select(Binding).where(Binding.retiree_id == rid)).revoked_by == "staff"
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "retiree.recover"))
        assert entry.actor_id == str(world.users["admin1"])


def test_failed_logins_are_recorded_with_name_and_source_and_one_source_is_locked_out(app, world):
    from tests.integration.console.conftest import CSRF

    client = app.test_client()

    def attempt(name, password="wrong password"):
        token = CSRF.search(client.get("/console/login").get_data(as_text=True)).group(1)
        return client.post("/console/login", data={"username": name, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "198.51.100.7"})

    for i in range(20):  # a different name each time: the per-name lock never trips
        assert attempt(f"guess{i}").status_code == 401
    assert attempt("admin1", "correct horse 12").status_code == 401  # the source is locked out
    with world.services.db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "console.login_failed")
                          .order_by(AuditLog.id)).first()
        assert entry.detail["username"] == "guess0" and entry.detail["source"] == "198.51.100.7"
    other = app.test_client()
    assert login(other, "admin1").status_code == 302  # another address is not locked out


def test_a_staged_roster_upload_is_encrypted_until_the_job_deletes_it(as_admin, world):
    from pathlib import Path

    from tests.integration.console.conftest import post as console_post

    good = make_id("230102", "19460315", "123")
    csv_text = f"姓名,身份证号,所属区域\n张三,{good},南岗区\n"
    import io

    response = console_post(as_admin, "/console/imports/roster", {"file": (io.BytesIO(csv_text.encode()), "r.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    root = Path(world.services.settings.local_store_dir)
    staged = [p for p in (root / "imports").rglob("*") if p.is_file()]
    assert len(staged) == 1 and good.encode() not in staged[0].read_bytes() and "张三".encode() not in staged[0].read_bytes()
    from rq import SimpleWorker

    from jobs.context import use_services
    from storage.queues import DEFAULT, queue

    use_services(world.services)
    SimpleWorker([queue(world.services, DEFAULT)], connection=world.services.redis).work(burst=True)
    assert not [p for p in (root / "imports").rglob("*") if p.is_file()]
    with world.services.db.session() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "roster.import")).detail["created"] == 1


def test_a_staged_photo_zip_is_encrypted_until_the_job_deletes_it(as_admin, world):
    """The ZIP's file names are 姓名+身份证号.jpg and its contents are faces: staged only encrypted."""
    import io
    import zipfile
    from pathlib import Path

    from rq import SimpleWorker

    from jobs.context import use_services
    from storage.queues import IMPORT_PHOTOS, queue
    from tests.integration.console.conftest import post as console_post

    good = make_id("230102", "19460315", "123")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"张三{good}.jpg", b"\xff\xd8\xff\xe0 not really a face")
    response = console_post(as_admin, "/console/imports/photos", {"file": (io.BytesIO(buf.getvalue()), "p.zip")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    root = Path(world.services.settings.local_store_dir)
    staged = [p for p in (root / "imports").rglob("*") if p.is_file()]
    assert len(staged) == 1
    blob = staged[0].read_bytes()
    assert good.encode() not in blob and "张三".encode() not in blob and b"not really a face" not in blob
    use_services(world.services)
    SimpleWorker([queue(world.services, IMPORT_PHOTOS.queue)], connection=world.services.redis).work(burst=True)
    assert not [p for p in (root / "imports").rglob("*") if p.is_file()]
    with world.services.db.session() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "photos.import")).detail["rejected"] == 1
