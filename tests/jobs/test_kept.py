"""Who may use a kept result, and what a press hears otherwise (pure)."""

from __future__ import annotations

from bot.jobs.buttons import JobAction, JobButton
from bot.jobs.kept import Kept, Refusal, decide
from bot.jobs.record import Job, JobState, StoredMedia
from bot.media.kinds import MediaKind

OWNER, CHAT = 7, -100
IMAGE = StoredMedia(MediaKind.IMAGE, "results/x/photobot-x-1.png", "image/png", 10, None, 8, 8)
VIDEO = StoredMedia(MediaKind.VIDEO, "results/x/photobot-x-2.mp4", "video/mp4", 10)


def job(state: JobState = JobState.DELIVERED, **kept: StoredMedia) -> Job:
    return Job(id="ab" * 16, chat_id=CHAT, user_id=OWNER, prompt="p", model="m", state=state,
               kept={int(i.removeprefix("i")): m for i, m in kept.items()})  # fmt: skip


def press(index: int = 0) -> JobButton:
    return JobButton(JobAction.ORIGINAL, "ab" * 16, index)


def test_the_owner_gets_the_kept_image() -> None:
    assert decide(job(i0=IMAGE), press(), OWNER, CHAT) == Kept(job(i0=IMAGE), IMAGE)


def test_anyone_else_or_another_chat_is_refused() -> None:
    assert decide(job(i0=IMAGE), press(), OWNER + 1, CHAT) is Refusal.NOT_YOURS
    assert decide(job(i0=IMAGE), press(), OWNER, CHAT - 1) is Refusal.NOT_YOURS


def test_a_missing_record_a_copy_never_made_or_not_an_image_is_gone() -> None:
    assert decide(None, press(), OWNER, CHAT) is Refusal.GONE
    assert decide(job(i0=IMAGE), press(1), OWNER, CHAT) is Refusal.GONE
    assert decide(job(i1=VIDEO), press(1), OWNER, CHAT) is Refusal.GONE


def test_a_press_while_the_copy_is_made_is_asked_to_wait() -> None:
    assert decide(job(JobState.SUCCEEDED), press(), OWNER, CHAT) is Refusal.NOT_READY
