"""Find suspected secrets in a file's text, through the structure and encodings recorders use.

Each file is read line by line, so every spot carries the exact line (and column) where its text
sits.  Fields are followed across lines (a YAML key whose value is on the next line, a HAR
name/value pair), and the rules in `harness.secrets.audit.rules` are applied to the text as written and to
what it decodes to: JSON escapes, URL encoding, base64 runs and vcrpy's ``!!binary`` blocks (gzip
included).  A secret found in decoded text is reported where its encoded text sits.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from harness.secrets.audit.rules import RULES, field_hit, text_hits

MAX_DEPTH = 4
MAX_INFLATED_BYTES = 16 * 1024 * 1024
_BATCH = 4096
Locate = Callable[[int], tuple[int, int]]

# Possessive, unrolled loops: a repeated alternation keeps a backtracking point per character,
# which made one 2 MB string value cost 240 MB inside the regex engine.
_VALUE = (
    r"""(?:\\"(?P<esc>(?:[^\\"]++|\\(?!"))*+)\\"|"(?P<dq>[^"\\]*+(?:\\.[^"\\]*+)*+)\""""
    r"""|'(?P<sq>[^']*+(?:''[^']*+)*)'|(?P<bare>[^\s"'\\,&;:{}\[\]]++))"""
)
_VALUE_GROUPS = frozenset({"esc", "dq", "sq", "bare"})
_NAME = r"""(?:(?P<q>\\?["'])|(?<![\w.%\\-]))(?P<name>[A-Za-z_][\w.-]*)(?(q)(?P=q))\s*"""
# `name: value`, `"name": "value"`, `\"name\": \"value\"` (JSON in a string), `name=value`.
_FIELD = re.compile(_NAME + r"[:=]\s*" + _VALUE)
# A key whose value is on the next line: a YAML block list, or JSON folded by the YAML dumper.
_DANGLING = re.compile(_NAME + r":\s*$")
_LEADING = re.compile(r"(?P<indent>\s*)(?:(?P<item>-)\s+)?" + _VALUE + r"(?!\s*:)")
# Only ASCII escapes are decoded: the secrets looked for are ASCII, and one escape stays one char.
_PERCENT = re.compile(r"%([0-7][0-9A-Fa-f])")
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|([\"\\/bfnrt]))")
_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_BASE64_RUN = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/]{16,}={0,2}(?![\w+/=-])")
_BINARY_HEADER = re.compile(r"(?P<indent>\s*).*!!binary\s*[|>][+-]?\d*\s*")
_BASE64_LINE = re.compile(r"(?P<indent>\s*)(?P<data>[A-Za-z0-9+/=]+)\s*")
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")


@dataclass(frozen=True)
class Spot:
    """A suspected secret located in a file, before placeholders and the allowlist are applied."""

    rule: str
    value: str = field(repr=False)  # the one place a full value lives: never shown
    message: str
    line: int
    column: int


@dataclass(frozen=True)
class _Segment:
    """A piece of text to scan, and where each of its characters sits in the file."""

    text: str
    locate: Locate
    depth: int = 0


def scan_text(text: str) -> list[Spot]:
    """Find every suspected secret in a file's text, one per value and line."""
    lines = text.split("\n")
    skipped, blocks = _binary_blocks(lines)
    state = _FieldState()
    spots: list[Spot] = []
    for number, line in enumerate(lines, start=1):
        if not skipped[number - 1]:
            spots.extend(_scan(_Segment(line.rstrip("\r"), _line_locator(number)), state))
    for block in blocks:
        decoded = _base64_segment(block, 0, block.text)
        if decoded is not None:
            spots.extend(_scan(decoded, _FieldState()))
    return _deduplicated(spots)


def _scan(segment: _Segment, state: _FieldState) -> Iterator[Spot]:
    hits = list(text_hits(segment.text))
    hits.extend(h for h in (field_hit(*f) for f in state.fields(segment.text)) if h is not None)
    for hit in hits:
        line, column = segment.locate(hit.start)
        yield Spot(rule=hit.rule, value=hit.value, message=hit.message, line=line, column=column)
    if segment.depth < MAX_DEPTH:
        for decoded in _decodings(segment):
            yield from _scan(decoded, _FieldState())


class _FieldState:
    """What one line leaves open for the next: a key whose value follows, a HAR pair's name."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.list_indent: int | None = None
        self.pair_name: str | None = None

    def fields(self, text: str) -> Iterator[tuple[str, str, int]]:
        yield from self._continued(text)
        pair_at, position = -1, 0
        while match := _FIELD.search(text, position):
            name, (value, start) = match["name"], _value(match)
            position = start
            if "\\" in value or _PERCENT.search(value):
                continue  # judged in its decoded form, so that one secret is one finding
            if name == "name":
                self.pair_name, pair_at = value, start
            elif name == "value" and self.pair_name is not None:
                yield self.pair_name, value, start
                self.pair_name = None
            else:
                yield name, value, start
        if self.pair_name is not None and text.rfind("}") > pair_at:
            self.pair_name = None
        # Only a line ending in a colon can leave a key open: look at its end, not the whole line.
        tail = len(text.rstrip())
        if text[tail - 1 : tail] == ":" and (dangling := _DANGLING.search(text, max(0, tail - 256))):
            self.key, self.list_indent = dangling["name"], None

    def _continued(self, text: str) -> Iterator[tuple[str, str, int]]:
        key, self.key = self.key, None
        match = _LEADING.match(text) if key is not None else None
        if key is None or match is None:
            return
        indent = len(match["indent"])
        if match["item"] and self.list_indent in (None, indent):
            self.key, self.list_indent = key, indent
            yield (key, *_value(match))
        elif not match["item"] and self.list_indent is None:
            yield (key, *_value(match))


def _value(match: re.Match[str]) -> tuple[str, int]:
    # The value's alternatives (esc, dq, sq, bare) are the pattern's last groups: one of them
    # closed last.
    group = match.lastgroup
    assert group in _VALUE_GROUPS, group
    return match[group], match.start(group)


def _decodings(segment: _Segment) -> Iterator[_Segment]:
    text = segment.text
    if "%" in text and (decoded := _substituted(segment, _PERCENT, _unquote)):
        yield decoded
    if "\\" in text and (decoded := _substituted(segment, _JSON_ESCAPE, _unescape)):
        yield decoded
    for run in _BASE64_RUN.finditer(text):
        if decoded := _base64_segment(segment, run.start(), run[0]):
            yield decoded


def _unquote(match: re.Match[str]) -> str:
    return chr(int(match[1], 16))


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match[1], 16)) if match[1] else _JSON_ESCAPES[match[2]]


def _substituted(
    segment: _Segment, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
) -> _Segment | None:
    # Memory stays a small multiple of the text: pieces are joined in batches (a list of one small
    # string per escape costs some 50 bytes each), and the way back to the original is two integer
    # arrays (one Python int per character took gigabytes for a 20 MB line of escaped JSON).
    text, remap = segment.text, _Remap(segment.locate)
    chunks: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        pieces += (text[last:start], replace(match))
        remap.add(start, end)
        last = end
        if len(pieces) >= _BATCH:
            chunks.append("".join(pieces))
            pieces.clear()
    if not remap.decoded:
        return None
    pieces.append(text[last:])
    chunks.append("".join(pieces))
    del pieces
    return _Segment("".join(chunks), remap.locate, segment.depth + 1)


class _Remap:
    """Where each character of a decoded text sat in the text it was decoded from.

    Every escape decodes to one character; ``decoded[k]`` is where the k-th one landed and
    ``shift[k]`` how many characters the escapes up to it saved.  Offsets fit in 32 bits, as no
    file larger than `harness.cassettes.MAX_FILE_BYTES` is read.
    """

    def __init__(self, outer: Locate) -> None:
        self.outer = outer
        self.decoded = array("i")
        self.shift = array("i")

    def add(self, start: int, end: int) -> None:
        saved = self.shift[-1] if self.shift else 0
        self.decoded.append(start - saved)
        self.shift.append(saved + end - start - 1)

    def locate(self, index: int) -> tuple[int, int]:
        k = bisect_right(self.decoded, index) - 1
        if k < 0:
            return self.outer(index)
        if index == self.decoded[k]:
            return self.outer(index + (self.shift[k - 1] if k else 0))
        return self.outer(index + self.shift[k])


def _base64_segment(segment: _Segment, start: int, run: str) -> _Segment | None:
    try:
        data = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
        packed = data[:2] == b"\x1f\x8b"
        if packed:
            data = zlib.decompressobj(wbits=31).decompress(data, MAX_INFLATED_BYTES)
    except (binascii.Error, zlib.error):
        return None
    # A text body with a stray byte (a Latin-1 name) is still text; random bytes are not.  Each
    # stray byte stays one character, so offsets into the base64 remain exact.
    text = data.decode("utf-8", errors="surrogateescape")
    if not text or len(_NOT_TEXT.findall(text)) > len(text) // 20:
        return None

    def locate(index: int) -> tuple[int, int]:
        # Three decoded bytes come from four base64 characters; gzip hides where: name its start.
        offset = 0 if packed else len(text[:index].encode("utf-8", "surrogateescape")) // 3 * 4
        return segment.locate(start + offset)

    return _Segment(text, locate, segment.depth + 1)


def _binary_blocks(lines: list[str]) -> tuple[bytearray, list[_Segment]]:
    """The lines inside `!!binary` blocks (flagged by index), and each block's joined base64."""
    # vcrpy writes a body that is not UTF-8 as `!!binary |` and base64 lines of 76 characters.
    skipped = bytearray(len(lines))
    blocks: list[_Segment] = []
    for index, line in enumerate(lines):
        header = _BINARY_HEADER.fullmatch(line.rstrip("\r"))
        if header is None:
            continue
        parts: list[str] = []
        where, offset = _LineMap(), 0
        for number in range(index + 2, len(lines) + 1):
            body = _BASE64_LINE.fullmatch(lines[number - 1].rstrip("\r"))
            if body is None or len(body["indent"]) <= len(header["indent"]):
                break
            skipped[number - 1] = 1
            where.add(offset, number, body.start("data") + 1)
            parts.append(body["data"])
            offset += len(body["data"])
        if parts:
            blocks.append(_Segment("".join(parts), where.locate))
    return skipped, blocks


class _LineMap:
    """Where each character of base64 joined from several lines sits: line and column."""

    def __init__(self) -> None:
        self.starts = array("i")
        self.numbers = array("i")
        self.columns = array("i")

    def add(self, start: int, number: int, column: int) -> None:
        self.starts.append(start)
        self.numbers.append(number)
        self.columns.append(column)

    def locate(self, index: int) -> tuple[int, int]:
        k = bisect_right(self.starts, index) - 1
        return self.numbers[k], self.columns[k] + index - self.starts[k]


def _line_locator(number: int) -> Locate:
    return lambda index: (number, index + 1)


def _deduplicated(spots: list[Spot]) -> list[Spot]:
    # Raw and decoded text, or two rules, may see one value on one line: report it once, under
    # the most specific rule.
    rank = {rule: n for n, rule in enumerate(RULES)}
    best: dict[tuple[int, str], Spot] = {}
    for spot in sorted(spots, key=lambda s: (s.line, rank[s.rule], s.column)):
        best.setdefault((spot.line, spot.value), spot)
    return sorted(best.values(), key=lambda s: (s.line, s.column, rank[s.rule]))
