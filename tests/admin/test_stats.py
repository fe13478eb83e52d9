"""/stats arithmetic: the mean and 95th percentile of job durations."""

from __future__ import annotations

import pytest

from bot.admin.stats import mean_and_p95


@pytest.mark.parametrize(
    ("durations", "mean", "p95"),
    [
        ([], None, None),
        ([7.0], 7.0, 7.0),
        ([3.0, 1.0], 2.0, 3.0),
        ([float(n) for n in range(1, 21)], 10.5, 19.0),
        ([float(n) for n in range(1, 101)], 50.5, 95.0),
        ([float(n) for n in range(100, 0, -1)], 50.5, 95.0),
        ([10.0] * 19 + [1000.0], 59.5, 10.0),
        ([10.0] * 18 + [1000.0, 2000.0], 159.0, 1000.0),
    ],
    ids=[
        "empty", "one", "two", "twenty", "hundred", "hundred-reversed", "one-outlier-in-20",
        "two-outliers-in-20",
    ],
)  # fmt: skip
def test_mean_and_p95(durations: list[float], mean: float | None, p95: float | None) -> None:
    assert mean_and_p95(durations) == (pytest.approx(mean) if mean is not None else None, p95)


def test_mean_and_p95_does_not_reorder_input() -> None:
    durations = [3.0, 1.0, 2.0]
    mean_and_p95(durations)
    assert durations == [3.0, 1.0, 2.0]
