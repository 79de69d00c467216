"""The browser walks use the flows' world (agency, retirees, users) of the integration tier."""

from tests.integration.flows.conftest import services, world  # noqa: F401 - fixtures
