"""What every provider does for the job path, and what it says about a task, in one shape.

Nothing outside `providers/<name>/` knows a provider's protocol: the job path submits, polls,
parses and verifies callbacks, and reads balances through `Provider` alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Protocol

from pydantic import Field

from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from bot.models.spec import ModelSpec
from bot.providers.budget import Budget
from bot.storage import Storage


class TaskStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ResultMedia:
    """One file a task produced. `kind` None: whatever the job's model produces. A job record
    keeps one per result (bot/codec.py), with only what is known."""

    url: str
    kind: MediaKind | None = None
    title: str = ""
    duration_s: Annotated[float | None, Field(alias="duration")] = None
    cover_url: Annotated[str, Field(alias="cover")] = ""  # a music track's cover art


@dataclass(frozen=True, slots=True)
class EarlyResult:
    """A result ready before its task ends (Suno's first track), by its place among the task's
    results: the same index the final result list gives it."""

    index: int
    media: ResultMedia


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """A task's state as read from a callback or a status query."""

    task_id: str
    status: TaskStatus
    results: tuple[ResultMedia, ...] = ()
    error_code: str = ""
    error_message: str = ""
    fail_kind: FailureKind = FailureKind.FAILED  # the provider's reading of the error
    stage: str = ""  # a provider's intermediate stage (Suno's "text", "first"), for progress
    early: tuple[EarlyResult, ...] = ()  # a pending task's results already ready, if any

    @property
    def final(self) -> bool:
        return self.status is not TaskStatus.PENDING

    @property
    def result_urls(self) -> tuple[str, ...]:
        return tuple(r.url for r in self.results)


class CallbackParseError(ValueError):
    """The body is not JSON, not an object, or names no task."""


@dataclass(frozen=True, slots=True)
class StoredInput:
    """An input file in Photobot's storage, for providers that upload files themselves."""

    kind: MediaKind
    key: str
    mime_type: str
    url: str  # signed, for providers that fetch it


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    job_id: str
    spec: ModelSpec
    fields: Mapping[str, Any]  # the model's input fields (bot.models.requests.provider_fields)
    callback_url: str | None  # None in polling mode: nowhere to call back, the job is polled
    inputs: tuple[StoredInput, ...] = field(default_factory=tuple)


class FileHost(Protocol):
    """A provider's own file store, for input files Photobot cannot offer at a public URL
    (local storage without PUBLIC_BASE_URL). Failures raise the provider's ProviderError."""

    async def upload(self, storage: Storage, key: str, mime_type: str) -> str:
        """Send the stored file (streamed) to the provider; returns the URL it fetches."""
        ...


class Provider(Protocol):
    """One AI provider. Failures raise ProviderError with the provider's FailureKind."""

    name: str
    callback_route: str  # where its callbacks land on our server
    confirm_callbacks: bool  # believe only what a status query says, not a callback's body

    async def submit(self, request: SubmitRequest) -> str:
        """Start a task; returns its id."""
        ...

    async def poll(self, spec: ModelSpec, task_id: str, *, quick: bool = False) -> TaskOutcome:
        """The task's state now; `quick` makes one short attempt for a caller who waits."""
        ...

    def poll_budgets(self, spec: ModelSpec, task_id: str) -> tuple[Budget, ...]:
        """The budgets, shared by every replica, a status query of this task takes a slot
        from (bot/providers/budget.py); none when the query sends no request."""
        ...

    def parse_callback(self, body: bytes) -> TaskOutcome:
        """A callback body as an outcome; raises CallbackParseError."""
        ...

    def callback_authentic(
        self, headers: Mapping[str, str], outcome: TaskOutcome, now: float
    ) -> bool:
        """Whether a callback's signature (where the provider signs them) holds."""
        ...

    async def balance(self) -> float | None:
        """Credits left, where the provider tells; raises ProviderError."""
        ...

    async def aclose(self) -> None:
        """Stop background work the provider owns (at shutdown)."""
        ...
