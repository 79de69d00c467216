"""The fast tier: no servers. The database is an SQLite file, objects a folder, the job queue a list.

``settings`` points Redis at a port nothing listens on, so a unit test that reaches for Redis
fails at once instead of silently becoming an integration test.
"""

from __future__ import annotations

import pytest

from bootstrap import build_services
from storage.db import upgrade
from storage.queues import InMemoryJobQueue
from tests.conftest import make_settings
from tests.integration.flows.conftest import World, world  # noqa: F401 - the same people, over these fakes

SERVERS = {"redis_server", "redis_url", "postgres_server", "postgres_url", "s3_server", "shared_dir"}


@pytest.fixture(autouse=True)
def _no_servers(request):
    """A test that needs a server or the real models belongs in tests/integration."""
    wanted = SERVERS & set(request.fixturenames)
    if wanted:
        pytest.fail(f"a unit test may not use {sorted(wanted)}; move it to tests/integration")


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, REDIS_URL="redis://127.0.0.1:9/0")


@pytest.fixture
def services(settings):
    upgrade(settings.database_url)
    svc = build_services(settings)
    svc.jobs = InMemoryJobQueue()  # type: ignore[misc]
    yield svc
    svc.db.engine.dispose()
