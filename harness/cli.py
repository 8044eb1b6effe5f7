"""The `harness` command: each subcommand parses options, calls one core function, sets the exit code.

Domain errors are turned into a message, a next step and an exit code in one place,
`HarnessGroup.invoke`: 0 clean, 1 a finding, 2 could not run, 130/143 interrupted.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from harness.cassettes import ACCEPTED_DIR, FRESH_DIR, NOTEBOOK
from harness.crash import known_secrets, redact, save_traceback
from harness.errors import (
    EXIT_CANNOT_RUN,
    EXIT_FINDING,
    EXIT_SIGINT,
    ConfigError,
    HarnessError,
)
from harness.settings import check_base_url, check_email, check_subdomain
from harness.signals import Terminated, exit_code_for, signals_raise

FAIL_ON = click.Choice(["breaking", "warning", "info", "never"])
ACCOUNT = click.Choice(["busy", "empty"])
SEED = click.IntRange(0, 999_999)
PARAMS_KEY = "harness.params"
SCENARIO_HELP = "A scenario of your own, MODULE:ATTRIBUTE (default: the notebook's)."


class HarnessCommand(click.Command):
    """A subcommand that leaves its options where the group's last-resort handler can see them."""

    def invoke(self, ctx: click.Context) -> Any:
        ctx.find_root().meta[PARAMS_KEY] = ctx.params
        return super().invoke(ctx)


class HarnessGroup(click.Group):
    """Turns `HarnessError` into `error: …` / `next: …` on stderr and its exit code.

    Anything else that escapes a command is a bug: one `error: internal error` line, the traceback
    saved (redacted) to a file in the temporary folder, and exit 2, never a traceback or exit 1.
    """

    command_class = HarnessCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HarnessError as exc:
            _fail(ctx, str(exc), exc.hint, exc.exit_code)
        except KeyboardInterrupt:
            _fail(ctx, "interrupted", "", EXIT_SIGINT)
        except Terminated as exc:
            _fail(ctx, "terminated", "", exit_code_for(exc))
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # the last resort: every other exception is a bug
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                # Not a bug: the disk (or the quota) that stdout or a file goes to is full.
                _fail(
                    ctx,
                    f"cannot write: {exc.strerror}",
                    "free some space, or send the output to another disk, then run again",
                    EXIT_CANNOT_RUN,
                )
            saved = save_traceback(exc, _secrets(ctx))
            hint = (
                f"please report it with the traceback saved in {saved}"
                if saved
                else "please report it, with the command you ran (the traceback could not be saved)"
            )
            _fail(ctx, f"internal error ({type(exc).__name__})", hint, EXIT_CANNOT_RUN)


def _secrets(ctx: click.Context) -> list[str]:
    return known_secrets(ctx.meta.get(PARAMS_KEY, {}))


def _fail(ctx: click.Context, message: str, hint: str, code: int) -> NoReturn:
    # A message may quote what an API or a library said; no secret the run was given goes out.
    secrets = _secrets(ctx)
    click.secho(f"error: {redact(message, secrets)}", err=True, fg="red")
    if hint:
        click.echo(f"next: {redact(hint, secrets)}", err=True)
    ctx.exit(code)


class Checked(click.ParamType):  # type: ignore[type-arg]
    """A click type from one of the settings checks, so bad values are usage errors (exit 2)."""

    def __init__(self, name: str, check: Callable[[str], str]) -> None:
        self.name = name
        self.check = check

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return self.check(str(value))
        except ConfigError as exc:
            self.fail(f"{exc} ({exc.hint})", param, ctx)


SUBDOMAIN = Checked("subdomain", check_subdomain)
EMAIL = Checked("email", lambda v: check_email(v, what="email"))
BASE_URL = Checked("url", lambda v: check_base_url(v, what="URL"))


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harness")
def cli() -> None:
    """Record, replay and compare PagerDuty's answers to the incident scenario, or to your own."""


