"""How /history reads a job: how it ended, and which page buttons are ours."""

from __future__ import annotations

import pytest

from bot.errors import FailureKind
from bot.jobs.history import Ending, ending_of, page_data, parse_page_data
from bot.jobs.record import Job, JobState, ResultMark


def job(state: JobState, **fields: object) -> Job:
    return Job(id="a" * 32, chat_id=1, user_id=1, prompt="p", model="nano-banana-pro",
               state=state, **fields)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (job(JobState.SUBMITTED), (Ending.RUNNING, "")),
        (job(JobState.SUCCEEDED, outcome="succeeded"), (Ending.RUNNING, "")),  # on its way
        (job(JobState.FAILED, fail_kind="timeout"), (Ending.FAILED, FailureKind.TIMEOUT)),
        (job(JobState.DELIVERED, outcome="succeeded", result_marks={0: ResultMark.SENT}),
         (Ending.DELIVERED, "")),
        (job(JobState.DELIVERED, outcome="failed", fail_kind="rejected"),
         (Ending.FAILED, FailureKind.REJECTED)),
        (job(JobState.DELIVERED, outcome="failed"), (Ending.FAILED, FailureKind.FAILED)),
        (job(JobState.DELIVERED, outcome="succeeded", result_marks={0: ResultMark.UNUSABLE}),
         (Ending.FAILED, FailureKind.DELIVERY)),
        (job(JobState.CANCELLED), (Ending.CANCELLED, "")),
    ],
    ids=["submitted", "succeeded", "failed", "delivered", "refused", "failed-told",
         "nothing-sent", "cancelled"],
)  # fmt: skip
def test_how_a_job_ended(record: Job, expected: tuple[Ending, str]) -> None:
    assert ending_of(record) == expected


def test_page_data_round_trips_and_refuses_the_rest() -> None:
    assert parse_page_data(page_data(1234567, 10)) == (1234567, 10)
    assert len(page_data(2**63, 90).encode()) <= 64
    for forged in ("hist:", "hist:12", "hist:12:5", "hist:12:100", "hist:-1:0", "hist:x:0",
                   "hist:12:10:3", "job:again:12"):  # fmt: skip
        assert parse_page_data(forged) is None, forged
