"""Again (and /history's Run again, the same press): the same model, prompt, settings and input
bytes as a new job, for its owner only, once per moment, with a plain answer for everything
else. Until results carry the button, presses are sent the way Telegram would send them."""

from __future__ import annotations

import asyncio
import copy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3

from bot import texts
from bot.deps import BOT_DATA_KEY, Deps
from bot.jobs.again import AgainRefusal, Repeats, Where
from bot.jobs.buttons import JobAction, button_data
from bot.models import REGISTRY
from bot.sandbox.emulators.kie import KieTask
from bot.sandbox.emulators.novita import NovitaEmulator
from bot.sandbox.emulators.telegram import ApiCall
from bot.web.keys import PTB_APP
from tests.conftest import BUCKET
from tests.e2e.test_commands import RESULT, command, fetched, mp4
from tests.e2e.test_novita import job_of as novita_job
from tests.e2e.test_sketch import animating, drawn, finish_video, novita_settings
from tests.handlers.test_groups import GROUP, MENTION
from tests.harness import BotHarness, StartBot, eventually
from tests.images import jpeg

PERSON = jpeg(640, 800)


def deps_of_bot(bot: BotHarness) -> Deps:
    deps = bot.app[PTB_APP].bot_data[BOT_DATA_KEY]
    assert isinstance(deps, Deps)
    return deps


def job_of(task: KieTask) -> str:
    assert task.callback_url is not None
    return parse_qs(urlsplit(task.callback_url).query)["job"][0]


async def delivered(
    bot: BotHarness, chat: int, task: KieTask, method: str = "sendPhoto", data: bytes = RESULT
) -> ApiCall:
    """The task finishes and its result reaches the chat; returns the result message's call."""
    before = len([c for c in bot.telegram.calls_to(method) if c.ok])
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(data)])
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    sent = await bot.wait_sent(chat, method, count=before + 1)
    return sent[-1]


def press(bot: BotHarness, chat: int, data: str, message: ApiCall, **kw: Any) -> dict[str, Any]:
    user = kw.pop("user_id", chat)
    return bot.telegram.callback_query_update(
        chat_id=chat, user_id=user, data=data, message_id=message.result["message_id"]
    )


async def answered(bot: BotHarness, count: int = 1) -> ApiCall:
    """The count-th answer to a button press."""
    calls = await bot.telegram.wait_for("answerCallbackQuery", count=count)
    return calls[count - 1]


async def test_again_submits_the_same_model_prompt_and_input_bytes(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="make it a watercolor", data=PERSON)
    first = await bot.submitted_task()
    result = await delivered(bot, chat, first)

    press(bot, chat, button_data(JobAction.AGAIN, job_of(first)), result)
    second = await bot.submitted_task(2)

    assert job_of(second) != job_of(first)
    assert second.model == first.model == "nano-banana-pro"
    assert second.input == {**first.input, "image_input": second.input["image_input"]}
    assert [await fetched(u) for u in second.input["image_input"]] == [PERSON]
    assert (await answered(bot)).params.get("text") is None  # the status message speaks
    # The new job answers in the same chat, replying to the message the button sits on.
    result_id = result.result["message_id"]
    [status] = await bot.telegram.wait_for(
        "sendMessage", lambda c: c.params.get("reply_parameters", {}).get("message_id") == result_id
    )
    assert int(status.params["chat_id"]) == chat
    again = await delivered(bot, chat, second)
    assert again.params["photo"] == RESULT


async def test_again_keeps_the_model_and_settings_it_was_asked_with(bot: BotHarness) -> None:
    chat = bot.new_user()
    await bot.redis.hset(f"settings:{chat}", mapping={"video_engine": "sora"})
    command(bot, chat, "/video waves at sunset")
    first = await bot.submitted_task()
    assert first.model == "sora-2-text-to-video"
    result = await delivered(bot, chat, first, "sendVideo", mp4())
    # The user has changed their settings since: Again still runs what was asked.
    await bot.redis.hset(f"settings:{chat}", mapping={"video_engine": "grok"})

    press(bot, chat, button_data(JobAction.AGAIN, job_of(first)), result)
    second = await bot.submitted_task(2)

    assert second.model == "sora-2-text-to-video"
    assert second.input == first.input


