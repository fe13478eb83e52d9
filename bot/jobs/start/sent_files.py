"""Files a user sent, referenced by Telegram file id until a job downloads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from bot.media.kinds import MediaKind
from bot.models.limits import InputFile

# A zero length or size is Telegram not knowing it: left out, it reads back as unknown (None),
# which the limit checks skip, as records written before the codec always did.
_Known = Field(exclude_if=lambda value: not value)


@dataclass(frozen=True, slots=True)
class SentFile:
    """What Telegram says about a file: enough to check a model's limits before downloading.

    Crosses Redis through bot/codec.py: `file_size` is always written (null when unknown),
    `kind` only when not an image, so records from before files had kinds read as photos."""

    file_id: str
    file_size: int | None
    message_id: int
    kind: MediaKind = MediaKind.IMAGE
    mime_type: str = ""
    seconds: Annotated[float | None, _Known] = None
    width: Annotated[int | None, _Known] = None
    height: Annotated[int | None, _Known] = None

    def meta(self) -> InputFile:
        return InputFile(
            self.kind, self.mime_type, self.file_size, self.seconds, self.width, self.height
        )
