"""Request-wide behaviour: security headers, proxy handling, template helpers."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import Flask, abort, g, request
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from participation.core.pii import mask_personal_data
from participation.core.timeutil import local_today
from participation.core.web_helpers import page_url
from participation.core.workdays import working_days_between

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Features no page of ours uses: denied to every frame and script.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "browsing-topics=()"
)


def accepts_large_uploads(view):
    """Mark a view whose form may carry a file up to ``MAX_IMPORT_BYTES`` (the import of
    offline opinions) instead of ``MAX_CONTENT_LENGTH``; put it right below the route."""
    view.accepts_large_uploads = True
    return view


def init_upload_limits(app: Flask) -> None:
    """Raise the request size limit for views marked :func:`accepts_large_uploads`;
    registered before CSRF protection, which reads the form first."""

    @app.before_request
    def _large_upload_limit():
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "accepts_large_uploads", False):
            request.max_content_length = app.config["MAX_IMPORT_BYTES"]


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUST_PROXY_HEADERS") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def _refuse_nul_bytes():
        # No text anyone types contains U+0000, and PostgreSQL refuses it in text columns:
        # a query string or form value with one is a bad request, never a server error.
        values = [*request.args.values(), *request.args.keys()]
        if request.method not in ("GET", "HEAD", "OPTIONS") and not request.is_json:
            values += [*request.form.values(), *request.form.keys()]
        if any("\x00" in value for value in values):
            abort(400)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if app.config.get("SESSION_COOKIE_SECURE") and app.config.get("HSTS_SECONDS"):
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={int(app.config['HSTS_SECONDS'])}")
        if request.endpoint and not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store" if g.get("private_page")
                                        else "no-cache")
        return response

    app.jinja_env.filters["masked"] = mask_personal_data
    app.jinja_env.filters["localdatetime"] = _localdatetime
    app.jinja_env.filters["localdate"] = _localdate
    app.jinja_env.globals["weekday_name"] = lambda day: format_date(day, "EEEE")
    app.jinja_env.globals["today"] = local_today
    app.jinja_env.globals["late_working_days"] = _late_working_days
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.globals["html_lang"] = _html_lang
    app.jinja_env.globals["zh_lang"] = zh_lang
    app.jinja_env.globals["zh"] = zh
    app.jinja_env.filters["zh_if_chinese"] = zh_if_chinese
    app.jinja_env.globals["page_url"] = page_url


def _localdatetime(value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def _late_working_days(decision) -> int:
    """Working days between a feedback report's due date and its publication (0: on time)."""
    due, published = decision.feedback_due_on, decision.feedback_published_on
    if due is None or published is None or published <= due:
        return 0
    return working_days_between(due, published)


def _localdate(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "yyyy-MM-dd")
    return format_date(value, "yyyy-MM-dd")


def paragraphs(text: str | None) -> Markup:
    """Plain text as escaped ``<p>`` paragraphs (one per line)."""
    if not text:
        return Markup("")
    paragraph = Markup("<p>{}</p>")
    return Markup("").join(paragraph.format(line) for line in text.split("\n") if line.strip())


def _html_lang() -> str:
    locale = get_locale()
    return "zh-CN" if locale is None or locale.language == "zh" else locale.language


def zh_lang() -> Markup:
    """`` lang="zh-CN"`` for an element holding Chinese content (titles, bodies, unit
    names, draft text, opinions) when the interface is not Chinese, so that screen readers
    and fonts switch language; nothing on Chinese pages. Use it inside the opening tag:
    ``<td{{ zh_lang() }}>``."""
    if _html_lang() == "zh-CN":
        return Markup("")
    return Markup(' lang="zh-CN"')


def zh_attributes() -> dict[str, str]:
    """The attributes of an element holding Chinese content, for form widgets and select
    options (``{"lang": "zh-CN"}`` outside the Chinese interface)."""
    return {} if _html_lang() == "zh-CN" else {"lang": "zh-CN"}


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def zh_if_chinese(value) -> Markup:
    """Like :func:`zh`, for values that may be Chinese content or an interface word (the
    changed values of the audit log): marked only when they hold Chinese characters."""
    if value is not None and _CJK.search(str(value)):
        return zh(value)
    return Markup.escape(value if value is not None else "")


def zh(value) -> Markup:
    """Chinese content (a title, a unit name, an article label) as escaped text, in a
    ``<span lang="zh-CN">`` when the interface is not Chinese."""
    if value is None or value == "":
        return Markup("")
    if _html_lang() == "zh-CN":
        return Markup.escape(value)
    return Markup('<span lang="zh-CN">{}</span>').format(value)
