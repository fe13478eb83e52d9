"""Chains are declared data the registry checks: steps name real models of their capability,
and each step takes what the one before makes."""

from __future__ import annotations

import pytest

from bot.media.kinds import MediaKind
from bot.models import REGISTRY, Registry
from bot.models.chains import Chain, ChainStep
from bot.models.spec import Capability


def test_sketch_draws_then_animates() -> None:
    chain = REGISTRY.chain_for(Capability.SKETCH)
    assert chain is not None and REGISTRY.chain("sketch") is chain
    first, second = REGISTRY.step_models(chain)
    assert (first.capability, first.output) == (Capability.TEXT_TO_IMAGE, MediaKind.IMAGE)
    assert (second.capability, second.output) == (Capability.IMAGE_TO_VIDEO, MediaKind.VIDEO)
    assert second.slot(MediaKind.IMAGE) is not None
    assert REGISTRY.chain_for(Capability.TEXT_TO_IMAGE) is None


def test_a_chain_lasts_as_long_as_its_steps_together() -> None:
    chain = REGISTRY.chain_for(Capability.SKETCH)
    assert chain is not None
    together = sum(m.deadline_s for m in REGISTRY.step_models(chain))
    assert REGISTRY.longest_job_s >= together > max(m.deadline_s for m in REGISTRY.models)


@pytest.mark.parametrize(
    "steps",
    [
        # A model that does not exist.
        (ChainStep(Capability.TEXT_TO_IMAGE, "no-such-model"),
         ChainStep(Capability.IMAGE_TO_VIDEO, "kling-v2.1-i2v-master")),
        # A model of another capability than the step says.
        (ChainStep(Capability.TEXT_TO_VIDEO, "seedream_3_0"),
         ChainStep(Capability.IMAGE_TO_VIDEO, "kling-v2.1-i2v-master")),
        # A step that cannot take what the step before makes (a video into text to image).
        (ChainStep(Capability.IMAGE_TO_VIDEO, "kling-v2.1-i2v-master"),
         ChainStep(Capability.TEXT_TO_IMAGE, "seedream_3_0")),
        # One step is no chain.
        (ChainStep(Capability.TEXT_TO_IMAGE, "seedream_3_0"),),
    ],
)  # fmt: skip
def test_broken_chains_are_refused(steps: tuple[ChainStep, ...]) -> None:
    with pytest.raises(ValueError):
        Registry(REGISTRY.models, REGISTRY.settings, [Chain("broken", Capability.SKETCH, steps)])
