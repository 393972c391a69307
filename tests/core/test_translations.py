"""The message catalogues: every interface text has a Chinese translation with its placeholders.

(a) and (b) read the ``.po`` sources only; (c) needs the compiled ``.mo`` files (``make test``
compiles them first) and is skipped without them.

The Simplified Chinese catalogue lives in ``translations/zh_Hans_CN``: Flask-Babel parses the
configured locale ``zh_CN`` with Babel's ``Locale.parse``, which adds the script
(``zh_Hans_CN``), and looks the catalogue up under that name.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "participation" / "translations"
ZH_LOCALE = "zh_CN"
ZH_DIR = TRANSLATIONS / str(Locale.parse(ZH_LOCALE)) / "LC_MESSAGES"
ZH_PO = ZH_DIR / "messages.po"
ZH_MO = ZH_DIR / "messages.mo"
EN_MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"

# The same command as `make messages`.
EXTRACT_KEYWORDS = ("-k", "_l", "-k", "lazy_gettext")

# A printf-style conversion as Python's % operator reads it: %(name)s, %d, %5.1f, %%.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _pybabel() -> str:
    candidate = Path(sys.executable).with_name("pybabel")
    if candidate.exists():
        return str(candidate)
    return "pybabel"


def _read_po(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _msgid(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _strings(message: Message) -> list[str]:
    if isinstance(message.string, tuple | list):
        return list(message.string)
    return [message.string or ""]


def _placeholders(text: str) -> set[str]:
    """The conversions in ``text`` (without ``%%``)."""
    return {m.group(0) for m in PLACEHOLDER.finditer(text) if m.group("type") != "%"}


def _has_stray_percent(text: str) -> bool:
    """A % that is not part of a conversion breaks ``text % values`` (Jinja always formats)."""
    return "%" in PLACEHOLDER.sub("", text)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Catalog:
    """The messages of the current sources, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [_pybabel(), "-q", "extract", "-F", "babel.cfg", *EXTRACT_KEYWORDS,
         "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    return _read_po(pot)


@pytest.fixture(scope="module")
def zh_catalogue() -> Catalog:
    assert ZH_PO.exists(), f"{ZH_PO.relative_to(ROOT)} is missing"
    return _read_po(ZH_PO, locale=str(Locale.parse(ZH_LOCALE)))


def test_every_message_has_a_chinese_translation(template, zh_catalogue):
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = zh_catalogue.get(message.id, message.context)
        if translated is None or not all(_strings(translated)):
            missing.append(_msgid(message))
        elif translated.fuzzy:
            missing.append(f"{_msgid(message)}  (marked fuzzy: check it, then remove the flag)")
    assert not missing, (
        f"{len(missing)} message(s) without a Chinese translation. Run `make messages`, then "
        f"translate them in {ZH_PO.relative_to(ROOT)}:\n" + "\n".join(missing)
    )


def test_the_catalogue_has_one_plural_form(zh_catalogue):
    assert zh_catalogue.num_plurals == 1
    for message in zh_catalogue:
        if message.id and message.pluralizable:
            assert len(_strings(message)) == 1, _msgid(message)


def test_chinese_translations_keep_the_placeholders(zh_catalogue):
    problems = []
    for message in zh_catalogue:
        if not message.id:
            continue
        # For plurals the (only) Chinese form stands for every number: it follows msgid_plural.
        expected = _placeholders(_ids(message)[-1])
        for string in _strings(message):
            if not string:
                continue
            found = _placeholders(string)
            if found != expected:
                problems.append(
                    f"{_msgid(message)!r}: expected {sorted(expected)}, found {sorted(found)}"
                )
            if _has_stray_percent(string):
                problems.append(f"{_msgid(message)!r}: a lone % in {string!r} (write %%)")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def translated_app():
    if not (ZH_MO.exists() and EN_MO.exists()):
        pytest.skip(
            "compiled catalogues are missing: run `make translations` "
            "(pybabel compile -d participation/translations)"
        )
    from participation import create_app

    return create_app({
        "TESTING": True,
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "RATELIMIT_STORAGE_URI": "memory://",
    })


@pytest.mark.parametrize("locale", [ZH_LOCALE, "en"])
def test_the_app_speaks_the_locale(translated_app, zh_catalogue, locale):
    from flask_babel import force_locale, gettext

    msgid = "Public consultation"
    with translated_app.test_request_context("/"), force_locale(locale):
        text = gettext(msgid)
    if locale == "en":
        assert text == msgid
    else:
        assert CJK.search(text), f"{msgid!r} is not translated under {locale}: {text!r}"
        assert text == zh_catalogue.get(msgid).string
