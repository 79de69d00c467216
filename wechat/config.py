"""The official account's configuration, as the WeChat adapter needs it (filled in by settings.py)."""

from __future__ import annotations

import dataclasses

# Development template ids; production sets LIFECERT_WECHAT_TEMPLATE_IDS="kind=id,...".
DEV_TEMPLATE_IDS = {
    "cert_result": "dev_tpl_cert_result",
    "reminder": "dev_tpl_reminder",
    "suspension": "dev_tpl_suspension",
    "resumption": "dev_tpl_resumption",
    "family_bound": "dev_tpl_family_bound",
}


@dataclasses.dataclass(frozen=True)
class WeChatSettings:
    app_id: str = "wx_lifecert_dev"
    app_secret: str = "dev-app-secret"
    token: str = "dev-token"
    encoding_aes_key: str = ""  # 43 characters; empty = plaintext mode
    # Where wechatpy's calls to https://api.weixin.qq.com go. Empty in production;
    # the fake WeChat's address in tests and embedded demos.
    api_base_url: str = ""
    mini_app_id: str = "wx_lifecert_mini"
    mini_app_secret: str = "dev-mini-secret"
    public_base_url: str = "http://127.0.0.1:5000"  # where WeChat sends users (OAuth redirect)
    # Template ids chosen in the MP admin, by our message kind (wechat/templates.py).
    template_ids: dict = dataclasses.field(default_factory=lambda: dict(DEV_TEMPLATE_IDS))
    # How long /wechat may think before it answers "success" and sends the answer later
    # as a customer-service message; WeChat gives up after 5 seconds.
    reply_budget_s: float = 4.0
    timestamp_window_s: int = 300  # a signed request older or newer than this is refused
    hotline: str = "12333"  # said in 联系我们 and in failure advice
