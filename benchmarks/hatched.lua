-- wrk script for the Hatched benchmark (benchmarks/run.py sets the environment).
--
-- BENCH_MODE   event | batch | get
-- BENCH_KEY    the secret API key
-- BENCH_RUN    a prefix that makes this run's event ids unique
-- BENCH_USERS  user ids are "<BENCH_USER_PREFIX><n>" for n in 0..BENCH_USERS-1
-- BENCH_BATCH  events per POST /events/batch (batch mode)
-- BENCH_PATHS  comma-separated paths to GET, taken round robin (get mode)
-- BENCH_OUT    where done() writes the summary as JSON
--
-- Every event id is "<run>-<thread>-<counter>", so no two requests of a run collide.

local mode = os.getenv("BENCH_MODE") or "event"
local key = os.getenv("BENCH_KEY") or ""
local run_id = os.getenv("BENCH_RUN") or "run"
local users = tonumber(os.getenv("BENCH_USERS") or "100")
local user_prefix = os.getenv("BENCH_USER_PREFIX") or "bench_user_"
local batch = tonumber(os.getenv("BENCH_BATCH") or "500")
local out = os.getenv("BENCH_OUT")

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local counter = 0
local paths = {}

function init(args)
  for path in string.gmatch(os.getenv("BENCH_PATHS") or "", "[^,]+") do
    table.insert(paths, path)
  end
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Content-Type"] = "application/json"
end

local function event_json()
  counter = counter + 1
  local user = user_prefix .. ((counter * 7 + thread_id) % users)
  return string.format(
    '{"event_id":"%s-%d-%d","user_id":"%s","type":"lesson_completed","properties":{"score":87}}',
    run_id, thread_id, counter, user)
end

function request()
  if mode == "get" then
    counter = counter + 1
    return wrk.format("GET", paths[(counter % #paths) + 1])
  end
  if mode == "batch" then
    local items = {}
    for i = 1, batch do
      items[i] = event_json()
    end
    return wrk.format("POST", "/api/v1/events/batch", nil,
      '{"events":[' .. table.concat(items, ",") .. ']}')
  end
  return wrk.format("POST", "/api/v1/events", nil, event_json())
end

function done(summary, latency, requests)
  if out == nil then
    return
  end
  local file = io.open(out, "w")
  local e = summary.errors
  file:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%f,"max":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d}}',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99)))
  file:close()
end
