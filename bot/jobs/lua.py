"""The Lua scripts behind every job state change; each runs atomically inside Redis.

The states (bot.jobs.record.JobState) and the one script allowed to make each move:

    (new)                -> submitted            CREATE
    submitted            -> succeeded | failed   RECORD_OUTCOME  (callback, poll, failed submit)
    succeeded            -> submitted            ADVANCE         (a chain's next step, once)
    succeeded | failed   -> delivered            MARK_DELIVERED  (the lease holder, after sending)
    failed               -> submitted            REROUTE         (a withdrawn model's failed
                                                                  task, once, to another
                                                                  provider's model)

Early results (a song's first track, ready while the task runs) move no state: RECORD_EARLY keeps
each once as `early:<index>` on a submitted job, CLAIM_EARLY leases a submitted job that has one
not yet marked, the lease holder sends and marks it (`result:<index>`, as MARK_RESULTS does for
final results) and RELEASE_EARLY gives the lease back. The final delivery then skips what is
marked, so each result reaches the chat once however the stages arrive.
    submitted            -> cancelled            CANCEL          (its user; also a chain's job
    succeeded            -> cancelled            CANCEL           between steps, never its last)

Every other script changes fields of a job in a given state and never its state (KEEP_RESULT:
the lease owner names a sent result's copy in storage, `kept:<index>`). A delivered
job moves no more, and nothing moves a cancelled one. Keys a script derives from the job record
(the user's counters, the model's statistics) are not declared in KEYS, so these scripts assume
one Redis, not a cluster.
"""

from bot.credits import lua as credits_lua

# KEYS: job, poll queue, users (HyperLogLog), total, day counter, the model's counters, the
#       user's jobs
# ARGV: job fields as JSON, first poll at, job id, user id, day counter ttl, created at, the
#       retention (s): the user's index keeps their jobs that young, and outlives them
# The user's job slot was taken before the input was downloaded (jobs/admission.py).
CREATE = """
local fields = cjson.decode(ARGV[1])
for name, value in pairs(fields) do redis.call('HSET', KEYS[1], name, value) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[7], ARGV[6], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. (tonumber(ARGV[6]) - tonumber(ARGV[7])))
redis.call('EXPIRE', KEYS[7], tonumber(ARGV[7]) + 86400)
redis.call('PFADD', KEYS[3], ARGV[4])
redis.call('INCR', KEYS[4])
redis.call('INCR', KEYS[5])
redis.call('EXPIRE', KEYS[5], ARGV[5])
redis.call('HINCRBY', KEYS[6], 'started', 1)
return 0
"""

# KEYS: job, poll, undelivered, outcome counter, durations
# ARGV: state, results json, fail kind, error code, error message, now, channel, job id,
#       durations kept, expected task id ("" = any), hourly bucket ttl
# Returns 1 stored, 0 duplicate (already final, or a chain's earlier step's task, or the task
# of a withdrawn model the job left, calling again), -1 unknown job, -2 another job's task. A
# chain's job is counted once: its outcome, its user's slot and its time to result when it
# ends (a failure, or its last step).
RECORD_OUTCOME = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
local task, step_s, steps_s = unpack(redis.call('HMGET', KEYS[1], 'task_id', 'step', 'steps'))
local step = tonumber(step_s) or 0
if ARGV[10] ~= '' then
  for i = 0, step - 1 do
    if redis.call('HGET', KEYS[1], 'step_task:' .. i) == ARGV[10] then return 0 end
  end
  if redis.call('HGET', KEYS[1], 'rerouted') == ARGV[10] then return 0 end
  if task and task ~= '' and task ~= ARGV[10] then return -2 end
end
if state ~= 'submitted' then return 0 end
local ends = ARGV[1] ~= 'succeeded' or step + 1 >= (tonumber(steps_s) or 1)
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'outcome', ARGV[1], 'results', ARGV[2],
  'fail_kind', ARGV[3], 'error_code', ARGV[4], 'error_message', ARGV[5], 'completed_at', ARGV[6])
redis.call('ZREM', KEYS[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[8])
local user = redis.call('HGET', KEYS[1], 'user_id')
if ends then
  redis.call('INCR', KEYS[4])
  -- /stats' chart: outcomes per hour (the shape is constants.HOURLY_OUTCOMES_KEY's)
  local hour = 'stats:hour:' .. math.floor(tonumber(ARGV[6]) / 3600)
  redis.call('HINCRBY', hour, ARGV[1], 1)
  redis.call('EXPIRE', hour, ARGV[11])
  if user and tonumber(redis.call('HGET', 'user:' .. user, 'inflight') or '0') > 0 then
    redis.call('HINCRBY', 'user:' .. user, 'inflight', -1)
  end
