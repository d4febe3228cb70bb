-- wrk script for bench/load_bench.py: every request posts a new, realistic inquiry.
--
--   wrk -t2 -c10 -d20s -s bench/load_bench.lua http://127.0.0.1:18000 \
--       -- MODE DATA OUT OFFSET THREADS SESSIONS|- API_KEY [PAUSE_MS]
--
-- MODE      api  (POST /api/v1/inquiries, JSON, X-Api-Key) or form (POST /inquiry, urlencoded)
-- DATA      a Lua file returning the word lists (written and checked by load_bench.py)
-- OUT       where done() writes the run's figures as JSON
-- OFFSET    first request number of this run; request n is OFFSET + counter * THREADS + thread
-- SESSIONS  form only: lines "cookie<TAB>csrf_token<TAB>started" fetched from GET /inquiry
-- PAUSE_MS  paced runs only: the pause of each connection between an answer and its next request
--
-- Request number i makes the inquiry: its mobile (prefix i mod P, then i div P on 8 digits)
-- and its company (mixed radix over the word lists) are unique per i, so no submission is a
-- repeat of another; the other fields cycle through the lists with co-prime strides.
-- See https://github.com/wg/wrk/blob/master/SCRIPTING for setup/init/request/response/done.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads - 1)
end

local function pick(list, n)
   return list[(n % #list) + 1]
end

local function urlencode(s)
   return (string.gsub(s, "[^%w%-_%.~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function init(args)
   mode = args[1]
   D = dofile(args[2])
   outfile = args[3]
   offset = tonumber(args[4])
   nthreads = tonumber(args[5])
   counter = 0
   statuses = {}
   receipts = {}
   sessions = {}
   if mode == "form" then
      for line in io.lines(args[6]) do
         local cookie, csrf, started = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
         table.insert(sessions, {cookie = cookie, csrf = urlencode(csrf), started = urlencode(started)})
      end
   end
   api_headers = {["Content-Type"] = "application/json", ["X-Api-Key"] = args[7] or ""}
   -- Paced runs: each connection waits this long after an answer before its next request.
   local pause = tonumber(args[8] or "0")
   if pause > 0 then
      delay = function() return pause end
   end
end

-- One inquiry as (api name, form name, value) triples; nil values are left out.
local function inquiry(i)
   local np = #D.prefixes
   local digits = string.format("%s%08d", D.prefixes[(i % np) + 1], math.floor(i / np))
   local mobile
   if i % 3 == 0 then
      mobile = digits:sub(1, 3) .. " " .. digits:sub(4, 7) .. " " .. digits:sub(8, 11)
   elseif i % 3 == 1 then
      mobile = "+86 " .. digits
   else
      mobile = digits
   end
   local nc, nb1, nb2, nw = #D.cities, #D.brand1, #D.brand2, #D.words
   local company = D.cities[(i % nc) + 1]
      .. D.brand1[(math.floor(i / nc) % nb1) + 1]
      .. D.brand2[(math.floor(i / (nc * nb1)) % nb2) + 1]
      .. D.words[(math.floor(i / (nc * nb1 * nb2)) % nw) + 1]
      .. pick(D.suffixes, math.floor(i / (nc * nb1 * nb2 * nw)))
   local property = pick(D.property_types, i * 7)
   local unit = (property == "land") and "mu" or "sqm"
   local area_min = (property == "land") and (10 + (i * 13) % 90) or (500 + ((i * 37) % 60) * 100)
   local area_max = area_min + ((property == "land") and 20 or 1000 + (i % 5) * 500)
   local eia = pick({"yes", "no", "unknown"}, i * 11)
   local f = {
      {"contact_name", "contact_name", pick(D.surnames, i * 3) .. pick(D.given, i * 5)},
      {"mobile", "mobile", mobile},
      {"company", "company", company},
      {"deal_type", "deal_type", pick(D.deal_types, i)},
      {"property_type", "property_type", property},
      {"region", "region_code", pick(D.regions, i * 17)},
      {"area_min", "area_min", tostring(area_min)},
      {"area_max", "area_max", tostring(area_max)},
      {"area_unit", "area_unit", unit},
      {"industry", "industry", pick(D.industries, i * 19)},
      {"usage", "usage", pick(D.usages, i * 23)},
      {"needs_eia", "needs_eia", eia},
      {"page_url", "page_url", "https://www.changfang.example.cn/listing/" .. (100 + i % 900)},
      {"utm_source", "utm_source", pick(D.utm_sources, i * 29)},
   }
   if i % 4 ~= 3 then table.insert(f, {"annual_tax_wan", "annual_tax_wan", tostring(20 + (i * 41) % 1200)}) end
   if i % 2 == 0 then table.insert(f, {"investment_wan", "investment_wan", tostring(500 + (i * 43) % 60000)}) end
   if i % 4 == 1 then table.insert(f, {"email", "email", "buyer" .. i .. "@example.cn"}) end
   if i % 5 == 2 then table.insert(f, {"wechat", "wechat_id", "wx_" .. digits}) end
   if i % 3 ~= 2 then table.insert(f, {"message", "message", pick(D.messages, i * 31)}) end
   return f
end

local numeric = {area_min = true, area_max = true, annual_tax_wan = true, investment_wan = true}

local function json_body(f)
   local parts = {}
   for _, t in ipairs(f) do
      local name, value = t[1], t[3]
      if numeric[name] then
         table.insert(parts, '"' .. name .. '":' .. value)
      elseif name == "needs_eia" then
         local v = (value == "yes") and "true" or ((value == "no") and "false" or "null")
         table.insert(parts, '"needs_eia":' .. v)
      else
         table.insert(parts, '"' .. name .. '":"' .. value .. '"')
      end
   end
   table.insert(parts, '"consent":true')
   return "{" .. table.concat(parts, ",") .. "}"
end

local function form_body(f, s)
   local parts = {"csrf_token=" .. s.csrf, "started=" .. s.started, "website=", "consent=y"}
   for _, t in ipairs(f) do
      table.insert(parts, t[2] .. "=" .. urlencode(t[3]))
   end
   return table.concat(parts, "&")
end

function request()
   local i = offset + counter * nthreads + tid
   counter = counter + 1
   local f = inquiry(i)
   if mode == "api" then
      return wrk.format("POST", "/api/v1/inquiries", api_headers, json_body(f))
   end
   local s = sessions[(counter % #sessions) + 1]
   return wrk.format("POST", "/inquiry", {["Content-Type"] = "application/x-www-form-urlencoded",
                                          ["Cookie"] = s.cookie}, form_body(f, s))
end

-- Statuses, and what each acceptance gave the client: the API's reference, or the form's
-- session cookie (it carries last_reference), so the bench can find every one in the database.
function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 201 then
      local ref = body:match('"reference":%s*"([^"]+)"')
      if ref then table.insert(receipts, ref) end
   elseif status == 302 then
      local cookie = headers["Set-Cookie"]
      local value = cookie and cookie:match("^session=([^;]+)")
      if value then table.insert(receipts, value) end
   end
end

function done(summary, latency, requests)
   local counts = {}
   local receipts_out = io.open(threads[1]:get("outfile") .. ".receipts", "w")
   for _, thread in ipairs(threads) do
      for _, receipt in ipairs(thread:get("receipts")) do
         receipts_out:write(receipt, "\n")
      end
      for status, n in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   receipts_out:close()
   local parts = {}
   for status, n in pairs(counts) do
      table.insert(parts, string.format('"%d":%d', status, n))
   end
   local e = summary.errors
   local out = io.open(threads[1]:get("outfile"), "w")
   out:write(string.format(
      '{"duration_us":%d,"requests":%d,"statuses":{%s},'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}',
      summary.duration, summary.requests, table.concat(parts, ","),
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean))
   out:close()
end
