"""Signed URL or upload: storage with public URLs always signs; local files without a public
URL go through the provider's file host where it has one."""

from __future__ import annotations

from pathlib import Path

from bot.jobs.record import StoredMedia
from bot.jobs.start.handoff import InputHandOff
from bot.media.kinds import MediaKind
from bot.storage import Storage
from bot.storage.local import LocalStorage

PHOTO = StoredMedia(MediaKind.IMAGE, "inputs/j1-1.png", "image/png", 3)


class RecordingHost:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def upload(self, storage: Storage, key: str, mime_type: str) -> str:
        self.sent.append((key, mime_type))
        return f"https://files.example/{key}"


async def test_public_storage_signs_even_where_a_host_exists(tmp_path: Path) -> None:
    host = RecordingHost()
    storage = LocalStorage(tmp_path, "https://bot.example.com", b"k")
    url = await InputHandOff(storage, 60, {"p": host}).url("p", PHOTO)
    assert url.startswith("https://bot.example.com/media/inputs/j1-1.png?expires=")
    assert host.sent == []


async def test_without_a_public_url_the_providers_host_takes_the_file(tmp_path: Path) -> None:
    host = RecordingHost()
    handoff = InputHandOff(LocalStorage(tmp_path, None, b"k"), 60, {"p": host})
    assert await handoff.url("p", PHOTO) == "https://files.example/inputs/j1-1.png"
    assert host.sent == [("inputs/j1-1.png", "image/png")]
    # A provider without a host reads the bytes by key itself: it gets the (relative) URL.
    assert (await handoff.url("other", PHOTO)).startswith("/media/inputs/j1-1.png?")
    assert len(host.sent) == 1