end
local created = tonumber(redis.call('HGET', KEYS[1], 'created_at'))
local started = tonumber(redis.call('HGET', KEYS[1], 'step_started_at')) or created
local model = redis.call('HGET', KEYS[1], 'model')
if model then redis.call('HINCRBY', 'stats:model:' .. model, ARGV[1], 1) end
if ARGV[1] == 'succeeded' and created then
  if ends then
    redis.call('LPUSH', KEYS[5], tostring(tonumber(ARGV[6]) - created))
    redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[9]) - 1)
  end
  if model then
    redis.call('LPUSH', 'stats:durations:' .. model, tostring(tonumber(ARGV[6]) - started))
    redis.call('LTRIM', 'stats:durations:' .. model, 0, tonumber(ARGV[9]) - 1)
  end
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
"""

# KEYS: job. ARGV: owner, now, lease until. Returns the job's fields, or nil. A job waiting
# for a retry (retry_at in the future) is not handed out, whoever asks.
CLAIM = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' then return false end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0') or 0
if lease > tonumber(ARGV[2]) then return false end
local retry_at = tonumber(redis.call('HGET', KEYS[1], 'retry_at') or '0') or 0
if retry_at > tonumber(ARGV[2]) then return false end
redis.call('HSET', KEYS[1], 'lease_owner', ARGV[1], 'lease_until', ARGV[3])
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: job. ARGV: owner, lease until. Returns 1 when the caller still holds the lease (on a
# submitted job: an early result's lease).
EXTEND_LEASE = """
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' and state ~= 'submitted' then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', ARGV[2])
return 1
"""

# KEYS: job. ARGV: owner, then (result index, mark) pairs. Records what became of results (an
# album's together; an early result's on a submitted job), only for the lease owner, so a
# redelivery after a crash or a retry skips what already went out.
MARK_RESULTS = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' and state ~= 'submitted' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
for i = 2, #ARGV - 1, 2 do redis.call('HSET', KEYS[1], 'result:' .. ARGV[i], ARGV[i + 1]) end
return 1
"""

# KEYS: job, undelivered. ARGV: owner, retry at, schedule score, job id, counter field
# ('attempts' or 'crashes'). The lease owner gives the job back until `retry at`: counts the
# attempt, releases the lease, and puts the job where the reconciler will find it then.
RETRY_LATER = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[5], 1)
redis.call('HSET', KEYS[1], 'retry_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_until')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
"""

# KEYS: job. ARGV: owner, result index, the stored file as JSON. The lease owner records the
# copy of a result it sent (its buttons read it), a final one or an early one (a song's first
# track); again after a crash: the same index, the same key.
KEEP_RESULT = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'submitted' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'kept:' .. ARGV[2], ARGV[3])
return 1
"""

