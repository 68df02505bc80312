-- One phase of bench/load.py sent by wrk (`bench/load.py --generator wrk`), not run by hand:
--
--   LOAD_CLIENTS=… wrk -t N -c N -d S --timeout T -s bench/load.lua http://127.0.0.1:PORT -- MODE PATH
--
-- MODE is "get" (PATH as it is) or "save" (the wizard's autosave POST to PATH, as
-- static/js/wizard.js sends it). LOAD_CLIENTS has a line per signed-in client, tab-separated: its
-- Cookie header, its CSRF token, its question's key and the note version it last saw. Each wrk
-- thread has one connection and is one client: a save is of a new note on the client's own
-- question, based on the version it last got back (so each is accepted; a 409's stored version is
-- adopted too). The phase lasts S seconds (wrk has no bound on the number of requests that keeps
-- its rate right). Each request is timed here, from the call that hands it to wrk (as its
-- connection becomes writable) to its whole answer: wrk's own percentiles are "corrected" with
-- samples it makes up (stats_correct), so they are not used. At the end one JSON line on stdout:
-- the answers, bytes, socket errors, and each thread's statuses and latencies (µs).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } load_timespec;
  int clock_gettime(int clock_id, load_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_buffer = ffi.new("load_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_buffer)
  return tonumber(now_buffer.tv_sec) * 1000000 + tonumber(now_buffer.tv_nsec) / 1000
end

local clients = {}
for line in (os.getenv("LOAD_CLIENTS") or ""):gmatch("[^\n]+") do
  local cookie, csrf, question, base = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(%d+)$")
  clients[#clients + 1] = { cookie = cookie, csrf = csrf, question = question, base = base }
end

local threads = {}

function setup(thread)
  local client = clients[#threads % #clients + 1]
  thread:set("id", #threads + 1)
  thread:set("cookie", client.cookie)
  thread:set("csrf", client.csrf)
  thread:set("question", client.question)
  thread:set("base", tonumber(client.base))
  threads[#threads + 1] = thread
end

function init(args)
  mode, path = args[1], args[2]
  sent, started = 0, nil
  counts, latencies = {}, {}
  headers = {}
  if cookie ~= "" then
    headers["Cookie"] = cookie  -- none for the minimal view, as bench/load.py's own clients send it
  end
  get_request = wrk.format("GET", path, headers)
end

function request()
  started = now_us()
  if mode ~= "save" then
    return get_request
  end
  sent = sent + 1
  local body = string.format(
    '{"question": "%s", "part": "note", "base": %d, "value": "負荷試験の補足 %d-%d", "mark": ""}',
    question, base, id, sent)
  headers["Content-Type"] = "application/json"
  headers["X-CSRFToken"] = csrf
  return wrk.format("POST", path, headers, body)
end

function response(status, _headers, body)
  if started then
    latencies[#latencies + 1] = math.floor(now_us() - started + 0.5)
    started = nil
  end
  counts[status] = (counts[status] or 0) + 1
  if mode == "save" and (status == 200 or status == 409) then
    local version = body:match('"version"%s*:%s*(%d+)')
    if version then
      base = tonumber(version)
    end
  end
end

function done(summary, _latency, _requests)
  local per_thread = {}
  for _, thread in ipairs(threads) do
    local parts = {}
    for code, n in pairs(thread:get("counts") or {}) do
      parts[#parts + 1] = string.format('"%d": %d', code, n)
    end
    local times = thread:get("latencies") or {}
    per_thread[#per_thread + 1] = string.format('{"statuses": {%s}, "latencies_us": [%s]}',
      table.concat(parts, ", "), table.concat(times, ","))
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d}, "threads": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(per_thread, ", ")))
end
