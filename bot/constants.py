"""Redis key layout, channels, limits and timings shared across the bot (units in the names)."""

from typing import Final

# Redis keys. Every key Photobot writes starts with one of these prefixes.
JOB_KEY: Final = "job:{job_id}"
POLL_QUEUE_KEY: Final = "jobs:poll"  # zset job_id -> unix time of the next status poll
UNDELIVERED_KEY: Final = "jobs:undelivered"  # zset job_id -> unix time the job became final
PROGRESS_KEY: Final = "jobs:progress"  # zset job_id -> next progress tick (videos, songs)
# Status queries' shared budgets (bot/providers/budget.py): each budget's GCRA "theoretical
# arrival time" (per provider endpoint and API key hash, or per task), expiring once idle; and
# a task some replica has polled, so a never-polled task's first query goes first.
POLL_BUDGET_KEY: Final = "budget:poll:{name}"
POLLED_TASK_KEY: Final = "polled:{task_id}"
USERS_KEY: Final = "stats:users"  # HyperLogLog: a fixed 12 KB however many users
JOBS_TOTAL_KEY: Final = "stats:jobs:total"
JOBS_DAY_KEY: Final = "stats:jobs:day:{day}"
OUTCOME_COUNT_KEY: Final = "stats:jobs:{state}"
DURATIONS_KEY: Final = "stats:durations"  # list of recent submit->result seconds, newest first
# Per model (the shapes are repeated in lua.RECORD_OUTCOME): a hash of started / succeeded /
# failed counts, and the recent submit->result seconds.
MODEL_COUNTS_KEY: Final = "stats:model:{model}"
MODEL_DURATIONS_KEY: Final = "stats:durations:{model}"
# Jobs that ended in each hour (unix time // 3600), by outcome: a hash per hour, kept two days,
# for /stats' chart (the shape is repeated in lua.RECORD_OUTCOME).
HOURLY_OUTCOMES_KEY: Final = "stats:hour:{hour}"
HOURLY_OUTCOMES_TTL_S: Final = 49 * 3600
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
# zset job id -> created at: a user's jobs within the retention (/jobs, /history, /cancel,
# /forget), written by lua.CREATE; ids whose records expired are dropped as they are read.
USER_JOBS_KEY: Final = "jobs:user:{user_id}"
# Who may use the bot (bot/users/access.py): banned user ids (a set); every user an update came
# from, by when it last did (a zset: /ban's "unknown user", the broadcast's audience); users
# refused (banned or not on ALLOWED_USER_IDS, a HyperLogLog for /stats); a refused user's
# polite answer, once an hour.
BANNED_USERS_KEY: Final = "users:banned"
SEEN_USERS_KEY: Final = "users:seen"
REFUSED_USERS_KEY: Final = "stats:refused"
REFUSAL_TOLD_KEY: Final = "refused:told:{user_id}"
REFUSAL_TOLD_EVERY_S: Final = 3600
# Users whose chat refused a message with 403 (they blocked the bot); they leave it on their next
# update. /stats' active users are the seen ones not in it.
INACTIVE_USERS_KEY: Final = "users:inactive"
# Broadcasts (bot/admin/broadcast/): an admin's draft (a hash: id, chat, language, the message
# to copy once sent), a broadcast (a hash: its message, counts, progress message), the users it
# still has to reach (a zset), the running ones (a set), who sends one now (a lease), and failed
# tries per user (a hash).
BROADCAST_DRAFT_KEY: Final = "broadcast:draft:{admin_id}"
BROADCAST_KEY: Final = "broadcast:{id}"
BROADCAST_TODO_KEY: Final = "broadcast:{id}:todo"
BROADCAST_LEASE_KEY: Final = "broadcast:{id}:lease"
BROADCAST_TRIES_KEY: Final = "broadcast:{id}:tries"
BROADCASTS_RUNNING_KEY: Final = "broadcasts:running"
BROADCAST_DRAFT_TTL_S: Final = 3600
BROADCAST_KEPT_S: Final = 7 * 24 * 3600  # a finished broadcast's record
# /history pages through at most this many of a user's newest jobs.
USER_JOBS_KEPT: Final = 100
# A press of Again (or Run again) on a job, by its presser: set NX for a moment, so a second
# press in that moment (a double tap, another replica) starts no second job.
AGAIN_PRESS_KEY: Final = "again:{job_id}:{user_id}"
AGAIN_PRESS_TTL_MS: Final = 2000
# A plain text sent outside any flow, offered as an image from words under its Imagine button
# (bot/intake/offers.py): one per text message, taken by its sender's first press.
IMAGINE_OFFER_KEY: Final = "offer:imagine:{chat_id}:{user_id}:{message_id}"
IMAGINE_OFFER_TTL_S: Final = 3600
# A list of the user's newest offer keys in a chat: past this many, the oldest offers go, so
# a user typing fast (each text up to 5,000 characters) cannot fill Redis for an hour.
IMAGINE_OFFERS_KEY: Final = "offers:imagine:{chat_id}:{user_id}"
IMAGINE_OFFERS_KEPT: Final = 10
# How many of a user's newest jobs are looked at for the running ones (/jobs, "2nd of 3"): more
# than anyone's in-flight limit.
RUNNING_SCAN: Final = 20

# Pub/sub channel that wakes the delivery subscriber (name fixed by the seed document).
CALLBACK_CHANNEL: Final = "kie:callback"

# Retention.
# A finished job's record, unless MEDIA_RETENTION_DAYS says otherwise (JobStore's record_ttl_s).
JOB_TTL_AFTER_DELIVERY_S: Final = 14 * 24 * 3600
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
