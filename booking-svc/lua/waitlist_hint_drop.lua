-- waitlist_hint_drop.lua: drops a resource from the waiting list's hint (the sorted set
-- of resources that may have open entries; score: when an entry last joined) after the
-- offer worker found none open in PostgreSQL, unless an entry joined since the worker
-- read the hint (the score moved): that join's entry is then found by the next pass.
-- KEYS: 1 the hint
-- ARGV: 1 resource id, 2 its score as the worker read it
-- Returns 1 dropped | 0 kept
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and score == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
