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
from tests.flows.conftest import World, world  # noqa: F401 - the same people, over these fakes


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
