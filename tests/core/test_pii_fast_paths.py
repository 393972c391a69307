"""The fast paths of personal-data detection and of plain text (imports analyse every
row) find exactly what the plain per-character normalisation and full scans find."""

from __future__ import annotations

import importlib
import re
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

import participation.core.pii as pii_package
from participation.core import sanitize
from participation.core.pii import analyse
from participation.core.pii.detect import _normal_char, normalise

detect_module = importlib.import_module("participation.core.pii.detect")
possible_module = importlib.import_module("participation.core.pii.possible")

# Characters that normalise to something else (full-width forms, dashes, circled and
# ligature forms, combining marks, a mathematical digit beyond the BMP) among ordinary ones.
ALPHABET = ("0123456789 -+()@.abcxX#转号组村路本人我叫名姓联系署"
            "０１２３４５６７８９＠（）－，。：；！？　‐‑–—−①㈠ﬁ½\u0301\u00a0𝟏𝟗中文意见建议")
texts = st.text(alphabet=ALPHABET, max_size=60)
settings.register_profile("fast-paths", max_examples=300, deadline=None)


def reference_normalise(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        normal = char if char.isascii() else _normal_char(char)
        out.append(normal)
        origin.extend([index] * len(normal))
    return "".join(out), origin


@settings(settings.get_profile("fast-paths"))
@given(texts)
def test_normalise_equals_the_per_character_form(text):
    normal, origin = normalise(text)
    expected_normal, expected_origin = reference_normalise(text)
    assert normal == expected_normal
    assert list(origin) == expected_origin


@settings(settings.get_profile("fast-paths"))
@given(texts)
def test_analyse_equals_a_full_scan(text):
    fast = analyse(text)
    with mock.patch.object(detect_module, "_CANDIDATE", re.compile(r"(?s)^")), \
            mock.patch.object(detect_module, "_DIGIT", re.compile(r"(?s)^")), \
            mock.patch.object(pii_package, "normalise", reference_normalise), \
            mock.patch.object(possible_module, "_ANY_NAME_WORD", re.compile(r"(?s)^")):
        slow = analyse(text)
    assert fast == slow


def test_examples_found_by_the_fast_paths():
    masked, findings = analyse("联系电话：+86 139-1234-5678，邮箱 zhang@example.com")
    assert masked == "联系电话：+86 139****5678，邮箱 z***@example.com"
    assert findings["masked"] == {"mobile": 1, "email": 1}
    assert analyse("本人张三丰，家住解放路12号")[1]["possible"] == ["address", "name"]


PLAIN_ALPHABET = (ALPHABET + " \t\n\r\x00\x1f\x7f\x85\u200b\u200c\u200d\u200e\u202a\u2066"
                  "\u2028\u2029\u3000e\u0308Å")


@settings(settings.get_profile("fast-paths"))
@given(st.text(alphabet=PLAIN_ALPHABET, min_size=1, max_size=40), st.booleans())
def test_plain_text_equals_the_full_cleaning(text, multiline):
    assert sanitize.plain_text(text, multiline=multiline) == \
        sanitize.cleaned_text(text, multiline=multiline)
