-- wrk script: each request asks for the next path of the file named by $PATHS, each wrk
-- thread starting at its own place in it, so that a mix of many distinct pages is measured
-- rather than one page served again and again.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("start", threads)
end
local i = 0
function init(args)
  i = math.floor((start - 1) * #paths / 2)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
