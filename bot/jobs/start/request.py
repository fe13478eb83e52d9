"""What a caller asks for to start a job, and why its input may be refused before one starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.jobs.record import StoredMedia
from bot.jobs.start.sent_files import SentFile
from bot.locales import current
from bot.models.limits import InputFile
from bot.models.spec import Capability


class InputProblem:
    """Reasons an input is refused before any job starts (keys of InputRejected)."""

    NOT_AN_IMAGE = "not_an_image"
    NOT_A_VIDEO = "not_a_video"
    TOO_BIG_FOR_TELEGRAM = "too_big_for_telegram"
    DOWNLOAD_FAILED = "download_failed"
    TOO_MANY_IN_FLIGHT = "too_many_in_flight"
    HOURLY_CAP = "hourly_cap"
    NO_CREDITS = "no_credits"  # raised as bot.errors.NotEnoughCredits, with the price
    OVER_LIMIT = "over_limit"  # a model's limit: the exception carries the Problem
    UNAVAILABLE = "unavailable"  # no model serves this right now


@dataclass(frozen=True, slots=True)
class JobRequest:
    """Everything needed to start a job, free of Telegram types."""

    chat_id: int
    user_id: int
    capability: Capability
    files: tuple[SentFile, ...] = ()  # in the order the user sent them
    # Inputs already in Photobot's storage (a job run again, a kept result to edit): they come
    # before `files` and are neither downloaded nor stored again.
    stored: tuple[StoredMedia, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)  # prompt, lyrics, style, title
    # A job run again: its model first, where that model's provider serves (else the
    # capability's others, as for any job), with the settings it was asked with.
    model: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    reply_to_message_id: int | None = None
    status_message_id: int | None = None  # a message to edit, instead of a new one
    # What its user is told things in: by default, the language of the update being handled.
    language: str = field(default_factory=current)
    # The user agreed to this price (a job dearer than an image is confirmed first).
    confirmed_price: int | None = None

    def metas(self) -> list[InputFile]:
        """What every input's limits are checked against, in order."""
        return [*(m.meta() for m in self.stored), *(f.meta() for f in self.files)]
