"""The callback data of the buttons on a job's messages: which action, on which job.

The data names the job only; whoever presses is checked against the job's record, so forged or
replayed data can do no more than its owner's own press.
"""

from __future__ import annotations

import re
from enum import StrEnum

PREFIX = "job:"
_JOB_ID = re.compile(r"[0-9a-f]{32}")


class JobAction(StrEnum):
    AGAIN = "again"  # the same model, inputs, prompt and settings, as a new job
    ORIGINAL = "orig"  # the kept result file as a document
    EDIT = "edit"  # the kept result becomes /edit's input
    ANIMATE = "anim"  # the kept result becomes /video's photo
    CANCEL = "cancel"  # stop a running job


def button_data(action: JobAction, job_id: str) -> str:
    return f"{PREFIX}{action.value}:{job_id}"


def pattern(action: JobAction) -> str:
    """The regular expression a CallbackQueryHandler routes this action's presses by."""
    return f"^{PREFIX}{action.value}:"


def parse_button(data: str) -> tuple[JobAction, str] | None:
    """The action and job id of a button's data, or None when it is not one of ours."""
    prefix, _, rest = data.partition(PREFIX)
    action, _, job_id = rest.partition(":")
    if prefix or not _JOB_ID.fullmatch(job_id):
        return None
    try:
        return JobAction(action), job_id
    except ValueError:
        return None
