"""Domain errors with a machine code and a translated message, and the HTTP error pages.

Operations raise a :class:`DomainError` subclass such as ``ConsultationError("closed")``;
views show its message beside the field or as ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

import math
from typing import ClassVar

from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from participation.core.database import WriterBusy

BUSY_RETRY_SECONDS = 2  # Retry-After of the "busy, try again" answer


class DomainError(Exception):
    """A refused operation. ``messages`` maps each code to a lazily translated message."""

    messages: ClassVar[dict[str, object]] = {}
    status: ClassVar[int] = 400

    def __init__(self, code: str, field: str | None = None, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params

    @property
    def message(self) -> str:
        template = self.messages.get(self.code)
        if template is None:
            return str(_l("The request could not be completed (%(code)s).", code=self.code))
        text = str(template)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message


class RetryOperation(Exception):  # noqa: N818 - reads as what perform does
    """The operation met a conflict that a new attempt resolves (a random code another
    request took a moment before). Its transaction is spoilt: :func:`perform` rolls
    back and runs the operation again, at most ``RETRY_ATTEMPTS`` times."""


RETRY_ATTEMPTS = 3


class PermissionDenied(DomainError):
    status = 403
    messages: ClassVar[dict[str, object]] = {
        "forbidden": _l("You are not allowed to do this."),
    }


_HTTP_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    401: (_l("Sign in required"), _l("Please sign in to continue.")),
    403: (_l("Not allowed"), _l("You are not allowed to see this page or do this.")),
    404: (_l("Not found"), _l("This page does not exist or is not public.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("File too large"), _l("The upload is larger than the limit.")),
    429: (_l("Too many requests"), _l("Too many attempts. Please wait a moment and try again.")),
    503: (_l("Busy"), _l("The site is busy. Please try again in a moment.")),
    500: (_l("Server error"), _l("Something went wrong on our side. Nothing was saved.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(code: str, message: str, status: int):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _http_code(status: int) -> str:
    return {
        400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
        405: "method_not_allowed", 413: "too_large", 429: "rate_limited", 500: "server_error",
        503: "busy",
    }.get(status, "error")


def render_error(status: int, message: str | None = None):
    title, default_message = _HTTP_MESSAGES.get(status, _HTTP_MESSAGES[500])
    text = message or str(default_message)
    if wants_json():
        return json_error(_http_code(status), text, status)
    if request_ctx.url_adapter is None:
        # An untrusted Host header: no link can be built, so a page without any.
        return Response(f"{title}\n\n{text}\n", status=status,
                        content_type="text/plain; charset=utf-8")
    return render_template("errors/error.html", status=status, title=title, message=text), status


def wait_text(seconds: int) -> str:
    """A wait in words, rounded up: 45 seconds, 3 minutes, 2 hours."""
    from flask_babel import ngettext

    if seconds <= 90:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    if seconds < 3600:
        return ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))
    return ngettext("%(num)d hour", "%(num)d hours", math.ceil(seconds / 3600))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        from flask_babel import gettext

        return render_error(
            400, gettext("The form has expired or was sent from elsewhere. Please reload "
                         "the page and send it again; what you typed has not been saved.")
        )

    @app.errorhandler(429)
    def _too_many_requests(error: HTTPException):
        from flask import make_response

        from participation.core.ratelimit import retry_after_seconds
        from participation.extensions import limiter

        seconds = retry_after_seconds(limiter)
        message = str(_l("Too many attempts. Please wait %(wait)s and try again.",
                         wait=wait_text(seconds)))
        if wants_json():
            response = jsonify({"error": {"code": "rate_limited", "message": message,
                                          "retry_after": seconds}})
            response.status_code = 429
        else:
            response = make_response(render_error(429, message))
        response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(WriterBusy)
    def _writer_busy(error: WriterBusy):
        from flask import make_response

        from participation.extensions import db

        db.session.rollback()
        app.logger.warning("Busy: %s", error)
        message = str(_l("The site is busy saving other people's changes. Nothing was "
                         "saved: please send it again in a moment."))
        if wants_json():
            response = json_error("busy", message, 503)
        else:
            response = make_response(render_error(503, message))
        response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        if wants_json():
            return json_error(error.code, error.message, error.status)
        return render_error(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        if status in _HTTP_MESSAGES:
            return render_error(status)
        return error

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        from participation.extensions import db

        app.logger.exception("Unhandled error")
        db.session.rollback()
        return render_error(500)
