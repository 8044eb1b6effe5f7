"""`nox -s spec`: the pinned documents downloaded, sha256-checked, into the cache the loader reads.

A loopback http server stands in for raw.githubusercontent.com; nothing reaches the internet.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import openapi
from harness.errors import InputError
from harness.openapi import fetch, locate

COMMIT = "0123456789abcdef0123456789abcdef01234567"
FILES = {
    "REST/openapiv3.json": b'{"openapi": "3.0.2", "x": "rest"}',
    "events-v2/openapiv3.json": b'{"openapi": "3.0.2", "x": "events"}',
}
PINS = {name: hashlib.sha256(body).hexdigest() for name, body in FILES.items()}


class Origin:
    """A loopback server holding `<commit>/reference/<path>` files, counting the requests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        origin = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                origin.requests.append(self.path)

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def put(self, name: str, body: bytes) -> None:
        path = self.root / COMMIT / "reference" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[Origin]:
    """The stand-in for PagerDuty/api-schema at COMMIT, serving FILES."""
    served = Origin(tmp_path / "origin")
    for name, body in FILES.items():
        served.put(name, body)
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME is the test's own folder, and no XDG_CACHE_HOME or HARNESS_OPENAPI_DIR leaks in."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv(openapi.ENV_VAR, raising=False)
    return tmp_path / "home"


def test_cache_dir_is_under_the_users_cache_per_commit(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """~/.cache/harness/pagerduty-openapi/<commit>, or under $XDG_CACHE_HOME when set."""
    assert fetch.cache_dir(COMMIT) == home / ".cache" / "harness" / "pagerduty-openapi" / COMMIT
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert fetch.cache_dir() == Path("/xdg/harness/pagerduty-openapi") / fetch.COMMIT


@pytest.mark.spec
def test_pins_match_the_documents_the_checks_use() -> None:
    """The pinned digests are those of the documents in use (../shared's copy in CI)."""
    folder = openapi.openapi_dir()
    assert {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in fetch.PINS} == dict(
        fetch.PINS
    )


def test_fetch_fills_the_cache_with_the_upstream_layout(origin: Origin, home: Path) -> None:
    """Each file lands at <cache>/<commit>/<dir>/openapiv3.json, fetched from <commit>/reference/."""
    fetched = fetch.fetch_documents(base_url=origin.url, commit=COMMIT, pins=PINS)
    cache = home / ".cache" / "harness" / "pagerduty-openapi" / COMMIT
    assert fetched == [cache / name for name in FILES]
    assert {name: (cache / name).read_bytes() for name in FILES} == FILES
    assert sorted(origin.requests) == sorted(f"/{COMMIT}/reference/{name}" for name in FILES)
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()) == sorted(FILES)


def test_fetch_keeps_verified_files_and_replaces_damaged_ones(origin: Origin, tmp_path: Path) -> None:
    """A second run downloads nothing; a cached file that lost its digest is fetched again."""
    cache = tmp_path / "cache"
    fetch.fetch_documents(base_url=origin.url, commit=COMMIT, pins=PINS, cache=cache)
    origin.requests.clear()
    assert fetch.fetch_documents(base_url=origin.url, commit=COMMIT, pins=PINS, cache=cache) == []
    assert origin.requests == []
    (cache / "REST/openapiv3.json").write_bytes(b"{}")
    assert fetch.fetch_documents(base_url=origin.url, commit=COMMIT, pins=PINS, cache=cache) == [
        cache / "REST/openapiv3.json"
    ]
    assert (cache / "REST/openapiv3.json").read_bytes() == FILES["REST/openapiv3.json"]


def test_a_download_that_fails_its_sha256_is_never_written(origin: Origin, tmp_path: Path) -> None:
    """An altered file is refused with both digests, and leaves nothing in the cache folder."""
    origin.put("events-v2/openapiv3.json", b'{"openapi": "3.0.2", "x": "tampered"}')
    cache = tmp_path / "cache"
    with pytest.raises(InputError) as raised:
        fetch.fetch_documents(base_url=origin.url, commit=COMMIT, pins=PINS, cache=cache)
    actual = hashlib.sha256(b'{"openapi": "3.0.2", "x": "tampered"}').hexdigest()
    assert str(raised.value) == (
        f"events-v2/openapiv3.json from {origin.url} has sha256 {actual}, "
        f"not the pinned {PINS['events-v2/openapiv3.json']}"
    )
    assert raised.value.hint.startswith("the download was altered or the pin is stale; nothing was written")
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()) == [
        "REST/openapiv3.json"
    ]


def test_main_reports_a_missing_file_with_error_and_next(
    origin: Origin,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python -m harness.openapi` exits 2 with error:/next: when the commit lacks a file."""
    code = fetch.main(["--base-url", origin.url, "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        f"error: GET {origin.url}/{fetch.COMMIT}/reference/REST/openapiv3.json "
        "answered 404\nnext: check the pinned commit and the network"
    )


def test_loader_looks_in_env_then_shared_then_cache(
    tmp_path: Path,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HARNESS_OPENAPI_DIR wins; then ../shared/pagerduty-openapi; then the cache `nox -s spec` fills."""
    shared, cache = tmp_path / "shared", fetch.cache_dir()
    monkeypatch.setattr(locate, "DEFAULT_DIR", shared)
    assert openapi.openapi_dir() == cache  # nothing anywhere: the cache is where they belong
    assert "run `nox -s spec` to download them into" in openapi.missing_reason()
    for folder in (cache, shared):
        for name in openapi.DOCUMENTS.values():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text("{}")
        assert openapi.openapi_dir() == folder
    monkeypatch.setenv(openapi.ENV_VAR, str(tmp_path / "chosen"))
    assert openapi.openapi_dir() == tmp_path / "chosen"
