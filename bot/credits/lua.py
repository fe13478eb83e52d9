"""The ledger's Lua. Every movement of credits is one entry in the user's ledger, written in the
same script that moves the balance, so the balance is always the sum of the entries.

Keys (all named by the user id, so /forget finds them):
    credits:<user>   hash: balance (what the user can spend), joined (when the free credits were
                     given), daily (the day last topped up), hold:<job> (a job's price, taken at
                     admission, until it is spent or given back)
    ledger:<user>    list of entries, newest first: {t: time, a: amount, r: reason, j: job id,
                     p: charge id, m: model}
    credits:holds    sorted set of `<user>:<job>` by when the price was held (the sweep's)

A job's price is held in the admission script (bot/jobs/start/admission.py): an entry of minus
the price. When the job closes (bot/jobs/lua.py) the hold is settled once: spent when a result
reached the chat (no entry: the money already left the balance), else given back (an entry of
plus the price). Scripts that use these functions assume one Redis, not a cluster.
"""

# Reasons an entry is written for.
FREE = "free"  # a new user's free credits
DAILY = "daily"  # the daily top-up
JOB = "job"  # a job's price, held
BACK = "back"  # a held price given back: the job failed, was cancelled or never started
BUY = "buy"  # a Telegram Stars purchase
REFUND = "refund"  # a purchase refunded
RESTORED = "restored"  # a refund Telegram refused: its credits come back
CARRIED = "carried"  # what /forget folded together

FUNCTIONS = """
local function ledger_entry(uid, now, amount, reason, job, charge, model)
  local e = {t = tonumber(now), a = amount, r = reason}
  if job and job ~= '' then e.j = job end
  if charge and charge ~= '' then e.p = charge end
  if model and model ~= '' then e.m = model end
  redis.call('LPUSH', 'ledger:' .. uid, cjson.encode(e))
end

-- Gives a new user their free credits, and tops a balance under the daily allowance up to it
-- once a day.
local function grant(uid, now, free, daily)
  local ckey = 'credits:' .. uid
  if redis.call('HSETNX', ckey, 'joined', now) == 1 and free > 0 then
    redis.call('HINCRBY', ckey, 'balance', free)
    ledger_entry(uid, now, free, 'free')
  end
  if daily > 0 then
    local day = tostring(math.floor(tonumber(now) / 86400))
    if redis.call('HGET', ckey, 'daily') ~= day then
      redis.call('HSET', ckey, 'daily', day)
      local balance = tonumber(redis.call('HGET', ckey, 'balance') or '0')
      if balance < daily then
        redis.call('HINCRBY', ckey, 'balance', daily - balance)
        ledger_entry(uid, now, daily - balance, 'daily')
      end
    end
  end
end

-- Settles a job's held price once: spent (counted for /stats) or given back. Returns the
-- amount settled, 0 when the job held nothing (free, or already settled).
local function settle(uid, job, spent, now, model, provider)
  if not uid then return 0 end
  local ckey = 'credits:' .. uid
  local amount = tonumber(redis.call('HGET', ckey, 'hold:' .. job))
  if not amount then return 0 end
  redis.call('HDEL', ckey, 'hold:' .. job)
  redis.call('ZREM', 'credits:holds', uid .. ':' .. job)
  if spent then
    local day = 'credits:day:' .. math.floor(tonumber(now) / 86400)
    for _, key in ipairs({'credits:totals', day}) do
      redis.call('HINCRBY', key, 'spent', amount)
      redis.call('HINCRBY', key, 'model:' .. (model or '?'), amount)
      redis.call('HINCRBY', key, 'provider:' .. (provider or '?'), amount)
    end
    redis.call('EXPIRE', day, 40 * 86400)
    redis.call('ZINCRBY', 'credits:spenders', amount, uid)
  else
    redis.call('HINCRBY', ckey, 'balance', amount)
    ledger_entry(uid, now, amount, 'back', job, '', model)
  end
  return amount
end

-- Whether any of a job's results reached its chat (bot/jobs/record.py's ResultMark.SENT).
local function any_sent(job_key)
  for _, name in ipairs(redis.call('HKEYS', job_key)) do
    if string.sub(name, 1, 7) == 'result:' and redis.call('HGET', job_key, name) == 'sent' then
      return true
    end
  end
  return false
end
"""

# KEYS: none. ARGV: user, now, free, daily, entries wanted.
# Returns {balance, held, entries...}: the balance after any grant due, what running jobs hold.
VIEW = (
    FUNCTIONS
    + """
local uid = ARGV[1]
grant(uid, ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
local ckey = 'credits:' .. uid
local held = 0
local fields = redis.call('HGETALL', ckey)
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 5) == 'hold:' then held = held + tonumber(fields[i + 1]) end
end
local result = {tonumber(redis.call('HGET', ckey, 'balance') or '0'), held}
for _, e in ipairs(redis.call('LRANGE', 'ledger:' .. uid, 0, tonumber(ARGV[5]) - 1)) do
  table.insert(result, e)
end
return result
"""
)

# KEYS: none. ARGV: now, held before, limit, job key prefix.
# Holds older than `held before` whose job never got created (a crash between admission and the
# record), or whose job closed without settling, are settled; a running job's hold is looked at
# again later. Returns how many were given back.
SWEEP_HOLDS = (
    FUNCTIONS
    + """
local due = redis.call('ZRANGEBYSCORE', 'credits:holds', '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
local released = 0
for _, member in ipairs(due) do
  local sep = string.find(member, ':', 1, true)
  local uid, job = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local key = ARGV[4] .. job
  local state, model, provider = unpack(redis.call('HMGET', key, 'state', 'model', 'provider'))
  if not state or state == 'cancelled' then
    if settle(uid, job, false, ARGV[1], model, provider) > 0 then released = released + 1 end
  elseif state == 'delivered' then
    local spent = any_sent(key)
    if settle(uid, job, spent, ARGV[1], model, provider) > 0 and not spent then
      released = released + 1
    end
  else
    redis.call('ZADD', 'credits:holds', ARGV[1], member)
  end
end
return released
"""
)

# KEYS: none. ARGV: user, now. Folds every entry but purchases and refunds into one, so the sum
# (and so the balance) stays, and nothing tells what the user made. Returns entries removed.
FORGET = (
    FUNCTIONS
    + """
local uid = ARGV[1]
local lkey = 'ledger:' .. uid
local kept, folded, removed = {}, 0, 0
for _, raw in ipairs(redis.call('LRANGE', lkey, 0, -1)) do
  local e = cjson.decode(raw)
  if e.r == 'buy' or e.r == 'refund' or e.r == 'restored' then
    table.insert(kept, raw)
  else
    folded = folded + e.a
    removed = removed + 1
  end
end
if removed == 0 then return 0 end
redis.call('DEL', lkey)
if folded ~= 0 then ledger_entry(uid, ARGV[2], folded, 'carried') end
-- The folded entry went in first, so it stays the oldest.
for i = #kept, 1, -1 do redis.call('LPUSH', lkey, kept[i]) end
redis.call('ZREM', 'credits:spenders', uid)
redis.call('HDEL', 'credits:' .. uid, 'told')
return removed
"""
)
