"""The console's browser walk uses the console's world of the integration tier."""

from tests.integration.console.conftest import as_admin, fake_sender, world  # noqa: F401 - fixtures
