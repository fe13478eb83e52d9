"""The model registry: every model and user setting, looked up by key or by capability."""

from __future__ import annotations

from collections.abc import Iterable

from bot.models.catalog import MODELS, SETTINGS
from bot.models.spec import Capability, ModelSpec, Setting


class Registry:
    def __init__(self, models: Iterable[ModelSpec], settings: Iterable[Setting]) -> None:
        self.models = tuple(models)
        self.settings = tuple(settings)
        self._by_key = {m.key: m for m in self.models}
        self._settings = {s.key: s for s in self.settings}
        if len(self._by_key) != len(self.models):
            raise ValueError("two models share a key")

    def find(self, key: str) -> ModelSpec | None:
        return self._by_key.get(key)

    def candidates(
        self, capability: Capability, *, engine: str = "", providers: Iterable[str] = ()
    ) -> list[ModelSpec]:
        """Models serving a capability: the preferred providers' first (in order; the rest
        after), and within a provider the user's engine first."""
        found = [m for m in self.models if m.capability is capability]
        order = {name: rank for rank, name in enumerate(providers)}
        found.sort(key=lambda m: (order.get(m.provider, len(order)), m.engine != engine))
        return found

    def setting(self, key: str) -> Setting:
        return self._settings[key]


REGISTRY = Registry(MODELS, SETTINGS)
