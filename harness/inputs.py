"""Read the files a user names, whatever they are: regular files only, bounded in size and nesting.

Every reader of user input (recordings, manifests, audit targets, the allowlist, a faults file)
goes through here, so that a FIFO, a device or a link to one is refused at once instead of hanging,
a file is never read past its limit (a device's `st_size` is 0), and nothing nested deeper than
`MAX_NESTING` reaches a parser or a recursive walk (libyaml's composer overflows the C stack, and
`json` raises RecursionError, on 200,000 nested brackets).  Each defect is an `InputError`.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from harness.errors import InputError

# Large enough for a busy account's list pages; a bigger file is a mistake, not a recording.
MAX_FILE_BYTES = 512 * 1024 * 1024
# PagerDuty's answers nest about ten levels deep; a hundred leaves room and keeps every recursive
# walk over a body (drift's shapes, replay's matcher) far from Python's recursion limit.
MAX_NESTING = 100
# Numbers a JSON body may hold: 64-bit integers and finite floats, as PagerDuty's answers do.
MAX_INT = 2**63

_CHUNK = 1024 * 1024
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_INNERMOST = re.compile(r"[\[{][\]}]")


@contextmanager
def opened_regular(path: Path, *, hint: str = "", follow: bool = True) -> Iterator[int]:
    """A read-only descriptor of the regular file at `path`, never blocking; no link unless `follow`.

    O_NONBLOCK keeps a FIFO from hanging the open; O_NOFOLLOW (when `follow` is false) refuses a
    link in the last place; the type is checked on the open descriptor, so a swap after any
    earlier check cannot fool it.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: file is missing", hint=hint) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise InputError(
                f"{path}: is a symbolic link; a recording holds regular files only", hint=hint
            ) from None
        raise InputError(f"{path}: cannot be read ({exc.strerror})", hint=hint) from None
    try:
        kind = file_kind(os.fstat(descriptor).st_mode)
        if kind:
            raise InputError(f"{path}: is {kind}, not a regular file", hint=hint)
        yield descriptor
    finally:
        os.close(descriptor)


def read_bytes(path: Path, *, limit: int = MAX_FILE_BYTES, hint: str = "", follow: bool = True) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them (see `opened_regular`)."""
    with opened_regular(path, hint=hint, follow=follow) as descriptor:
        size = os.fstat(descriptor).st_size
        if size > limit:
            raise InputError(f"{path}: {size} bytes is larger than a recording file can be", hint=hint)
        return b"".join(chunks(descriptor, path, limit=limit, hint=hint))


def chunks(descriptor: int, path: Path, *, limit: int, hint: str = "") -> Iterator[bytes]:
    """The file's bytes in bounded chunks, refused once past `limit`: never trust `st_size`."""
    left = limit + 1
    while left > 0:
        try:
            chunk = os.read(descriptor, min(_CHUNK, left))
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})", hint=hint) from None
        if not chunk:
            return
        left -= len(chunk)
        if left <= 0:
            raise InputError(
                f"{path}: larger than {limit} bytes, more than a recording file holds", hint=hint
            )
        yield chunk


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES, hint: str = "") -> str:
    """The UTF-8 text of the regular file at `path` (a byte-order mark is dropped)."""
    data = read_bytes(path, limit=limit, hint=hint)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})", hint=hint) from None


def parse_json(text: str | bytes, *, where: str = "") -> Any:
    """JSON from a file or a recorded body, bounded in nesting and numbers.

    Text that is not JSON raises `ValueError` (callers may treat it as plain text); JSON nested
    deeper than `MAX_NESTING` or holding a number out of range (beyond 64-bit integers, ``1e400``,
    ``NaN``) raises `InputError`, its message starting with `where` (say, the file and step).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        if text.count("[") + text.count("{") > MAX_NESTING:
            _check_json_nesting(text)
        try:
            return json.loads(
                text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
            )
        except RecursionError:  # unreachable after the check; kept so none ever escapes
            raise nested_too_deep() from None
    except InputError as exc:
        if not where:
            raise
        raise InputError(f"{where}: {exc}", hint=exc.hint) from None


def load_yaml(text: str, loader: Any) -> Any:
    """YAML through `loader` (libyaml's, usually), refused before it when nested too deep."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        kind = type(event)
        if kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            depth += 1
            if depth > MAX_NESTING:
                raise nested_too_deep()
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            depth -= 1
    return yaml.load(text, Loader=loader)


def _check_json_nesting(text: str) -> None:
    # Strings are dropped first (their brackets are text), then innermost pairs are removed one
    # level per pass: a pair still left after MAX_NESTING passes is nested deeper than that.
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(MAX_NESTING):
        brackets, removed = _INNERMOST.subn("", brackets)
        if not removed:
            return
    if _INNERMOST.search(brackets):
        raise nested_too_deep()


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -MAX_INT <= value < MAX_INT:
        raise InputError(
            f"a number with {len(text)} digits is out of range (at most 64 bits)", hint=_DAMAGED_HINT
        )
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"the number {text[:20]} is out of range", hint=_DAMAGED_HINT)
    return value


def _no_constant(text: str) -> float:
    raise InputError(f"{text} is not a JSON number", hint=_DAMAGED_HINT)


def nested_too_deep() -> InputError:
    return InputError(f"nested deeper than {MAX_NESTING} levels", hint=_DAMAGED_HINT)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words; empty for a regular file."""
    for test, kind in (
        (stat.S_ISREG, ""),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"


_DAMAGED_HINT = (
    "the file was edited or damaged: re-record with `harness record --sandbox` "
    "(or against your account), then `harness accept`"
)
