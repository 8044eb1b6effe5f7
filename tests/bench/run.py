"""Run the benchmarks and print their figures, each with its inputs and its ratio to its target.

    python3 tests/bench/run.py                  # every benchmark
    python3 tests/bench/run.py replay drift     # some of them
    python3 tests/bench/run.py --quick          # a smoke run with small inputs and few repetitions

Benchmarks never judge timings by failing: a missed target is printed as MISS, with what a
profile found.  The exit status is 1 only if a benchmark could not run to its end.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from types import ModuleType

import audit_bench
import drift_bench
import record_bench
import replay_bench
import sandbox_bench
from figures import BenchResult, Figure, markdown_table, text_table

BENCHES: dict[str, ModuleType] = {
    module.NAME: module for module in (replay_bench, drift_bench, record_bench, sandbox_bench, audit_bench)
}


def main(argv: list[str] | None = None) -> int:
    options = _parse(argv)
    machine = (
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{'quick' if options.quick else 'full'} run"
    )
    print(f"harness benchmarks: {machine}", flush=True)
    figures: list[Figure] = []
    crashed: list[str] = []
    for name in options.benches or list(BENCHES):
        result = _run_one(name, BENCHES[name].run, quick=options.quick)
        if result is None:
            crashed.append(name)
            continue
        figures += result.figures
        for note in result.notes:
            # A note that starts indented continues the one before it.
            print(f"    {note}" if note.startswith(" ") else f"  - {note}")
        if result.diagnosis:
            print(f"  {name} missed a target; diagnosis:")
            print("\n".join(f"    {line}" for line in result.diagnosis))
    if figures:
        print(
            f"\n{text_table(figures)}\n\nMarkdown for the README:\n\n"
            f"Benchmarks ({machine}, `nox -s bench`):\n\n{markdown_table(figures)}"
        )
    if crashed:
        print(f"\ncrashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


def _run_one(name: str, bench: Callable[..., BenchResult], *, quick: bool) -> BenchResult | None:
    print(f"\n[{name}]", flush=True)
    started = time.perf_counter()
    try:
        result = bench(quick=quick)
    except Exception:
        traceback.print_exc()
        return None
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return result


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "benches",
        nargs="*",
        metavar="BENCH",
        help=f"benchmarks to run, of: {', '.join(BENCHES)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="small inputs, few repetitions")
    options = parser.parse_args(argv)
    unknown = [name for name in options.benches if name not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    return options


if __name__ == "__main__":
    sys.exit(main())
