"""Periodic clean-up: every purge is a plain function, registered here by its domain.

Each purge deletes rows nobody needs any more (expired rate-limit counters, used or
expired verification codes), flushes and returns how many rows went; it is idempotent and
takes ``now`` so that tests can call it directly. ``flask maintenance purge`` runs them
all and commits; the hourly periodic job ``maintenance.purge`` (``flask jobs run``)
runs the same ``run_purges``.
"""

from __future__ import annotations

from calendar import timegm
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from flask.cli import AppGroup

from participation.core.database import utcnow
from participation.core.jobs import register_job
from participation.core.ratelimit import purge_rate_limit_counters
from participation.extensions import db

Purge = Callable[[datetime], int]
PURGES: dict[str, Purge] = {}


def register_purge(name: str) -> Callable[[Purge], Purge]:
    """Decorator: run ``function(now)`` with every ``flask maintenance purge``."""

    def decorator(function: Purge) -> Purge:
        PURGES[name] = function
        return function

    return decorator


def run_purges(now: datetime | None = None) -> dict[str, int]:
    """Run every registered purge at ``now`` (naive UTC); returns rows deleted by name.
    Flushes; the caller commits."""
    now = now or utcnow()
    return {name: purge(now) for name, purge in sorted(PURGES.items())}


@register_job("maintenance.purge", every=timedelta(hours=1))
def _purge_job(now: datetime) -> None:
    run_purges(now)


@register_purge("rate_limit_counters")
def _purge_rate_limit_counters(now: datetime) -> int:
    return purge_rate_limit_counters(timegm(now.timetuple()) + now.microsecond / 1e6)


maintenance_cli = AppGroup("maintenance", help="Periodic clean-up.")


@maintenance_cli.command("purge")
def purge_command() -> None:
    """Delete what is no longer needed: expired rate-limit counters, used or expired
    verification codes, the recipients of messages sent long ago, and the rest of the
    registered purges."""
    counts = run_purges()
    db.session.commit()
    for name, count in counts.items():
        click.echo(f"{name}: {count} deleted")
