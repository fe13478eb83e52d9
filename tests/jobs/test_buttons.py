"""A job button's data names an action and a job, and nothing else parses as one."""

from __future__ import annotations

import pytest

from bot.jobs.buttons import JobAction, JobButton, button_data, parse_button

JOB = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("action", list(JobAction))
@pytest.mark.parametrize("index", [0, 9])
def test_every_action_round_trips_within_telegrams_64_bytes(action: JobAction, index: int) -> None:
    data = button_data(action, JOB, index)
    assert len(data.encode()) <= 64
    assert parse_button(data) == JobButton(action, JOB, index)


@pytest.mark.parametrize(
    "data",
    ["", "job:", f"job:again:{JOB[:-1]}", f"job:again:{JOB}x", f"job:nuke:{JOB}",
     f"xjob:again:{JOB}", f"job:again:{JOB.upper()}", f"style:again:{JOB}", "job:again:../..",
     f"job:orig:{JOB}:10", f"job:orig:{JOB}:", f"job:orig:{JOB}:x"],
)  # fmt: skip
def test_forged_or_foreign_data_is_not_a_job_button(data: str) -> None:
    assert parse_button(data) is None
