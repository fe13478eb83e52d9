"""The callback data of the buttons on a job's messages: which action, on which job, and for a
job with several results, which one.

The data names the job only; whoever presses is checked against the job's record, so forged or
replayed data can do no more than its owner's own press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "job:"
_DATA = re.compile(r"job:([a-z]+):([0-9a-f]{32})(?::([0-9]))?")


class JobAction(StrEnum):
    AGAIN = "again"  # the same model, inputs, prompt and settings, as a new job
    ORIGINAL = "orig"  # a kept result file as a document
    EDIT = "edit"  # a kept result becomes /edit's input
    ANIMATE = "anim"  # a kept result becomes /video's photo
    CANCEL = "cancel"  # stop a running job


@dataclass(frozen=True, slots=True)
class JobButton:
    action: JobAction
    job_id: str
    index: int = 0  # which result (from 0), for the actions on one result

    @property
    def data(self) -> str:
        """At most 45 bytes of Telegram's 64."""
        suffix = f":{self.index}" if self.index else ""
        return f"{PREFIX}{self.action.value}:{self.job_id}{suffix}"


def button_data(action: JobAction, job_id: str, index: int = 0) -> str:
    return JobButton(action, job_id, index).data


def pattern(action: JobAction) -> str:
    """The regular expression a CallbackQueryHandler routes this action's presses by."""
    return f"^{PREFIX}{action.value}:"


def parse_button(data: str) -> JobButton | None:
    """The button a press's data names, or None when it is not one of ours."""
    match = _DATA.fullmatch(data)
    if match is None:
        return None
    name, job_id, index = match.groups()
    try:
        return JobButton(JobAction(name), job_id, int(index or 0))
    except ValueError:
        return None
