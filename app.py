"""The Flask application factory. ``gunicorn app:app`` serves :func:`create_app`'s app.

The module-level ``app`` is built on first access, not at import, so that tests
and tools can import :func:`create_app` without building the default app — and
so that a misconfigured production start fails with the settings' own message.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

import bot.family_scene  # noqa: F401 - registers the family-binding QR scene with the bot
from bootstrap import Services, build_services
from bot.endpoint import bp as wechat_bp
from cli.operator import register_cli
from cli.wechat import register_wechat_cli
from console.views import bp as console_bp
from console.views.common import error_page as console_error_page
from logconfig import configure_logging, request_id
from settings import Settings, load_settings
from web import api, login, pages
from web.errors import register_error_handlers, register_error_pages
from web.health import bp as health_bp

log = logging.getLogger("lifecert.app")

# A client's X-Request-Id is kept only when it is short and plain (it lands in logs and audit rows).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
# No inline script anywhere (templates load their scripts from static files); inline style attributes stay.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
_PERSONAL = ("/h5/", "/api/", "/console/")  # pages and answers about people: never cached


def security_headers(response):
    """Headers every response carries (the console, the H5 pages, the API, /wechat)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    path = request.path
    if path.startswith(_PERSONAL) and "/static/" not in path:
        headers["Cache-Control"] = "no-store"
    return response


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    app = Flask(__name__, instance_path=str(settings.instance_dir), static_folder=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        JSON_AS_ASCII=False,
    )
    app.extensions["lifecert"] = services or build_services(settings)
    if settings.is_production:
        # gunicorn listens on loopback behind one nginx (nginx.conf): take the client address from it
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    @app.before_request
    def _tag_request() -> None:
        rid = request.headers.get("X-Request-Id") or ""
        if not _REQUEST_ID.fullmatch(rid):
            rid = uuid.uuid4().hex[:16]
        g.request_id = rid
        g._request_id_token = request_id.set(rid)

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return security_headers(response)

    @app.teardown_request
    def _untag_request(_exc) -> None:
        token = g.pop("_request_id_token", None)
        if token is not None:
            request_id.reset(token)

    register_error_handlers(app)
    app.register_blueprint(health_bp)

    app.register_blueprint(wechat_bp)


    app.register_blueprint(login.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)

    app.register_blueprint(console_bp)

    register_error_pages(app, console_error_page)

    register_cli(app)

    register_wechat_cli(app)
    return app


def __getattr__(name: str):
    if name == "app":
        value = create_app()
        globals()["app"] = value
        return value
    raise AttributeError(name)
