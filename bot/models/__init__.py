"""The model registry: every model, chain and user setting, looked up by key or by capability."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from bot.models.catalog import MODELS, SETTINGS
from bot.models.chains import CHAINS, Chain
from bot.models.spec import Capability, ModelSpec, Setting


class Registry:
    def __init__(
        self,
        models: Iterable[ModelSpec],
        settings: Iterable[Setting],
        chains: Iterable[Chain] = (),
    ) -> None:
        self.models = tuple(models)
        self.settings = tuple(settings)
        self.chains = tuple(chains)
        self._by_key = {m.key: m for m in self.models}
        self._settings = {s.key: s for s in self.settings}
        self._chains = {c.key: c for c in self.chains}
        if len(self._by_key) != len(self.models):
            raise ValueError("two models share a key")
        for chain in self.chains:
            self._check_chain(chain)

    def find(self, key: str) -> ModelSpec | None:
        return self._by_key.get(key)

    def candidates(
        self,
        capability: Capability,
        *,
        engine: str = "",
        providers: Iterable[str] = (),
        quality: str = "standard",
    ) -> list[ModelSpec]:
        """Models serving a capability: the preferred providers' first (in order; the rest
        after), and within a provider the user's engine first, in the user's quality first."""
        found = [m for m in self.models if m.capability is capability]
        order = {name: rank for rank, name in enumerate(providers)}
        found.sort(
            key=lambda m: (
                order.get(m.provider, len(order)),
                m.engine != engine,
                m.quality != quality,
            )
        )
        return found

    def chain(self, key: str) -> Chain | None:
        return self._chains.get(key)

    def chain_for(self, capability: Capability) -> Chain | None:
        """The chain a capability runs, when it is one."""
        return next((c for c in self.chains if c.capability is capability), None)

    def step_models(self, chain: Chain) -> list[ModelSpec]:
        """Each step's model, in order (checked to exist when the registry was built)."""
        return [self._by_key[step.model] for step in chain.steps]

    def setting(self, key: str) -> Setting:
        return self._settings[key]

    @property
    def longest_job_s(self) -> float:
        """The longest a job may run: a model's deadline, or a chain's steps' together."""
        chains = (sum(m.deadline_s for m in self.step_models(c)) for c in self.chains)
        return max([*(m.deadline_s for m in self.models), *chains])

    def priced(self, prices: Mapping[str, int]) -> Registry:
        """The same registry with some models' prices changed; raises ValueError naming a
        model it does not have."""
        unknown = sorted(set(prices) - set(self._by_key))
        if unknown:
            raise ValueError(f"no model is called {unknown[0]!r}")
        models = [dataclasses.replace(m, price=prices.get(m.key, m.price)) for m in self.models]
        return Registry(models, self.settings, self.chains)

    def _check_chain(self, chain: Chain) -> None:
        if len(chain.steps) < 2 or chain.key in {c.key for c in self.chains if c is not chain}:
            raise ValueError(f"chain {chain.key!r} needs a unique key and two steps or more")
        made = None  # what the step before makes; the next one must take it
        for step in chain.steps:
            spec = self._by_key.get(step.model)
            if spec is None or spec.capability is not step.capability:
                raise ValueError(f"chain {chain.key!r}: no {step.capability} model {step.model!r}")
            if made is not None and spec.slot(made) is None:
                raise ValueError(f"chain {chain.key!r}: {step.model!r} does not take {made}")
            made = spec.output


REGISTRY = Registry(MODELS, SETTINGS, CHAINS)
