"""wechatpy clients pointed at WeChat, or at the fake WeChat, by configuration only.

wechatpy hard-codes ``https://api.weixin.qq.com`` in several places (the token
fetch, API groups with their own base URL, QR-code URLs; reference §1.3), so a
base-URL attribute is not enough. Instead every request goes through the
client's own ``requests`` session, on which a transport adapter rewrites the
host when ``api_base_url`` is set. Production leaves it empty and nothing is
rewritten: the code path is the same either way.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.oauth import WeChatOAuth

from wechat import token as token_store
from wechat.config import WeChatSettings

WECHAT_HOSTS = ("https://api.weixin.qq.com", "https://mp.weixin.qq.com", "https://open.weixin.qq.com")
TOKEN_ERRORS = (40001, 40014, 42001)
TIMEOUT_S = 10


class _Rewrite(HTTPAdapter):
    """Send requests for a WeChat host to ``base`` instead (the fake WeChat)."""

    def __init__(self, host: str, base: str, **kwargs) -> None:
        self.host, self.base = host, base.rstrip("/")
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        request.url = self.base + request.url[len(self.host):]
        return super().send(request, **kwargs)


def point_session(session: requests.Session, api_base_url: str) -> requests.Session:
    """Mount the rewriting adapter on ``session`` when ``api_base_url`` is set."""
    if api_base_url:
        for host in WECHAT_HOSTS:
            session.mount(host, _Rewrite(host, api_base_url))
    return session


class LifecertWeChatClient(WeChatClient):
    """A WeChatClient whose token is the shared one in Redis (wechat/token.py).

    wechatpy's own retry on an invalid token recurses without limit; here it is
    off and :meth:`_request` retries once with a freshly shared token instead.
    """

    def __init__(self, settings: WeChatSettings, redis_client) -> None:
        super().__init__(settings.app_id, settings.app_secret, timeout=TIMEOUT_S, auto_retry=False)
        self._redis = redis_client
        point_session(self._http, settings.api_base_url)

    def fetch_access_token(self) -> dict:
        """Fetch with ``stable_token``: it does not invalidate what other processes hold."""
        res = self._http.post(
            "https://api.weixin.qq.com/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                  "force_refresh": False},
            timeout=TIMEOUT_S,
        )
        res.raise_for_status()
        result = res.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self, response=res)
        return result

    def _fetch_shared(self) -> tuple[str, int]:
        result = self.fetch_access_token()
        return result["access_token"], int(result.get("expires_in", 7200))

    @property
    def access_token(self) -> str:
        return token_store.get_access_token(self._redis, self.appid, self._fetch_shared)

    def _request(self, method, url_or_endpoint, **kwargs):
        for attempt in (1, 2):
            call = dict(kwargs)
            params = call.get("params")
            params = dict(params) if isinstance(params, dict) else ({} if params is None else params)
            token = None
            if isinstance(params, dict) and "access_token" not in params:
                token = params["access_token"] = self.access_token
            call["params"] = params
            try:
                return super()._request(method, url_or_endpoint, **call)
            except WeChatClientException as exc:
                if attempt == 1 and token and exc.errcode in TOKEN_ERRORS:
                    token_store.drop_token(self._redis, self.appid, token)
                    continue
                raise


def make_oauth(settings: WeChatSettings, redirect_uri: str, scope: str = "snsapi_base", state: str = "") -> WeChatOAuth:
    """wechatpy's web-page OAuth helper, its API calls pointed like the client's."""
    oauth = WeChatOAuth(settings.app_id, settings.app_secret, redirect_uri, scope=scope, state=state)
    point_session(oauth._http, settings.api_base_url)
    return oauth