async def test_another_users_press_starts_nothing(bot: BotHarness) -> None:
    owner, stranger = bot.new_user(), bot.new_user()
    bot.send_photo(owner, caption="make it a watercolor")
    first = await bot.submitted_task()
    result = await delivered(bot, owner, first)

    update = press(bot, owner, button_data(JobAction.AGAIN, job_of(first)), result,
                   user_id=stranger)  # fmt: skip
    alert = await answered(bot)
    await bot.settled(update)

    assert alert.params["text"] == texts.AGAIN_NOT_YOURS()
    assert alert.params["show_alert"] is True
    assert len(bot.kie.tasks) == 1


async def test_forged_and_garbage_data_start_nothing(bot: BotHarness) -> None:
    owner, other = bot.new_user(), bot.new_user()
    bot.send_photo(other, caption="someone else's photo")
    others_job = job_of(await bot.submitted_task())
    bot.telegram.message_update(chat_id=owner, user_id=owner, text="/help")
    [menu] = await bot.wait_sent(owner, "sendMessage")

    forged = [
        button_data(JobAction.AGAIN, others_job),  # a real job, not theirs
        button_data(JobAction.AGAIN, "0" * 32),  # valid-looking, no such job
        "job:again:not-a-job-id",
        "job:again:" + "a" * 32 + ":9:extra",
    ]
    updates = [press(bot, owner, data, menu) for data in forged]
    await bot.settled(*updates)
    alerts = await bot.telegram.wait_for("answerCallbackQuery", count=4)

    assert [a.params["text"] for a in alerts] == [
        texts.AGAIN_NOT_YOURS(), texts.AGAIN_GONE(), texts.AGAIN_GONE(), texts.AGAIN_GONE(),
    ]  # fmt: skip
    assert all(a.params["show_alert"] for a in alerts)
    assert len(bot.kie.tasks) == 1


async def test_a_deleted_job_or_its_expired_inputs_are_said_politely(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="one")
    first = await bot.submitted_task()
    result = await delivered(bot, chat, first)
    bot.send_photo(chat, caption="two")
    second = await bot.submitted_task(2)
    await delivered(bot, chat, second)
    # The first job's record expired; the second's stored photo was deleted.
    assert await bot.redis.delete(f"job:{job_of(first)}") == 1
    job = await deps_of_bot(bot).store.get(job_of(second))
    assert job is not None and job.inputs
    s3 = boto3.client("s3", endpoint_url=str(bot.settings.r2_endpoint_url),
                      aws_access_key_id="test", aws_secret_access_key="test",
                      region_name="us-east-1")  # fmt: skip
    await asyncio.to_thread(s3.delete_object, Bucket=BUCKET, Key=job.inputs[0].key)

    press(bot, chat, button_data(JobAction.AGAIN, job_of(first)), result)
    press(bot, chat, button_data(JobAction.AGAIN, job_of(second)), result)
    alerts = await bot.telegram.wait_for("answerCallbackQuery", count=2)

    assert [a.params["text"] for a in alerts] == [texts.AGAIN_GONE(), texts.AGAIN_INPUTS_GONE()]
    assert len(bot.kie.tasks) == 2


async def test_two_presses_at_once_start_one_job(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="make it a watercolor")
    first = await bot.submitted_task()
    result = await delivered(bot, chat, first)

    data = button_data(JobAction.AGAIN, job_of(first))
    updates = [press(bot, chat, data, result), press(bot, chat, data, result)]
    await bot.submitted_task(2)
    await bot.settled(*updates)
    answers = await bot.telegram.wait_for("answerCallbackQuery", count=2)

    assert len(bot.kie.tasks) == 2  # the first job and one again, not two
    assert sorted(str(a.params.get("text")) for a in answers) == sorted(
        [texts.AGAIN_ALREADY(), "None"]
    )


async def test_gathered_presses_claim_the_moment_once(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="make it a watercolor")
    job_id = job_of(await bot.submitted_task())
    deps = deps_of_bot(bot)
    repeats = Repeats(deps.redis, deps.store, deps.storage, REGISTRY)
    where = Where(chat, None, "en")

    answers = await asyncio.gather(*(repeats.request(job_id, chat, where) for _ in range(5)))

    refused = [a for a in answers if isinstance(a, AgainRefusal)]
    assert refused == [AgainRefusal.TOO_SOON] * 4
    [request] = [a for a in answers if not isinstance(a, AgainRefusal)]
    assert request.model == "nano-banana-pro" and request.texts["prompt"] == "make it a watercolor"


