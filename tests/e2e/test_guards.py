"""Per-user limits, HMAC-signed callbacks, and confirming callbacks with recordInfo."""

from __future__ import annotations

from bot import texts
from bot.sandbox.emulators.kie import KieEmulator
from tests.harness import StartBot
from tests.images import png

RESULT_PNG = png(text=b"guard")
ADMIN = 4242


async def test_jobs_in_flight_are_capped_per_user_but_not_for_admins(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    async with start_bot(user_max_jobs_in_flight=2) as bot:
        user = bot.new_user()
        for n in range(3):
            bot.send_photo(user, caption=f"photo {n}")
        [refusal] = await bot.wait_said(user, lambda t: t == texts.TOO_MANY_IN_FLIGHT())
        assert refusal.method == "sendMessage"
        assert len(await bot.kie.wait_for_task(count=2)) == 2

        for n in range(3):
            bot.send_photo(ADMIN, caption=f"admin {n}")
        assert len(await bot.kie.wait_for_task(count=5)) == 5

        # A finished job frees its slot.
        first = next(iter(kie.tasks.values()))
        kie.finish(first.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])
        await kie.send_callback(first.task_id)
        await bot.wait_sent(user)
        bot.send_photo(user, caption="after one finished")
        assert len(await bot.kie.wait_for_task(count=6)) == 6


async def test_hourly_cap(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    async with start_bot(user_max_jobs_per_hour=1) as bot:
        user = bot.new_user()
        bot.send_photo(user, caption="one")
        await bot.submitted_task()
        bot.send_photo(user, caption="two")

        await bot.wait_said(user, lambda t: t == texts.HOURLY_CAP())
        assert len(kie.tasks) == 1


async def test_signed_callback_accepted_and_unsigned_refused(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    async with start_bot(kie_webhook_hmac_key="hmac-key") as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="signed")
        task = await bot.submitted_task()
        kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])

        unsigned, _ = await kie.send_callback(task.task_id)
        signed, _ = await kie.send_callback(
            task.task_id, headers=kie.sign_webhook(task.task_id, "hmac-key")
        )

        assert (unsigned, signed) == (401, 200)
        [sent] = await bot.wait_sent(chat)
        assert sent.params["photo"] == RESULT_PNG


async def test_confirmation_believes_record_info_not_the_callback_body(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    async with start_bot(kie_confirm_results=True) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="confirm me")
        task = await bot.submitted_task()
        real = kie.add_result_file(RESULT_PNG)
        planted = kie.add_result_file(png(text=b"planted"))
        body = {"code": 200, "data": {"taskId": task.task_id, "state": "success",
                "resultJson": f'{{"resultUrls":["{planted}"]}}'}}  # fmt: skip

        early, _ = await kie.send_callback(task.task_id, body=body)  # Kie says: still running
        kie.finish(task.task_id, result_urls=[real])
        late, _ = await kie.send_callback(task.task_id, body=body)

        assert (early, late) == (200, 200)
        [sent] = await bot.wait_sent(chat)
        assert sent.params["photo"] == RESULT_PNG
        checks = [r for r in kie.requests if r.path == "/api/v1/jobs/recordInfo"]
        assert len(checks) == 2


async def test_a_confirmation_waits_for_room_in_the_polling_budget(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    """A callback's confirming recordInfo takes its slot like any poll: with the key's budget
    spent, nothing is asked at once, and the reconciler asks when the budget has room."""
    import time

    from bot.constants import POLL_BUDGET_KEY
    from bot.web.keys import DEPS

    async with start_bot(kie_confirm_results=True, poll_after_seconds=1) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="confirm me later")
        task = await bot.submitted_task()
        deps = bot.app[DEPS]
        spec = deps.registry.find(task.model)
        assert spec is not None
        [budget] = [b for b in deps.providers["kie"].poll_budgets(spec, task.task_id)]
        key = POLL_BUDGET_KEY.format(name=budget.name)
        await bot.redis.set(key, f"{time.time() + 3:.6f}")  # spent for the next 3 s
        kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])

        status, _ = await kie.send_callback(task.task_id)
        checks = [r for r in kie.requests if r.path == "/api/v1/jobs/recordInfo"]
        assert status == 200 and checks == []  # the budget said no: nothing asked

        [sent] = await bot.wait_sent(chat)  # asked by the reconciler once there was room
        assert sent.params["photo"] == RESULT_PNG
        assert [r for r in kie.requests if r.path == "/api/v1/jobs/recordInfo"]
