-- A stored assessment and, when it keeps its normalized text apart, that text: `FZR4` or `FZR3` +
-- text id names `text:v3:{id}`, `FZR2` + text id `text:v2:{id}`, `FZR1` + text id (the first format)
-- `text:{id}` (stored_result).
-- KEYS: result, then where results written before were (under the cache key itself).
-- ARGV: text key prefix.
local r = redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])
if not r then return false end
local magic = string.sub(r, 1, 4)
local name
if magic == 'FZR4' or magic == 'FZR3' then
  name = 'v3:' .. string.sub(r, 5, 68)
elseif magic == 'FZR2' then
  name = 'v2:' .. string.sub(r, 5, 68)
elseif magic == 'FZR1' then
  name = string.sub(r, 5, 68)
else
  return {r}
end
local t = redis.call('GET', ARGV[1] .. name)
if not t then return {r} end
return {r, t}
