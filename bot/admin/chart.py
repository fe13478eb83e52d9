"""/stats' picture: jobs per hour over the last 24 hours by outcome, and time to result per
model. Figures come from Redis (hourly buckets, the models' recent times), never a scan of jobs;
matplotlib is imported only when a chart is drawn, and draws in a thread."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from bot import codec, texts
from bot import constants as k

if TYPE_CHECKING:
    from matplotlib.axes import Axes

HOURS = 24
OUTCOMES = ("succeeded", "failed", "cancelled")
COLOURS = {"succeeded": "#2e7d32", "failed": "#c62828", "cancelled": "#9e9e9e"}


@dataclass(frozen=True, slots=True)
class HourOutcomes:
    hour: int  # unix time // 3600
    counts: dict[str, int]  # by outcome


@dataclass(frozen=True, slots=True)
class ModelTimes:
    title: str
    p50_s: float
    p95_s: float


@dataclass(frozen=True, slots=True)
class ChartData:
    hours: tuple[HourOutcomes, ...]  # oldest first, the current hour last
    times: tuple[ModelTimes, ...]


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """Every word on the chart, in the reader's language (made before the drawing thread)."""

    jobs_title: str
    hour_axis: str
    outcomes: dict[str, str]
    times_title: str
    seconds_axis: str
    no_times: str

    @classmethod
    def current(cls) -> ChartLabels:
        return cls(
            jobs_title=texts.CHART_JOBS_TITLE(),
            hour_axis=texts.CHART_HOUR_AXIS(),
            outcomes={
                "succeeded": texts.CHART_SUCCEEDED(),
                "failed": texts.CHART_FAILED(),
                "cancelled": texts.CHART_CANCELLED(),
            },
            times_title=texts.CHART_TIMES_TITLE(),
            seconds_axis=texts.CHART_SECONDS_AXIS(),
            no_times=texts.CHART_NO_TIMES(),
        )


async def read_hours(redis: Redis, now: float) -> tuple[HourOutcomes, ...]:
    """The last 24 hourly buckets, the current hour's included; 24 reads in one round trip."""
    last = int(now // 3600)
    hours = range(last - HOURS + 1, last + 1)
    async with redis.pipeline(transaction=False) as pipe:
        for hour in hours:
            pipe.hgetall(k.HOURLY_OUTCOMES_KEY.format(hour=hour))
        raws = await pipe.execute()
    return tuple(
        HourOutcomes(hour, {codec.text(name): int(value) for name, value in raw.items()})
        for hour, raw in zip(hours, raws, strict=True)
    )


async def render(data: ChartData, labels: ChartLabels) -> bytes:
    """The chart as a PNG, drawn off the event loop."""
    return await asyncio.to_thread(draw, data, labels)


def draw(data: ChartData, labels: ChartLabels) -> bytes:
    """Two panels: stacked bars of jobs per hour, and p50/p95 bars per model."""
    # Here, not at the top: a second of start-up and tens of MB only once an admin asks.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # The library's defaults, never a matplotlibrc found on the machine.
    with matplotlib.rc_context(rc=matplotlib.rcParamsDefault):
        figure = Figure(figsize=(8, 7), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        jobs, times = figure.subplots(2, 1, height_ratios=[3, 2])
        _jobs_panel(jobs, data.hours, labels)
        _times_panel(times, data.times, labels)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


def _jobs_panel(axes: Axes, hours: Sequence[HourOutcomes], labels: ChartLabels) -> None:
    from matplotlib.ticker import MaxNLocator  # lazily, as in draw()

    x = list(range(len(hours)))
    bottom = [0] * len(hours)
    for outcome in OUTCOMES:
        heights = [h.counts.get(outcome, 0) for h in hours]
        axes.bar(x, heights, bottom=bottom, color=COLOURS[outcome],
                 label=labels.outcomes[outcome])  # fmt: skip
        bottom = [b + v for b, v in zip(bottom, heights, strict=True)]
    ticks = x[::3]
    axes.set_xticks(ticks, [_clock(hours[i].hour) for i in ticks])
    axes.set_title(labels.jobs_title)
    axes.set_xlabel(labels.hour_axis)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole jobs
    axes.legend(loc="upper left")


def _times_panel(axes: Axes, times: Sequence[ModelTimes], labels: ChartLabels) -> None:
    axes.set_title(labels.times_title)
    if not times:
        axes.text(0.5, 0.5, labels.no_times, ha="center", va="center")
        axes.set_axis_off()
        return
    y = list(range(len(times)))
    axes.barh([i + 0.2 for i in y], [t.p95_s for t in times], height=0.4,
              color="#90caf9", label="p95")  # fmt: skip
    axes.barh([i - 0.2 for i in y], [t.p50_s for t in times], height=0.4,
              color="#1565c0", label="p50")  # fmt: skip
    axes.set_yticks(y, [t.title for t in times])
    axes.invert_yaxis()
    axes.set_xlabel(labels.seconds_axis)
    axes.legend(loc="lower right")


def _clock(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%H:00")
