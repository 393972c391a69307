"""Personal data typed into free text: detection, masking and flags for moderators.

Bodies are stored as received (officials may need to call back). When an opinion is
written the masked public text is computed once (:func:`analyse`) and stored next to the
original; :func:`mask_personal_data` remains for text that has no stored public form.
Detection rules: :mod:`participation.core.pii.detect` (masked: phone numbers, resident
IDs, bank cards, e-mail addresses) and :mod:`participation.core.pii.possible` (flagged
only: names and street addresses).
"""

from __future__ import annotations

from collections import Counter

from participation.core.pii.detect import Finding, detect, normalise
from participation.core.pii.possible import possible_personal_data

__all__ = ["Finding", "analyse", "mask", "mask_personal_data", "possible_personal_data"]


def mask(text: str | None, normalised: tuple[str, list[int]] | None = None
         ) -> tuple[str, list[Finding]]:
    """Return ``text`` with its personal numbers and e-mail addresses partly hidden, and
    the findings (kind, span in ``text``).

    ``13912345678`` becomes ``139****5678``; an 18-digit ID keeps its first and last four
    characters; ``zhang.san@example.com`` becomes ``z***@example.com``. Characters outside
    the findings are kept exactly as typed (full-width ones included); masking a masked
    text changes nothing.
    """
    if not text:
        return "", []
    pieces: list[str] = []
    findings: list[Finding] = []
    position = 0
    for finding, replacement in detect(text, normalised):
        pieces.append(text[position:finding.start])
        pieces.append(replacement)
        position = finding.end
        findings.append(finding)
    pieces.append(text[position:])
    return "".join(pieces), findings


def mask_personal_data(text: str | None) -> str:
    """``text`` masked as :func:`mask` does, without the findings."""
    return mask(text)[0]


def analyse(text: str | None) -> tuple[str, dict]:
    """The masked text and a JSON-ready record of what was found in ``text``:
    ``{"masked": {kind: count}, "possible": [kinds], "spans": [{kind, start, end}],
    "possible_spans": [{kind, start, end}]}`` (spans of the original text)."""
    normalised = normalise(text) if text else None
    masked, findings = mask(text, normalised)
    possible = possible_personal_data(text, normalised)
    return masked, {
        "masked": dict(Counter(finding.kind for finding in findings)),
        "possible": sorted({finding.kind for finding in possible}),
        "spans": [finding.as_dict() for finding in findings],
        "possible_spans": [finding.as_dict() for finding in possible],
    }
