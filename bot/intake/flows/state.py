"""Where a user is in a flow, and the pure rules that move it on."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from bot.intake.flows.catalog import FLOWS_BY_COMMAND, FlowSpec
from bot.jobs.start import SentFile
from bot.media.kinds import MediaKind

FLOW_TIMEOUT_S = 10 * 60
INSTRUMENTAL_WORDS = frozenset({"instrumental", "instrumentalia", "tanpa vokal", "no vocals"})


@dataclass(frozen=True, slots=True)
class FlowState:
    command: str
    chat_id: int
    user_id: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    files: tuple[SentFile, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)

    @property
    def spec(self) -> FlowSpec:
        return FLOWS_BY_COMMAND[self.command]

    def missing_media(self) -> tuple[MediaKind, ...]:
        have = {f.kind for f in self.files}
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

    def to_json(self) -> str:
        return json.dumps(
            {
                "command": self.command, "chat": self.chat_id, "user": self.user_id,
                "id": self.id, "files": [f.to_json() for f in self.files],
                "texts": self.texts, "started": self.started_at,
            }
        )  # fmt: skip

    @classmethod
    def from_json(cls, raw: str) -> FlowState:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            command=str(data["command"]),
            chat_id=int(data["chat"]),
            user_id=int(data["user"]),
            id=str(data["id"]),
            files=tuple(SentFile.from_json(f) for f in data.get("files", [])),
            texts=dict(data.get("texts", {})),
            started_at=float(data["started"]),
        )