@cli.command()
@click.option(
    "--subdomain",
    type=SUBDOMAIN,
    envvar="PAGERDUTY_SUBDOMAIN",
    help="The account's subdomain: acme-co for https://acme-co.pagerduty.com.",
)
@click.option("--token", envvar="PAGERDUTY_API_TOKEN", help="REST API key [env PAGERDUTY_API_TOKEN].")
@click.option(
    "--from-email",
    type=EMAIL,
    envvar="PAGERDUTY_FROM_EMAIL",
    help="Email of an existing user, sent as From [env PAGERDUTY_FROM_EMAIL].",
)
@click.option("--region", type=click.Choice(["us", "eu"]), default="us", show_default=True)
@click.option("--api-url", type=BASE_URL, help="REST base URL (overrides --region).")
@click.option("--events-url", type=BASE_URL, help="Events base URL; /v2/enqueue is appended.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=FRESH_DIR,
    show_default=True,
    help="A new or empty folder, or an earlier recording; written only if the run succeeds.",
)
@click.option("--sandbox", is_flag=True, help="Record against the built-in sandbox; needs nothing else.")
@click.option(
    "--account",
    type=ACCOUNT,
    default="busy",
    show_default=True,
    help="With --sandbox: a lived-in account (other teams at work) or an empty one.",
)
@click.option("--seed", type=SEED, help="With --sandbox: the busy account's seed (default: random, printed).")
@click.option(
    "--poll-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds to wait for PagerDuty to create incidents.",
)
@click.option("--fail-on", type=FAIL_ON, help="Exit 1 on drift at or above this severity.")
@click.option("-v", "--verbose", is_flag=True, help="Also show each request (scrubbed).")
@click.option("-q", "--quiet", is_flag=True, help="Show only the summary.")
@click.option("--scenario", default=NOTEBOOK, metavar="MODULE:ATTRIBUTE", help=SCENARIO_HELP)
@click.pass_context
def record(
    ctx: click.Context,
    *,
    subdomain: str | None,
    token: str | None,
    from_email: str | None,
    region: str,
    api_url: str | None,
    events_url: str | None,
    out: Path,
    sandbox: bool,
    account: str,
    seed: int | None,
    poll_timeout: float,
    fail_on: str | None,
    verbose: bool,
    quiet: bool,
    scenario: str,
) -> None:
    """Run the scenario once (the notebook's, or --scenario) and record it, scrubbed, into cassettes."""
    from harness.commands import record_command

    # SIGTERM and SIGHUP stop it like Ctrl-C, with cleanup and an `error:` line, from the start.
    with signals_raise():
        code = record_command(
            subdomain=subdomain,
            token=token,
            from_email=from_email,
            region=region,
            api_url=api_url,
            events_url=events_url,
            out=out,
            sandbox=sandbox,
            account=account,
            seed=seed,
            poll_timeout=poll_timeout,
            fail_on=fail_on,
            verbosity=1 if verbose else -1 if quiet else 0,
            scenario=scenario,
        )
    ctx.exit(code)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=ACCEPTED_DIR)
@click.option("-q", "--quiet", is_flag=True, help="Show only the summary.")
@click.option(
    "--scenario",
    metavar="MODULE:ATTRIBUTE",
    help="The scenario to replay with (default: the one the recording's manifest names).",
)
@click.pass_context
def replay(ctx: click.Context, directory: Path, quiet: bool, scenario: str | None) -> None:
    """Replay a recording offline, network blocked; exit 1 if any step does not replay."""
    from harness.commands import replay_command

    ctx.exit(replay_command(directory=directory, verbosity=-1 if quiet else 0, scenario=scenario))


@cli.command()
@click.option("--scenario", default=NOTEBOOK, metavar="MODULE:ATTRIBUTE", help=SCENARIO_HELP)
def steps(scenario: str) -> None:
    """List the scenario's steps in order."""
    from harness.scenario_ref import load_scenario

    for step in load_scenario(scenario).steps:
        click.echo(f"{step.number:>2}  {step.slug:<34} {step.title}")


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=FRESH_DIR)
def accept(directory: Path) -> None:
    """Promote a recording (its manifest and listed cassettes, once it replays) into cassettes/."""
    from harness.commands import accept_command

    with signals_raise():
        message = accept_command(directory=directory, accepted=ACCEPTED_DIR)
    click.echo(message)


