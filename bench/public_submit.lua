-- wrk script for bench/service_desk.py: posts the public complaint form, each request with
-- a one-time form token of its own (the server takes any 20-64 character url-safe token once).
-- The CSRF cookie and token come from the environment (BENCH_COOKIE, BENCH_CSRF).

local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
local counter = 0
local prefix

local function urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function random_token(length)
  local out = {}
  for i = 1, length do
    local n = math.random(1, #chars)
    out[i] = chars:sub(n, n)
  end
  return table.concat(out)
end

function setup(thread)
  thread:set("thread_seed", math.random(1, 2^30))
end

function init(args)
  math.randomseed(os.time() + (thread_seed or 0))
  prefix = random_token(24)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.headers["Referer"] = os.getenv("BENCH_REFERER")
  wrk.headers["Accept-Language"] = "zh-hans"
end

local fields = "&name=" .. urlencode("压测客户") .. "&phone=13800001111&email=&order_number="
  .. "&product=" .. urlencode("Electric kettle K1") .. "&category_hint=QUAL"
  .. "&description=" .. urlencode("The kettle switches itself off after ten seconds.")
  .. "&customer_request=" .. urlencode("Please exchange it.") .. "&website="

function request()
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. os.getenv("BENCH_CSRF") .. "&form_token="
    .. prefix .. string.format("%08d", counter) .. fields
  return wrk.format(nil, "/c/new/", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("WRK requests=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
