"""Figures, their targets, and the two tables they are printed in (plain text and Markdown)."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A bound a figure must stay under (`at_most`) or reach (not `at_most`)."""

    limit: float
    at_most: bool = True

    def met(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit


@dataclass(frozen=True)
class Figure:
    """One measured number, what it was measured on, and the target it answers to, if any."""

    bench: str
    name: str
    inputs: str
    value: float
    unit: str
    target: Target | None = None
    detail: str = ""

    @property
    def ratio(self) -> float | None:
        """The value divided by the target's limit: at most 1 (or at least 1) means met."""
        return None if self.target is None else self.value / self.target.limit

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.target.met(self.value) else "MISS"


@dataclass(frozen=True)
class BenchResult:
    """What one benchmark found: its figures, notes on how, and diagnoses of any miss."""

    figures: tuple[Figure, ...]
    notes: tuple[str, ...] = ()
    diagnosis: tuple[str, ...] = ()

    @property
    def missed(self) -> bool:
        return any(figure.verdict == "MISS" for figure in self.figures)


@dataclass(frozen=True)
class Timing:
    """Wall times of repeated runs, in seconds."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    def describe(self) -> str:
        return f"median of {len(self.runs)}, min {format_value(self.min, 's')}"


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes, after a collection so earlier garbage is not billed to it."""
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def format_value(value: float, unit: str) -> str:
    """A figure as people read it: 0.084 s, 12.3 MB, 1,204 req/s, 1.07x."""
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:,.1f} MB"
    return f"{value:,.0f} {unit}"


def _target_text(figure: Figure) -> str:
    if figure.target is None:
        return "-"
    sign = "<=" if figure.target.at_most else ">="
    return f"{sign} {format_value(figure.target.limit, figure.unit)}"


def _row(figure: Figure) -> list[str]:
    value = format_value(figure.value, figure.unit)
    if figure.detail:
        value += f" ({figure.detail})"
    ratio = "-" if figure.ratio is None else f"{figure.ratio:.2f}"
    return [
        figure.bench,
        figure.name,
        figure.inputs,
        value,
        _target_text(figure),
        ratio,
        figure.verdict or "-",
    ]


HEADERS = ["bench", "figure", "inputs", "value", "target", "ratio", "verdict"]


def text_table(figures: Sequence[Figure]) -> str:
    """Columns padded to their widest cell, one figure a line."""
    rows = [HEADERS, *(_row(figure) for figure in figures)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(figures: Sequence[Figure]) -> str:
    """The same table as GitHub Markdown, for the README."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    lines = [line(HEADERS), line(["---"] * 3 + ["---:"] * 3 + [":---:"])]
    lines += [line(_row(figure)) for figure in figures]
    return "\n".join(lines)
