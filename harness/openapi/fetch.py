"""Download PagerDuty's OpenAPI documents at the pinned commit into the user's cache (`nox -s spec`).

The project does not ship the documents (they carry no licence), so someone with network access
fetches them once: each file comes from `PagerDuty/api-schema` at `COMMIT`, is checked against its
pinned sha256 and lands, atomically, in `~/.cache/harness/pagerduty-openapi/<commit>/` (under
`$XDG_CACHE_HOME` when set) with the upstream sub-folders, where `documents.openapi_dir` finds it.
Run it as `python -m harness.openapi [--base-url URL] [--cache DIR]`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import requests

from harness.errors import ConfigError, HarnessError, InputError

COMMIT = "91a06fb3c64b0ab2b2bd6c485d12b327dfb55c18"
BASE_URL = "https://raw.githubusercontent.com/PagerDuty/api-schema"
# The files as ../shared/pagerduty-openapi/README.md lists them: path under reference/ -> sha256.
PINS: Mapping[str, str] = {
    "REST/openapiv3.json": "b2e80f8b83b170f29702e96a69adf230702b4ec43dddab7e348a2985c707ef35",
    "events-v2/openapiv3.json": "f5570ec1049850501363447415a9202118586281286c3ccc8cd996f8429d1908",
    "events-v1/openapiv3.json": "b184716f4a5830936adfc79e3cee80248c12212400795e524b2f6f84fe06284f",
}
MAX_BYTES = 32 * 1024 * 1024  # the REST document is 2.8 MB
TIMEOUT = 60.0


def cache_dir(commit: str = COMMIT) -> Path:
    """Where the documents of `commit` are cached: `$XDG_CACHE_HOME` or ~/.cache, then harness/."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "harness" / "pagerduty-openapi" / commit


def fetch_documents(
    *,
    base_url: str = BASE_URL,
    commit: str = COMMIT,
    pins: Mapping[str, str] = PINS,
    cache: Path | None = None,
) -> list[Path]:
    """Make sure every pinned file is in the cache with its sha256; return the files downloaded.

    A file already cached with the right digest is kept; any other is fetched from
    `<base_url>/<commit>/reference/<path>`, checked, and only then moved into place.
    """
    target = cache or cache_dir(commit)
    fetched = []
    for name, digest in pins.items():
        path = target / name
        if path.is_file() and _sha256(path.read_bytes()) == digest:
            continue
        body = _download(f"{base_url.rstrip('/')}/{commit}/reference/{name}")
        actual = _sha256(body)
        if actual != digest:
            raise InputError(
                f"{name} from {base_url} has sha256 {actual}, not the pinned {digest}",
                hint="the download was altered or the pin is stale; nothing was "
                "written; check the source, or update PINS with the README's table",
            )
        _write_atomically(path, body)
        fetched.append(path)
    return fetched


def _download(url: str) -> bytes:
    try:
        with requests.get(url, timeout=TIMEOUT, stream=True) as response:
            if response.status_code != 200:
                raise ConfigError(
                    f"GET {url} answered {response.status_code}",
                    hint="check the pinned commit and the network, then run again",
                )
            body = bytearray()
            for chunk in response.iter_content(chunk_size=1 << 16):
                body += chunk
                if len(body) > MAX_BYTES:
                    raise InputError(
                        f"{url} is larger than {MAX_BYTES} bytes",
                        hint="that is not one of PagerDuty's documents; check the URL",
                    )
            return bytes(body)
    except requests.RequestException as exc:
        raise ConfigError(
            f"cannot download {url} ({type(exc).__name__})",
            hint="this needs network access to raw.githubusercontent.com; "
            "or copy the files and set HARNESS_OPENAPI_DIR",
        ) from None


def _write_atomically(path: Path, body: bytes) -> None:
    """Write beside the target and rename over it, so a cached file is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Fetch the documents, printing where they are; `error:`/`next:` and exit 2 on failure."""
    parser = argparse.ArgumentParser(prog="python -m harness.openapi", description=__doc__)
    parser.add_argument("--base-url", default=BASE_URL, help="where <commit>/reference/ is served")
    parser.add_argument("--cache", type=Path, help="the folder to fill (default: the user's cache)")
    options = parser.parse_args(argv)
    target = options.cache or cache_dir()
    try:
        fetched = fetch_documents(base_url=options.base_url, cache=target)
    except HarnessError as exc:
        print(f"error: {exc}\nnext: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    print(f"{len(fetched)} downloaded, {len(PINS) - len(fetched)} already cached: {target}")
    return 0
