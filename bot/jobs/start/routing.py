"""Which models may serve a request, in order: the configured providers, healthy ones first,
and only models whose limits the user's files and texts meet."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.errors import InputRejected
from bot.jobs.record import Job
from bot.jobs.start.failover import Failover, by_health, one_per_provider
from bot.jobs.start.request import InputProblem, JobRequest
from bot.models import Registry
from bot.models.chains import Chain
from bot.models.limits import InputFile, Problem, check_file, check_files, check_texts
from bot.models.spec import Capability, ModelSpec


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a new job may go: `route` in order of preference (then failover), and for a
    chain, every step's model (its first step's is the route)."""

    route: list[ModelSpec]
    chain: Chain | None = None
    steps: tuple[ModelSpec, ...] = ()


class Router:
    """Chooses models for requests from the registry, the configured providers and their order,
    and the providers' cool-downs."""

    def __init__(
        self,
        registry: Registry,
        providers: Collection[str],
        failover: Failover,
        order: Mapping[Capability, tuple[str, ...]],
    ) -> None:
        self._registry = registry
        self._providers = providers
        self._failover = failover
        # The providers allowed for a capability, in order; a capability not listed: any, in
        # the catalog's order.
        self._order = order

    async def plan(self, request: JobRequest, settings: Mapping[str, str]) -> Plan:
        """Raises InputRejected when no model may serve the request as it is."""
        chain = self._registry.chain_for(request.capability)
        if chain is None:
            return Plan(await self.route(request, settings))
        steps = self.chain_models(chain, request, settings)  # every step's model, checked now
        return Plan(steps[:1], chain, tuple(steps))

    async def route(self, request: JobRequest, settings: Mapping[str, str]) -> list[ModelSpec]:
        """The models a job may go to, in order: the first whose limits the inputs meet (one
        per provider), then those after it; raises InputRejected with the first's problem."""
        route = pinned(
            await self.models(request.capability, settings), self._registry.find(request.model)
        )
        files = request.metas()
        first_problem = None
        for index, spec in enumerate(route):
            problem = check_files(spec, files) or check_texts(spec, request.texts, settings)
            if problem is None:
                return route[index:]
            first_problem = first_problem or problem
        raise InputRejected(InputProblem.OVER_LIMIT, problem=first_problem)

    async def models(self, capability: Capability, settings: Mapping[str, str]) -> list[ModelSpec]:
        """The models that may serve a capability for this user, one per provider, best first:
        allowed and configured providers in the configured order, healthy ones before those
        cooling down; within a provider, the user's engine."""
        allowed = self._order.get(capability)
        specs = [
            spec
            for spec in self._registry.candidates(
                capability,
                engine=settings.get("video_engine", ""),
                providers=allowed or (),
                quality=settings.get("video_quality", "standard"),
            )
            if spec.provider in self._providers and (allowed is None or spec.provider in allowed)
        ]
        if not specs:
            raise InputRejected(InputProblem.UNAVAILABLE)
        providers = {spec.provider for spec in specs}
        if len(providers) > 1:
            specs = by_health(specs, await self._failover.cooling(providers))
        return one_per_provider(specs)

    def chain_models(
        self, chain: Chain, request: JobRequest, settings: Mapping[str, str]
    ) -> list[ModelSpec]:
        """A chain's models, one per step: each step's provider configured, the files within
        the first's limits and the texts (the prompt reaches every step) within each one's."""
        models = self._registry.step_models(chain)
        if any(m.provider not in self._providers for m in models):
            raise InputRejected(InputProblem.UNAVAILABLE)
        problem = check_files(models[0], request.metas())
        for spec in models:
            problem = problem or check_texts(spec, request.texts, settings)
        if problem is not None:
            raise InputRejected(InputProblem.OVER_LIMIT, problem=problem)
        return models

    def step_model(self, job: Job) -> ModelSpec:
        """The model a chain's later step names; raises InputRejected when it cannot be used."""
        spec = self._registry.find(job.model)
        if spec is None or spec.provider not in self._providers:
            raise InputRejected(InputProblem.UNAVAILABLE)
        return spec

    async def file_problem(
        self, capability: Capability, settings: Mapping[str, str], file: InputFile
    ) -> Problem | None:
        """A file's problem with every model that may serve it (the first model's), or None
        when one of them takes it."""
        problems = [file_problem(spec, file) for spec in await self.models(capability, settings)]
        return None if None in problems else problems[0]


def pinned(route: list[ModelSpec], spec: ModelSpec | None) -> list[ModelSpec]:
    """The route with `spec` in its provider's place (a job run again keeps its model); as it
    was when that provider is not on it (not configured, not allowed) or there is no spec."""
    if spec is None:
        return route
    return [spec if m.provider == spec.provider and m.capability is spec.capability else m
            for m in route]  # fmt: skip


def params(spec: ModelSpec, settings: Mapping[str, str]) -> dict[str, str]:
    """The user's settings the model reads."""
    return {option.setting: settings[option.setting] for option in spec.options}


def file_problem(spec: ModelSpec, file: InputFile) -> Problem | None:
    """The file's problem with the model's slot for its kind; None when it has no such slot."""
    slot = spec.slot(file.kind)
    return check_file(slot, file) if slot else None


def taking(route: Sequence[ModelSpec], file: InputFile) -> list[ModelSpec]:
    """The models on the route that take the file; raises InputRejected with the first's
    problem when none does."""
    problems = [file_problem(spec, file) for spec in route]
    if None not in problems:
        raise InputRejected(InputProblem.OVER_LIMIT, problem=problems[0])
    return [spec for spec, problem in zip(route, problems, strict=True) if not problem]


def fits(job: Job, spec: ModelSpec, settings: Mapping[str, str], texts: Mapping[str, str]) -> bool:
    """Whether another model takes the job's stored inputs and texts as they are."""
    files = [m.meta() for m in job.inputs]
    return check_files(spec, files) is None and check_texts(spec, texts, settings) is None
