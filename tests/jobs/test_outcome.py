"""Outcome.from_task: a provider's reading of a task becomes the job's recorded outcome."""

from __future__ import annotations

import pytest

from bot.errors import FailureKind
from bot.jobs.record import JobState
from bot.jobs.store import Outcome
from bot.providers.base import ResultMedia, TaskOutcome, TaskStatus


def test_outcome_from_succeeded_task_keeps_results() -> None:
    results = (ResultMedia("https://a/1.png"), ResultMedia("https://a/2.png"))
    task = TaskOutcome("t", TaskStatus.SUCCEEDED, results)
    assert Outcome.from_task(task) == Outcome(JobState.SUCCEEDED, results=results)


@pytest.mark.parametrize("kind", list(FailureKind))
def test_outcome_from_failed_task_keeps_the_providers_reading(kind: FailureKind) -> None:
    task = TaskOutcome("t", TaskStatus.FAILED, (), "422", "why", kind)
    assert Outcome.from_task(task) == Outcome(
        JobState.FAILED, fail_kind=kind, error_code="422", error_message="why"
    )
