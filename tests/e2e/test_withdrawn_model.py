"""A model Kie has withdrawn ("The model is not supported"): at submit or as a failed task, the
job goes to Novita's model of the same capability where one exists, the user otherwise hears
it is not available right now (never a content refusal), and the admins hear it once."""

from __future__ import annotations

from bot import texts
from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from bot.sandbox.emulators.kie import WITHDRAWN_MSG
from bot.sandbox.emulators.novita import NovitaEmulator
from tests.e2e.test_commands import command
from tests.e2e.test_failover import admin_texts, deliver, failures_told, fbot, kie_creates
from tests.harness import BotHarness, eventually

__all__ = ["fbot"]  # the fixture, shared with the failover tests

WITHDRAWN_WHAT = texts.withdrawn_alert("kie", "google/nano-banana")


def withdrawn_alerts(bot: BotHarness) -> list[str]:
    return [t for t in admin_texts(bot) if WITHDRAWN_WHAT in t]


async def test_a_withdrawn_model_at_submit_moves_every_job_to_novita_with_one_alert(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.withdrawn.add("google/nano-banana")
    chats = [fbot.new_user() for _ in range(3)]
    for chat in chats:
        command(fbot, chat, f"/imagine heron {chat}")

    tasks = await novita.wait_for_task(count=3)
    assert {t.fields["model_name"] for t in tasks} == {"seedream_3_0"}
    assert len(kie_creates(fbot)) == 3 and fbot.kie.tasks == {}  # each asked once, refused
    by_prompt = {t.fields["prompt"]: t for t in tasks}
    for chat in chats:
        await deliver(fbot, novita, by_prompt[f"heron {chat}"], chat)
        assert failures_told(fbot, chat) == []
    [alert] = withdrawn_alerts(fbot)
    assert WITHDRAWN_MSG in alert
    # Kie itself is not passed over: its other models still serve.
    assert not await fbot.redis.exists("provider:kie:cooldown")
    chat = fbot.new_user()
    command(fbot, chat, "/video a heron takes off")
    assert (await fbot.submitted_task()).model == "grok-imagine/text-to-video"


async def test_a_withdrawn_model_without_another_provider_is_not_available_right_now(
    fbot: BotHarness,
) -> None:
    fbot.kie.withdrawn.add("grok-imagine/text-to-video")
    chat = fbot.new_user()
    command(fbot, chat, "/video waves")

    expected = texts.failure_text(FailureKind.WITHDRAWN, output=MediaKind.VIDEO, from_photo=False)
    [said] = await fbot.wait_said(chat, lambda t: t == expected)
    text = said.params["text"]
    refusal = texts.failure_text(FailureKind.REJECTED, WITHDRAWN_MSG, from_photo=False)
    assert text != refusal and WITHDRAWN_MSG not in text and "refused" not in text
    await eventually(
        lambda: [
            t
            for t in admin_texts(fbot)
            if texts.withdrawn_alert("kie", "grok-imagine/text-to-video") in t
        ]
    )


async def test_a_task_failing_as_withdrawn_moves_to_novita_once_and_alerts_once(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = fbot.new_user()
    command(fbot, chat, "/imagine a kingfisher")
    task = await fbot.submitted_task()
    fbot.kie.finish(task.task_id, fail_code="422", fail_msg=WITHDRAWN_MSG)
    for _ in range(2):  # Kie repeats its callback: the job moves once
        assert (await fbot.kie.send_callback(task.task_id))[0] == 200

    [moved] = await novita.wait_for_task()
    assert moved.fields["model_name"] == "seedream_3_0" and moved.fields["prompt"] == "a kingfisher"
    await deliver(fbot, novita, moved, chat)
    # Kie's late repeat of the old task's callback is a harmless duplicate.
    assert (await fbot.kie.send_callback(task.task_id))[0] == 200
    assert failures_told(fbot, chat) == []
    assert len(novita.tasks) == 1
    [alert] = withdrawn_alerts(fbot)
    assert WITHDRAWN_MSG in alert
    assert await fbot.redis.hget(f"user:{chat}", "inflight") in (b"0", "0")
