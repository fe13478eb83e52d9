"""Starting a job: model and provider choice, failover, inputs, admission, submission."""

from bot.jobs.start.admission import NO_LIMITS, Admissions, UserLimits
from bot.jobs.start.create import JobRecords
from bot.jobs.start.failover import Failover, ProviderHealth
from bot.jobs.start.inputs import Inputs, telegram_policy
from bot.jobs.start.request import InputProblem, JobRequest
from bot.jobs.start.routing import Router
from bot.jobs.start.sent_files import SentFile
from bot.jobs.start.service import JobService
from bot.jobs.start.status import StartStatus
from bot.jobs.start.submit import SubmitConfig, Submitter
from bot.jobs.start.watch import ProviderWatch

__all__ = [
    "NO_LIMITS",
    "Admissions",
    "Failover",
    "InputProblem",
    "Inputs",
    "JobRecords",
    "JobRequest",
    "JobService",
    "ProviderHealth",
    "ProviderWatch",
    "Router",
    "SentFile",
    "StartStatus",
    "SubmitConfig",
    "Submitter",
    "UserLimits",
    "telegram_policy",
]
