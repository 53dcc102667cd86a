--[[
  Creates an object and appends its ADDED event, atomically.
  Input:
    KEYS[1] object hash   KEYS[2] name index (zset)   KEYS[3] resourceVersion counter
    KEYS[4] change stream KEYS[5] uid -> member       KEYS[6] active set
    ARGV[1] member "<namespace>/<name>"
    ARGV[2] object JSON with the resourceVersion placeholder "@@RV@@"
    ARGV[3] stream MAXLEN (approximate)
    ARGV[4] "1" if the object is active (not finished)
  Output:
    {rv} on success, {-1} if the object exists already
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {-1}
end
local rv = redis.call('INCR', KEYS[3])
local s, e = string.find(ARGV[2], '"@@RV@@"', 1, true)
local json = string.sub(ARGV[2], 1, s - 1) .. '"' .. rv .. '"' .. string.sub(ARGV[2], e + 1)
redis.call('HSET', KEYS[1], 'j', json, 'r', rv)
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('SET', KEYS[5], ARGV[1])
if ARGV[4] == '1' then
  redis.call('SADD', KEYS[6], ARGV[1])
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], rv .. '-0', 't', 'ADDED', 'k', ARGV[1], 'o', json)
return {rv}
