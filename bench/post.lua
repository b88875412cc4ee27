-- wrk script for the POST scenario. The body (1 KiB of JSON, the same bytes
-- for every request) is written by bench/run.py, which also checks in the
-- pre-flight that echo.php got exactly those bytes (length and md5).
local f = assert(io.open(os.getenv("BENCH_POST_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
