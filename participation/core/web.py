"""Request-wide behaviour: security headers, proxy handling, template helpers."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g, request
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from participation.core.pii import mask_personal_data

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


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUST_PROXY_HEADERS") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

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
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.globals["html_lang"] = _html_lang


def _localdatetime(value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, "yyyy-MM-dd HH:mm")


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
