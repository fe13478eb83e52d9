"""What a job's results must be. Every model today makes images; the model registry will say."""

from __future__ import annotations

from bot.jobs.model import Job
from bot.media.kinds import MediaKind


def output_kind(job: Job) -> MediaKind:
    """The kind of file every result of this job must be."""
    return MediaKind.IMAGE
