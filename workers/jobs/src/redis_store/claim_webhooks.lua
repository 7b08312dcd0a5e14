-- Claims due webhook deliveries: ids whose next attempt is due move to now + lease, so a
-- second sender skips them until the lease runs out (a sender that dies loses nothing).
-- KEYS: webhooks set. ARGV: now ms, lease-until ms, limit.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return ids
