"""Jobs: the record, its states and Lua, the store, chains; starting (start/), delivering
(deliver/) and the work beside them (background/)."""

from bot.jobs.record import Job, JobState, ResultMark, StoredMedia
from bot.jobs.store import JobStore, Outcome, RecordResult

__all__ = ["Job", "JobState", "JobStore", "Outcome", "RecordResult", "ResultMark", "StoredMedia"]
