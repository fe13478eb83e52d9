"""Which models may serve a request: only those whose limits the user's files meet."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.errors import FailureKind, InputRejected
from bot.jobs.start import Failover, InputProblem, JobRequest, Router
from bot.jobs.start.routing import taking
from bot.media.kinds import MediaKind
from bot.models import REGISTRY
from bot.models.limits import InputFile
from bot.models.spec import Capability, ModelSpec


def model(key: str) -> ModelSpec:
    spec = REGISTRY.find(key)
    assert spec is not None
    return spec


def test_the_route_keeps_the_models_that_take_a_file() -> None:
    strict, lenient = model("wan/2-2-animate-move"), model("kling-2.6/motion-control")
    big = InputFile(MediaKind.VIDEO, "video/mp4", 15 * 1024 * 1024, 5.0, 1280, 720)

    assert taking([strict, lenient], big) == [lenient]  # over the first's 10 MB only
    with pytest.raises(InputRejected) as refused:
        taking([strict], big)
    assert refused.value.reason == InputProblem.OVER_LIMIT and refused.value.problem is not None


def video_request(**kw: object) -> JobRequest:
    return JobRequest(chat_id=1, user_id=1, capability=Capability.TEXT_TO_VIDEO,
                      texts={"prompt": "waves"}, **kw)  # type: ignore[arg-type]  # fmt: skip


async def test_a_job_run_again_keeps_its_model_over_the_users_engine(redis: Redis) -> None:
    router = Router(REGISTRY, {"kie"}, Failover(redis, 60.0), {})
    grok = {"video_engine": "grok"}

    assert [m.key for m in await router.route(video_request(), grok)] == [
        "grok-imagine/text-to-video"
    ]
    pinned = await router.route(video_request(model="sora-2-text-to-video"), grok)
    assert [m.key for m in pinned] == ["sora-2-text-to-video"]


async def test_a_pinned_model_whose_provider_cools_down_fails_over_as_any_job(
    redis: Redis,
) -> None:
    failover = Failover(redis, 60.0)
    router = Router(REGISTRY, {"kie", "novita"}, failover, {})
    request = JobRequest(chat_id=1, user_id=1, capability=Capability.TEXT_TO_IMAGE,
                         texts={"prompt": "a fox"}, model="google/nano-banana")  # fmt: skip

    assert [m.key for m in await router.route(request, {})] == ["google/nano-banana",
                                                                 "seedream_3_0"]  # fmt: skip
    await failover.trip("kie", FailureKind.NO_CREDITS)
    assert [m.key for m in await router.route(request, {})] == ["seedream_3_0",
                                                                 "google/nano-banana"]  # fmt: skip
    # A model no provider here serves (or the registry no longer knows): the capability's.
    alone = Router(REGISTRY, {"novita"}, failover, {})
    assert [m.key for m in await alone.route(request, {})] == ["seedream_3_0"]
    gone = JobRequest(chat_id=1, user_id=1, capability=Capability.TEXT_TO_IMAGE,
                      texts={"prompt": "a fox"}, model="withdrawn-model")  # fmt: skip
    plain = JobRequest(chat_id=1, user_id=1, capability=Capability.TEXT_TO_IMAGE,
                       texts={"prompt": "a fox"})  # fmt: skip
    assert await router.route(gone, {}) == await router.route(plain, {})
