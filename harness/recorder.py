"""`harness record`: run the scenario live inside per-step cassettes and write a scrubbed recording.

Nothing reaches disk until the whole scenario, cleanup included, has succeeded and the
fail-closed check has found no secret: cassettes are kept in memory, swept, searched, then written
beside the target and swapped in.  On failure or interrupt the ledger's resources are deleted and
`--out` is left exactly as it was.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import vcr
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.serializers import compat

from harness import __version__
from harness.cassettes import MANIFEST_NAME, Manifest, StepEntry, dump_cassette
from harness.client import RETRY_STATUSES, Client, RetryPolicy
from harness.crash import redact, save_traceback
from harness.destination import RECORD, claimed
from harness.errors import HarnessError, Interrupted, LeakFound, StepFailed
from harness.fsutil import Staging
from harness.ledger import cleanup
from harness.preflight import check_account
from harness.progress import Progress, Silent
from harness.scenario_ref import NOTEBOOK, load_scenario
from harness.secrets.keep import KeepList
from harness.secrets.leaks import find_leaks
from harness.secrets.scrub import Scrubber
from harness.secrets.vault import Vault
from harness.settings import Settings
from harness.signals import (
    Terminated,
    exit_code_for,
    raise_pending,
    signals_ignored,
    signals_raise,
    take_pending,
)
from harness.steps import Scenario, StepResult, execute
from harness.tape import Tape

MATCH_ON = ("method", "scheme", "host", "port", "path", "query")


@dataclass(frozen=True)
class RecordResult:
    """A finished recording: where it went and what each step did."""

    out: Path
    manifest: Manifest
    results: tuple[StepResult, ...]
    seconds: float
    swept: tuple[str, ...]


class MemoryPersister:
    """A vcrpy persister that keeps cassettes in memory, so nothing unscrubbed can touch disk."""

    def __init__(self) -> None:
        self.cassettes: dict[str, list[dict[str, Any]]] = {}

    def load_cassette(self, cassette_path: str, serializer: object) -> None:
        raise CassetteNotFoundError()

    def save_cassette(self, cassette_path: str, cassette_dict: dict[str, Any], serializer: object) -> None:
        self.cassettes[Path(cassette_path).name] = [
            {
                "request": compat.convert_to_unicode(request._to_dict()),
                "response": compat.convert_to_unicode(response),
            }
            for request, response in zip(cassette_dict["requests"], cassette_dict["responses"], strict=True)
        ]


def record_scenario(
    *,
    settings: Settings,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
    disabled_scrubbers: Collection[str] = (),
    scenario: str = NOTEBOOK,
) -> RecordResult:
    """Record the whole scenario (`scenario`: its MODULE:ATTRIBUTE) against `settings.api_url`
    into `settings.out`.

    `settings.out` is checked and locked before any request is sent (see `harness.destination`),
    and written only once the run has succeeded: staged, then swapped in with signals held.
    """
    started = time.monotonic()
    steps = load_scenario(scenario)
    phase = "before"
    try:
        with claimed(settings.out, purpose=RECORD) as destination:
            raise_pending()
            phase = "run"
            manifest, files, results, swept = _run(
                settings, progress or Silent(), retry, disabled_scrubbers, steps, scenario
            )
            with Staging(settings.out, exists=destination.exists, replaced=destination.owned) as staging:
                for name, text in files.items():
                    staging.write(name, text)
                staging.commit()
            phase = "written"
            raise_pending()
    except (KeyboardInterrupt, Terminated) as stop:
        raise _stopped_outside_run(stop, phase, settings.out) from None
    return RecordResult(
        out=settings.out,
        manifest=manifest,
        results=tuple(results),
        seconds=time.monotonic() - started,
        swept=tuple(swept),
    )


def _run(
    settings: Settings,
    progress: Progress,
    retry: RetryPolicy | None,
    disabled_scrubbers: Collection[str],
    scenario: Scenario[Any],
    reference: str,
) -> tuple[Manifest, dict[str, str], list[StepResult], list[str]]:
    """Run the scenario; the scrubbed files of the recording, checked for leaks, and what each step did."""
    vault = Vault(public=scenario.public_names)
    for kind, value in (
        ("token", settings.token),
        ("email", settings.from_email),
        ("email", settings.test_user_email),
        ("subdomain", settings.subdomain),
    ):
        vault.learn(kind, value)
    # The scenario's own words stay in answers; whatever else it sends is learned as it is sent.
    keep = KeepList(written=scenario.public_names, api_hosts=_hosts(settings.api_url, settings.events_url))
    scrubber = Scrubber(vault, disabled=disabled_scrubbers, keep=keep)
    tape = Tape()
    client = Client(
        api_url=settings.api_url,
        events_url=settings.events_url,
        token=settings.token,
        from_email=settings.from_email,
        timeout=settings.request_timeout,
        retry=retry,
        tape=tape,
        ca_bundle=None if settings.ca_bundle is None else str(settings.ca_bundle),
    )
    run = scenario.new_run(test_user_email=settings.test_user_email, poll_timeout=settings.poll_timeout)
    persister = MemoryPersister()
    recorder = _recording_vcr(tape, scrubber, persister)
    results: list[StepResult] = []
    where = "the account check"
    try:
        with signals_raise():
            check_account(client, settings=settings, vault=vault)
            for step in scenario.steps:
                where = f"step {step.slug}"
                progress.step_started(step)
                with recorder.use_cassette(step.cassette):
                    result = execute(step, client, run, progress=progress, scrub=vault.replace_known)
                raise_pending()
                results.append(result)
                progress.step_finished(result)
            # What the scenario registered and did not delete itself goes now, off the record.
            where = "the cleanup after the last step"
            if run.ledger:
                left = cleanup(client, run.ledger)
                if left:
                    raise StepFailed(
                        f"could not delete {', '.join(left)}", hint="delete them by hand, then run again"
                    )
    except BaseException as exc:
        # A signal that came during the request that failed still says how the run ended.
        stop = take_pending() or exc
        with signals_ignored():
            leftovers = cleanup(client, run.ledger)
        if (
            reference != NOTEBOOK
            and where.startswith("step ")
            and not isinstance(stop, HarnessError)
            and isinstance(stop, Exception)
        ):
            # A bug in the user's own step is theirs to fix, not a harness crash to report.
            stop = _scenario_bug(stop, where, scenario, [settings.token, settings.from_email])
        raise _explain(stop, where, leftovers) from None
    finally:
        client.close()
    manifest = _manifest(settings, vault, run.owned(), scenario, reference)
    files = {
        entry.cassette: dump_cassette(scrubber.sweep(persister.cassettes.get(entry.cassette, [])))
        for entry in manifest.steps
    }
    files[MANIFEST_NAME] = manifest.to_json()
    leaks = find_leaks(files, vault)
    if leaks:
        shown = "; ".join(str(leak) for leak in leaks[:5])
        raise LeakFound(
            f"refusing to write the recording: {len(leaks)} secret value(s) survived scrubbing ({shown})",
            hint="nothing was written; report this as a scrubbing bug",
        )
    return manifest, files, results, run.swept


def _hosts(*urls: str) -> tuple[str, ...]:
    return tuple(urlsplit(url).hostname or "" for url in urls)


def _recording_vcr(tape: Tape, scrubber: Scrubber, persister: MemoryPersister) -> vcr.VCR:
    def skip_unrecorded(request: Any) -> Any:
        return request if tape.on_record else None

    def keep_final_answer(response: dict[str, Any]) -> dict[str, Any] | None:
        # A retried exchange is kept once, as its final answer: drop the 429s and 5xx before it.
        return None if response["status"]["code"] in RETRY_STATUSES else response

    recorder = vcr.VCR(
        record_mode="all",
        match_on=MATCH_ON,
        decode_compressed_response=True,
        before_record_request=[skip_unrecorded, scrubber.request],
        before_record_response=[keep_final_answer, scrubber.response],
    )
    recorder.register_persister(persister)
    return recorder


def _manifest(
    settings: Settings, vault: Vault, owned: dict[str, list[str]], scenario: Scenario[Any], reference: str
) -> Manifest:
    placeholders = vault.placeholders_by_name()
    placeholders.update(
        {
            "from_email": vault.placeholder(settings.from_email),
            "test_user_email": vault.placeholder(settings.test_user_email),
            "subdomain": vault.placeholder(settings.subdomain),
        }
    )
    return Manifest(
        harness_version=__version__,
        vcrpy_version=vcr.__version__,
        recorded_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        sandbox=settings.sandbox,
        region=settings.region,
        api_url=vault.replace_known(settings.api_url),
        events_url=vault.replace_known(settings.events_url),
        placeholders=placeholders,
        steps=tuple(
            StepEntry(number=s.number, slug=s.slug, title=s.title, cassette=s.cassette)
            for s in scenario.steps
        ),
        # Scrubbed as the cassettes are, so the ids match the items they name there.
        owned={kind: tuple(vault.replace_known(i) for i in ids) for kind, ids in owned.items()},
        sandbox_seed=settings.sandbox_seed,
        scenario=reference,
    )


def _stopped_outside_run(stop: BaseException, phase: str, out: Path) -> Interrupted:
    """The error for a signal taken while the destination was claimed or written, not mid-run."""
    word = "interrupted" if isinstance(stop, KeyboardInterrupt) else "terminated"
    code = exit_code_for(stop)
    if phase == "written":
        return Interrupted(
            f"{word} after the recording was written: {out} holds the new recording", signal_exit_code=code
        )
    what = "before the run began; nothing was sent" if phase == "before" else f"while writing {out}"
    return Interrupted(f"{word} {what}; {out} was left as it was", signal_exit_code=code)


def _scenario_bug(exc: Exception, where: str, scenario: Scenario[Any], secrets: list[str]) -> StepFailed:
    """A step of a user's scenario raised: name the exception and its line, keep the traceback."""
    steps_files = {inspect.getsourcefile(step.action) for step in scenario.steps}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in steps_files]
    at = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    saved = save_traceback(exc, secrets)
    return StepFailed(
        redact(f"the scenario's code raised {type(exc).__name__}: {exc}{at}", secrets),
        hint=f"fix the step{f'; its traceback is in {saved}' if saved else ''}, then record again",
    )


def _explain(exc: BaseException, where: str, leftovers: list[str]) -> BaseException:
    """Turn what stopped the run into the error the CLI reports, with the cleanup's outcome."""
    tail = (
        "; cleanup done, nothing left in the account"
        if not leftovers
        else f"; cleanup could not delete: {', '.join(leftovers)} (delete them by hand)"
    )
    kept = "; the previous recording was left untouched"
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted(f"interrupted during {where}{tail}{kept}", signal_exit_code=130)
    if isinstance(exc, Terminated):
        return Interrupted(f"terminated during {where}{tail}{kept}", signal_exit_code=exit_code_for(exc))
    if isinstance(exc, HarnessError) and not isinstance(exc, StepFailed):
        exc.args = (f"{exc}{tail if leftovers else ''}",)
        return exc
    if isinstance(exc, StepFailed):
        return type(exc)(f"{where} failed: {exc}{tail}{kept}", hint=exc.hint)
    # Anything else is a bug in the harness or the scenario: it stays a traceback (after cleanup).
    return exc
