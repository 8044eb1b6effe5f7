"""The bodies of the CLI's commands: build settings, show progress, call the core, pick the exit code.

This is the presentation side: it prints through a rich console; the modules it calls never print.
"""

from __future__ import annotations

import contextlib
import errno
import math
import stat
from pathlib import Path

from rich.console import Console

from harness.acceptance import accept_recording
from harness.cassettes import ACCEPTED_DIR, MANIFEST_NAME, load_manifest, load_recording
from harness.console import ConsoleProgress, summary_line
from harness.destination import RECORD, claimed
from harness.errors import EXIT_FINDING, ConfigError, InputError
from harness.inputs import parse_json, read_text
from harness.recorder import RecordResult, record_scenario
from harness.replay import replay_recording
from harness.scenario_ref import NOTEBOOK, load_scenario
from harness.settings import Settings, build_settings, check_token

# The sandbox's account subdomain for `record --sandbox`; distinctive, so that the fail-closed
# search for it cannot trip over ordinary words in a recording.
SANDBOX_SUBDOMAIN = "sandbox-acme"
# A faults file lists a few dozen faults; a megabyte is far more than any plan needs.
MAX_FAULTS_BYTES = 1024 * 1024


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
    account: str = "busy",
    seed: int | None = None,
    scenario: str = NOTEBOOK,
) -> int:
    console = Console(highlight=False, soft_wrap=True)
    # A scenario that cannot be imported is refused before anything else happens.
    total = len(load_scenario(scenario).steps)
    # A destination that would be refused (foreign files, read-only, full, another writer busy) is
    # refused now, before a sandbox starts; record_scenario claims it again for the run.
    with claimed(out, purpose=RECORD):
        pass
    if sandbox:
        from harness.sandbox import Sandbox

        # Over https, verifying the run's own authority: the code path of a live recording.
        with Sandbox(subdomain=SANDBOX_SUBDOMAIN, tls=True, account=account, seed=seed) as sb:
            if sb.seed is not None and verbosity >= 0:
                console.print(f"sandbox account: busy, seed {sb.seed} (--seed {sb.seed} makes it again)")
            settings = build_settings(
                subdomain=sb.subdomain,
                token=sb.token,
                from_email=sb.owner_email,
                region=region,
                api_url=sb.api_url,
                events_url=sb.events_url,
                out=out,
                poll_timeout=poll_timeout,
                sandbox=True,
                ca_bundle=sb.ca_path,
                sandbox_seed=sb.seed,
            )
            result = _record(settings, verbosity, console, scenario, total)
    else:
        if seed is not None or account != "busy":
            raise ConfigError(
                "--account and --seed choose the sandbox's account",
                hint="add --sandbox, or leave them out when recording a real account",
            )
        if not subdomain:
            raise ConfigError(
                "--subdomain is required",
                hint="pass --subdomain acme-co (or record against the sandbox: --sandbox)",
            )
        settings = build_settings(
            subdomain=subdomain,
            token=token or "",
            from_email=from_email or "",
            region=region,
            api_url=api_url,
            events_url=events_url,
            out=out,
            poll_timeout=poll_timeout,
        )
        result = _record(settings, verbosity, console, scenario, total)
    if result.swept:
        console.print(f"swept leftovers of an earlier run: {', '.join(result.swept)}")
    console.print(summary_line(result.results, result.seconds, str(result.out)))
    return _drift_summary(result.out, fail_on, console, scenario)


def _record(settings: Settings, verbosity: int, console: Console, scenario: str, total: int) -> RecordResult:
    with ConsoleProgress(total=total, verbosity=verbosity, console=console) as progress:
        return record_scenario(settings=settings, progress=progress, scenario=scenario)


def _drift_summary(out: Path, fail_on: str | None, console: Console, scenario: str) -> int:
    """Print how the new recording differs from the accepted one; exit 1 only if --fail-on says so.

    Only a recording of the same scenario is compared: another scenario's steps are not drift.
    """
    if not (ACCEPTED_DIR / "manifest.json").exists() or out.resolve() == ACCEPTED_DIR.resolve():
        return 0
    if (load_manifest(ACCEPTED_DIR).scenario or NOTEBOOK) != scenario:
        return 0
    from harness.drift import compute_drift

    report = compute_drift(baseline=load_recording(ACCEPTED_DIR), candidate=load_recording(out))
    counts = ", ".join(f"{n} {severity}" for severity, n in report.summary.items())
    console.print(f"drift against {ACCEPTED_DIR}/: {counts} (details: harness drift)")
    return EXIT_FINDING if fail_on and report.exceeds(fail_on) else 0


def replay_command(*, directory: Path, verbosity: int, scenario: str | None = None) -> int:
    """Replay `directory` with `scenario`, by default the one its manifest names."""
    console = Console(highlight=False, soft_wrap=True)
    recording = load_recording(directory)
    steps = (
        load_scenario(scenario)
        if scenario
        else load_scenario(
            recording.manifest.scenario or NOTEBOOK, named_by=f"{directory / MANIFEST_NAME}: scenario"
        )
    )
    with ConsoleProgress(total=len(steps.steps), verbosity=verbosity, console=console) as progress:
        report = replay_recording(recording=recording, progress=progress, scenario=steps)
    seconds = sum(r.seconds for r in report.results)
    if report.failure is None:
        console.print(summary_line(report.results, seconds, f"replayed {directory}"))
        return 0
    console.print(f"[red]FAILED[/] {report.failure}", markup=True, highlight=False)
    if report.failure.hint:
        console.print(f"next: {report.failure.hint}", markup=False)
    return EXIT_FINDING


