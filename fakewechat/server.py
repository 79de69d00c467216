"""The fake WeChat as an HTTP server: WeChat's API, the phone side's controls, test hooks and the page.

API (as on api.weixin.qq.com, every answer HTTP 200 JSON, errors ``{"errcode","errmsg"}``):
cgi-bin/token, cgi-bin/stable_token, menu/create|get, message/template/send,
message/custom/send (48-hour rule), qrcode/create, showqrcode, user/info,
sns/jscode2session, sns/oauth2/access_token|refresh_token, sns/userinfo, sns/auth,
clear_quota, and connect/oauth2/authorize (open.weixin.qq.com).

Phone side and test hooks, under ``/_fake/``: see the routes below.
"""

from __future__ import annotations

import dataclasses
import io
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, jsonify, redirect, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.serving import make_server

from fakewechat import phone
from fakewechat.sms import register_sms
from fakewechat.state import FakeConfig, FakeState, new_openid, sms_texts_by_code

PAGE = Path(__file__).with_name("page.html")
ERRMSG = {
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40013: "invalid appid",
    40016: "invalid button size", 40017: "invalid button type", 40018: "invalid button name size",
    40019: "invalid button key size", 40023: "invalid sub button size", 40029: "invalid code",
    40037: "invalid template_id", 40125: "invalid appsecret", 41001: "access_token missing",
    42001: "access_token expired", 43004: "require subscribe", 45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled", 45047: "out of response count limit",
    47001: "data format error", 47003: "argument invalid!", 48001: "api unauthorized", -1: "system error",
}


def err(code: int, detail: str = "") -> Response:
    msg = ERRMSG.get(code, "error") + (f" {detail}" if detail else "")
    return jsonify(errcode=code, errmsg=f"{msg} rid: {secrets.token_hex(4)}")


def ok(**extra) -> Response:
    return jsonify(errcode=0, errmsg="ok", **extra)


