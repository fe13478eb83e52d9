"""What a job must produce comes from its model's registry entry; a result may say otherwise."""

from __future__ import annotations

import pytest

from bot.jobs.deliver.outputs import output_kind, result_kind
from bot.jobs.record import Job
from bot.media.kinds import MediaKind
from bot.models import REGISTRY
from bot.providers.base import ResultMedia


def job(model: str) -> Job:
    return Job("id", 1, 1, "prompt", model)


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("nano-banana-pro", MediaKind.IMAGE),
        ("grok-imagine/text-to-video", MediaKind.VIDEO),
        ("kling-2.6/motion-control", MediaKind.VIDEO),
        ("suno/generate", MediaKind.AUDIO),
        ("a-model-since-retired", MediaKind.IMAGE),
        ("", MediaKind.IMAGE),  # a record from before jobs named their model
    ],
)
def test_a_jobs_output_is_its_models(model: str, kind: MediaKind) -> None:
    assert output_kind(REGISTRY, job(model)) is kind


def test_a_results_own_kind_wins() -> None:
    music = job("suno/generate")

    assert result_kind(REGISTRY, music, ResultMedia("u", MediaKind.IMAGE)) is MediaKind.IMAGE
    assert result_kind(REGISTRY, music, ResultMedia("u")) is MediaKind.AUDIO
