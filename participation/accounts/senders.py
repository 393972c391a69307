"""Verification codes go out through the outbox (``participation.core.outbox``).

The registration operations queue the code in the same transaction as the pending
registration; the outbox's backend (``PARTICIPATION_VERIFICATION_SENDER``: ``console``
writes it to the server log, ``mail`` sends e-mail by SMTP) delivers it after the commit.
An SMS gateway is a new backend registered in ``participation.core.outbox.BACKENDS``.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext

from participation.core.outbox import queue_message


def queue_code(destination: str, code: str, code_hash: str) -> None:
    """Queue ``code`` for ``destination``; the dedupe key comes from this issue of the
    code (its salted hash), so queuing it again adds nothing. Flushes."""
    queue_message(
        destination,
        gettext("Your verification code"),
        gettext("Your verification code is %(code)s. It is valid for 15 minutes.",
                code=code),
        dedupe_key="verification:" + hashlib.sha256(code_hash.encode()).hexdigest()[:48],
    )
