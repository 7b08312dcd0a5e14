-- Records a webhook attempt on the job and re-indexes it: final states leave the due set,
-- a pending one is due again at its next attempt. A job that expired only leaves the set.
-- KEYS: job, webhooks set. ARGV: id, state, attempts, last ms, next ms, last error.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'ws', ARGV[2], 'wa', ARGV[3], 'wt', ARGV[4], 'wn', ARGV[5], 'we', ARGV[6])
if ARGV[2] == 'PENDING' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
