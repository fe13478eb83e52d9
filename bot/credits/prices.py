"""What a job costs, from the registry's prices (PRICES overrides them at start-up)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.media.kinds import MediaKind
from bot.models import Registry
from bot.models.spec import ModelSpec


@dataclass(frozen=True, slots=True)
class Quote:
    """A job's price, and whether the user confirms it before the job starts."""

    price: int
    confirm: bool


class Prices:
    """Prices of jobs; anything dearer than the dearest image is confirmed first."""

    def __init__(
        self, registry: Registry, *, charging: bool, admin_ids: frozenset[int] = frozenset()
    ) -> None:
        self.charging = charging
        self._admin_ids = admin_ids
        images = [m.price for m in registry.models if m.output is MediaKind.IMAGE]
        self.confirm_above = max(images, default=0)

    def quote(self, steps: Sequence[ModelSpec], user_id: int) -> Quote | None:
        """A chain costs its steps together; None (free, no ledger) for admins and when the
        bot takes no payments."""
        if not self.charging or user_id in self._admin_ids:
            return None
        price = sum(step.price for step in steps)
        return Quote(price, price > self.confirm_above)
