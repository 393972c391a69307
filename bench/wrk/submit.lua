-- wrk script: POST the online opinion form with a unique submission key per request.
--
-- Parameters come from the environment (each wrk thread reads them in init):
--   BENCH_CSRF     the csrf_token from the form page (tied to the session cookie)
--   BENCH_COOKIE   the Cookie header value holding that session
--   BENCH_BODY     the opinion text, already percent-encoded
--   BENCH_TAG      prefix of the submission keys, unique per run
--   BENCH_OUT      file that done() writes the counts and receipt numbers to
-- The URL's path is the form's action (/consultations/<id>/opinions/new).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

function init(args)
   sent = 0
   statuses = {}
   receipts = {}
   local csrf = os.getenv("BENCH_CSRF")
   prefix = "csrf_token=" .. csrf .. "&node_id=0&body=" .. os.getenv("BENCH_BODY")
      .. "&consent_to_publish=y&submission_key=" .. os.getenv("BENCH_TAG") .. "-" .. id .. "-"
   headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = os.getenv("BENCH_COOKIE"),
   }
end

function request()
   sent = sent + 1
   return wrk.format("POST", nil, headers, prefix .. sent)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status == 302 then
      local location = headers["Location"] or headers["location"] or ""
      local number = string.match(location, "/receipts/([%w%-]+)")
      if number then
         receipts[#receipts + 1] = number
      end
   end
end

function done(summary, latency, requests)
   local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
   for _, thread in ipairs(threads) do
      out:write("sent ", tostring(thread:get("sent")), "\n")
      for status, count in pairs(thread:get("statuses")) do
         out:write("status ", status, " ", tostring(count), "\n")
      end
      for _, number in ipairs(thread:get("receipts")) do
         out:write("receipt ", number, "\n")
      end
   end
   out:close()
end
