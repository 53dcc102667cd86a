--[[
  Replaces an object if its resourceVersion is still the expected one, and appends its
  MODIFIED event, atomically.
  Input:
    KEYS[1] object hash   KEYS[2] resourceVersion counter   KEYS[3] change stream
    KEYS[4] active set    KEYS[5] ttl zset (score = expiry in ms)
    ARGV[1] member "<namespace>/<name>"
    ARGV[2] expected resourceVersion
    ARGV[3] new object JSON with the resourceVersion placeholder "@@RV@@"
    ARGV[4] the previous object's selectable attributes (JSON), for watch selectors
    ARGV[5] stream MAXLEN (approximate)
    ARGV[6] "1" if the object is active (not finished)
    ARGV[7] expiry time in ms, or "" for none
  Output:
    {rv} on success, {-1} if the object does not exist, {-2, currentRv} on a conflict
]]
local cur = redis.call('HGET', KEYS[1], 'r')
if not cur then
  return {-1}
end
if cur ~= ARGV[2] then
  return {-2, cur}
end
local rv = redis.call('INCR', KEYS[2])
local s, e = string.find(ARGV[3], '"@@RV@@"', 1, true)
local json = string.sub(ARGV[3], 1, s - 1) .. '"' .. rv .. '"' .. string.sub(ARGV[3], e + 1)
redis.call('HSET', KEYS[1], 'j', json, 'r', rv)
if ARGV[6] == '1' then
  redis.call('SADD', KEYS[4], ARGV[1])
else
  redis.call('SREM', KEYS[4], ARGV[1])
end
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[7], ARGV[1])
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], rv .. '-0', 't', 'MODIFIED', 'k', ARGV[1], 'o', json, 'p', ARGV[4])
return {rv}
