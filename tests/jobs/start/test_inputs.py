"""A job's inputs come from Telegram's file server through the size-capped fetcher, are sniffed
whole and checked against the route, and leave no download behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from telegram.ext import ExtBot
from yarl import URL

from bot.constants import TELEGRAM_DOWNLOAD_MAX_BYTES
from bot.errors import InputRejected
from bot.jobs.record import StoredMedia
from bot.jobs.start import InputProblem, Inputs, SentFile, telegram_policy
from bot.media.fetch import FetchPolicy, MediaFetcher
from bot.media.kinds import MediaKind
from bot.media.sniff import SNIFF_BYTES
from bot.models import REGISTRY
from bot.models.spec import Capability, ModelSpec
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.storage.local import LocalStorage
from tests.harness import files_in
from tests.images import box, mvhd, png, tkhd

TOKEN = "123456:INPUTS"


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[ExtBot[int]]:
    async with ExtBot(
        TOKEN, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot"
    ) as tg_bot:
        yield tg_bot


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def inputs_with(
    bot: ExtBot[int], http: aiohttp.ClientSession, policy: FetchPolicy, tmp_path: Path
) -> tuple[Inputs, LocalStorage]:
    (tmp_path / "spool").mkdir(exist_ok=True)
    storage = LocalStorage(tmp_path / "media", "http://bot.test", b"secret")
    return Inputs(bot, MediaFetcher(http, policy, tmp_path / "spool"), storage), storage


def video_model() -> ModelSpec:
    spec = REGISTRY.find("kling-2.6/motion-control")
    assert spec is not None
    return spec


def slow_start_mp4(width: int, height: int, seconds: float, mdat_bytes: int) -> bytes:
    """An MP4 as cameras write it: the moov (its size and length) after the media data."""
    ftyp = box(b"ftyp", b"isom" + bytes(4) + b"isomiso2")
    moov = box(b"moov", mvhd(round(seconds * 1000)) + box(b"trak", tkhd(width, height)))
    return ftyp + box(b"mdat", bytes(mdat_bytes)) + moov


def sent(data: bytes, file_id: str, kind: MediaKind) -> SentFile:
    return SentFile(file_id, len(data), 1, kind, seconds=5.0 if kind is MediaKind.VIDEO else None)


async def test_a_video_whose_moov_comes_last_is_measured_and_stored(
    emu: TelegramEmulator, bot: ExtBot[int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    data = slow_start_mp4(1280, 720, 5.0, mdat_bytes=SNIFF_BYTES * 2)
    file_id, _ = emu.add_file(data, file_path_suffix="mp4")
    inputs, storage = inputs_with(bot, http, telegram_policy(URL(emu.url).host or ""), tmp_path)

    stored, route = await inputs.store_all("job1", [sent(data, file_id, MediaKind.VIDEO)],
                                           [video_model()])  # fmt: skip

    [video] = stored
    assert (video.kind, video.mime_type, video.size) == (MediaKind.VIDEO, "video/mp4", len(data))
    assert (video.width, video.height) == (1280, 720)
    assert video.key == "inputs/job1-1.mp4"
    assert (storage.root / video.key).read_bytes() == data
    assert route == [video_model()]
    assert await files_in(tmp_path / "spool") == []  # the download did not stay on disk


async def test_a_file_over_the_download_cap_is_too_big_for_telegram(
    emu: TelegramEmulator, bot: ExtBot[int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    host = URL(emu.url).host or ""
    policy = FetchPolicy((host,), allow_private=True, max_bytes=1000, timeout_s=5.0)
    data = png(padding=2000)  # Telegram's size (under 20 MB) lets it through to the download
    file_id, _ = emu.add_file(data, file_path_suffix="png")
    inputs, _ = inputs_with(bot, http, policy, tmp_path)

    with pytest.raises(InputRejected) as refused:
        await inputs.store_all("job2", [sent(data, file_id, MediaKind.IMAGE)], [])

    assert refused.value.reason == InputProblem.TOO_BIG_FOR_TELEGRAM
    assert await files_in(tmp_path / "spool") == []


async def test_any_other_fetch_error_is_a_failed_download(
    emu: TelegramEmulator, bot: ExtBot[int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    data = png()
    file_id, _ = emu.add_file(data, file_path_suffix="png")
    inputs, _ = inputs_with(bot, http, telegram_policy("api.telegram.org"), tmp_path)

    with pytest.raises(InputRejected) as refused:  # the emulator's host is not the one allowed
        await inputs.store_all("job3", [sent(data, file_id, MediaKind.IMAGE)], [])

    assert refused.value.reason == InputProblem.DOWNLOAD_FAILED


async def test_a_picture_sent_as_a_video_is_not_a_video(
    emu: TelegramEmulator, bot: ExtBot[int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    data = png()
    file_id, _ = emu.add_file(data, file_path_suffix="mp4")
    inputs, _ = inputs_with(bot, http, telegram_policy(URL(emu.url).host or ""), tmp_path)

    with pytest.raises(InputRejected) as refused:
        await inputs.store_all("job4", [sent(data, file_id, MediaKind.VIDEO)], [video_model()])

    assert refused.value.reason == InputProblem.NOT_A_VIDEO
    assert await files_in(tmp_path / "spool") == []


def test_telegrams_policy_is_its_own_host_up_to_20_mb_in_a_minute() -> None:
    policy = telegram_policy("bot-api.internal")

    assert policy.allowed_hosts == ("bot-api.internal",) and policy.allow_private
    assert (policy.max_bytes, policy.timeout_s) == (TELEGRAM_DOWNLOAD_MAX_BYTES, 60.0)


async def test_inputs_already_stored_come_first_and_are_not_fetched_again(
    emu: TelegramEmulator, bot: ExtBot[int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    inputs, storage = inputs_with(bot, http, telegram_policy(URL(emu.url).host or ""), tmp_path)
    kept = StoredMedia(MediaKind.IMAGE, "results/earlier-1.png", "image/png", 10_000, None, 64, 64)
    data = png(32, 32)
    file_id, _ = emu.add_file(data, file_path_suffix="png")
    route = REGISTRY.candidates(Capability.PHOTO_EDIT)

    stored, kept_route = await inputs.store_all("job5", [sent(data, file_id, MediaKind.IMAGE)],
                                                route, stored=(kept,))  # fmt: skip

    assert stored[0] == kept
    assert stored[1].key == "inputs/job5-2.png" and await storage.read(stored[1].key) == data
    assert kept_route == route


async def test_a_stored_input_no_model_on_the_route_takes_is_refused(
    bot: ExtBot[int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    inputs, _ = inputs_with(bot, http, telegram_policy("files.test"), tmp_path)
    huge = StoredMedia(MediaKind.IMAGE, "results/x-1.png", "image/png", 500 * 1024 * 1024)
    with pytest.raises(InputRejected) as refused:
        await inputs.store_all("job6", [], REGISTRY.candidates(Capability.PHOTO_EDIT),
                               stored=(huge,))  # fmt: skip
    assert refused.value.reason == InputProblem.OVER_LIMIT
