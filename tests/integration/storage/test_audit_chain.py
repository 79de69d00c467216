"""Issue 11: the audit log is evidence.

Attacks reproduced: the app's own database user (the table's owner) could TRUNCATE the log,
or disable or drop its trigger; a superuser's UPDATE went unnoticed. Now entries are
hash-chained (``flask audit-verify`` finds the first changed entry), TRUNCATE is refused by a
trigger, and the runtime role has INSERT and SELECT only on audit_log.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from storage import audit
from storage.db import runtime_grants, upgrade
from tests.conftest import make_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, redis_url):
    from app import create_app

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    settings = make_settings(tmp_path, REDIS_URL=redis_url, DATABASE_URL=url)
    upgrade(url)
    application = create_app(settings)
    yield application
    application.extensions["lifecert"].db.engine.dispose()


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit-verify"])


def _write(app, n=5):
    with app.extensions["lifecert"].db.session() as s:
        for i in range(n):
            audit.record(s, "admin", "people.view", actor_id=1, target_kind="retiree", target_id=i, found=i)
    with app.extensions["lifecert"].db.session() as s:
        audit.record_many(s, "system", "retiree.suspend",
                          [{"target_kind": "retiree", "target_id": i, "detail": {"since": "2026-11-01"}} for i in range(3)])


def _as_superuser(app, statement: str):
    db = app.extensions["lifecert"].db
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off: a superuser can
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        conn.execute(text(statement))


def test_chain_passes_on_a_fresh_database_and_after_writes(app):
    result = _verify(app)
    assert result.exit_code == 0 and "0 entries" in result.output
    _write(app)
    result = _verify(app)
    assert result.exit_code == 0 and "8 entries" in result.output, result.output


def test_a_superusers_update_is_found(app):
    _write(app)
    _as_superuser(app, "UPDATE audit_log SET target_id = '99' WHERE id = 3")
    result = _verify(app)
    assert result.exit_code != 0 and "entry 3" in result.output


def test_a_removed_entry_is_found(app):
    _write(app)
    _as_superuser(app, "DELETE FROM audit_log WHERE id = 4")
    result = _verify(app)
    assert result.exit_code != 0 and "entry 5" in result.output


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)  # roles and TRUNCATE are PostgreSQL's
def test_truncate_is_refused_and_the_runtime_role_may_only_insert_and_select(app):
    db = app.extensions["lifecert"].db
    _write(app, 2)
    with pytest.raises(DBAPIError):
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    with db.engine.begin() as conn:
        conn.execute(text("DROP ROLE IF EXISTS lifecert_app_test"))
        conn.execute(text("CREATE ROLE lifecert_app_test LOGIN"))
        for statement in runtime_grants("lifecert_app_test"):
            conn.exec_driver_sql(statement)
    runtime_url = db.engine.url.set(username="lifecert_app_test")
    runtime = create_engine(runtime_url)
    try:
        with runtime.begin() as conn:
            conn.execute(text("INSERT INTO audit_log (actor_kind, action, detail) VALUES ('cli', 'x', '{}')"))
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 6
            conn.execute(text("SELECT count(*) FROM retiree")).scalar_one()
        for statement in ("TRUNCATE audit_log", "UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log",
                          "ALTER TABLE audit_log DISABLE TRIGGER ALL", "DROP TRIGGER audit_log_no_change ON audit_log"):
            with pytest.raises(DBAPIError):
                with runtime.begin() as conn:
                    conn.execute(text(statement))
    finally:
        runtime.dispose()


def test_writers_side_by_side_keep_the_chain_a_line(app):
    """Four threads auditing at once (gunicorn threads, rq workers): no two entries share a predecessor,
    so a busy day never reads as tampering. PostgreSQL queues them on an advisory lock; SQLite on its
    write lock, taken before the last hash is read."""
    import threading

    db = app.extensions["lifecert"].db
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(k: int) -> None:
        try:
            start.wait()
            for i in range(15):
                with db.session() as s:
                    audit.record(s, "admin", "people.view", actor_id=k, target_kind="retiree", target_id=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.engine.connect() as conn:
        forks = conn.execute(text("SELECT prev_hash, COUNT(*) FROM audit_log GROUP BY prev_hash HAVING COUNT(*) > 1"))
        assert list(forks) == []
    result = _verify(app)
    assert result.exit_code == 0 and "60 entries" in result.output, result.output