@cli.command()
@click.argument("baseline", type=click.Path(path_type=Path), default=ACCEPTED_DIR)
@click.argument("candidate", type=click.Path(path_type=Path), default=FRESH_DIR)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "junit"]),
    default="text",
    show_default=True,
)
@click.option("--output", type=click.Path(path_type=Path), help="Write the report here, not stdout.")
@click.option("--fail-on", type=FAIL_ON, default="breaking", show_default=True)
@click.option(
    "--spec",
    type=click.Path(path_type=Path, file_okay=False),
    help="PagerDuty's OpenAPI documents, to say which changes are documented "
    "(default: $HARNESS_OPENAPI_DIR, else the cached copy).",
)
@click.pass_context
def drift(
    ctx: click.Context,
    baseline: Path,
    candidate: Path,
    fmt: str,
    output: Path | None,
    fail_on: str,
    spec: Path | None,
) -> None:
    """Compare two recordings and classify every change in PagerDuty's answers."""
    from harness.commands import check_report_output, drift_command, write_report

    if output is not None:
        check_report_output(output)
    color = output is None and fmt == "text" and sys.stdout.isatty()
    text, exceeded = drift_command(
        baseline=baseline, candidate=candidate, fmt=fmt, fail_on=fail_on, color=color, spec=spec
    )
    if output is None:
        click.echo(text, nl=not text.endswith("\n"), color=color)
    else:
        write_report(output, text)
    ctx.exit(EXIT_FINDING if exceeded else 0)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--allowlist",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Deliberate exceptions, each with a reason.",
)
@click.pass_context
def audit(ctx: click.Context, paths: tuple[Path, ...], fmt: str, allowlist: Path | None) -> None:
    """Scan recordings (cassettes, other tools' YAML/JSON cassettes, HAR files) for secrets."""
    from harness.secrets.audit import audit_paths
    from harness.secrets.audit.report import render_audit

    report = audit_paths(paths=list(paths) or [ACCEPTED_DIR], allowlist=allowlist)
    text = render_audit(report, fmt=fmt)
    click.echo(text, nl=not text.endswith("\n"))
    ctx.exit(EXIT_FINDING if report.findings else 0)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="0 picks a free port.")
@click.option("--token", help="The token it accepts (default: a random one).")
@click.option("--owner-email", type=EMAIL, default="sandbox-owner@example.com", show_default=True)
@click.option("--subdomain", type=SUBDOMAIN, default="sandbox", show_default=True)
@click.option(
    "--incident-delay",
    type=click.FloatRange(min=0),
    default=0.2,
    show_default=True,
    help="Seconds before an event becomes an incident (finite).",
)
@click.option(
    "--faults",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="JSON file of faults to inject.",
)
@click.option(
    "--analytics-lag",
    type=float,
    help="Seconds before incidents show in analytics reports; 0: at once.  [default: 3600]",
)
@click.option("--tls", is_flag=True, help="Serve https, with a certificate authority made for the run.")
@click.option(
    "--cert-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="With --tls: write the authority's ca.pem here (default: a temporary folder).",
)
@click.option(
    "--account",
    type=ACCOUNT,
    default="busy",
    show_default=True,
    help="A lived-in account (generated people, history, other teams at work) or an empty one.",
)
@click.option("--seed", type=SEED, help="The busy account's seed (default: random, printed at start).")
def sandbox(
    *,
    host: str,
    port: int,
    token: str | None,
    owner_email: str,
    subdomain: str,
    incident_delay: float,
    faults: Path | None,
    analytics_lag: float | None,
    tls: bool,
    cert_dir: Path | None,
    account: str,
    seed: int | None,
) -> None:
    """Serve the PagerDuty sandbox in the foreground until Ctrl-C."""
    from harness.commands import sandbox_command

    sandbox_command(
        host=host,
        port=port,
        token=token,
        owner_email=owner_email,
        subdomain=subdomain,
        incident_delay=incident_delay,
        faults=faults,
        analytics_lag=analytics_lag,
        tls=tls,
        cert_dir=cert_dir,
        account=account,
        seed=seed,
    )


def main() -> None:
    cli(prog_name="harness")


if __name__ == "__main__":
    main()
