-- reconcile_counters.lua: compares a resource's availability counters with what they
-- must be (PostgreSQL's total - confirmed, minus the units of live holds) and corrects a
-- slot only when the caller saw the same difference on its previous pass: one
-- comparison may race with holds, confirmations and cancellations in flight.
-- KEYS: 1 avail hash, 2 live-hold set, 3 change stream, 4.. the hash of every hold the
--       caller saw in the live set (so every key the script reads is declared)
-- ARGV: 1 hold key prefix ("hold:{pNN}:", the same hash tag as the keys), 2 resource id,
--       then triples: slot start, base (total - confirmed), difference seen last pass
-- Returns {'STALE'} when a live hold is not among KEYS (one was taken since the caller
-- looked: it asks again), else {slot, difference, corrected (0|1), ...} for every loaded
-- slot whose counter differs from base - units of live holds (status A or C) covering
-- it. A slot covered by a CONFIRMING hold is reported but never corrected: between the
-- booking's commit and the hold's move to CONFIRMED, PostgreSQL counts its units as
-- confirmed while the hold is still live here, so the difference there is expected.
local declared = {}
for i = 4, #KEYS do declared[KEYS[i]] = true end
local held, confirming = {}, {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = ARGV[1] .. id
  if not declared[key] then return {'STALE'} end
  local h = redis.call('HMGET', key, 'st', 'q', 'slots')
  if (h[1] == 'A' or h[1] == 'C') and h[3] then
    local q = tonumber(h[2])
    for slot in string.gmatch(h[3], '%S+') do
      held[slot] = (held[slot] or 0) + q
      if h[1] == 'C' then confirming[slot] = true end
    end
  end
end
local out, fixed = {}, 0
for i = 3, #ARGV, 3 do
  local slot = ARGV[i]
  local actual = redis.call('HGET', KEYS[1], slot)
  if actual then
    local expected = tonumber(ARGV[i + 1]) - (held[slot] or 0)
    local diff = tonumber(actual) - expected
    if diff ~= 0 then
      local corrected = 0
      if diff == tonumber(ARGV[i + 2]) and not confirming[slot] then
        redis.call('HSET', KEYS[1], slot, string.format('%d', expected))
        corrected = 1
        fixed = fixed + 1
      end
      out[#out + 1] = slot
      out[#out + 1] = diff
      out[#out + 1] = corrected
    end
  end
end
if fixed > 0 then redis.call('XADD', KEYS[3], 'MAXLEN', '~', 10000, '*', 'r', ARGV[2]) end
return out
