"""Pluggable delivery of verification codes.

``PARTICIPATION_VERIFICATION_SENDER`` chooses the backend: ``console`` (development: the
code is written to the server log) or ``mail`` (SMTP, for e-mail addresses). An SMS
gateway is a new class with the same ``send`` method, registered in ``SENDERS``.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

from flask import current_app
from flask_babel import gettext


class CodeSender(Protocol):
    def send(self, destination: str, code: str) -> None: ...


class ConsoleSender:
    """Writes the code to the application log, for development and demos."""

    sent: list[tuple[str, str]] = []  # the last codes, inspected by tests

    def send(self, destination: str, code: str) -> None:
        current_app.logger.warning("Verification code for %s: %s", destination, code)
        ConsoleSender.sent.append((destination, code))
        del ConsoleSender.sent[:-50]


class MailSender:
    """Sends the code by SMTP to e-mail addresses (mobile numbers need an SMS backend)."""

    def send(self, destination: str, code: str) -> None:
        if "@" not in destination:
            current_app.logger.error("No SMS backend configured; code for %s not sent",
                                     destination)
            return
        config = current_app.config
        message = EmailMessage()
        message["Subject"] = gettext("Your verification code")
        message["From"] = config["MAIL_DEFAULT_SENDER"]
        message["To"] = destination
        message.set_content(gettext("Your verification code is %(code)s. It is valid for "
                                    "15 minutes.", code=code))
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)


SENDERS: dict[str, type] = {"console": ConsoleSender, "mail": MailSender}


def get_sender() -> CodeSender:
    return SENDERS[current_app.config["VERIFICATION_SENDER"]]()
