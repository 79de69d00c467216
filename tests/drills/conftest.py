"""Drills run real processes; the flows' world (agency, retirees, users) is shared from tests/flows."""

from tests.flows.conftest import services, world  # noqa: F401 - fixtures
