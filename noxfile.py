"""Tasks: `nox` runs the fast tests and lint; `nox -s full|typing|bench|spec|record|drift` run the others."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The everyday loop: every test but the long fault and interrupt matrices, in parallel."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not slow", "-n", "auto", *session.posargs)


@nox.session(default=False)
def full(session: nox.Session) -> None:
    """Every test, as CI runs it (the README's test command)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff's rules, and its formatter's style, on every Python file of the project."""
    session.install("ruff")
    session.run("ruff", "check", "harness", "tests", "examples", "noxfile.py")
    session.run("ruff", "format", "--check", "harness", "tests", "examples", "noxfile.py")


@nox.session
def typing(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Print replay, drift, recording and sandbox figures with their ratios to the targets."""
    session.install("-e", ".[test]")
    session.run("python", "tests/bench/run.py", *session.posargs)


@nox.session(default=False)
def spec(session: nox.Session) -> None:
    """Download PagerDuty's OpenAPI documents (pinned commit, sha256-checked) into the tests' cache."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "harness.openapi", *session.posargs)


@nox.session(default=False)
def record(session: nox.Session) -> None:
    """Record against the sandbox (or pass options: `nox -s record -- --subdomain acme-co`)."""
    session.install("-e", ".")
    session.run("harness", "record", *(session.posargs or ["--sandbox"]))


@nox.session(default=False)
def drift(session: nox.Session) -> None:
    """Compare the latest fresh recording with the accepted one."""
    session.install("-e", ".")
    session.run("harness", "drift", *session.posargs)
