"""/jobs in words: what each running job makes, how long so far, which stage, in both
languages."""

from __future__ import annotations

from bot import texts
from bot.handlers.running import jobs_keyboard, jobs_text
from bot.jobs.record import Job, JobState
from bot.locales import speaking
from bot.models import REGISTRY

NOW = 10_000.0


def job(model: str, age_s: float, **fields: object) -> Job:
    return Job(f"{len(model):032x}", 1, 1, "", model, created_at=NOW - age_s, **fields)  # type: ignore[arg-type]


def test_each_line_says_what_how_long_and_which_stage() -> None:
    jobs = [
        job("nano-banana-pro", 5),  # no task yet
        job("grok-imagine/text-to-video", 130, task_id="t"),
        job("suno/generate", 65, task_id="t", stage="first"),
        job("kling-v2.1-i2v-master", 20, task_id="t", chain="sketch", step=1, steps=2),
        job("seedream_3_0", 40, task_id="t", chain="sketch", steps=2, state=JobState.SUCCEEDED),
    ]
    with speaking("en"):
        lines = jobs_text(jobs, REGISTRY, NOW).splitlines()
    assert lines == [
        "Running now:",
        "1) Your image, 0 s so far. Starting.",
        "2) Your video, 2 min 10 s so far. Being made.",
        "3) Your song, 1 min 0 s so far. The first track is ready; finishing the second.",
        "4) Your video, 20 s so far. Step 2 of 2: animating…",
        "5) Your image, 40 s so far. Step 1 of 2 done; the next one starts soon.",
    ]
    with speaking("id"):
        indonesian = jobs_text(jobs[1:2], REGISTRY, NOW).splitlines()
    assert indonesian == ["Sedang berjalan:", "1) Videomu, sudah 2 menit 10 detik. Sedang dibuat."]


def test_a_numbered_cancel_button_a_job_three_a_row() -> None:
    jobs = [job("nano-banana-pro" + "x" * n, 1) for n in range(4)]
    rows = jobs_keyboard(jobs).inline_keyboard
    assert [[b.text for b in row] for row in rows] == [
        [texts.CANCEL_NUMBERED(number=str(n)) for n in (1, 2, 3)],
        [texts.CANCEL_NUMBERED(number="4")],
    ]
    assert rows[0][0].callback_data == f"job:cancel:{jobs[0].id}"
