"""The keep-list applied to answers: each string of a body kept, or replaced by its placeholder.

`harness.secrets.keep` says what may stay; this module walks a response body, asks it about every
string, has the vault make (and learn) a placeholder of the same format class for the rest, and
teaches the keep-list what the scenario writes in its requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from vcr.request import Request

from harness.secrets.keep import URL_SCHEMES, KeepList
from harness.secrets.patterns import EMAIL_RE
from harness.secrets.vault import Vault

# A whole value that is a phone number in any written form: +country, spaces, dots, dashes, parentheses.
PHONE_VALUE_RE = re.compile(r"\+?[\d\s().-]{7,24}")
IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def keep_only(vault: Vault, keep: KeepList, data: Any) -> Any:
    """`data` with every string the keep-list keeps scrubbed of known secrets, and the rest replaced.

    Judged in one pass and replaced in a second, so the vault learns a body's replaced values at
    once (its search pattern is rebuilt once per body, not once per value).
    """
    judged: dict[tuple[str, str], str | None] = {}

    def judge(node: Any, key: str) -> None:
        if isinstance(node, str):
            if (key, node) not in judged:
                known = vault.replace_known(node)
                judged[key, node] = known if keep.keeps(key, node, known) else None
        elif isinstance(node, dict):
            for name, value in node.items():
                judge(value, name)
        elif isinstance(node, list):
            for item in node:
                judge(item, key)

    def rewrite(node: Any, key: str) -> Any:
        if isinstance(node, str):
            known = judged[key, node]
            return placeholders[node] if known is None else known
        if isinstance(node, dict):
            return {name: rewrite(value, name) for name, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item, key) for item in node]
        return node

    judge(data, "")
    placeholders = {
        value: placeholder_for(vault, value, searched=keep.searchable(value.strip()))
        for (_, value), known in judged.items()
        if known is None
    }
    return rewrite(data, "")


def placeholder_for(vault: Vault, value: str, *, searched: bool = True) -> str:
    """The placeholder of a replaced string, of its format class; the vault learns the value.

    `searched` says whether the fail-closed check (and the save-time sweep) look for it
    everywhere, or it is replaced only where it stands.
    """
    known = vault.placeholder(value.strip())
    if known != value.strip():
        return known
    stripped = value.strip()
    if EMAIL_RE.fullmatch(stripped):
        return vault.learn("email", stripped)
    if stripped.startswith(URL_SCHEMES):
        return vault.learn("url", stripped, searched=searched)
    if (
        PHONE_VALUE_RE.fullmatch(stripped)
        and sum(ch.isdigit() for ch in stripped) >= 7
        and not IPV4_RE.fullmatch(stripped)
    ):
        return vault.learn("phone", stripped)
    kind = "text" if any(ch.isspace() for ch in stripped) else "word"
    return vault.learn(kind, stripped, searched=searched)


def learn_written(keep: KeepList, request: Request) -> None:
    """Teach the keep-list every string the scenario sends: what it wrote may come back and stay."""
    for _name, value in parse_qsl(urlsplit(request.uri).query):
        keep.learn_written(value)
    if request.body:
        try:
            data = json.loads(_text(request.body))
        except ValueError:
            return
        for text in _strings(data):
            keep.learn_written(text)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
