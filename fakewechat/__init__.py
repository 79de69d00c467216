"""A fake WeChat for tests and demos: the API server, the phone side that pushes to our /wechat, and a web page.

Run it on its own with ``python -m fakewechat`` or ``flask --app app fake-wechat``;
point the product at it with ``LIFECERT_WECHAT_API_BASE_URL``. Nothing in the
product knows it is talking to a fake. Loopback only.
"""

from fakewechat.server import FakeConfig, FakeWeChat, start_fake

__all__ = ["FakeConfig", "FakeWeChat", "start_fake"]
