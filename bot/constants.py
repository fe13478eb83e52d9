"""Redis key layout, channels, limits and timings shared across the bot (units in the names)."""

from typing import Final

# Redis keys. Every key Photobot writes starts with one of these prefixes.
JOB_KEY: Final = "job:{job_id}"
POLL_QUEUE_KEY: Final = "jobs:poll"  # zset job_id -> unix time of the next status poll
UNDELIVERED_KEY: Final = "jobs:undelivered"  # zset job_id -> unix time the job became final
PROGRESS_KEY: Final = "jobs:progress"  # zset job_id -> next progress tick (videos, songs)
USERS_KEY: Final = "stats:users"  # HyperLogLog: a fixed 12 KB however many users
JOBS_TOTAL_KEY: Final = "stats:jobs:total"
JOBS_DAY_KEY: Final = "stats:jobs:day:{day}"
OUTCOME_COUNT_KEY: Final = "stats:jobs:{state}"
DURATIONS_KEY: Final = "stats:durations"  # list of recent submit->result seconds, newest first
# Per model (the shapes are repeated in lua.RECORD_OUTCOME): a hash of started / succeeded /
# failed counts, and the recent submit->result seconds.
MODEL_COUNTS_KEY: Final = "stats:model:{model}"
MODEL_DURATIONS_KEY: Final = "stats:durations:{model}"
ADMIN_ALERT_KEY: Final = "alert:{reason}"
CALLBACK_SECRET_KEY: Final = "photobot:callback_secret"
UPDATE_SEEN_KEY: Final = "tg:update:{update_id}"
USER_PACE_KEY: Final = "tg:pace:{user_id}"  # updates from one user in the current window
ALBUM_KEY: Final = "album:{chat_id}:{group_id}"  # hash: the photos of one media group
USER_SETTINGS_KEY: Final = "settings:{user_id}"  # hash: the user's /settings choices
# A user's flow (/dance, /music, …, or a photo waiting for a style); its key's shape is
# repeated in flows/store.TAKE_EXPIRED.
FLOW_KEY: Final = "flow:{chat_id}:{user_id}"
FLOW_DEADLINES_KEY: Final = "flows:deadlines"  # zset "chat:user:flow id" -> when it times out
# Where a photo waited for a style before that wait became a flow: still read (and cleared), so
# a photo sent just before an upgrade can be styled after it. Unused an hour after the upgrade.
LEGACY_WAITING_PHOTO_KEY: Final = "pending:{chat_id}:{user_id}"
# Per-user limit counters; the key's shape is repeated in lua.RECORD_OUTCOME.
USER_KEY: Final = "user:{user_id}"
# zset job id -> created at: a user's newest jobs (/jobs, /history, /cancel), written by
# lua.CREATE; ids whose records expired are dropped as they are read.
USER_JOBS_KEY: Final = "jobs:user:{user_id}"
USER_JOBS_KEPT: Final = 100
# How many of a user's newest jobs are looked at for the running ones (/jobs, "2nd of 3"): more
# than anyone's in-flight limit.
RUNNING_SCAN: Final = 20

# Pub/sub channel that wakes the delivery subscriber (name fixed by the seed document).
CALLBACK_CHANNEL: Final = "kie:callback"

# Retention.
JOB_TTL_AFTER_DELIVERY_S: Final = 7 * 24 * 3600
# A user's job index outlives their last job's record by as much.
USER_JOBS_TTL_S: Final = JOB_TTL_AFTER_DELIVERY_S + 24 * 3600
WAITING_PHOTO_TIMEOUT_S: Final = 3600  # a photo sent without a caption waits this long
DAY_COUNTER_TTL_S: Final = 3 * 24 * 3600
DURATIONS_KEPT: Final = 1000
ADMIN_ALERT_EVERY_S: Final = 600
UPDATE_SEEN_TTL_S: Final = 24 * 3600
# More updates than this from one user within the window are dropped (told once): an album of
# 10 photos and a caption fits; a flood does not reach the shared send budget.
USER_UPDATES_PER_WINDOW: Final = 20
USER_PACE_WINDOW_S: Final = 10

# Job timing.
JOB_DEADLINE_S: Final = 15 * 60
DELIVERY_LEASE_S: Final = 15  # renewed every third of it while a delivery runs
# How long the pub/sub path gets before the reconciler delivers a final job itself.
DELIVERY_GRACE_S: Final = 5.0

# Result downloads that fail in a way that may pass (5xx, timeouts, connection errors).
# First a few quick tries inside one delivery, for a blip...
RESULT_QUICK_RETRY_DELAYS_S: Final = (0.5, 1.0, 2.0)
RESULT_QUICK_RETRY_BUDGET_S: Final = 10.0  # no quick retry after a try this slow (a timeout)
# ...then the job goes back to the reconciler, 5 s later, doubling up to a minute between tries,
RESULT_RETRY_FIRST_S: Final = 5.0
RESULT_RETRY_MAX_S: Final = 60.0
# until the job's deadline, but never less than this after the result arrived: a result that
# lands near the deadline still rides out a CDN blip or an origin that is still catching up
# (about eight more tries), while the user does not wait long after "Generating…".
RESULT_RETRY_MIN_WINDOW_S: Final = 5 * 60
# A delivery that crashed (a bug, not a network error) is tried this many times in all; the
# next claim tells the user it failed and closes the job, rather than looping forever.
DELIVERY_MAX_CRASHES: Final = 3

# Input limits.
TELEGRAM_DOWNLOAD_MAX_BYTES: Final = 20 * 1024 * 1024
PROVIDER_IMAGE_MAX_BYTES: Final = 10 * 1024 * 1024
PROMPT_MAX_CHARS: Final = 5000

# Output limits (Telegram uploads).
TELEGRAM_PHOTO_MAX_BYTES: Final = 10 * 1024 * 1024
TELEGRAM_UPLOAD_MAX_BYTES: Final = 50 * 1024 * 1024
# Results over the upload limit go out as links to Photobot's own copy; past this, not at all
# (a bound on the disk and storage one result may take).
RESULT_MAX_BYTES: Final = 512 * 1024 * 1024
RESULT_DOWNLOAD_TIMEOUT_S: Final = 60.0
# How long a link to a result too big for Telegram works.
RESULT_LINK_TTL_S: Final = 3 * 24 * 3600
# Telegram's limits for a track's thumbnail (sendAudio): a JPEG under 200 kB.
AUDIO_COVER_MAX_BYTES: Final = 200 * 1024

# HTTP server.
CALLBACK_MAX_BODY_BYTES: Final = 1024 * 1024

# Failover between providers (bot/jobs/start/failover.py).
PROVIDER_COOLDOWN_KEY: Final = "provider:{name}:cooldown"  # JSON {until, why}; expires with it
PROVIDER_SWITCHED_KEY: Final = "provider:{name}:switched"  # set at a switch away, taken at return
PROVIDER_CALLS_KEY: Final = "provider:{name}:calls:{minute}"  # hash ok/error: submits that minute
PROVIDER_SWITCHED_TTL_S: Final = 7 * 24 * 3600
HEALTH_WINDOW_MIN: Final = 60

# Redis connections per process: more than the updates (256), deliveries and background work
# that may run at once; beyond it a command waits up to REDIS_POOL_WAIT_S for one.
REDIS_MAX_CONNECTIONS: Final = 512
REDIS_POOL_WAIT_S: Final = 10.0
