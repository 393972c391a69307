"""One commit per request: run the operation, commit or roll back, then the side effects.

Views call :func:`perform` with the operation and its arguments. It runs the operation in
the request's transaction; on a :class:`DomainError` it rolls back and shows the message
beside the form's field (or as a flash message), on success it commits once, runs what was
queued with :func:`after_commit` (messages to send, for example) and flashes the success
message. Nothing is sent when the transaction did not commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app, flash, g, has_request_context

from participation.core.errors import RETRY_ATTEMPTS, DomainError, RetryOperation
from participation.extensions import db

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What :func:`perform` did: ``ok`` with the operation's ``value``, or the ``error``."""

    ok: bool
    value: T | None = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.ok


def after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` after the request's transaction commits (never when it rolls back).

    Outside a request (CLI, tests calling operations) the callback runs at once.
    """
    if not has_request_context():
        callback()
        return
    g.setdefault("after_commit", []).append(callback)


def _run_after_commit() -> None:
    callbacks = g.pop("after_commit", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a failed side effect must not undo what was saved
            current_app.logger.exception("after-commit callback failed")


def _discard_after_commit() -> None:
    g.pop("after_commit", None)


def perform(operation: Callable[..., T], *args: Any, form: Any = None,
            field: str | None = None, success: str | None = None,
            keep_on_error: bool = False, **kwargs: Any) -> Outcome[T]:
    """Run ``operation(*args, **kwargs)`` as the request's one unit of work.

    - success: commit, run the after-commit callbacks, flash ``success`` if given;
    - :class:`DomainError`: roll back (or commit what the operation kept, with
      ``keep_on_error``, e.g. a counted failed attempt), then show the error beside
      ``form``'s field (the error's own field, else ``field``) or, without a form, as a
      flash message.
    - :class:`RetryOperation`: roll back and run the operation again (at most
      ``RETRY_ATTEMPTS`` times in all; then the last one propagates).
    Any other exception propagates (the error handler rolls back and answers 500).
    """
    try:
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                value = operation(*args, **kwargs)
                break
            except RetryOperation:
                db.session.rollback()
                _discard_after_commit()
                if attempt == RETRY_ATTEMPTS:
                    raise
    except DomainError as error:
        if keep_on_error and _transaction_usable():
            db.session.commit()
        else:
            db.session.rollback()
        _discard_after_commit()
        if form is not None:
            attach_error(form, error, field)
        else:
            flash(error.message, "error")
        return Outcome(ok=False, error=error)
    db.session.commit()
    _run_after_commit()
    if success:
        flash(success, "success")
    return Outcome(ok=True, value=value)


def _transaction_usable() -> bool:
    """False once a statement failed in the transaction (a unique index refused a row):
    then nothing of it can be kept."""
    return db.session.is_active


def attach_error(form: Any, error: DomainError, fallback_field: str | None = None) -> None:
    """Show a domain error beside its field (or as a form-level error)."""
    field_name = error.field or fallback_field
    target = getattr(form, field_name, None) if field_name else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*list(target.errors or []), error.message]
    else:
        form.form_errors.append(error.message)
