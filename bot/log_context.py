"""The job a log line is about: a context variable set where work on a job begins, so every
line logged while working on it (ours and libraries') can name it."""

from __future__ import annotations

import logging
from contextvars import ContextVar

_JOB_ID: ContextVar[str | None] = ContextVar("photobot_job_id", default=None)


def bind_job_id(job_id: str | None) -> None:
    """Lines logged from here on in this task, and in tasks and threads it starts, are about
    `job_id` (None: about no job). A task's binding never reaches tasks that were already
    running, so a handler or a delivery binds its own job without a reset."""
    _JOB_ID.set(job_id)


def current_job_id() -> str | None:
    return _JOB_ID.get()


class JobIdFilter(logging.Filter):
    """Puts the current job id on each record as `record.job_id` (None outside a job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.job_id = current_job_id()
        return True
