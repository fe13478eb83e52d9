"""The flow store: one record per user (a command's flow or a photo waiting for a style), its
JSON, its expiry, and the atomic take of a waiting photo (including one an older release left)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from redis.asyncio import Redis

from bot import codec
from bot.intake.flows.catalog import FLOWS_BY_COMMAND, WAITING_PHOTO
from bot.intake.flows.state import FlowState
from bot.intake.flows.store import FlowStore, record_ttl_s
from bot.jobs.start.sent_files import SentFile
from bot.media.kinds import MediaKind

CHAT, USER = -1001234567890, 42
FLOW, DEADLINES, LEGACY = f"flow:{CHAT}:{USER}", "flows:deadlines", f"pending:{CHAT}:{USER}"
PHOTO = SentFile("AgAD-one", 81234, 41, width=1280, height=960)
CLIP = SentFile("BAAD-clip", 900_000, 44, MediaKind.VIDEO, "video/mp4", 6.5, 720, 1280)
# Written by the release before this one (PendingPhotos.to_json): an album under keyboard 43,
# and the older single-photo shape, which never had a keyboard id.
LEGACY_ALBUM = (
    '{"photos": [{"file_id": "AgAD-one", "file_size": 81234, "message_id": 41, "width": 1280, '
    '"height": 960}, {"file_id": "AgAD-two", "file_size": null, "message_id": 42}], '
    '"keyboard": 43}'
)
LEGACY_SINGLE = '{"file_id": "AgAD-old", "file_size": 5120, "message_id": 7}'
# A flow as the release before this one stored it (FlowState.to_json: json.dumps, spaces).
OLD_DANCE = (
    '{"command": "dance", "chat": -1001234567890, "user": 42, "id": "0f3c9a", "files": '
    '[{"file_id": "AgAD-one", "file_size": 81234, "message_id": 41, "width": 1280, '
    '"height": 960}], "texts": {}, "started": 1796660000.5}'
)


def waiting(keyboard: int = 43, *files: SentFile) -> FlowState:
    return FlowState(WAITING_PHOTO.command, CHAT, USER, files=files or (PHOTO,),
                     keyboard_message_id=keyboard)  # fmt: skip


def test_a_flow_is_stored_under_the_keys_earlier_releases_wrote() -> None:
    state = FlowState("music", CHAT, USER, id="ab12", texts={"lyrics": ""}, started_at=5.5)
    assert json.loads(codec.dumps(state.with_files((PHOTO, CLIP)))) == {
        "command": "music", "chat": CHAT, "user": USER, "id": "ab12",
        "files": [codec.dump(PHOTO), codec.dump(CLIP)], "texts": {"lyrics": ""}, "started": 5.5,
    }  # fmt: skip
    assert " " not in codec.dumps(state)
    assert json.loads(codec.dumps(waiting()))["keyboard"] == 43


def test_a_flow_written_by_the_earlier_release_still_reads() -> None:
    state = codec.loads(FlowState, OLD_DANCE)
    assert state == FlowState("dance", CHAT, USER, id="0f3c9a", files=(PHOTO,),
                              started_at=1796660000.5)  # fmt: skip
    assert state.missing_media() == (MediaKind.VIDEO,)
    full = state.with_files((CLIP,))
    assert codec.loads(FlowState, codec.dumps(full)) == full


def test_a_waiting_photo_is_silent_and_lasts_an_hour() -> None:
    assert WAITING_PHOTO.command not in FLOWS_BY_COMMAND  # no /photo command
    assert (WAITING_PHOTO.timeout_s, WAITING_PHOTO.timeout_told) == (3600, False)
    assert not WAITING_PHOTO.takes_messages
    assert record_ttl_s(WAITING_PHOTO) == 3600  # gone at its deadline, as the old key was
    dance = FLOWS_BY_COMMAND["dance"]
    assert (dance.timeout_s, dance.timeout_told, dance.takes_messages) == (600, True, True)
    assert record_ttl_s(dance) > dance.timeout_s  # read again to say it timed out


async def test_save_sets_each_specs_deadline(redis: Redis) -> None:
    store = FlowStore(redis)
    before = time.time()
    await store.save(waiting())
    [(_, photo_due)] = await redis.zrange(DEADLINES, 0, -1, withscores=True)
    assert before + 3600 <= photo_due <= time.time() + 3600
    assert 3590 < await redis.ttl(FLOW) <= 3600
    await store.save(FlowState("dance", CHAT, USER + 1))
    dance_due = await redis.zscore(DEADLINES, await _member_of(redis, USER + 1))
    assert dance_due is not None and dance_due <= time.time() + 600


async def _member_of(redis: Redis, user: int) -> str:
    [member] = [m for m in await redis.zrange(DEADLINES, 0, -1) if f":{user}:" in m]
    return str(member)


async def test_a_press_takes_the_photo_only_under_its_own_keyboard(redis: Redis) -> None:
    store = FlowStore(redis)
    state = waiting(43)
    await store.save(state)

    assert await store.take_photo(CHAT, USER, keyboard_message_id=99) is None
    assert await store.take_photo(CHAT, USER, keyboard_message_id=43) == state
    assert await store.take_photo(CHAT, USER, keyboard_message_id=43) is None
    assert await redis.exists(FLOW) == 0
    assert await redis.zcard(DEADLINES) == 0


async def test_a_typed_prompt_takes_the_photo_under_any_keyboard(redis: Redis) -> None:
    store = FlowStore(redis)
    await store.save(waiting(43))
    taken = await store.take_photo(CHAT, USER)
    assert taken is not None and taken.files == (PHOTO,)


async def test_a_command_flow_is_never_taken_as_a_photo(redis: Redis) -> None:
    store = FlowStore(redis)
    dance = FlowState("dance", CHAT, USER, files=(PHOTO,))
    await store.save(dance)
    assert await store.take_photo(CHAT, USER) is None
    assert await store.get(CHAT, USER) == dance


async def test_two_presses_on_two_connections_take_the_photo_once(
    redis: Redis, redis_url: str
) -> None:
    other = Redis.from_url(redis_url, decode_responses=True)  # another replica's client
    try:
        stores = (FlowStore(redis), FlowStore(other))
        for _ in range(20):
            await stores[0].save(waiting(43))
            results = await asyncio.gather(
                *(s.take_photo(CHAT, USER, keyboard_message_id=43) for s in stores)
            )
            assert sorted(r is None for r in results) == [False, True]
    finally:
        await other.aclose()


async def test_drop_ends_the_flow_and_a_legacy_photo_alike(redis: Redis) -> None:
    store = FlowStore(redis)
    await store.save(FlowState("dance", CHAT, USER))
    await redis.set(LEGACY, LEGACY_ALBUM)

    assert await store.drop(CHAT, USER) is True
    assert await redis.exists(FLOW, LEGACY) == 0
    assert await redis.zcard(DEADLINES) == 0
    assert await store.drop(CHAT, USER) is False

    await redis.set(LEGACY, LEGACY_SINGLE)
    assert await store.drop(CHAT, USER) is True
    assert await redis.exists(LEGACY) == 0


@pytest.mark.parametrize("other_flow", [False, True], ids=["alone", "beside-a-command-flow"])
async def test_a_legacy_album_is_taken_by_its_own_keyboard_only(
    redis: Redis, other_flow: bool
) -> None:
    store = FlowStore(redis)
    if other_flow:
        await store.save(FlowState("dance", CHAT, USER))
    await redis.set(LEGACY, LEGACY_ALBUM)

    assert await store.take_photo(CHAT, USER, keyboard_message_id=99) is None
    taken = await store.take_photo(CHAT, USER, keyboard_message_id=43)

    assert taken is not None
    assert (taken.command, taken.chat_id, taken.user_id) == (WAITING_PHOTO.command, CHAT, USER)
    assert taken.files == (PHOTO, SentFile("AgAD-two", None, 42))
    assert taken.keyboard_message_id == 43
    assert await redis.exists(LEGACY) == 0
    assert await store.take_photo(CHAT, USER, keyboard_message_id=43) is None
    assert (await store.get(CHAT, USER) is not None) == other_flow


async def test_a_legacy_single_photo_is_taken_by_a_typed_prompt_only(redis: Redis) -> None:
    store = FlowStore(redis)
    await redis.set(LEGACY, LEGACY_SINGLE)

    # It never had a keyboard id, so (as before) no button can take it.
    assert await store.take_photo(CHAT, USER, keyboard_message_id=7) is None
    taken = await store.take_photo(CHAT, USER)

    assert taken is not None and taken.files == (SentFile("AgAD-old", 5120, 7),)
    assert taken.keyboard_message_id is None
    assert await redis.exists(LEGACY) == 0


async def test_a_waiting_photo_expires_without_a_word(redis: Redis) -> None:
    store = FlowStore(redis)
    await store.save(waiting())
    await store.save(FlowState("animate", CHAT, USER + 1))
    await redis.zadd(DEADLINES, {m: 0 for m in await redis.zrange(DEADLINES, 0, -1)})
    told: list[str] = []
    stopping = asyncio.Event()

    async def tell(state: FlowState) -> None:
        told.append(state.command)
        stopping.set()  # one pass is enough: both were due together

    await asyncio.wait_for(store.run_expiry(tell, stopping, every_s=0.05), 10)

    assert told == ["animate"]
    assert await redis.exists(FLOW) == 0
    assert await redis.zcard(DEADLINES) == 0
