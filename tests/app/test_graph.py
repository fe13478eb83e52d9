"""When a new job is first polled: with callbacks once its callback is late; in polling mode
at its model's first cadence step."""

from __future__ import annotations

from typing import Any

from bot.app.graph import first_poll
from bot.config import load_settings
from bot.models import REGISTRY

KEYS: dict[str, Any] = {"telegram_bot_token": "1:t", "kie_api_key": "k", "poll_after_seconds": 45}


def test_with_callbacks_the_first_poll_waits_for_a_late_callback() -> None:
    settings = load_settings(from_env=False, public_base_url="https://bot.example.com", **KEYS)
    assert first_poll(settings, REGISTRY)("nano-banana-pro") == 45


def test_in_polling_mode_the_first_poll_comes_on_the_models_cadence() -> None:
    at = first_poll(load_settings(from_env=False, **KEYS), REGISTRY)
    for key in ("nano-banana-pro", "suno/generate", "grok-imagine/text-to-video"):
        spec = REGISTRY.find(key)
        assert spec is not None and at(key) == spec.cadence.steps[0][1] < 45
    assert at("a model nobody has") == 3  # the default cadence's first step
