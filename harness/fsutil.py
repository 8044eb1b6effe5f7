"""Directory writes that are all or nothing: build aside, then swap into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_directory(target: Path, files: Mapping[str, str]) -> None:
    """Make `target` hold exactly `files`, replacing what was there only once all are written.

    The new tree is written and fsynced beside the target, then swapped in with two renames; if
    anything fails before the swap, the target is untouched and the half-written tree is removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for name, text in files.items():
            with open(staging / name, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def swap_in(source: Path, target: Path) -> None:
    """Replace directory `target` by `source` (same file system); the old tree is removed after."""
    retired = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.rename(target, retired)
    try:
        os.rename(source, target)
    except OSError:
        if retired.exists():
            os.rename(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def copy_directory(source: Path, target: Path) -> None:
    """Replace `target` by a copy of `source`, all or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_file(target: Path, text: str) -> None:
    """Write `target` whole or not at all: a temporary file beside it, then an atomic rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
