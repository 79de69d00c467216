"""Error pages in Chinese: mobile-sized H5 pages, JSON for /api/, the console's own look under /console/.

Registered on the app (not a blueprint) so routing errors — a mistyped address — get them too.
The console's page is rendered by a function handed in by the app factory (web does not import console).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from wording.zh import ERROR_PAGES

log = logging.getLogger("lifecert.web.errors")

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
