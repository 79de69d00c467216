"""Shared fixtures: real servers started once per test session, on demand.

A test that asks for ``redis_url``, ``postgres_url`` or ``s3_server`` gets a real
server; tests that ask for none of them start nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import servers

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LIFECERT_SHARED_DIR", REPO.parent / "shared"))
TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config, items):
    """Each test carries its tier's marker (``-m "not e2e"``), taken from its folder."""
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(REPO / "tests").parts
        if parts and parts[0] in TIERS:
            item.add_marker(parts[0])


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared: test data and model weights, referred to by path, never copied."""
    if not SHARED.is_dir():
        raise RuntimeError(f"the shared data folder is missing: {SHARED} (set LIFECERT_SHARED_DIR)")
    return SHARED


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = servers.start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """A Redis URL on a freshly flushed database."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server():
    server = servers.start_postgres()
    yield server
    server.extra["stop"]()


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    return servers.create_pg_database(postgres_server, name)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = servers.start_seaweedfs(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


def make_settings(tmp_path: Path, **env: str):
    """Settings for a test: embedded defaults under ``tmp_path`` plus ``env`` overrides (without the prefix)."""
    from settings import load_settings

    base = {"LIFECERT_INSTANCE_DIR": str(tmp_path / "instance")}
    base.update({f"LIFECERT_{k}": v for k, v in env.items()})
    return load_settings(base)


@pytest.fixture
def settings(tmp_path, redis_url):
    """Embedded-mode settings on a fresh SQLite file, a local object folder and a real Redis."""
    return make_settings(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def app(settings):
    """The Flask app on a migrated SQLite database."""
    from app import create_app
    from storage.db import upgrade

    upgrade(settings.database_url)
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["lifecert"].db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()
