"""How the web entry points answer errors: Chinese pages sized for phones, JSON under /api/, the console's look under
/console/; a request too big (413) or a part of the system down (503).

A request that does not fit its schema (web/schemas.py) is a 400. Every answer has the shape of the other errors of its kind: the mini-program API gets
``{"error": code, "message": words}``, the H5 pages a short Chinese page, ``/wechat`` plain text.
Database down (SQLAlchemy's connection errors) and Redis down (redis-py's) are 503 with
``Retry-After``: the person is told nothing was lost and to try again in a few minutes.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

import redis
from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from storage.objects import ObjectStoreError
from web.schemas import BadInput
from wording import zh
from wording.zh import ERROR_PAGES

log = logging.getLogger("lifecert.web.errors")

OUTAGES = (OperationalError, DisconnectionError, PoolTimeout, redis.exceptions.ConnectionError,
           redis.exceptions.TimeoutError, ObjectStoreError)


def _page(status: int, text: str) -> Response:
    body = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(zh.ERROR_PAGE_TITLE)}</title>"
            f'<body style="font-size:22px;line-height:1.6;padding:1.5em">'
            f"<h1 style=\"font-size:28px\">{html.escape(zh.ERROR_PAGE_TITLE)}</h1><p>{html.escape(text)}</p></body></html>")
    return Response(body, status=status, mimetype="text/html")


def answer(status: int, code: str, text: str) -> Response:
    """The error in the form the path's callers read."""
    path = request.path
    if path.startswith("/api/"):
        resp = jsonify(error=code, message=text)
        resp.status_code = status
    elif path.startswith("/wechat"):
        resp = Response("busy" if status == 503 else "too large", status=status, mimetype="text/plain")
    else:
        resp = _page(status, text)
    if status == 503:
        resp.headers["Retry-After"] = "60"
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadInput)
    def _bad_input(exc):
        log.info("request does not fit its schema", extra={"fields": exc.fields[:10], "path": request.path})
        return answer(400, "bad_request", zh.API_BAD_REQUEST)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc):
        code = "video_too_large" if request.path.startswith("/api/uploads/") else "request_too_large"
        return answer(413, code, zh.REFUSALS.get(code) or zh.REQUEST_TOO_LARGE)

    def _outage(exc):
        log.warning("service unavailable", extra={"error": type(exc).__name__, "path": request.path})
        return answer(503, "service_unavailable", zh.SERVICE_UNAVAILABLE)

    for kind in OUTAGES:
        app.register_error_handler(kind, _outage)


ERROR_CODES = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 429: "rate_limited", 500: "server_error"}


def words_for(status: int, description: str | None = None) -> tuple[str, str]:
    title, text = ERROR_PAGES.get(status, ERROR_PAGES[500 if status >= 500 else 400])
    # an abort(400, description="…") written in Chinese for the user says more than the generic line
    if description and any(0x4E00 <= ord(ch) <= 0x9FFF for ch in description):
        text = description
    return title, text


def register_error_pages(app: Flask, console_page: Callable[[int, str, str], object] | None = None) -> None:
    def handle(exc: Exception):
        if isinstance(exc, HTTPException):
            status, description = exc.code or 500, exc.description
        else:
            log.exception("unhandled error", extra={"path": request.path})
            status, description = 500, None
        if isinstance(exc, InternalServerError) and exc.original_exception is not None:
            log.error("internal error: %s", type(exc.original_exception).__name__, extra={"path": request.path})
        title, text = words_for(status, description if status < 500 else None)
        if request.path.startswith("/api/"):
            return jsonify(error=ERROR_CODES.get(status, "error"), message=text), status
        if request.path.startswith("/console") and console_page is not None:
            return console_page(status, title, text)
        return render_template("h5/error.html", title=title, text=text, status=status), status

    app.register_error_handler(HTTPException, handle)
    app.register_error_handler(Exception, handle)