# KEYS: job, undelivered. ARGV: owner, now, ttl, job id
# The job's held price (bot/credits/lua.py) is settled here, once: spent when any result reached
# the chat (a song's early track counts), given back when none did.
MARK_DELIVERED = (
    credits_lua.FUNCTIONS
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'delivered', 'delivered_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_until')
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local uid, model, provider = unpack(redis.call('HMGET', KEYS[1], 'user_id', 'model', 'provider'))
settle(uid, ARGV[4], any_sent(KEYS[1]), ARGV[2], model, provider)
return 1
"""
)

# KEYS: job. ARGV: field, value. Only on a job that exists (never recreates an expired one).
# KEYS: job, the old model's counts, the new model's. ARGV: model, provider, params JSON.
# A job moves to another provider only before any task exists for it. Returns 1 moved, else 0.
SWITCH_MODEL = """
if redis.call('HGET', KEYS[1], 'state') ~= 'submitted' then return 0 end
local task = redis.call('HGET', KEYS[1], 'task_id')
if task and task ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'model', ARGV[1], 'provider', ARGV[2], 'params', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'started', -1)
redis.call('HINCRBY', KEYS[3], 'started', 1)
return 1
"""

SET_FIELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


# --- Chains: one job, its steps in turn (bot/jobs/chains.py) -------------------------------

# KEYS: job. ARGV: owner, result index, the stored input as JSON. The lease owner records a
# result it put in storage for the next step (again after a crash: the same index, the same key).
KEEP_INPUT = """
if redis.call('HGET', KEYS[1], 'state') ~= 'succeeded' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'next_input:' .. ARGV[2], ARGV[3])
return 1
"""

# KEYS: job, undelivered, poll queue, the next model's counters
# ARGV: owner, current step, next model, next provider, next inputs json, now, first poll at,
#       job id
# Moves a delivered step on to the next one, once: only the lease owner, only from this step
# (compare-and-set), only after its results went out. The step's task id is kept, so its late
# callbacks stay harmless duplicates; the job waits in the poll queue, so a reconciler submits
# the step if this process dies before it does.
ADVANCE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'succeeded' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
if (redis.call('HGET', KEYS[1], 'step') or '0') ~= ARGV[2] then return 0 end
local task = redis.call('HGET', KEYS[1], 'task_id') or ''
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(name, 1, 7) == 'result:' or string.sub(name, 1, 11) == 'next_input:' then
    redis.call('HDEL', KEYS[1], name)
  end
end
redis.call('HDEL', KEYS[1], 'task_id', 'results', 'outcome', 'fail_kind', 'error_code',
  'error_message', 'completed_at', 'lease_owner', 'lease_until', 'retry_at', 'attempts',
  'crashes', 'stage', 'progress_shown')
redis.call('HSET', KEYS[1], 'step_task:' .. ARGV[2], task, 'state', 'submitted',
  'step', tostring(tonumber(ARGV[2]) + 1), 'model', ARGV[3], 'provider', ARGV[4],
  'inputs', ARGV[5], 'step_started_at', ARGV[6])
redis.call('ZREM', KEYS[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[8])
redis.call('HINCRBY', KEYS[4], 'started', 1)
return 1
"""

# KEYS: job. ARGV: step, owner. The right to submit a later step, taken once: whoever holds it
# submits; a job whose claim never led to a task id is failed, never submitted again.
CLAIM_STEP = """
if redis.call('HGET', KEYS[1], 'state') ~= 'submitted' then return 0 end
if (redis.call('HGET', KEYS[1], 'step') or '0') ~= ARGV[1] then return 0 end
if (redis.call('HGET', KEYS[1], 'task_id') or '') ~= '' then return 0 end
return redis.call('HSETNX', KEYS[1], 'submit:' .. ARGV[1], ARGV[2])
"""


# --- Early results: a result ready before its task ends (a song's first track) ---------------

# KEYS: job, undelivered. ARGV: expected task id, now, channel, job id, then (result index,
#       result JSON) pairs.
# Keeps each early result once (a repeated stage, a poll after the callback: a duplicate) and
# wakes a deliverer for the new ones; the job stays submitted, and stays in the undelivered
# set until RELEASE_EARLY, so a restart or another replica sends what was kept. Returns how
# many were new, -1 unknown job, -2 another job's task.
RECORD_EARLY = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
local task = redis.call('HGET', KEYS[1], 'task_id')
if ARGV[1] ~= '' and task and task ~= '' and task ~= ARGV[1] then return -2 end
if state ~= 'submitted' then return 0 end
local fresh = 0
for i = 5, #ARGV - 1, 2 do
  if redis.call('HEXISTS', KEYS[1], 'result:' .. ARGV[i]) == 0
     and redis.call('HSETNX', KEYS[1], 'early:' .. ARGV[i], ARGV[i + 1]) == 1 then
    fresh = fresh + 1
  end
end
if fresh > 0 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
  redis.call('PUBLISH', ARGV[3], ARGV[4])
end
return fresh
"""

# KEYS: job, undelivered. ARGV: owner, now, lease until, job id. The lease on a submitted job
# with an early result not yet marked, as CLAIM gives one on a final job; returns the job's
# fields, or nil. A running job with nothing early left to send leaves the undelivered set (an
# early sender died after its marks).
CLAIM_EARLY = """
if redis.call('HGET', KEYS[1], 'state') ~= 'submitted' then return false end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0') or 0
if lease > tonumber(ARGV[2]) then return false end
local waiting = false
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(name, 1, 6) == 'early:'
     and redis.call('HEXISTS', KEYS[1], 'result:' .. string.sub(name, 7)) == 0 then
    waiting = true
    break
  end
end
if not waiting then
  redis.call('ZREM', KEYS[2], ARGV[4])
  return false
