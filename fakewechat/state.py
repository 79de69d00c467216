"""The fake WeChat's memory: tokens, users, menu, QR codes, codes, sent messages, injected faults.

Everything is behind one lock; the server is threaded (our bot calls the API
while the phone side waits for the bot's reply).
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections.abc import Mapping

from sms.config import DEV_TEMPLATE_CODES, SmsSettings
from wording import zh


def new_openid() -> str:
    return "o" + secrets.token_urlsafe(20)[:27]


def sms_texts_by_code(codes: Mapping[str, str]) -> dict[str, str]:
    """The approved texts the gateway holds, by template code, for ``codes`` (notice kind -> code)."""
    return {code: zh.SMS_TEXTS[kind] for kind, code in codes.items() if kind in zh.SMS_TEXTS}


@dataclasses.dataclass
class FakeConfig:
    app_id: str = "wx_lifecert_dev"
    app_secret: str = "dev-app-secret"
    token: str = "dev-token"
    encoding_aes_key: str = ""  # set: pushes are encrypted (safe mode)
    callback_url: str = "http://127.0.0.1:5000/wechat"
    mini_app_id: str = "wx_lifecert_mini"
    mini_app_secret: str = "dev-mini-secret"
    original_id: str = "gh_fake000000000"  # the account's 原始ID, ToUserName of every push
    token_ttl_s: int = 7200
    token_grace_s: int = 300  # an old token keeps working this long after a refresh
    push_timeout_s: float = 5.0  # WeChat waits 5 s for a reply ...
    push_tries: int = 3  # ... and tries up to 3 times
    cs_window_s: int = 48 * 3600
    cs_per_interaction: int = 20
    template_ids: tuple[str, ...] = ()  # empty: every template id exists
    job_finish_events: bool = True  # push TEMPLATESENDJOBFINISH after a template send
    template_delay_s: float = 0.0  # a slow WeChat: answer a template send this late (it is sent, and reported, at once)
    # The SMS gateway it also plays (Alibaba Cloud's SendSms, fakewechat.sms): its keys and approved templates.
    sms_access_key_id: str = SmsSettings.access_key_id
    sms_access_key_secret: str = SmsSettings.access_key_secret
    sms_templates: dict = dataclasses.field(default_factory=lambda: sms_texts_by_code(DEV_TEMPLATE_CODES))
    host: str = "127.0.0.1"
    port: int = 0


@dataclasses.dataclass
class User:
    openid: str
    subscribed: bool = False
    subscribe_time: int = 0
    unionid: str = dataclasses.field(default_factory=lambda: "u" + secrets.token_hex(12))
    last_interaction: float = 0.0
    cs_since_interaction: int = 0
    qr_scene_str: str = ""
    chat: list[dict] = dataclasses.field(default_factory=list)


class FakeState:
    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, dict] = {}  # token -> {"kind", "expires_at", "valid_until"}
            self.current: dict[str, str | None] = {"token": None, "stable": None}
            self.counts = {"token": 0, "stable_token": 0, "stable_token_issued": 0, "template_send": 0,
                           "custom_send": 0, "menu_create": 0, "pushes": 0, "push_attempts": 0}
            self.menu: dict | None = None
            self.users: dict[str, User] = {}
            self.templates: list[dict] = []
            self.customs: list[dict] = []
            self.qrcodes: dict[str, dict] = {}
            self.oauth_codes: dict[str, dict] = {}
            self.oauth_tokens: dict[str, dict] = {}
            self.js_codes: dict[str, dict] = {}
            self.inject: dict[str, dict] = {}  # api -> {"errcode", "after", "times"}
            self.sms: list[dict] = []  # texts the gateway sent, as the phones received them
            self.sms_nonces: set[str] = set()
            self.sms_inject: list[str] = []  # error codes to answer the next SendSms calls with, in order
            self.next_msgid = 1_000_000
            self.next_push_msgid = 7_000_000_000_000_000_000

    # --- tokens ------------------------------------------------------------------------------
    def issue(self, kind: str) -> dict:
        with self.lock:
            now = time.time()
            old = self.current[kind]
            if old and old in self.tokens:
                self.tokens[old]["valid_until"] = min(self.tokens[old]["valid_until"], now + self.config.token_grace_s)
            tok = ("ACCESS_" if kind == "token" else "STABLE_") + secrets.token_urlsafe(48)
            self.tokens[tok] = {"kind": kind, "expires_at": now + self.config.token_ttl_s,
                                "valid_until": now + self.config.token_ttl_s}
            self.current[kind] = tok
            return {"access_token": tok, "expires_in": self.config.token_ttl_s}

    def stable(self, force: bool) -> dict:
        with self.lock:
            tok = self.current["stable"]
            if tok and not force:
                left = int(self.tokens[tok]["expires_at"] - time.time())
                if left > 300:  # WeChat hands out a fresh one in the last 5 minutes
                    return {"access_token": tok, "expires_in": left}
            self.counts["stable_token_issued"] += 1
            return self.issue("stable")

    def check_token(self, tok: str | None) -> int:
        """0 if ``tok`` may call the API, else WeChat's errcode."""
        if not tok:
            return 41001
        with self.lock:
            entry = self.tokens.get(tok)
            if entry is None or time.time() >= entry["valid_until"]:
                return 40001
            if time.time() >= entry["expires_at"]:
                return 42001
            return 0

    def rotate_all(self) -> None:
        """Someone else force-refreshed: current tokens die after the grace period."""
        with self.lock:
            for kind in ("token", "stable"):
                if self.current[kind]:
                    self.issue(kind)

    # --- faults ------------------------------------------------------------------------------
    def injected(self, api: str) -> int:
        """An errcode to answer instead of doing ``api``, or 0. ``after`` counts successful calls first."""
        with self.lock:
            rule = self.inject.get(api)
            if not rule:
                return 0
            if rule.get("after", 0) > 0:
                rule["after"] -= 1
                return 0
            if "times" in rule:
                if rule["times"] <= 0:
                    del self.inject[api]
                    return 0
                rule["times"] -= 1
            return int(rule["errcode"])

    # --- users -------------------------------------------------------------------------------
    def user(self, openid: str) -> User | None:
        with self.lock:
            return self.users.get(openid)

    def member(self, openid: str) -> User:
        """The user ``openid``, created on first contact."""
        with self.lock:
            return self.users.setdefault(openid, User(openid))

    def interacted(self, openid: str) -> None:
        with self.lock:
            u = self.member(openid)
            u.last_interaction, u.cs_since_interaction = time.time(), 0

    def say(self, openid: str, who: str, kind: str, **item) -> None:
        with self.lock:
            u = self.member(openid)
            u.chat.append({"n": len(u.chat), "who": who, "kind": kind, "at": time.time(), **item})
