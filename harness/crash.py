"""The last resort: an unexpected exception becomes one line, and its traceback a private file.

Nothing a user typed as a secret may leave through here either: the token, the From email and a
URL's user name and password are replaced in the message and in the saved traceback, and so is
anything shaped like an Authorization header or URL credentials.
"""

from __future__ import annotations

import os
import re
import tempfile
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

SECRET_OPTIONS = ("token", "from_email")
SECRET_ENV = ("PAGERDUTY_API_TOKEN", "PAGERDUTY_FROM_EMAIL")
URL_OPTIONS = ("api_url", "events_url")
REDACTED = "<redacted>"
MIN_SECRET = 4

_SHAPES = (
    (re.compile(r"(?i)(token\s*token\s*=\s*)[^\s'\"\\,;]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/=-]+"), r"\1" + REDACTED),
    (re.compile(r"(://)[^/@\s'\"]*@"), r"\1" + REDACTED + "@"),
)


def known_secrets(params: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> list[str]:
    """The secret values a run was given: options, their environment variables, URL credentials."""
    found = [str(params[name]) for name in SECRET_OPTIONS if params.get(name)]
    found += [environ[name] for name in SECRET_ENV if environ.get(name)]
    for name in URL_OPTIONS:
        if params.get(name):
            try:
                parts = urlsplit(str(params[name]))
            except ValueError:
                continue
            found += [p for p in (parts.username, parts.password) if p]
    # Longest first, so a secret that contains another is replaced whole; a value of a few
    # characters (a test token "x") is no secret worth mangling every message for.
    return sorted({s.strip() for s in found if len(s.strip()) >= MIN_SECRET}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` without the given secrets or anything shaped like a credential."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def save_traceback(exc: BaseException, secrets: Iterable[str]) -> Path | None:
    """Write the redacted traceback to a private file in the temporary folder; None if it cannot."""
    text = redact("".join(traceback.format_exception(exc)), list(secrets))
    try:
        handle, name = tempfile.mkstemp(prefix="harness-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as stream:
            stream.write(text)
    except OSError:
        return None
    return Path(name)
