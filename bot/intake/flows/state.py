"""Where a user is in a flow, and the pure rules that move it on."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Annotated

from pydantic import Field

from bot.intake.flows.catalog import SPECS_BY_NAME, FlowSpec
from bot.jobs.record import StoredMedia
from bot.jobs.start import SentFile
from bot.media.kinds import MediaKind
from bot.models.spec import Capability

INSTRUMENTAL_WORDS = frozenset({"instrumental", "instrumentalia", "tanpa vokal", "no vocals"})


@dataclass(frozen=True, slots=True)
class FlowState:
    """Stored as JSON through bot.codec; the keys are those earlier releases wrote."""

    command: str
    chat_id: Annotated[int, Field(alias="chat")]
    user_id: Annotated[int, Field(alias="user")]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    files: tuple[SentFile, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)
    started_at: Annotated[float, Field(alias="started")] = field(default_factory=time.time)
    # The style keyboard a waiting photo was offered under: only a press there may take it.
    keyboard_message_id: Annotated[int | None, Field(alias="keyboard")] = None
    # What the user is told in when the flow times out (no update of theirs is at hand then).
    language: Annotated[str, Field(alias="lang")] = ""
    # Inputs already in storage (a kept result to edit or animate): they come before `files`
    # and go to the job byte for byte. Absent in older records.
    stored: tuple[StoredMedia, ...] = ()

    @property
    def spec(self) -> FlowSpec:
        return SPECS_BY_NAME[self.command]

    @property
    def capability(self) -> Capability:
        """What the job is asked for: a command that moves a photo it holds (/video) asks
        that of the model."""
        if self.spec.with_photo is not None and (self.files or self.stored):
            return self.spec.with_photo
        return self.spec.capability

    def missing_media(self) -> tuple[MediaKind, ...]:
        have = {f.kind for f in self.files} | {m.kind for m in self.stored}
        return tuple(kind for kind in self.spec.media if kind not in have)

    def next_text(self) -> str | None:
        """The text asked for next, once every file is in."""
        if self.missing_media():
            return None
        return next((name for name in self.spec.texts if name not in self.texts), None)

    @property
    def complete(self) -> bool:
        return not self.missing_media() and self.next_text() is None

    def wants(self, kind: MediaKind) -> bool:
        return kind in self.missing_media()

    def with_files(self, files: tuple[SentFile, ...]) -> FlowState:
        """These files, in place of any earlier ones of their kind."""
        kinds = {f.kind for f in files}
        return replace(self, files=(*[f for f in self.files if f.kind not in kinds], *files))

    def with_text(self, name: str, value: str) -> FlowState:
        if name == "lyrics" and value.strip().lower() in INSTRUMENTAL_WORDS:
            value = ""  # an instrumental: no lyrics
        return replace(self, texts={**self.texts, name: value})
