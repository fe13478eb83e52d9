"""Files a user sent, referenced by Telegram file id until a job downloads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.media.kinds import MediaKind
from bot.models.limits import InputFile


@dataclass(frozen=True, slots=True)
class SentFile:
    """What Telegram says about a file: enough to check a model's limits before downloading."""

    file_id: str
    file_size: int | None
    message_id: int
    kind: MediaKind = MediaKind.IMAGE
    mime_type: str = ""
    seconds: float | None = None
    width: int | None = None
    height: int | None = None

    def meta(self) -> InputFile:
        return InputFile(
            self.kind, self.mime_type, self.file_size, self.seconds, self.width, self.height
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_size": self.file_size,
            "message_id": self.message_id,
        }
        if self.kind is not MediaKind.IMAGE:
            data["kind"] = self.kind.value
        for name in ("mime_type", "seconds", "width", "height"):
            if value := getattr(self, name):
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SentFile:
        """Also reads what was written before files had kinds (photos only)."""
        return cls(
            file_id=str(data["file_id"]),
            file_size=data.get("file_size"),
            message_id=int(data["message_id"]),
            kind=MediaKind(data.get("kind") or MediaKind.IMAGE),
            mime_type=str(data.get("mime_type") or ""),
            seconds=data.get("seconds"),
            width=data.get("width"),
            height=data.get("height"),
        )
