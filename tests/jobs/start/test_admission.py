"""Per-user limits: admins are never capped; in one user's flood the limits are checked before
any download, the flooder hears each limit once, and everyone else is served as fast as before."""

from __future__ import annotations

import time

from bot import texts
from bot.jobs.start import NO_LIMITS, UserLimits
from bot.jobs.start.admission import limits_of
from bot.sandbox.emulators.kie import KieTask
from tests.figures import record
from tests.harness import BotHarness, eventually

ADMIN = 77
FLOOD = 200
PHOTO_2MB = b"\xff\xd8\xff\xe0" + b"\x00" * (2 * 1024 * 1024) + b"\xff\xd9"
STATUS_TEXTS = (texts.WORKING(), texts.GENERATING())  # a first line: "2nd of 3" may follow


async def photo_latency(bot: BotHarness, chat: int) -> tuple[float, float]:
    """Seconds from a user's captioned photo to its createTask, and to its status message."""
    sent_wall, sent_mono = time.time(), time.monotonic()
    bot.send_photo(chat, caption=f"photo of {chat}")

    def task() -> KieTask | None:
        wanted = f"photo of {chat}"
        return next((t for t in bot.kie.tasks.values() if t.input["prompt"] == wanted), None)

    submitted = await eventually(task, within=30)
    [status] = await bot.wait_sent(chat, "sendMessage")
    return submitted.created_at - sent_wall, status.at - sent_mono


async def test_a_flood_from_one_user_downloads_nothing_extra_and_slows_no_one(
    bot: BotHarness,
) -> None:
    baseline = await photo_latency(bot, bot.new_user())
    flooder = bot.new_user()
    flood = [bot.send_photo(flooder, f"flood {n}", PHOTO_2MB) for n in range(FLOOD)]
    flood_files = {u["message"]["photo"][-1]["file_id"] for u in flood}

    during = await photo_latency(bot, bot.new_user())
    await bot.settled(*flood)

    downloads = [c for c in bot.telegram.calls_to("getFile") if c.params["file_id"] in flood_files]
    told = [c.params["text"] for c in bot.telegram.sent_messages(flooder)
            if c.params["text"].partition("\n")[0] not in STATUS_TEXTS]  # fmt: skip
    assert len(bot.kie.tasks) == 2 + bot.settings.user_max_jobs_in_flight
    assert len(downloads) == bot.settings.user_max_jobs_in_flight
    assert sorted(told) == sorted([texts.TOO_MANY_IN_FLIGHT(), texts.TOO_FAST()])
    assert during[0] < 1.0, f"another user's photo took {during[0]:.2f} s to reach Kie"
    assert during[1] < 2.0, f"another user's status message took {during[1]:.2f} s"
    record(
        "one user floods 200 captioned 2 MB photos",
        f"{len(downloads)} downloads, flooder told {len(told)}x; other user: photo -> createTask "
        f"{during[0]:.2f} s (alone {baseline[0]:.2f} s), status {during[1]:.2f} s "
        f"(alone {baseline[1]:.2f} s)",
        "limits before downloads; < 1 s and < 2 s",
    )


def test_admins_are_never_capped() -> None:
    limits = UserLimits(max_in_flight=2, max_per_hour=10)

    assert limits_of(ADMIN, limits, frozenset({ADMIN})) is NO_LIMITS
    assert limits_of(5, limits, frozenset({ADMIN})) is limits
