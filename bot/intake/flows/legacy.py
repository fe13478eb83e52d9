"""A photo left waiting for a style by a release before that wait was a flow, read as one."""

from __future__ import annotations

import json
from typing import Any

from bot import codec
from bot.intake.flows.catalog import WAITING_PHOTO
from bot.intake.flows.state import FlowState
from bot.jobs.start.sent_files import SentFile


def waiting_photo(raw: str, chat_id: int, user_id: int) -> FlowState:
    """`{"photos": [...], "keyboard": id}`, or the older single photo (no keyboard id)."""
    data: dict[str, Any] = json.loads(raw)
    if "photos" not in data:  # written before albums
        return FlowState(
            WAITING_PHOTO.command, chat_id, user_id, files=(codec.load(SentFile, data),)
        )
    return FlowState(
        WAITING_PHOTO.command,
        chat_id,
        user_id,
        files=tuple(codec.load(SentFile, p) for p in data["photos"]),
        keyboard_message_id=data.get("keyboard"),
    )
