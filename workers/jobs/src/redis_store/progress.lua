-- Progress of a RUNNING job (KEYS[1] the job hash): ARGV[1] "stage done total", ARGV[2] the
-- job's events channel, ARGV[3] now (ms). Ignored once the job has left RUNNING, so a late
-- update cannot overwrite a finished job's record.
if redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then
  return 0
end
redis.call('HSET', KEYS[1], 'pg', ARGV[1], 'ut', ARGV[3])
redis.call('PUBLISH', ARGV[2], enc(redis.call('HGETALL', KEYS[1])))
return 1
