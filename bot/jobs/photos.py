"""Photos a user sent, referenced by Telegram file id until a job downloads them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PhotoRef:
    file_id: str
    file_size: int | None
    message_id: int
