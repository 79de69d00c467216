"""Web-page OAuth (网页授权): how a menu link or H5 page learns the visitor's openid.

The menu's 资格认证 button opens :func:`authorize_url`; WeChat (or the fake)
redirects to the page with ``?code=…&state=…``; the page calls
:func:`exchange_code` to turn the single-use code into the openid.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin

from wechatpy.exceptions import WeChatOAuthException

from wechat.client import make_oauth
from wechat.config import WeChatSettings

AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"


class OAuthCodeInvalid(Exception):
    """The code was unknown, used or expired (WeChat 40029/40163): send the user through authorize again."""


def page_url(settings: WeChatSettings, path: str) -> str:
    """``path`` on our public site (``public_base_url``)."""
    return urljoin(settings.public_base_url.rstrip("/") + "/", path.lstrip("/"))


def authorize_url(settings: WeChatSettings, path: str, state: str = "", scope: str = "snsapi_base") -> str:
    """The open.weixin.qq.com URL that comes back to ``path`` with a code. ``snsapi_base`` is silent."""
    redirect = quote(page_url(settings, path), safe="")
    # With the fake WeChat (tests, embedded demos) its own authorize page stands in for open.weixin.qq.com.
    base = settings.api_base_url.rstrip("/") + "/connect/oauth2/authorize" if settings.api_base_url else AUTHORIZE
    return (f"{base}?appid={settings.app_id}&redirect_uri={redirect}&response_type=code"
            f"&scope={scope}&state={quote(state, safe='')}#wechat_redirect")


def exchange_code(settings: WeChatSettings, code: str) -> dict:
    """Swap an OAuth ``code`` for ``{"openid", "access_token", "scope", …}``; raises OAuthCodeInvalid."""
    oauth = make_oauth(settings, redirect_uri=page_url(settings, "/"))
    try:
        return oauth.fetch_access_token(code)
    except WeChatOAuthException as exc:
        if exc.errcode in (40029, 40163, 41008):
            raise OAuthCodeInvalid(str(exc.errmsg)) from exc
        raise
