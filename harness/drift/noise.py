"""Run-to-run noise in text: ids, timestamps, keys and numbers replaced by placeholders.

Request lines, URL path templates and the fixed sentences of the scenario's own items are compared
with these values taken out, since two runs of an unchanged API never share them.
"""

from __future__ import annotations

import re

# Placeholders for values that differ between runs of an unchanged API.  Order matters: a
# timestamp holds digits that the number rule would otherwise take apart.
_NOISE = (
    (
        re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),
        "{time}",
    ),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "{key}"),
    (re.compile(r"\b[0-9a-fA-F]{16,}\b"), "{key}"),
    (re.compile(r"\b[A-Z][A-Z0-9]{5,}\b"), "{id}"),
    (re.compile(r"(?<=/)\d+(?=[/?]|$)"), "{n}"),
)
_DIGITS = re.compile(r"\d+")


def normalise_text(text: str) -> str:
    """Replace ids, timestamps, keys and incident numbers in `text` with placeholders."""
    for pattern, placeholder in _NOISE:
        text = pattern.sub(placeholder, text)
    return text


def normalise_sentence(text: str) -> str:
    """`normalise_text`, and every other number too: a sentence's counts differ between runs."""
    return _DIGITS.sub("{n}", normalise_text(text))
