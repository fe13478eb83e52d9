"""Chains: one job whose steps run one after another, each starting from the previous step's
result. Declared as data; the job path only knows that a job has steps."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.spec import Capability


@dataclass(frozen=True, slots=True)
class ChainStep:
    """One step: what it does, and the registry key of the model that does it."""

    capability: Capability
    model: str


@dataclass(frozen=True, slots=True)
class Chain:
    """The steps a capability runs, in order; the key names the chain on job records."""

    key: str
    capability: Capability
    steps: tuple[ChainStep, ...]


CHAINS: tuple[Chain, ...] = (
    # /sketch, the Novita seed's pipeline: words -> an image the user sees -> that image moving.
    Chain(
        "sketch",
        Capability.SKETCH,
        (
            ChainStep(Capability.TEXT_TO_IMAGE, "seedream_3_0"),
            ChainStep(Capability.IMAGE_TO_VIDEO, "kling-v2.1-i2v-master"),
        ),
    ),
)
