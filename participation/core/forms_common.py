"""Forms shared by every domain, and validators that speak our own words.

Every form derives from :class:`Form`: it replaces the few messages WTForms writes itself
(a date or number that cannot be read, a choice that is not offered) by ours. Every
validator carries an explicit translated message that says what to do; the helpers below
build the common ones (``required``, ``length``).
"""

from __future__ import annotations

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, Length, NumberRange

# WTForms' own messages (raised while reading a value, before any validator runs) and ours.
_OWN_WORDS = {
    "Not a valid date value.": _l("Enter a date in the form 2026-03-31."),
    "Not a valid datetime value.": _l("Enter a date and time in the form 2026-03-31 09:00."),
    "Not a valid integer value.": _l("Enter a whole number, in digits."),
    "Not a valid choice.": _l("Choose one of the options offered."),
    "Invalid Choice: could not coerce.": _l("Choose one of the options offered."),
}


class _OwnWords:
    """WTForms translations object: our messages for WTForms' built-in ones."""

    def __init__(self, fallback) -> None:
        self.fallback = fallback

    def gettext(self, string: str) -> str:
        own = _OWN_WORDS.get(string)
        if own is not None:
            return str(own)
        return self.fallback.gettext(string) if self.fallback else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self.fallback:
            return self.fallback.ngettext(singular, plural, n)
        return singular if n == 1 else plural


# WTForms' own catalogue per locale, read once per process (Flask-WTF reads it again in
# every request that builds a form: 1-2 ms each).
_WTFORMS_TRANSLATIONS: dict[str, _OwnWords] = {}


def _translations() -> _OwnWords:
    locale = str(get_locale() or "")
    translations = _WTFORMS_TRANSLATIONS.get(locale)
    if translations is None:
        translations = _WTFORMS_TRANSLATIONS[locale] = _OwnWords(support.Translations.load(
            messages_path(), [locale], domain="wtforms"))
    return translations


class Form(FlaskForm):
    """The base of every form: WTForms' built-in messages in our own words."""

    class Meta:
        def get_translations(self, form):
            if not has_request_context() or not current_app.config.get(
                    "WTF_I18N_ENABLED", True):
                return _OwnWords(super().get_translations(form))
            return _translations()


class ConfirmForm(Form):
    """An empty form for POST buttons: it carries only the CSRF token."""


def required(message) -> DataRequired:
    """A required field, with ``message`` saying what to fill in."""
    return DataRequired(message=message)


def length(*, min: int = -1, max: int = -1, message=None) -> Length:  # noqa: A002
    """A length limit with a message that says how long the text may be."""
    if message is None:
        if min > 0 and max > 0:
            message = _l("Write between %(min)d and %(max)d characters.", min=min, max=max)
        elif min > 0:
            message = _l("Write at least %(min)d characters.", min=min)
        else:
            message = _l("Shorten this to at most %(max)d characters.", max=max)
    return Length(min=min, max=max, message=message)


def email() -> Email:
    """A well-formed e-mail address."""
    return Email(message=_l("Enter an e-mail address such as name@example.gov.cn."))


def number_range(low: int, high: int) -> NumberRange:
    """A whole number between ``low`` and ``high``."""
    return NumberRange(low, high, message=_l("Enter a number from %(min)d to %(max)d.",
                                             min=low, max=high))


def file_required(message) -> FileRequired:
    """A file upload that must be present."""
    return FileRequired(message=message)
