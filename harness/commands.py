"""The bodies of the CLI's commands: build settings, show progress, call the core, pick the exit code.

This is the presentation side: it prints through a rich console; the modules it calls never print.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from harness.cassettes import ACCEPTED_DIR, load_recording
from harness.console import ConsoleProgress, summary_line
from harness.errors import EXIT_FINDING, ConfigError
from harness.fsutil import copy_directory
from harness.recorder import RecordResult, record_scenario
from harness.replay import replay_recording
from harness.scenario import scenario
from harness.settings import Settings, build_settings

# The sandbox's account subdomain for `record --sandbox`; distinctive, so that the fail-closed
# search for it cannot trip over ordinary words in a recording.
SANDBOX_SUBDOMAIN = "sandbox-acme"


def record_command(
    *,
    subdomain: str | None,
    token: str | None,
    from_email: str | None,
    region: str,
    api_url: str | None,
    events_url: str | None,
    out: Path,
    sandbox: bool,
    poll_timeout: float,
    fail_on: str | None,
    verbosity: int,
) -> int:
    console = Console(highlight=False, soft_wrap=True)
    if sandbox:
        from harness.sandbox import Sandbox

        with Sandbox(subdomain=SANDBOX_SUBDOMAIN) as sb:
            settings = build_settings(subdomain=sb.subdomain, token=sb.token, from_email=sb.owner_email,
                                      region=region, api_url=sb.api_url, events_url=sb.events_url,
                                      out=out, poll_timeout=poll_timeout, sandbox=True)
            result = _record(settings, verbosity, console)
    else:
        if not subdomain:
            raise ConfigError("--subdomain is required",
                              hint="pass --subdomain acme-co (or record against the sandbox: --sandbox)")
        settings = build_settings(subdomain=subdomain, token=token or "", from_email=from_email or "",
                                  region=region, api_url=api_url, events_url=events_url, out=out,
                                  poll_timeout=poll_timeout)
        result = _record(settings, verbosity, console)
    if result.swept:
        console.print(f"swept leftovers of an earlier run: {', '.join(result.swept)}")
    console.print(summary_line(result.results, result.seconds, str(result.out)))
    return _drift_summary(result.out, fail_on, console)


def _record(settings: Settings, verbosity: int, console: Console) -> RecordResult:
    with ConsoleProgress(total=len(scenario.steps), verbosity=verbosity, console=console) as progress:
        return record_scenario(settings=settings, progress=progress)


def _drift_summary(out: Path, fail_on: str | None, console: Console) -> int:
    """Print how the new recording differs from the accepted one; exit 1 only if --fail-on says so."""
    if not (ACCEPTED_DIR / "manifest.json").exists() or out.resolve() == ACCEPTED_DIR.resolve():
        return 0
    from harness.drift import compute_drift

    report = compute_drift(baseline=load_recording(ACCEPTED_DIR), candidate=load_recording(out))
    counts = ", ".join(f"{n} {severity}" for severity, n in report.summary.items())
    console.print(f"drift against {ACCEPTED_DIR}/: {counts} (details: harness drift)")
    return EXIT_FINDING if fail_on and report.exceeds(fail_on) else 0


def replay_command(*, directory: Path, verbosity: int) -> int:
    console = Console(highlight=False, soft_wrap=True)
    recording = load_recording(directory)
    with ConsoleProgress(total=len(scenario.steps), verbosity=verbosity, console=console) as progress:
        report = replay_recording(recording=recording, progress=progress)
    seconds = sum(r.seconds for r in report.results)
    if report.failure is None:
        console.print(summary_line(report.results, seconds, f"replayed {directory}"))
        return 0
    console.print(f"[red]FAILED[/] {report.failure}", markup=True, highlight=False)
    if report.failure.hint:
        console.print(f"next: {report.failure.hint}", markup=False)
    return EXIT_FINDING


def accept_command(*, directory: Path, accepted: Path) -> str:
    recording = load_recording(directory)
    copy_directory(directory, accepted)
    return f"accepted {directory} ({len(recording.steps)} steps) as {accepted}/"


def drift_command(*, baseline: Path, candidate: Path, fmt: str, fail_on: str,
                  color: bool) -> tuple[str, bool]:
    from harness.drift import compute_drift, render

    report = compute_drift(baseline=load_recording(baseline), candidate=load_recording(candidate))
    return render(report, fmt=fmt, color=color, fail_on=fail_on), report.exceeds(fail_on)


def sandbox_command(*, host: str, port: int, token: str | None, owner_email: str, subdomain: str,
                    incident_delay: float, faults: Path | None) -> None:
    from harness.sandbox import Sandbox, serve

    def ready(sb: Sandbox) -> None:
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"REST API    {sb.api_url}")
        console.print(f"Events API  {sb.events_url}/v2/enqueue")
        console.print(f"token       {sb.token}")
        console.print(f"owner email {sb.owner_email}")
        console.print("Ctrl-C stops it.")

    serve(host=host, port=port, token=token, owner_email=owner_email, subdomain=subdomain,
          incident_delay=incident_delay, faults_file=faults, on_ready=ready)
