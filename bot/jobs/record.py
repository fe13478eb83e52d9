"""The job record: what was asked, by whom, and where it stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from bot import codec
from bot.locales import SOURCE
from bot.media.kinds import MediaKind
from bot.models.limits import InputFile
from bot.providers.base import ResultMedia


class ResultMark(StrEnum):
    """What became of one result of a job; kept on the job as `result:<index>`."""

    SENT = "sent"
    UNREACHABLE = "unreachable"  # could not be downloaded, for good
    UNUSABLE = "unusable"  # downloaded, but not what the job produces


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """An input file in Photobot's storage: its kind, storage key, type, size, length and
    pixels (what another model's limits are checked against, at a failover)."""

    kind: MediaKind
    key: str
    mime_type: Annotated[str, Field(alias="mime")]
    size: int
    seconds: float | None = None
    width: int | None = None
    height: int | None = None

    def meta(self) -> InputFile:
        """What a model's limits are checked against."""
        return InputFile(
            self.kind, self.mime_type, self.size, self.seconds, self.width, self.height
        )


class JobState(StrEnum):
    """Where a job stands. The allowed moves, each made by one Lua script, are listed at the top
    of bot/jobs/lua.py: forward only, except a chain's job, which goes back to SUBMITTED once
    per later step, and a job whose model was withdrawn, which goes back once to another
    provider's model."""

    SUBMITTED = "submitted"  # created; its (current step's) task is being submitted or runs
    SUCCEEDED = "succeeded"  # the provider's results are stored; the chat has not had them yet
    FAILED = "failed"  # the failure is stored; its user has not been told yet
    DELIVERED = "delivered"  # the chat has the results or the failure; the record then expires
    CANCELLED = "cancelled"  # stopped by its user; nothing moves it again


@dataclass(slots=True)
class Job:
    """One generation job; stored as a Redis hash of strings."""

    id: str
    chat_id: int
    user_id: int
    prompt: str
    model: str
    provider: str = ""
    state: JobState = JobState.SUBMITTED
    reply_to_message_id: int | None = None
    status_message_id: int | None = None
    task_id: str = ""
    created_at: float = 0.0
    completed_at: float | None = None
    results: tuple[ResultMedia, ...] = ()
    outcome: str = ""  # succeeded or failed, kept after delivery
    fail_kind: str = ""
    error_code: str = ""
    error_message: str = ""
    # Delivery bookkeeping, written only by the Lua scripts; absent on older records.
    result_marks: dict[int, ResultMark] = field(default_factory=dict)
    # What the job was asked with; absent on records from before many models.
    inputs: tuple[StoredMedia, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)  # besides the prompt: lyrics, style…
    params: dict[str, str] = field(default_factory=dict)  # the user's settings the model reads
    stage: str = ""  # the provider's latest intermediate stage, if it tells
    progress_shown: int = 0  # the last step of the running time the status message showed
    attempts: int = 0  # delivery attempts that ended in a retry
    crashes: int = 0  # delivery attempts that ended in an unexpected exception
    # A chain's job (/sketch) runs its steps in turn; `model`, `task_id`, `results` and the
    # delivery fields are the current step's. Absent on single-step records.
    chain: str = ""
    step: int = 0  # the current step, from 0
    steps: int = 1
    step_started_at: float | None = None  # when the current step (after the first) began
    # Results of this step kept in storage as the next step's inputs, by result index.
    next_inputs: dict[int, StoredMedia] = field(default_factory=dict)
    # The language its user is told things in (bot/locales); absent on older records: English.
    language: str = ""
    # Results ready before the task ended (a song's first track), by result index; written only
    # by the Lua scripts.
    early: dict[int, ResultMedia] = field(default_factory=dict)
    # Results copied to storage once sent (their buttons read them), by result index; and
    # whether its user asked for images as files. Absent on older records.
    kept: dict[int, StoredMedia] = field(default_factory=dict)
    as_files: bool = False

    @property
    def has_next_step(self) -> bool:
        return self.step + 1 < self.steps

    @property
    def running(self) -> bool:
        """Its user still waits on it (and may cancel it): its task runs, or a chain's job waits
        for its next step. Once its outcome is recorded it is on its way, not running."""
        if self.state is JobState.SUBMITTED:
            return True
        return self.state is JobState.SUCCEEDED and self.has_next_step

    @property
    def started_at(self) -> float:
        """When the current step began: deadlines and lost submissions count from here."""
        return self.step_started_at or self.created_at

    def to_redis(self) -> dict[str, str]:
        return {
            "id": self.id,
            "chat_id": str(self.chat_id),
            "user_id": str(self.user_id),
            "prompt": self.prompt,
            "model": self.model,
            "provider": self.provider,
            "state": self.state.value,
            "reply_to": _opt(self.reply_to_message_id),
            "status_msg": _opt(self.status_message_id),
            "task_id": self.task_id,
            "created_at": repr(self.created_at),
            **_json_fields(self),
            **_chain_fields(self),
            # English, the source language, is what an absent field means: a field less per job.
            **({"lang": self.language} if self.language not in ("", SOURCE) else {}),
            **({"as_files": "1"} if self.as_files else {}),
        }

    @classmethod
    def from_redis(cls, raw: dict[str, str]) -> Job:
        return cls(
            id=raw["id"],
            chat_id=int(raw["chat_id"]),
            user_id=int(raw["user_id"]),
            prompt=raw.get("prompt", ""),
            language=raw.get("lang", ""),
            model=raw.get("model", ""),
            provider=raw.get("provider", ""),
            state=JobState(raw["state"]),
            reply_to_message_id=_int_or_none(raw.get("reply_to")),
            status_message_id=_int_or_none(raw.get("status_msg")),
            task_id=raw.get("task_id", ""),
            created_at=float(raw.get("created_at") or 0),
            completed_at=_float_or_none(raw.get("completed_at")),
            results=_results(raw),
            outcome=raw.get("outcome", ""),
            fail_kind=raw.get("fail_kind", ""),
            error_code=raw.get("error_code", ""),
            error_message=raw.get("error_message", ""),
            result_marks=_result_marks(raw),
            attempts=int(raw.get("attempts") or 0),
            crashes=int(raw.get("crashes") or 0),
            inputs=codec.loads(StoredInputs, raw.get("inputs") or "[]"),
            texts=codec.loads(dict[str, str], raw.get("texts") or "{}"),
            params=codec.loads(dict[str, str], raw.get("params") or "{}"),
            stage=raw.get("stage", ""),
            progress_shown=int(raw.get("progress_shown") or 0),
            chain=raw.get("chain", ""),
            step=int(raw.get("step") or 0),
            steps=int(raw.get("steps") or 1),
            step_started_at=_float_or_none(raw.get("step_started_at")),
            next_inputs=_next_inputs(raw),
            early=_early(raw),
            kept=_stored_by_index(raw, KEPT_PREFIX),
            as_files=raw.get("as_files") == "1",
        )


# How a job's JSON fields hold their records (bot/codec.py).
StoredInputs = tuple[StoredMedia, ...]
Results = tuple[ResultMedia, ...]

RESULT_MARK_PREFIX = "result:"
NEXT_INPUT_PREFIX = "next_input:"  # the shape is repeated in lua.ADVANCE
EARLY_PREFIX = "early:"  # the shape is repeated in lua.RECORD_EARLY and CLAIM_EARLY
KEPT_PREFIX = "kept:"  # the shape is repeated in lua.KEEP_RESULT


def _results(raw: dict[str, str]) -> tuple[ResultMedia, ...]:
    """Typed results; records written before them hold a list of URLs."""
    if "results" in raw:
        return codec.loads(Results, raw["results"] or "[]")
    return tuple(
        ResultMedia(url) for url in codec.loads(tuple[str, ...], raw.get("result_urls") or "[]")
    )


def _result_marks(raw: dict[str, str]) -> dict[int, ResultMark]:
    return {
        int(name.removeprefix(RESULT_MARK_PREFIX)): ResultMark(value)
        for name, value in raw.items()
        if name.startswith(RESULT_MARK_PREFIX)
    }


def _next_inputs(raw: dict[str, str]) -> dict[int, StoredMedia]:
    return _stored_by_index(raw, NEXT_INPUT_PREFIX)


def _stored_by_index(raw: dict[str, str], prefix: str) -> dict[int, StoredMedia]:
    return {
        int(name.removeprefix(prefix)): codec.loads(StoredMedia, value)
        for name, value in raw.items()
        if name.startswith(prefix)
    }


def _early(raw: dict[str, str]) -> dict[int, ResultMedia]:
    return {
        int(name.removeprefix(EARLY_PREFIX)): codec.loads(ResultMedia, value)
        for name, value in raw.items()
        if name.startswith(EARLY_PREFIX)
    }


def _chain_fields(job: Job) -> dict[str, str]:
    if not job.chain:
        return {}
    return {"chain": job.chain, "step": str(job.step), "steps": str(job.steps)}


def _json_fields(job: Job) -> dict[str, str]:
    """Only what a job has: every byte counts with thousands of jobs in flight."""
    fields = {
        "inputs": codec.dumps(job.inputs, StoredInputs) if job.inputs else "",
        "texts": codec.dumps(job.texts, dict[str, str]) if job.texts else "",
        "params": codec.dumps(job.params, dict[str, str]) if job.params else "",
    }
    return {name: value for name, value in fields.items() if value}


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value else None


def _float_or_none(value: str | None) -> float | None:
    return float(value) if value else None
