"""The end-to-end chat uses the WeChat stack of the integration tier."""

from tests.integration.wechat.conftest import _forget_recent_users, safe_stack, sms_stack, stack  # noqa: F401 - fixtures
