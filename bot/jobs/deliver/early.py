"""Results ready before their job ends (a song's first track): what the early delivery sends.

The early lease holder sends a view of the job whose results are its early ones, at their
final indexes; every other index counts as done in the view only, so nothing else goes out
and the marks written are exactly those the final delivery skips.
"""

from __future__ import annotations

from dataclasses import replace

from bot.jobs.record import Job, ResultMark
from bot.providers.base import ResultMedia

_NOT_YET = ResultMedia("")  # an index whose result is not ready: never sent from the view


def early_view(job: Job) -> Job:
    """The job as the early delivery sends it: its early results not yet marked, and nothing
    else."""
    if not job.early:
        return replace(job, results=(), result_marks=dict(job.result_marks))
    size = max(job.early) + 1
    results = tuple(job.early.get(index, _NOT_YET) for index in range(size))
    marks = {index: ResultMark.SENT for index in range(size) if index not in job.early}
    return replace(job, results=results, result_marks={**marks, **job.result_marks})
