"""The Telegram emulator takes albums (sendMediaGroup), videos and audio with a cover, and
lets users send videos."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputMediaPhoto, InputMediaVideo
from telegram.error import BadRequest

from bot.sandbox.emulators.telegram import TelegramEmulator

TOKEN = "123456:TEST"
CHAT = 4242
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")
    async with bot:
        yield bot


async def test_an_album_is_one_call_and_one_media_group(emu: TelegramEmulator, bot: Bot) -> None:
    messages = await bot.send_media_group(
        CHAT, [InputMediaPhoto(PNG, caption="Done"), InputMediaPhoto(PNG + b"2"),
               InputMediaVideo(MP4)],
    )  # fmt: skip

    assert len(messages) == 3
    assert len({m.media_group_id for m in messages}) == 1
    assert messages[0].caption == "Done" and messages[2].video is not None
    [call] = emu.calls_to("sendMediaGroup")
    assert [item["type"] for item in call.params["media"]] == ["photo", "photo", "video"]


async def test_an_album_of_one_is_refused(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.send_media_group(CHAT, [InputMediaPhoto(PNG)])


async def test_audio_with_a_cover_and_video_with_streaming(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_audio(CHAT, b"ID3" + bytes(64), title="Rain", duration=30, thumbnail=PNG)
    await bot.send_video(CHAT, MP4, supports_streaming=True, duration=5, width=720, height=1280)

    [audio] = emu.calls_to("sendAudio")
    [video] = emu.calls_to("sendVideo")
    assert audio.params["title"] == "Rain" and audio.params["thumbnail"] == PNG
    assert video.params["supports_streaming"] is True and video.params["video"] == MP4


async def test_a_user_sends_a_video(emu: TelegramEmulator, bot: Bot) -> None:
    file_id, _ = emu.add_file(MP4, file_path_suffix="mp4")
    update = emu.message_update(chat_id=CHAT, user_id=CHAT, video_file_id=file_id,
                                video_duration=12)  # fmt: skip

    video = update["message"]["video"]
    assert video["duration"] == 12 and video["mime_type"] == "video/mp4"
    file = await bot.get_file(video["file_id"])
    assert bytes(await file.download_as_bytearray()) == MP4
