"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from storage.db import Database, current_revision, make_engine, upgrade
from storage.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def test_upgrade_creates_every_table_and_matches_models(db_url):
    upgrade(db_url)
    assert current_revision(db_url) is not None
    engine = make_engine(db_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_audit_log_refuses_update_and_delete_in_sql(db_url):
    upgrade(db_url)
    db = Database(db_url)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (actor_kind, action, detail) VALUES ('cli', 'x', '{}')"))
    for stmt in ("UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError):
            with db.engine.begin() as conn:
                conn.execute(text(stmt))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_log")).scalar_one() == "x"


def test_downgrade_to_base_and_back(db_url):
    from alembic import command

    from storage.db import alembic_config

    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "base")
    assert "retiree" not in inspect(make_engine(db_url)).get_table_names()
    upgrade(db_url)
    assert "retiree" in inspect(make_engine(db_url)).get_table_names()
