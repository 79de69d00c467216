"""Mini-program login: ``wx.login()`` code → openid, through jscode2session.

Called with plain requests rather than ``client.wxa.code_to_session``: wechatpy's
version first fetches an official-account access token and sends it along
(see ../shared/reference/wechat.md §1.3), which jscode2session does not need.
"""

from __future__ import annotations

import requests
from wechatpy.exceptions import WeChatClientException

from wechat.client import TIMEOUT_S, point_session
from wechat.config import WeChatSettings

JSCODE2SESSION = "https://api.weixin.qq.com/sns/jscode2session"


def code_to_session(settings: WeChatSettings, code: str) -> dict:
    """``{"openid", "session_key", "unionid"?}``; raises WeChatClientException (40029 bad code, 45011 …)."""
    with point_session(requests.Session(), settings.api_base_url) as http:
        resp = http.get(JSCODE2SESSION, params={"appid": settings.mini_app_id, "secret": settings.mini_app_secret,
                                                "js_code": code, "grant_type": "authorization_code"},
                        timeout=TIMEOUT_S)
    data = resp.json()
    if data.get("errcode"):
        raise WeChatClientException(data["errcode"], data.get("errmsg", ""), client=None, request=None,
                                    response=resp)
    return data