def accept_command(*, directory: Path, accepted: Path) -> str:
    result = accept_recording(source=directory, accepted=accepted)
    return f"accepted {directory} ({result.steps} steps) as {accepted}/"


def drift_command(
    *, baseline: Path, candidate: Path, fmt: str, fail_on: str, color: bool, spec: Path | None = None
) -> tuple[str, bool]:
    from harness.drift import render
    from harness.drift.documented import compare_documented

    recordings = load_recording(baseline), load_recording(candidate)
    first, second = (r.manifest.scenario or NOTEBOOK for r in recordings)
    if first != second:
        # Every step of one would be "missing" from the other: that is no finding about PagerDuty.
        raise ConfigError(
            f"{baseline} records the scenario {first} and {candidate} records {second}: "
            "recordings of two scenarios cannot be compared",
            hint=f"compare two recordings of the same scenario, e.g. harness drift "
            f"{candidate} <another recording of {second}>",
        )
    report = compare_documented(baseline=recordings[0], candidate=recordings[1], spec=spec)
    return render(report, fmt=fmt, color=color, fail_on=fail_on), report.exceeds(fail_on)


def check_report_output(output: Path) -> None:
    """Refuse an `--output` that cannot take a report, before any work: a folder, a device, a FIFO,
    or a file inside a recording (a report there would replace a cassette or make it foreign)."""
    if (output.parent / MANIFEST_NAME).is_file():
        raise ConfigError(
            f"--output {output} is inside the recording {output.parent}",
            hint="write the report outside any recording folder, e.g. --output drift.md",
        )
    try:
        mode = output.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _output_error(output, exc) from None
    if stat.S_ISDIR(mode):
        raise ConfigError(
            f"--output {output} is a folder",
            hint=f"name a file to write the report to, e.g. {output / 'drift.txt'}",
        )
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"--output {output} is not a regular file (a device, FIFO or socket)",
            hint="name a regular file; it is replaced whole",
        )


def write_report(output: Path, text: str) -> None:
    """Write a report whole or not at all; a full disk or a read-only folder is exit 2, not a crash."""
    from harness.fsutil import write_file

    check_report_output(output)
    try:
        write_file(output, text)
    except OSError as exc:
        raise _output_error(output, exc) from None


def _output_error(output: Path, exc: OSError) -> ConfigError:
    if exc.errno == errno.ENOSPC:
        return ConfigError(
            f"no space left on the disk to write {output}",
            hint="free some space, or name a file on another disk with --output",
        )
    if exc.errno == errno.ENAMETOOLONG:
        return ConfigError(
            f"cannot write {output}: the name is too long",
            hint="use a file name of at most 255 bytes, in a shorter path",
        )
    return ConfigError(
        f"cannot write {output} ({exc.strerror})",
        hint="name a file in a folder you can write to, or leave out --output",
    )


def sandbox_command(
    *,
    host: str,
    port: int,
    token: str | None,
    owner_email: str,
    subdomain: str,
    incident_delay: float,
    faults: Path | None,
    analytics_lag: float | None = None,
    tls: bool = False,
    cert_dir: Path | None = None,
    account: str = "busy",
    seed: int | None = None,
) -> None:
    from harness.sandbox import Sandbox, serve
    from harness.sandbox.state import ANALYTICS_LAG

    if token is not None:
        check_token(token, what="--token")
    if not math.isfinite(incident_delay):
        raise ConfigError(
            "--incident-delay must be a number of seconds, not infinite or NaN",
            hint="give 0 or more seconds, e.g. --incident-delay 0.2",
        )
    if faults is not None:
        _check_faults_file(faults)

    def ready(sb: Sandbox) -> None:
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"REST API    {sb.api_url}")
        console.print(f"Events API  {sb.events_url}/v2/enqueue")
        console.print(f"token       {sb.token}")
        console.print(f"owner email {sb.owner_email}")
        console.print(
            "account     empty"
            if sb.seed is None
            else f"account     busy, seed {sb.seed} (--seed {sb.seed} makes it again)"
        )
        if sb.ca_path is not None:
            console.print(f"CA (verify) {sb.ca_path}")
        console.print("Ctrl-C stops it.")

    # Left out, the sandbox's own realistic lag applies.
    lag = ANALYTICS_LAG.total_seconds() if analytics_lag is None else analytics_lag
    serve(
        host=host,
        port=port,
        token=token,
        owner_email=owner_email,
        subdomain=subdomain,
        incident_delay=incident_delay,
        faults_file=faults,
        on_ready=ready,
        analytics_lag=lag,
        tls=tls,
        cert_dir=cert_dir,
        account=account,
        seed=seed,
    )


def _check_faults_file(path: Path) -> None:
    # The sandbox's loader reads whatever the path is; refuse a FIFO, a device or deep nesting first.
    hint = 'name a JSON file shaped {"faults": [{"path": "/incidents", ...}]} with --faults'
    try:
        with contextlib.suppress(ValueError):  # not JSON: the sandbox's loader says where
            parse_json(read_text(path, limit=MAX_FAULTS_BYTES), where=str(path))
    except InputError as exc:
        raise InputError(str(exc), hint=hint) from None
