"""A job's place among its user's running jobs, and how each language writes it."""

from __future__ import annotations

import pytest

from bot import texts
from bot.jobs.record import Job
from bot.jobs.running import place
from bot.locales import speaking


def job(job_id: str) -> Job:
    return Job(job_id, 1, 1, "", "m")


@pytest.mark.parametrize(
    ("n", "english"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th")],
)  # fmt: skip
def test_ordinals(n: int, english: str) -> None:
    with speaking("en"):
        assert texts.ordinal(n) == english
    with speaking("id"):
        assert texts.ordinal(n) == f"ke-{n}"


def test_second_of_three_in_both_languages() -> None:
    with speaking("en"):
        assert texts.job_place(2, 3) == "2nd of 3 in progress"
    with speaking("id"):
        assert texts.job_place(2, 3) == "ke-2 dari 3 yang sedang berjalan"


def test_place_only_among_several() -> None:
    running = [job("a"), job("b"), job("c")]
    assert place(running, "b") == (2, 3)
    assert place(running[:1], "a") is None  # the only one: nothing to say
    assert place(running, "gone") is None
