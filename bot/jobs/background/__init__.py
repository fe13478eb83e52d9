"""Work that runs beside the jobs: the reconciler, progress of long jobs, status messages."""

from bot.jobs.background.notices import StatusNotices
from bot.jobs.background.progress import Progress
from bot.jobs.background.reconciler import Reconciler, reconcile_interval

__all__ = ["Progress", "Reconciler", "StatusNotices", "reconcile_interval"]
