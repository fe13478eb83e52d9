"""How often a model's job is polled: quickly at first, then less often as it ages."""

from __future__ import annotations

import pytest

from bot.models.spec import Cadence


@pytest.mark.parametrize(
    ("age", "delay"),
    [(0, 3.0), (29.9, 3.0), (30, 10.0), (119.9, 10.0), (120, 30.0), (900, 30.0), (-1, 3.0)],
)
def test_kie_poll_cadence(age: float, delay: float) -> None:
    assert Cadence().next_delay(age) == delay