def create_fake_app(state: FakeState) -> Flask:
    app = Flask("fake_wechat", static_folder=None)
    if isinstance(app.json, DefaultJSONProvider):  # Chinese stays readable in the fake's JSON
        app.json.ensure_ascii = False
    cfg = state.config

    register_sms(app, state)

    def body() -> dict:
        return request.get_json(force=True, silent=True) or {}

    def authed(api: str | None = None) -> Response | None:
        code = state.check_token(request.args.get("access_token"))
        if code:
            return err(code)
        if api and (code := state.injected(api)):
            return err(code)
        return None

    # --- access tokens -------------------------------------------------------------------------
    @app.get("/cgi-bin/token")
    def token():
        a = request.args
        with state.lock:
            state.counts["token"] += 1
        if a.get("grant_type") != "client_credential":
            return err(40002)
        if a.get("appid") != cfg.app_id:
            return err(40013)
        if a.get("secret") != cfg.app_secret:
            return err(40001, "invalid secret")
        return jsonify(state.issue("token"))

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        b = body()
        with state.lock:
            state.counts["stable_token"] += 1
        if b.get("grant_type") != "client_credential":
            return err(40002)
        if b.get("appid") != cfg.app_id:
            return err(40013)
        if b.get("secret") != cfg.app_secret:
            return err(40125)
        return jsonify(state.stable(bool(b.get("force_refresh"))))

    @app.post("/cgi-bin/clear_quota")
    def clear_quota():
        if denied := authed():
            return denied
        with state.lock:
            state.inject.clear()
        return ok()

    # --- menu ----------------------------------------------------------------------------------
    @app.post("/cgi-bin/menu/create")
    def menu_create():
        if denied := authed("menu"):
            return denied
        menu = body()
        if code := menu_error(menu):
            return err(code)
        with state.lock:
            state.menu = menu
            state.counts["menu_create"] += 1
        return ok()

    @app.get("/cgi-bin/menu/get")
    def menu_get():
        if denied := authed():
            return denied
        if state.menu is None:
            return err(46003, "menu no exist")
        return jsonify(menu=state.menu)

    # --- messages ------------------------------------------------------------------------------
    @app.post("/cgi-bin/message/template/send")
    def template_send():
        if denied := authed():
            return denied
        b = body()
        if not b.get("touser") or not b.get("template_id") or not isinstance(b.get("data"), dict):
            return err(47001)
        if cfg.template_ids and b["template_id"] not in cfg.template_ids:
            return err(40037)
        user = state.user(b["touser"])
        if user is None:
            return err(40003)
        if not user.subscribed:
            return err(43004)
        for key, item in b["data"].items():
            value = item.get("value", "") if isinstance(item, dict) else ""
            if not value or len(value) > 20 or "\n" in value:
                return err(47003, f"data.{key}.value")
        if code := state.injected("template"):
            return err(code)
        with state.lock:
            state.next_msgid += 1
            msgid = state.next_msgid
            record = {"msgid": msgid, "touser": b["touser"], "template_id": b["template_id"], "data": b["data"],
                      "url": b.get("url"), "at": time.time()}
            state.templates.append(record)
            state.counts["template_send"] += 1
        state.say(b["touser"], "bot", "template", template_id=b["template_id"], data=b["data"], url=b.get("url"))
        if cfg.job_finish_events:  # the report goes out however late the answer below is
            threading.Timer(0.3, _job_finish, args=(b["touser"], msgid)).start()
        if cfg.template_delay_s > 0:
            time.sleep(float(cfg.template_delay_s))
        return ok(msgid=msgid)

    def _job_finish(openid: str, msgid: int) -> None:
        try:
            phone.deliver(state, phone.event(state, openid, "TEMPLATESENDJOBFINISH", MsgID=msgid, Status="success"))
        except Exception:  # noqa: BLE001 - the bot being down is its own problem
            pass

    @app.post("/cgi-bin/message/custom/send")
    def custom_send():
        if denied := authed():
            return denied
        b = body()
        user = state.user(b.get("touser", ""))
        if user is None:
            return err(40003)
        if b.get("msgtype") != "text" or not (b.get("text") or {}).get("content"):
            return err(47001)
        with state.lock:
            if not user.subscribed or time.time() - user.last_interaction > cfg.cs_window_s:
                return err(45015)
            if user.cs_since_interaction >= cfg.cs_per_interaction:
                return err(45047)
        if code := state.injected("custom"):
            return err(code)
        with state.lock:
            user.cs_since_interaction += 1
            state.counts["custom_send"] += 1
            state.customs.append({"touser": user.openid, "text": b["text"]["content"], "at": time.time()})
        state.say(user.openid, "bot", "custom", text=b["text"]["content"])
        return ok()

    # --- QR codes ------------------------------------------------------------------------------
    @app.post("/cgi-bin/qrcode/create")
    def qrcode_create():
        if denied := authed("qrcode"):
            return denied
        b = body()
        action = b.get("action_name")
        scene = (b.get("action_info") or {}).get("scene") or {}
        if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            return err(40053, "invalid action info")
        if action.endswith("STR_SCENE"):
            value = str(scene.get("scene_str", ""))
            if not 1 <= len(value) <= 64:
                return err(40053, "invalid scene_str")
        else:
            value = str(scene.get("scene_id", 0))  # the known gotcha: no scene wrapper -> 0
        temporary = "LIMIT" not in action
        expire = int(b.get("expire_seconds", 60)) if temporary else 0
        if temporary and not 1 <= expire <= 2592000:
            return err(40009, "invalid expire_seconds")
        ticket = secrets.token_urlsafe(36)
        short = secrets.token_urlsafe(12)
        with state.lock:
            state.qrcodes[ticket] = {"scene": value, "expires_at": time.time() + expire if temporary else None,
                                     "url": f"http://weixin.qq.com/q/{short}", "created_at": time.time()}
        return jsonify(ticket=ticket, expire_seconds=expire, url=f"http://weixin.qq.com/q/{short}")

    @app.get("/cgi-bin/showqrcode")
    def showqrcode():
        import qrcode

        entry = state.qrcodes.get(request.args.get("ticket", ""))
        if entry is None or (entry["expires_at"] and time.time() > entry["expires_at"]):
            return Response("ticket invalid or expired", status=404)
        buf = io.BytesIO()
        qrcode.make(entry["url"]).save(buf, format="PNG")
        return Response(buf.getvalue(), mimetype="image/png")

    # --- users ---------------------------------------------------------------------------------
    @app.get("/cgi-bin/user/info")
    def user_info():
        if denied := authed():
            return denied
        user = state.user(request.args.get("openid", ""))
        if user is None:
            return err(40003)
        if not user.subscribed:
            return jsonify(subscribe=0, openid=user.openid)
        return jsonify(subscribe=1, openid=user.openid, language="zh_CN", subscribe_time=user.subscribe_time,
                       unionid=user.unionid, remark="", groupid=0, tagid_list=[],
                       subscribe_scene="ADD_SCENE_QR_CODE" if user.qr_scene_str else "ADD_SCENE_SEARCH",
                       qr_scene=0, qr_scene_str=user.qr_scene_str)

    # --- mini-program login --------------------------------------------------------------------
    @app.get("/sns/jscode2session")
    def jscode2session():
        a = request.args
        if a.get("appid") != cfg.mini_app_id:
            return err(40013)
        if a.get("secret") != cfg.mini_app_secret:
            return err(40125)
        if code := state.injected("jscode2session"):
            return err(code)
        with state.lock:
            entry = state.js_codes.pop(a.get("js_code", ""), None)
        if entry is None or time.time() > entry["expires_at"]:
            return err(40029)
        user = state.member(entry["openid"])
        return jsonify(openid=user.openid + "_mini", session_key=secrets.token_urlsafe(16), unionid=user.unionid)

    # --- web-page OAuth ------------------------------------------------------------------------
    @app.get("/connect/oauth2/authorize")
    def oauth_authorize():
        a = request.args
        if a.get("appid") != cfg.app_id:
            return Response("appid 参数错误", status=400)
        if a.get("response_type") != "code" or a.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
            return Response("参数错误", status=400)
        # WeChat's in-app browser knows who is holding the phone: the first visit names the
        # user (fake_openid, added by the phone side), later rounds of OAuth are silent.
        openid = a.get("fake_openid") or request.cookies.get("fake_openid")
        if not openid:
            links = "".join(
                f'<li><a href="?{urlencode({**a, "fake_openid": u})}">{u}</a></li>' for u in list(state.users))
            return Response(f"<!doctype html><meta charset=utf-8><h3>假微信：以哪个用户身份打开？</h3><ul>{links}</ul>",
                            mimetype="text/html")
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.member(openid)
            state.oauth_codes[code] = {"openid": openid, "scope": a["scope"], "expires_at": time.time() + 300}
        resp = redirect(_with_query(a.get("redirect_uri", ""), code=code, state=a.get("state", "")))
        resp.set_cookie("fake_openid", openid, httponly=True, samesite="Lax")
        return resp

    @app.get("/sns/oauth2/access_token")
    def oauth_access_token():
        a = request.args
        if a.get("appid") != cfg.app_id:
            return err(40013)
        if a.get("secret") != cfg.app_secret:
            return err(40125)
        with state.lock:
            entry = state.oauth_codes.pop(a.get("code", ""), None)
        if entry is None or time.time() > entry["expires_at"]:
            return err(40029)
        tok, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with state.lock:
            state.oauth_tokens[tok] = {**entry, "refresh": refresh}
        return jsonify(access_token=tok, expires_in=7200, refresh_token=refresh, openid=entry["openid"],
                       scope=entry["scope"])

    @app.get("/sns/oauth2/refresh_token")
    def oauth_refresh():
        for tok, entry in list(state.oauth_tokens.items()):
            if entry["refresh"] == request.args.get("refresh_token"):
                return jsonify(access_token=tok, expires_in=7200, refresh_token=entry["refresh"],
                               openid=entry["openid"], scope=entry["scope"])
        return err(40030, "invalid refresh_token")

    @app.get("/sns/userinfo")
    def oauth_userinfo():
        entry = state.oauth_tokens.get(request.args.get("access_token", ""))
        if entry is None:
            return err(40001)
        if entry["scope"] != "snsapi_userinfo":
            return err(48001)
        user = state.member(entry["openid"])
        return jsonify(openid=user.openid, nickname="微信用户", headimgurl="", privilege=[], unionid=user.unionid)

    @app.get("/sns/auth")
    def oauth_check():
        entry = state.oauth_tokens.get(request.args.get("access_token", ""))
        if entry is None or entry["openid"] != request.args.get("openid"):
            return err(40001)
        return ok()

    # --- the phone side: act as a user (the page uses these; so can tests) ---------------------------
    @app.get("/_fake/")
    def page():
        return Response(PAGE.read_text(encoding="utf-8"), mimetype="text/html")

    @app.get("/_fake/state")
    def overview():
        with state.lock:
            return jsonify(
                users=[{"openid": u.openid, "subscribed": u.subscribed, "messages": len(u.chat)}
                       for u in state.users.values()],
                menu=state.menu,
                qrcodes=[{"ticket": t, "scene": q["scene"], "expired": bool(q["expires_at"] and
                                                                            time.time() > q["expires_at"])}
                         for t, q in state.qrcodes.items()],
                callback_url=cfg.callback_url, safe_mode=bool(cfg.encoding_aes_key),
            )

    @app.post("/_fake/users")
    def create_user():
        openid = body().get("openid") or new_openid()
        state.member(openid)
        return jsonify(openid=openid)

    def act(openid: str, fields: dict, interactive: bool = True) -> Response:
        if interactive:
            state.interacted(openid)
        return jsonify(phone.deliver(state, fields, repeat=int(body().get("repeat", 1))))

    @app.post("/_fake/users/<openid>/subscribe")
    def subscribe(openid):
        u = state.member(openid)
        with state.lock:
            u.subscribed, u.subscribe_time = True, int(time.time())
        state.say(openid, "user", "event", text="关注了公众号")
        return act(openid, phone.event(state, openid, "subscribe", EventKey=""))

    @app.post("/_fake/users/<openid>/unsubscribe")
    def unsubscribe(openid):
        u = state.member(openid)
        with state.lock:
            u.subscribed = False
        state.say(openid, "user", "event", text="取消关注")
        return act(openid, phone.event(state, openid, "unsubscribe", EventKey=""), interactive=False)

    @app.post("/_fake/users/<openid>/text")
    def send_text(openid):
        content = str(body().get("content", ""))
        if not _following(openid):
            return jsonify(error="请先关注公众号"), 409
        state.say(openid, "user", "text", text=content)
        return act(openid, phone.message(state, openid, "text", Content=content))

    @app.post("/_fake/users/<openid>/click")
    def click(openid):
        key, name = str(body().get("key", "")), str(body().get("name", ""))
        if not _following(openid):
            return jsonify(error="请先关注公众号"), 409
        state.say(openid, "user", "event", text=f"点击菜单：{name or key}")
        return act(openid, phone.event(state, openid, "CLICK", EventKey=key))

    @app.post("/_fake/users/<openid>/view")
    def view(openid):
        url = str(body().get("url", ""))
        if not _following(openid):
            return jsonify(error="请先关注公众号"), 409
        state.say(openid, "user", "event", text=f"打开网页：{body().get('name', url)}")
        outcome = phone.deliver(state, phone.event(state, openid, "VIEW", EventKey=url))
        return jsonify({**outcome, "open_url": _rewrite_link(url, openid)})

    @app.post("/_fake/users/<openid>/scan")
    def scan(openid):
        ticket = str(body().get("ticket", ""))
        entry = state.qrcodes.get(ticket)
        if entry is None or (entry["expires_at"] and time.time() > entry["expires_at"]):
            state.say(openid, "system", "notice", text="二维码已过期")
            return jsonify(error="二维码已过期或不存在"), 410
        u = state.member(openid)
        state.say(openid, "user", "event", text="扫描了二维码")
        if u.subscribed:
            return act(openid, phone.event(state, openid, "SCAN", EventKey=entry["scene"], Ticket=ticket))
        with state.lock:
            u.subscribed, u.subscribe_time, u.qr_scene_str = True, int(time.time()), entry["scene"]
        return act(openid, phone.event(state, openid, "subscribe", EventKey="qrscene_" + entry["scene"],
                                       Ticket=ticket))

    @app.get("/_fake/users/<openid>/chat")
    def chat(openid):
        since = int(request.args.get("since", 0))
        u = state.user(openid)
        items = [] if u is None else [dict(i) for i in u.chat[since:]]
        for item in items:
            if item.get("url"):
                item["open_url"] = _rewrite_link(item["url"], openid)
        return jsonify(items=items, subscribed=bool(u and u.subscribed))

    @app.post("/_fake/push")
    def push():
        """Test hook: push raw ``fields`` (or a prepared message) ``repeat`` times, identically."""
        b = body()
        return jsonify(phone.deliver(state, b["fields"], repeat=int(b.get("repeat", 1))))

    # --- test hooks ------------------------------------------------------------------------------
    @app.get("/_fake/stats")
    def stats():
        with state.lock:
            return jsonify(counts=dict(state.counts), inject=dict(state.inject))

    @app.get("/_fake/templates")
    def templates():
        touser = request.args.get("touser")
        with state.lock:
            return jsonify(items=[t for t in state.templates if not touser or t["touser"] == touser])

    @app.get("/_fake/customs")
    def customs():
        touser = request.args.get("touser")
        with state.lock:
            return jsonify(items=[t for t in state.customs if not touser or t["touser"] == touser])

    @app.post("/_fake/inject")
    def inject():
        """``{"api": "template", "errcode": 45009, "after": 3}`` or ``{"api": …, "errcode": -1, "times": 2}``."""
        b = body()
        with state.lock:
            rule = {"errcode": int(b["errcode"]), "after": int(b.get("after", 0))}
            if "times" in b:
                rule["times"] = int(b["times"])
            state.inject[b["api"]] = rule
        return ok()

    @app.post("/_fake/rotate")
    def rotate():
        state.rotate_all()
        return ok()

    @app.post("/_fake/config")
    def configure():
        b = body()
        with state.lock:
            for key, value in b.items():
                if key in {f.name for f in dataclasses.fields(FakeConfig)}:
                    setattr(cfg, key, value)
        return ok()

    @app.post("/_fake/users/<openid>/age")
    def age(openid):
        """Pretend the user's last interaction was ``hours`` ago (the 48-hour rule)."""
        u = state.member(openid)
        with state.lock:
            u.last_interaction = time.time() - float(body().get("hours", 49)) * 3600
        return ok()

    @app.post("/_fake/jscode")
    def jscode():
        code = secrets.token_urlsafe(16)
        with state.lock:
            state.js_codes[code] = {"openid": body()["openid"], "expires_at": time.time() + 300}
        return jsonify(code=code)

    @app.post("/_fake/reset")
    def reset():
        state.reset()
        return ok()

    def _following(openid: str) -> bool:
        u = state.user(openid)
        return bool(u and u.subscribed)

    def _rewrite_link(url: str, openid: str) -> str:
        """What WeChat's in-app browser does with an OAuth link: here, our fake authorize page."""
        parts = urlsplit(url)
        if parts.path != "/connect/oauth2/authorize":
            return url
        base = urlsplit(request.host_url)
        query = dict(parse_qsl(parts.query))
        query["fake_openid"] = openid
        return urlunsplit((base.scheme, base.netloc, parts.path, urlencode(query), ""))

    return app


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def menu_error(menu: dict) -> int:
    """WeChat's errcode for an invalid menu body, or 0."""
    buttons = menu.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return 40016
    for top in buttons:
        if not 1 <= len(top.get("name", "").encode()) <= 16:
            return 40018
        subs = top.get("sub_button")
        if subs is not None and not 1 <= len(subs) <= 5:
            return 40023
        for item in subs if subs is not None else [top]:
            if item is not top and not 1 <= len(item.get("name", "").encode()) <= 40:
                return 40018
            kind = item.get("type")
            if kind == "click" and not 1 <= len(item.get("key", "").encode()) <= 128:
                return 40019
            if kind == "view" and not 1 <= len(item.get("url", "").encode()) <= 1024:
                return 40055 if item.get("url") else 40054
            if kind == "miniprogram" and not all(item.get(k) for k in ("url", "appid", "pagepath")):
                return 40027
            if kind not in ("click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                            "pic_photo_or_album", "pic_weixin", "location_select", "media_id", "view_limited"):
                return 40017
    return 0


class FakeWeChat:
    """A running fake: ``.url`` (give it to LIFECERT_WECHAT_API_BASE_URL), ``.state``, ``.stop()``."""

    def __init__(self, config: FakeConfig) -> None:
        self.state = FakeState(config)
        self.app = create_fake_app(self.state)
        self._server = make_server(config.host, config.port, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{config.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-wechat", daemon=True)

    def start(self) -> FakeWeChat:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_fake(config: FakeConfig | None = None) -> FakeWeChat:
    """Start the fake in a background thread (tests)."""
    return FakeWeChat(config or FakeConfig()).start()


def config_from_settings(wx, callback_url: str, port: int = 0, sms=None) -> FakeConfig:
    """A fake that matches the product's WeChat settings (same AppID, secret, token, AES key)
    and, given ``sms`` (sms.SmsSettings), its SMS gateway keys and template codes."""
    extra = {}
    if sms is not None:
        extra = dict(sms_access_key_id=sms.access_key_id, sms_access_key_secret=sms.access_key_secret,
                     sms_templates=sms_texts_by_code(sms.template_codes))
    return FakeConfig(app_id=wx.app_id, app_secret=wx.app_secret, token=wx.token,
                      encoding_aes_key=wx.encoding_aes_key, callback_url=callback_url,
                      mini_app_id=wx.mini_app_id, mini_app_secret=wx.mini_app_secret,
                      template_ids=tuple(wx.template_ids.values()), port=port, **extra)
