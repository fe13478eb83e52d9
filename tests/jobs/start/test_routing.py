"""Which models may serve a request: only those whose limits the user's files meet."""

from __future__ import annotations

import pytest

from bot.errors import InputRejected
from bot.jobs.start import InputProblem
from bot.jobs.start.routing import taking
from bot.media.kinds import MediaKind
from bot.models import REGISTRY
from bot.models.limits import InputFile
from bot.models.spec import ModelSpec


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
