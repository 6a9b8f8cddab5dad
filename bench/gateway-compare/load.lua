-- The requests of bench/gateway-compare.ts, for wrk 4.1 (LuaJIT; one Lua state per thread).
--
--   wrk ... -s load.lua <url> -- <mode> <source> <rate> <threads> [<offset>]
--
-- mode  plain  GET <source> (a path), no token;
--       mix    <source> is a file of "<subject> <token>" lines (the users of the realistic mix):
--              each request picks one at random, GET /users/<subject>/items with its token;
--       cycle  the same file, taken in turn over and over from line <offset> (every user's token
--              once per pass): how the benchmark primes the gateway's caches before measuring;
--       fresh  <source>.<thread id> is this thread's file of such lines, each used once (every
--              request a fresh token); when a file runs out it starts over and counts the repeats,
--              which the benchmark treats as a failed run.
-- rate  requests per second for the whole run, 0 for as fast as the connections go. With a rate,
--       delay() hands out send times one interval apart (per thread), so the load is a steady
--       arrival rate rather than closed-loop; when every connection is busy the schedule slips
--       instead of bursting, and the achieved rate (reported) falls below the target.
--
-- done() prints one line "RAMPART_WRK {json}" with the counts and latency percentiles in µs.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } rampart_timespec;
int clock_gettime(int clock_id, rampart_timespec *tp);
]]
local timespec = ffi.new("rampart_timespec")
local CLOCK_MONOTONIC = 1
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function read_tokens(file)
  local subjects, tokens = {}, {}
  for line in io.lines(file) do
    local subject, token = line:match("^(%S+) (%S+)$")
    if subject then
      subjects[#subjects + 1] = subject
      tokens[#tokens + 1] = token
    end
  end
  assert(#tokens > 0, "no tokens in " .. file)
  return subjects, tokens
end

local function authorized(subject, token)
  return wrk.format("GET", "/users/" .. subject .. "/items", { ["Authorization"] = "Bearer " .. token })
end

function init(args)
  local mode, source = args[1], args[2]
  local rate, thread_count, offset = tonumber(args[3]), tonumber(args[4]), tonumber(args[5] or "0")
  repeats = 0

  if mode == "plain" then
    local prepared = wrk.format("GET", source)
    request = function()
      return prepared
    end
  elseif mode == "mix" then
    local subjects, tokens = read_tokens(source)
    local prepared = {}
    for i = 1, #tokens do
      prepared[i] = authorized(subjects[i], tokens[i])
    end
    math.randomseed(os.time() * 1000 + id)
    local count = #prepared
    request = function()
      return prepared[math.random(count)]
    end
  elseif mode == "cycle" then
    local subjects, tokens = read_tokens(source)
    local count = #tokens
    local i = (offset + id) % count
    request = function()
      i = i % count + 1
      return authorized(subjects[i], tokens[i])
    end
  elseif mode == "fresh" then
    local subjects, tokens = read_tokens(source .. "." .. id)
    local count, i, wrapped = #tokens, 0, false
    request = function()
      i = i + 1
      if i > count then
        i, wrapped = 1, true
      end
      if wrapped then
        repeats = repeats + 1
      end
      return authorized(subjects[i], tokens[i])
    end
  else
    error("unknown mode " .. tostring(mode))
  end

  if rate > 0 then
    local interval = 1000 * thread_count / rate
    local slot = 0
    delay = function()
      local now = now_ms()
      if slot < now then
        slot = now
      end
      local wait = slot - now
      slot = slot + interval
      return math.floor(wait)
    end
  end
end

function done(summary, latency, requests)
  local repeated = 0
  for _, thread in ipairs(threads) do
    repeated = repeated + (thread:get("repeats") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'RAMPART_WRK {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"timeouts":%d,"non2xx":%d,"repeats":%d,' ..
    '"p50Us":%.0f,"p90Us":%.0f,"p99Us":%.0f,"p999Us":%.0f,"maxUs":%.0f,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    e.status, repeated, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
