"""Where a missed target's time goes: a throwaway cProfile run, summarised in a few lines.

Own time is summed per package first (built-in functions are billed to the package that called
them, so libyaml's time shows as yaml and socket reads as the library that read), then the
functions with the most own time are listed.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

SITE = "site-packages/"
STDLIB = "/lib/python3"

Key = tuple[str, int, str]


def top_costs(action: Callable[[], object], *, repeat: int = 1, limit: int = 10) -> list[str]:
    """Own time per package, then the `limit` functions with the most own time, per call."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        action()
    profile.disable()
    # pstats keeps its table in an undocumented attribute: key -> (cc, calls, own, cum, callers).
    table: dict[Key, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    whole = sum(entry[2] for entry in table.values()) or 1.0
    packages: dict[str, float] = {}
    for key, (_cc, _calls, own, _cumulative, callers) in table.items():
        for package, seconds in _billed(key, own, callers):
            packages[package] = packages.get(package, 0.0) + seconds
    shares = sorted(packages.items(), key=lambda item: item[1], reverse=True)
    lines = [
        f"  {whole / repeat * 1000:.0f} ms per run; own time by package: "
        + ", ".join(f"{name} {seconds / whole:.0%}" for name, seconds in shares[:8])
    ]
    ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:limit]
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in ranked:
        lines.append(
            f"  own {own / repeat * 1000:7.1f} ms  cum {cumulative / repeat * 1000:7.1f} ms"
            f"  {calls // repeat:>6} calls  {_place(filename, line)} {function}"
        )
    return lines


def _billed(key: Key, own: float, callers: dict[Key, Any]) -> list[tuple[str, float]]:
    """Split a function's own time to packages; a built-in's goes to its callers'."""
    if key[0] != "~" or not callers:
        return [(_package(key[0]), own)]
    called = sum(entry[2] for entry in callers.values()) or 1.0
    return [(_package(caller[0]), own * entry[2] / called) for caller, entry in callers.items()]


def _package(filename: str) -> str:
    if SITE in filename:
        return filename.split(SITE, 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith("<frozen "):
        return filename.removeprefix("<frozen ").split(".", 1)[0].rstrip(">")
    if STDLIB in filename:
        return "stdlib " + filename.split(STDLIB, 1)[1].split("/")[1].removesuffix(".py")
    parts = PurePath(filename).parts
    return parts[-2] if len(parts) > 1 else filename


def _place(filename: str, line: int) -> str:
    if filename == "~":
        return "(built-in)"
    if SITE in filename:
        return f"{filename.split(SITE, 1)[1]}:{line}"
    parts = PurePath(filename).parts
    return f"{'/'.join(parts[-2:])}:{line}"
