"""Records the code before bot/codec.py wrote still read the same, and are written byte for byte.

The fixtures (tests/jobs/compat_records.py) were captured from that code against a real Redis.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from redis.asyncio import Redis

from bot import codec
from bot import constants as k
from bot.errors import FailureKind
from bot.intake.albums import AlbumCollector
from bot.jobs.record import Job, JobState, ResultMark, Results, StoredInputs, StoredMedia
from bot.jobs.start.failover import Cooldown, Failover
from bot.jobs.start.sent_files import SentFile
from bot.jobs.store import JobStore, Outcome
from bot.media.kinds import MediaKind as K
from bot.providers.base import ResultMedia
from tests.jobs import compat_records as captured

T0 = 1765432100.25
PHOTO_IN = StoredMedia(K.IMAGE, "inputs/photo1-1.jpg", "image/jpeg", 48213, None, 1280, 960)
ALBUM_IN = tuple(
    StoredMedia(K.IMAGE, f"inputs/album1-{n}.png", "image/png", 100_000 + n, None, 800, 600)
    for n in (1, 2, 3)
)
VIDEO_IN = (
    StoredMedia(K.IMAGE, "inputs/video1-1.jpg", "image/jpeg", 52000, None, 720, 1280),
    StoredMedia(K.VIDEO, "inputs/video1-2.mp4", "video/mp4", 3_500_000, 7.4, 720, 1280),
)
NEXT_IN = StoredMedia(K.IMAGE, "inputs/chain1-step2-1.png", "image/png", 734211, None, 1024, 576)
LYRICS = 'Привет, мир — «ёлка» 🎄\nline "two"'
TRACKS = (
    ResultMedia("https://cdn.example/s/1.mp3", K.AUDIO, "Ёлка", 187.32, "https://cdn.example/s/1.jpeg"),
    ResultMedia("https://cdn.example/s/2.mp3", K.AUDIO, "Ёлка (v2)", 201.0, "https://cdn.example/s/2.jpeg"),
)  # fmt: skip

# The jobs as they were created (JobStore.create), and the outcome each then recorded.
CREATED: dict[str, tuple[Job, Outcome]] = {
    "photo": (
        Job("photo1", 501, 501, "make it pop", "nano-banana-pro", provider="kie",
            reply_to_message_id=11, status_message_id=12, created_at=T0, inputs=(PHOTO_IN,),
            params={"aspect_ratio": "auto", "output_format": "png"}),
        Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://tempfile.example/r/photo1.png"),)),
    ),
    "album": (
        Job("album1", 502, 502, "same style", "nano-banana-pro", provider="kie",
            status_message_id=20, created_at=T0, inputs=ALBUM_IN),
        Outcome(JobState.SUCCEEDED, results=tuple(
            ResultMedia(f"https://tempfile.example/r/a{n}.png", K.IMAGE) for n in (1, 2))),
    ),
    "video": (
        Job("video1", 503, 503, "dance like this", "kling/motion-control", provider="kie",
            created_at=T0, inputs=VIDEO_IN, params={"mode": "720p"}),
        Outcome(JobState.SUCCEEDED, results=(
            ResultMedia("https://tempfile.example/r/v.mp4", K.VIDEO, duration_s=7.5),)),
    ),
    "suno": (
        Job("suno1", 504, -100504, "a song", "suno/generate", provider="kie", created_at=T0,
            texts={"lyrics": LYRICS, "style": "synth pop", "title": "Ёлка"},
            params={"suno_model": "V4_5"}),
        Outcome(JobState.SUCCEEDED, results=TRACKS),
    ),
    "chain": (
        Job("chain1", 505, 505, "a cat", "nano-banana-pro", provider="kie", created_at=T0,
            chain="sketch", steps=2, params={"aspect_ratio": "16:9"}),
        Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://tempfile.example/r/sketch.png"),)),
    ),
    "failed": (
        Job("failed1", 506, 506, "bad", "nano-banana-pro", provider="novita", created_at=T0,
            inputs=(PHOTO_IN,)),
        Outcome(JobState.FAILED, fail_kind=FailureKind.REJECTED, error_code="422",
                error_message="content policy: nope"),
    ),
}  # fmt: skip


def _final(name: str, **changes: Any) -> Job:
    """A captured job as it reads once its outcome is stored (times as captured)."""
    job, outcome = CREATED[name]
    raw = captured.HASHES[name]
    values: dict[str, Any] = {
        "state": outcome.state, "outcome": outcome.state.value, "task_id": f"task_{name}_1",
        "completed_at": float(raw["completed_at"]), "results": outcome.results,
        "fail_kind": outcome.fail_kind, "error_code": outcome.error_code,
        "error_message": outcome.error_message,
    }  # fmt: skip
    values.update(changes)
    return Job(**{**_fields(job), **values})


def _fields(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in Job.__dataclass_fields__}


def _expected() -> dict[str, Job]:
    chain_step2 = _fields(CREATED["chain"][0]) | {
        "model": "kling/v2-1", "step": 1, "inputs": (NEXT_IN,),
        "step_started_at": float(captured.HASHES["chain_step2"]["step_started_at"]),
    }  # fmt: skip
    return {
        "photo": _final("photo", result_marks={0: ResultMark.SENT}),
        "album": _final("album", attempts=1),
        "video": _final("video"),
        "suno": _final("suno"),
        "chain": _final("chain", result_marks={0: ResultMark.SENT}, next_inputs={0: NEXT_IN}),
        "failed": _final("failed", crashes=1),
        "chain_step2": Job(**chain_step2),
        "switched": Job("switch1", 507, 507, "x", "seedream", provider="novita", created_at=T0,
                        params={"size": "2048*2048", "watermark": "false"}),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(captured.HASHES))
def test_every_captured_hash_reads_as_before(name: str) -> None:
    assert Job.from_redis(captured.HASHES[name]) == _expected()[name]


def test_a_record_from_before_typed_results_reads_its_urls() -> None:
    job = Job.from_redis(captured.LEGACY_HASH)
    assert job.results == (
        ResultMedia("https://tempfile.example/r/old1.png"),
        ResultMedia("https://tempfile.example/r/old2.png"),
    )
    assert (job.inputs, job.texts, job.params, job.next_inputs) == ((), {}, {}, {})
    assert (job.state, job.status_message_id, job.completed_at) == (
        JobState.SUCCEEDED, 41, 1765432160.5,
    )  # fmt: skip


@pytest.mark.parametrize("name", [n for n in captured.HASHES if n != "chain_step2"])
def test_a_read_record_writes_its_fields_byte_for_byte(name: str) -> None:
    raw = captured.HASHES[name]
    written = Job.from_redis(raw).to_redis()
    assert written == {field: raw[field] for field in written}
    assert {"inputs", "texts", "params", "chain"} & raw.keys() <= written.keys()


async def test_the_store_writes_the_captured_json(redis: Redis) -> None:
    store = JobStore(redis)
    for name, (job, outcome) in CREATED.items():
        await store.create(job, first_poll_at=T0 + 60)
        assert await store.record_outcome(job.id, outcome) == 1
        stored = await redis.hgetall(f"job:{job.id}")
        for field in ("inputs", "texts", "params", "results", "chain", "step", "steps"):
            assert stored.get(field) == captured.HASHES[name].get(field), (name, field)


async def test_a_chain_step_writes_its_next_inputs_as_captured(redis: Redis) -> None:
    store = JobStore(redis)
    job, outcome = CREATED["chain"]
    await store.create(job, first_poll_at=T0 + 60)
    await store.record_outcome(job.id, outcome)
    assert await store.claim(job.id, "replica-a", 15) is not None
    assert await store.keep_input(job.id, "replica-a", 0, NEXT_IN)
    key = f"job:{job.id}"
    assert await redis.hget(key, "next_input:0") == captured.HASHES["chain"]["next_input:0"]

    kept = await store.get(job.id)
    assert kept is not None and kept.next_inputs == {0: NEXT_IN}
    assert await store.advance(kept, "replica-a", "kling/v2-1", "kie", T0 + 30)
    assert await redis.hget(key, "inputs") == captured.HASHES["chain_step2"]["inputs"]


async def test_a_failover_writes_the_new_params_as_captured(redis: Redis) -> None:
    store = JobStore(redis)
    job = Job("switch1", 507, 507, "x", "nano-banana-pro", provider="kie", created_at=T0,
              params={"aspect_ratio": "auto"})  # fmt: skip
    await store.create(job, first_poll_at=T0 + 60)
    assert await store.switch_model(job, "seedream", "novita", _expected()["switched"].params)
    assert await redis.hget(f"job:{job.id}", "params") == captured.HASHES["switched"]["params"]


@pytest.mark.parametrize("name", ["photo", "album", "video", "suno", "chain"])
def test_the_codec_writes_each_captured_record_byte_for_byte(name: str) -> None:
    job, outcome = CREATED[name]
    raw = captured.HASHES[name]
    assert codec.dumps(outcome.results, Results) == raw["results"]
    if job.inputs:
        assert codec.dumps(job.inputs, StoredInputs) == raw["inputs"]
        assert [codec.dumps(m) for m in job.inputs] == [
            json.dumps(item, separators=(",", ":")) for item in json.loads(raw["inputs"])
        ]
    assert codec.dumps(NEXT_IN) == captured.HASHES["chain"]["next_input:0"]


# -- the failover cool-down -----------------------------------------------------------------


def _cooldown_as_read_before(raw: str) -> Cooldown:
    """The cool-down reader before bot/codec.py: what a replica not yet upgraded runs."""
    data = json.loads(raw)
    return Cooldown(float(data["until"]), FailureKind(data["why"]))


async def test_a_captured_cooldown_still_reads(redis: Redis) -> None:
    await redis.set(k.PROVIDER_COOLDOWN_KEY.format(name="kie"), captured.COOLDOWN, ex=60)
    health = await Failover(redis, 300, clock=lambda: T0).health("kie")
    assert health.cooldown == Cooldown(T0 + 300, FailureKind.NO_CREDITS)


async def test_a_cooldown_written_now_reads_in_an_older_replica(redis: Redis) -> None:
    assert await Failover(redis, 300, clock=lambda: T0).trip("kie", FailureKind.NO_CREDITS)
    raw = await redis.get(k.PROVIDER_COOLDOWN_KEY.format(name="kie"))
    # The one byte-level change: the codec writes it without json.dumps's spaces.
    assert raw == '{"until":1765432400.25,"why":"no_credits"}'
    assert _cooldown_as_read_before(raw) == Cooldown(T0 + 300, FailureKind.NO_CREDITS)


# -- files a user sent ----------------------------------------------------------------------

SENT = {
    "photo": SentFile("AgACphoto", 123456, 31, width=1280, height=960),
    "document": SentFile("BQACdoc", None, 32),
    "video": SentFile("BAACvideo", 4_500_000, 33, K.VIDEO, "video/mp4", 6.0, 720, 1280),
    # Zero length and pixels are left out, so they read back as unknown (checks skip them).
    "video_zero": SentFile("BAACzero", 90000, 34, K.VIDEO, "video/mp4", 0.0, 0, 0),
}
SENT_READ = SENT | {"video_zero": SentFile("BAACzero", 90000, 34, K.VIDEO, "video/mp4")}


def _write_sent(file: SentFile) -> str:
    """As pending photos, flows and albums write one: json.dumps of the codec's data."""
    return json.dumps(codec.dump(file))


def _read_sent(raw: str) -> SentFile:
    return codec.load(SentFile, json.loads(raw))


@pytest.mark.parametrize("name", list(SENT))
def test_a_sent_file_reads_and_writes_as_captured(name: str) -> None:
    assert _read_sent(captured.SENT_FILES[name]) == SENT_READ[name]
    assert _write_sent(SENT[name]) == captured.SENT_FILES[name]


def test_a_sent_file_from_before_kinds_reads_as_a_photo() -> None:
    assert _read_sent(captured.LEGACY_SENT_FILE) == SentFile("AgACold", 2048, 5)


async def test_an_album_item_is_written_as_captured(redis: Redis) -> None:
    album = await AlbumCollector(redis, quiet_s=0.0).add(600, "grp", SENT["photo"], "cap", True)
    assert album is not None and album.photos == (SENT["photo"],)
    fields = await redis.hgetall(k.ALBUM_KEY.format(chat_id=600, group_id="grp"))
    assert fields["m:31"] == captured.ALBUM_ITEM