end
redis.call('HSET', KEYS[1], 'lease_owner', ARGV[1], 'lease_until', ARGV[3])
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: job, undelivered. ARGV: owner, job id. The early lease given back; a job still running
# leaves the undelivered set (what was not sent goes with the final results). Returns the
# job's state, so a job that became final meanwhile is delivered at once; "" without the lease.
RELEASE_EARLY = """
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return '' end
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_until')
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'submitted' then redis.call('ZREM', KEYS[2], ARGV[2]) end
return state
"""


# --- A withdrawn model: its failed task's job goes to another provider, once ----------------

# KEYS: job, undelivered, poll queue, the failed-outcome counter, the old model's counters, the
#       new model's
# ARGV: owner, model, provider, params JSON, now, first poll at, job id
# The lease holder of a job whose task failed because the provider no longer offers its model
# moves it, once, back to submitted on another provider's model: its task and outcome are
# forgotten (the old task id kept as `rerouted`, so its late callbacks are duplicates), its
# user's slot taken again, and it waits in the poll queue, so a reconciler fails
# it (never submits it twice) should this process die before submitting. Returns 1 moved, else 0.
REROUTE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'failed' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'fail_kind') ~= 'withdrawn' then return 0 end
local old_task = redis.call('HGET', KEYS[1], 'task_id') or ''
if old_task == '' then old_task = '-' end
if redis.call('HSETNX', KEYS[1], 'rerouted', old_task) == 0 then return 0 end
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(name, 1, 7) == 'result:' or string.sub(name, 1, 6) == 'early:' then
    redis.call('HDEL', KEYS[1], name)
  end
end
redis.call('HDEL', KEYS[1], 'task_id', 'results', 'outcome', 'fail_kind', 'error_code',
  'error_message', 'completed_at', 'lease_owner', 'lease_until', 'retry_at', 'attempts',
  'crashes', 'stage', 'progress_shown')
redis.call('HSET', KEYS[1], 'state', 'submitted', 'model', ARGV[2], 'provider', ARGV[3],
  'params', ARGV[4], 'step_started_at', ARGV[5])
redis.call('ZREM', KEYS[2], ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
redis.call('HINCRBY', KEYS[5], 'started', -1)
redis.call('HINCRBY', KEYS[6], 'started', 1)
local user = redis.call('HGET', KEYS[1], 'user_id')
if user then redis.call('HINCRBY', 'user:' .. user, 'inflight', 1) end
return 1
"""


# --- Cancel: a running job stopped by its user (bot/jobs/cancel.py) ---------------------------

# KEYS: job, poll queue, undelivered, progress schedule, the cancelled counter
# ARGV: who asks (user id), now, ttl, job id, hourly bucket ttl (/stats' chart)
# Returns 1 cancelled, 0 no such job (expired), -1 another user's job, -2 already cancelled,
# -3 already done: its outcome is recorded (being delivered, or delivered). A cancelled job's
# held price goes back (bot/credits/lua.py). A job still holds its user's slot while it runs or
# a chain waits for its next step; RECORD_OUTCOME gives the slot back when the job ends, so a
# job is either cancelled here or ended there, never both: its slot goes back once. The
# provider's task may still finish; its outcome is then a duplicate (RECORD_OUTCOME moves only
# a submitted job) and nothing is sent.
CANCEL = (
    credits_lua.FUNCTIONS
    + """
local state, owner, step_s, steps_s, model = unpack(redis.call('HMGET', KEYS[1], 'state',
  'user_id', 'step', 'steps', 'model'))
if not state then return 0 end
if owner ~= ARGV[1] then return -1 end
if state == 'cancelled' then return -2 end
local between = state == 'succeeded' and (tonumber(step_s) or 0) + 1 < (tonumber(steps_s) or 1)
if state ~= 'submitted' and not between then return -3 end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'outcome', 'cancelled', 'completed_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_until', 'retry_at')
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[4])
redis.call('INCR', KEYS[5])
if tonumber(redis.call('HGET', 'user:' .. owner, 'inflight') or '0') > 0 then
  redis.call('HINCRBY', 'user:' .. owner, 'inflight', -1)
end
if model then redis.call('HINCRBY', 'stats:model:' .. model, 'cancelled', 1) end
local hour = 'stats:hour:' .. math.floor(tonumber(ARGV[2]) / 3600)
redis.call('HINCRBY', hour, 'cancelled', 1)
redis.call('EXPIRE', hour, ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[3])
settle(owner, ARGV[4], false, ARGV[2], model, redis.call('HGET', KEYS[1], 'provider'))
return 1
"""
)
