"""Drills run real processes; the flows' world (agency, retirees, users) is shared from tests/integration/flows."""

from tests.integration.flows.conftest import services, world  # noqa: F401 - fixtures
