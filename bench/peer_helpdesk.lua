-- wrk script for bench/peer_helpdesk.py: posts django-helpdesk 2.6.1's public ticket form
-- (PublicTicketForm at /tickets/submit/) as a browser would after loading the form page once:
-- the CSRF cookie and token, the public queue's id, a summary, a description, the priority
-- the form preselects (3), an empty due date and the submitter's e-mail address. Each request
-- has a title and an address of its own. The cookie, token, queue and path come from the
-- environment (BENCH_COOKIE, BENCH_CSRF, BENCH_QUEUE, BENCH_PATH, BENCH_REFERER).
-- done() prints one WRK line (errors: connect/read/write/timeout and statuses >= 400, as wrk
-- counts them) and one WRK_STATUS line with the count of each status code.

local threads = {}
local counter = 0
local prefix
statuses = {} -- a global, so that done() can read each thread's counts with thread:get()

local function urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

function setup(thread)
  thread:set("thread_seed", math.random(1, 2 ^ 30))
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + (thread_seed or 0))
  prefix = string.format("%06d", math.random(0, 999999))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.headers["Referer"] = os.getenv("BENCH_REFERER")
end

local path = os.getenv("BENCH_PATH") or "/tickets/submit/"
local fixed = "csrfmiddlewaretoken=" .. urlencode(os.getenv("BENCH_CSRF") or "")
  .. "&queue=" .. urlencode(os.getenv("BENCH_QUEUE") or "")
  .. "&body=" .. urlencode("The kettle switches itself off after ten seconds. "
    .. "It was delivered last week. Please exchange it.")
  .. "&priority=3&due_date="

function request()
  counter = counter + 1
  local n = prefix .. "-" .. counter
  local body = fixed
    .. "&title=" .. urlencode("Kettle switches itself off " .. n)
    .. "&submitter_email=" .. urlencode("customer-" .. n .. "@example.com")
  return wrk.format(nil, path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("WRK requests=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors))
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format("%d=%d", status, n))
  end
  table.sort(parts)
  io.write("WRK_STATUS " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("WRK_ERRORS connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
