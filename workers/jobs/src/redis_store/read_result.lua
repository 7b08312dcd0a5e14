-- A stored assessment and, when it keeps its normalized text apart (`FZR1` + text id), that text.
-- KEYS: result. ARGV: text key prefix.
local r = redis.call('GET', KEYS[1])
if not r then return false end
if string.sub(r, 1, 4) ~= 'FZR1' then return {r} end
local t = redis.call('GET', ARGV[1] .. string.sub(r, 5, 68))
if not t then return {r} end
return {r, t}
