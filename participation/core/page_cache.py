"""A short-lived cache of public pages for visitors without a session.

Public pages (catalogue, dossier, consultation, opinion lists, API reads) are the same for
every anonymous visitor; rendering them for each request is the main cost under load.
Each worker keeps the rendered response for ``PAGE_CACHE_SECONDS`` (default 10): pages
may lag that long behind a change, and no worker depends on another's cache, so several
processes and hosts stay correct. A visitor with a session cookie (anyone who signed in
or opened a form) always gets a freshly rendered page, so people see their own actions at
once. ``PARTICIPATION_PAGE_CACHE_SECONDS=0`` turns the cache off.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, current_app, g, make_response, request

from participation.core.i18n import LOCALE_COOKIE

MAX_ENTRIES = 2048
_entries: OrderedDict[tuple, tuple[float, int, list[tuple[str, str]], bytes]] = OrderedDict()
_lock = threading.Lock()


def _cacheable_request() -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    session_cookie = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return session_cookie not in request.cookies and "remember_token" not in request.cookies


def _key() -> tuple:
    return (request.host, request.full_path, request.cookies.get(LOCALE_COOKIE, ""))


def clear() -> None:
    with _lock:
        _entries.clear()


def public_page(view: Callable) -> Callable:
    """Serve ``view`` from the per-worker cache to visitors without a session."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        seconds = current_app.config.get("PAGE_CACHE_SECONDS", 0)
        if not seconds or not _cacheable_request():
            return view(*args, **kwargs)
        key = _key()
        now = time.monotonic()
        with _lock:
            entry = _entries.get(key)
        if entry is not None and entry[0] > now:
            _, status, headers, body = entry
            return Response(body, status=status, headers=headers)
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and not response.direct_passthrough
                and "Set-Cookie" not in response.headers and not g.get("private_page")):
            stored = (now + seconds, response.status_code, list(response.headers.items()),
                      response.get_data())
            with _lock:
                _entries[key] = stored
                _entries.move_to_end(key)
                while len(_entries) > MAX_ENTRIES:
                    _entries.popitem(last=False)
        return response

    return wrapper
