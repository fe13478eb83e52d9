"""What a provider says about a task, in one shape for every provider."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TaskStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """A task's state as read from a callback or a status query."""

    task_id: str
    status: TaskStatus
    result_urls: tuple[str, ...] = ()
    error_code: str = ""
    error_message: str = ""

    @property
    def final(self) -> bool:
        return self.status is not TaskStatus.PENDING
