"""Figures the reliability scenarios report, printed as one table at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    scenario: str
    result: str
    target: str


FIGURES: list[Figure] = []


def record(scenario: str, result: str, target: str) -> None:
    FIGURES.append(Figure(scenario, result, target))


def table() -> list[str]:
    if not FIGURES:
        return []
    width = max(len(f.scenario) for f in FIGURES)
    result_width = max(len(f.result) for f in FIGURES)
    lines = [f"{'scenario'.ljust(width)} | {'result'.ljust(result_width)} | target"]
    lines.append("-" * len(lines[0]) + "-" * 20)
    lines += [
        f"{f.scenario.ljust(width)} | {f.result.ljust(result_width)} | {f.target}" for f in FIGURES
    ]
    return lines