async def test_at_the_in_flight_limit_a_press_gets_the_limit_message(start_bot: StartBot) -> None:
    async with start_bot(user_max_jobs_in_flight=1) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="still running")
        first = await bot.submitted_task()
        [status] = await bot.wait_sent(chat, "sendMessage")

        press(bot, chat, button_data(JobAction.AGAIN, job_of(first)), status)
        [refusal] = await bot.wait_said(chat, lambda t: t == texts.TOO_MANY_IN_FLIGHT())

        assert refusal.params["reply_parameters"]["message_id"] == status.result["message_id"]
        assert len(bot.kie.tasks) == 1


async def test_a_press_works_after_a_restart(start_bot: StartBot) -> None:
    async with start_bot() as before:
        chat = before.new_user()
        before.send_photo(chat, caption="make it a watercolor", data=PERSON)
        first = await before.submitted_task()
        result = await delivered(before, chat, first)
    # The bot is down when the press is made: Telegram keeps it, the restarted bot takes it.
    update = press(before, chat, button_data(JobAction.AGAIN, job_of(first)), result)
    async with start_bot() as after:
        second = await after.submitted_task(2)
        await after.settled(update)

        assert second.model == first.model and second.input["prompt"] == first.input["prompt"]
        assert [await fetched(u) for u in second.input["image_input"]] == [PERSON]
        # Telegram sends the press again (its offset was not confirmed before a crash, say).
        after.telegram.push_update(copy.deepcopy(update))
        await eventually(lambda: fetched_times(after, update["update_id"]) == 2)
        await after.settled(update)

        assert len(after.kie.tasks) == 2
        query_id = update["callback_query"]["id"]
        answers = after.telegram.calls_to("answerCallbackQuery")
        assert [a.params["callback_query_id"] for a in answers].count(query_id) == 1


def fetched_times(bot: BotHarness, update_id: int) -> int:
    """How often the bot was handed this update by getUpdates."""
    return sum(
        1 for call in bot.telegram.calls_to("getUpdates") if call.ok
        for given in call.result or [] if given["update_id"] == update_id
    )  # fmt: skip


async def test_a_sketch_runs_again_as_the_whole_chain(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    async with start_bot(**novita_settings(novita)) as bot:
        chat = bot.new_user()
        seed, _ = await drawn(bot, novita, chat)
        assert (await novita.send_webhook(seed.task_id))[0] == 200
        await finish_video(novita, await animating(novita))
        [video] = await bot.wait_sent(chat, "sendVideo")

        press(bot, chat, button_data(JobAction.AGAIN, novita_job(seed)), video)
        tasks = await novita.wait_for_task(count=3)

        [again] = [t for t in tasks if t.endpoint == "txt2img" and t is not seed]
        assert novita_job(again) != novita_job(seed)
        assert again.fields == seed.fields  # Seedream again, with the same prompt and settings
        job = await deps_of_bot(bot).store.get(novita_job(again))
        assert job is not None and (job.chain, job.step, job.steps) == ("sketch", 0, 2)


async def test_in_a_group_only_the_asker_runs_it_again_there(bot: BotHarness) -> None:
    owner, stranger = bot.new_user(), bot.new_user()
    bot.send_photo(GROUP, caption=f"{MENTION} make it a watercolor", user_id=owner)
    first = await bot.submitted_task()
    result = await delivered(bot, GROUP, first)
    data = button_data(JobAction.AGAIN, job_of(first))

    refused = press(bot, GROUP, data, result, user_id=stranger)
    await bot.settled(refused)
    press(bot, GROUP, data, result, user_id=owner)
    second = await bot.submitted_task(2)

    [alert, _] = await bot.telegram.wait_for("answerCallbackQuery", count=2)
    assert alert.params["text"] == texts.AGAIN_NOT_YOURS() and alert.params["show_alert"]
    assert second.input["prompt"] == "make it a watercolor"
    job = await deps_of_bot(bot).store.get(job_of(second))
    assert job is not None and (job.chat_id, job.user_id) == (GROUP, owner)
    assert job.reply_to_message_id == result.result["message_id"]
