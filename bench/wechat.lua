-- wrk script for bench/wechat_bench.py: replays pre-signed pushes from a file (one "path<TAB>body" per line);
-- each wrk thread takes its own slice so no MsgId is sent twice. WRK_DELAY_MS paces each connection.
local reqs, idx, delay_ms = {}, 0, 0
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  delay_ms = tonumber(args[3] or "0")
  local n = 0
  for line in io.lines(file) do
    n = n + 1
    if n % nthreads == tid - 1 then
      local path, body = line:match("^([^\t]+)\t(.*)$")
      if body == "" then
        reqs[#reqs + 1] = wrk.format("GET", path)
      else
        reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
      end
    end
  end
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function delay()
  return delay_ms
end
