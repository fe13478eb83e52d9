"""What a job's results must be: what its model makes, as the registry says."""

from __future__ import annotations

from bot.jobs.record import Job
from bot.media.kinds import MediaKind
from bot.models import Registry
from bot.models.spec import Capability
from bot.providers.base import ResultMedia


def output_kind(registry: Registry, job: Job) -> MediaKind:
    """The kind of file the job's model produces; a model no longer listed made images (records
    from before the registry are image jobs)."""
    spec = registry.find(job.model)
    return spec.output if spec is not None else MediaKind.IMAGE


def next_output_kind(registry: Registry, job: Job) -> MediaKind | None:
    """What a chain's next step makes, when the job has one."""
    chain = registry.chain(job.chain) if job.has_next_step else None
    if chain is None or job.step + 1 >= len(chain.steps):
        return None
    spec = registry.find(chain.steps[job.step + 1].model)
    return spec.output if spec is not None else None


def capability_of(registry: Registry, job: Job) -> Capability | None:
    """What the user asked for: a chain's capability, else its model's; None for a model no
    longer listed."""
    chain = registry.chain(job.chain) if job.chain else None
    if chain is not None:
        return chain.capability
    spec = registry.find(job.model)
    return spec.capability if spec is not None else None


def result_kind(registry: Registry, job: Job, result: ResultMedia) -> MediaKind:
    """The kind one result must be: its own where the provider said, else the job's."""
    return result.kind or output_kind(registry, job)
