#!/usr/bin/python3
"""make bench: kiln against nginx (with and without upstream keepalive) and
HAProxy (fcgi-app), on loopback, same document root, one private php-fpm
pool (or null FastCGI responder) per proxy.

  /usr/bin/python3 bench/run.py          (what `make bench` runs)

Environment:
  BENCH_SECONDS=7       length of one timed wrk run
  BENCH_ROUNDS=3        rounds; each round runs every target once (A B C A B C)
  BENCH_WARMUP=1        seconds of untimed load per target before a scenario
                        (0: none; wrk counts whole seconds only)
  BENCH_SCENARIOS=a,b   scenarios to run (default all; see SCENARIOS below)
  BENCH_TARGETS=a,b     targets (default kiln,nginx,nginx-ka,haproxy)
  BENCH_QUICK=1         smoke test: 2 s runs, 1 round
  BENCH_STRICT=1        a target that fails its pre-flight (or dies), a kiln
                        that does not build, and any kiln error or timeout
                        under load fail the run; without it the run goes on
                        without a failed target and says so
  BENCH_CHART=1         also write the chart to bench/results.svg (for the
                        README); build/bench/results.svg is always written
                        when gnuplot is installed
  BENCH_WRK_TIMEOUT=5   wrk --timeout, seconds: a slower response is a
                        timeout (how hangs show up)
  BENCH_OUT=dir         results directory (default build/bench)
  KILN_BUILD=failed     set by the Makefile when building kiln failed

Output: a markdown table on stdout and in build/bench/results.md, every
run's numbers in build/bench/results.json, raw wrk output in
build/bench/raw/.
"""

import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

# The scenarios, in run order. Each is timed for every target. "backend"
# selects what sits behind every proxy: "php" (a php-fpm pool, pm=static, 8
# children) or "null" (bench/fcgi_null.c: proxy cost only). To add one,
# append a dict; a script it needs goes in bench/www/ and its pre-flight
# check in preflight_php/preflight_null.
SCENARIOS = [
    {"name": "min", "backend": "php", "path": "/index.php", "conns": 50,
     "title": "GET /index.php, minimal JSON, 50 conns"},
    {"name": "front", "backend": "php", "path": "/users/42?page=2", "conns": 50,
     "title": "front controller GET /users/42 -> index.php, 50 conns"},
    {"name": "heavy", "backend": "php", "path": "/heavy.php", "conns": 50,
     "title": "GET /heavy.php, 10 KB JSON, 50 conns"},
    {"name": "post", "backend": "php", "path": "/echo.php", "conns": 50, "lua": "post.lua",
     "title": "POST /echo.php, 1 KiB body, 50 conns"},
    {"name": "c200", "backend": "php", "path": "/index.php", "conns": 200,
     "title": "GET /index.php, minimal JSON, 200 conns"},
    {"name": "stream", "backend": "php", "path": "/stream.php", "conns": 50,
     "title": "GET /stream.php, 1 MiB streamed in 16 KiB flushes, 50 conns"},
    {"name": "null", "backend": "null", "path": "/index.php", "conns": 50,
     "title": "null FastCGI backend (proxy cost only), 50 conns"},
]

MIN_BODY = b'{"status":"ok","message":"Hello, World!"}\n'
NULL_BODY = b'{"ok":true}\n'


class CheckFailed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def settings():
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    s = {
        "seconds": B.env_int("BENCH_SECONDS", 2 if quick else 7),
        "rounds": B.env_int("BENCH_ROUNDS", 1 if quick else 3),
        "warmup": B.env_int("BENCH_WARMUP", 1),
        "wrk_timeout": B.env_int("BENCH_WRK_TIMEOUT", 5),
        "strict": os.environ.get("BENCH_STRICT", "") not in ("", "0"),
        "chart": os.environ.get("BENCH_CHART", "") not in ("", "0"),
        "quick": quick,
    }
    names = [x.strip() for x in os.environ.get("BENCH_SCENARIOS", "").split(",") if x.strip()]
    known = [sc["name"] for sc in SCENARIOS]
    for n in names:
        if n not in known:
            B.die("BENCH_SCENARIOS: unknown scenario %r (known: %s)" % (n, ", ".join(known)))
    s["scenarios"] = [sc for sc in SCENARIOS if not names or sc["name"] in names]
    targets = [x.strip() for x in os.environ.get("BENCH_TARGETS", "").split(",") if x.strip()]
    for t in targets:
        if t not in B.TARGET_ORDER:
            B.die("BENCH_TARGETS: unknown target %r (known: %s)" % (t, ", ".join(B.TARGET_ORDER)))
    s["targets"] = [t for t in B.TARGET_ORDER if not targets or t in targets]
    # wrk takes whole seconds.
    if s["seconds"] < 1 or s["rounds"] < 1 or s["warmup"] < 0 or s["wrk_timeout"] < 1:
        B.die("BENCH_SECONDS, BENCH_ROUNDS, BENCH_WRK_TIMEOUT must be >= 1, BENCH_WARMUP >= 0 (whole seconds)")
    return s


# ------------------------------------------------------------ pre-flight ----

def pool_name(target):
    return target


def preflight_php(target, port):
    """Every PHP scenario's request answered correctly, by the target's own
    pool, with OPcache on, over a kept-alive connection."""
    st, h, b = B.http_get(port, "/check.php")
    check(st == 200, "GET /check.php: status %d: %r" % (st, b[:200]))
    j = json.loads(b)
    check(j.get("pool") == pool_name(target),
          "GET /check.php answered by pool %r, not the target's own %r" % (j.get("pool"), target))
    check(j.get("opcache") is True, "OPcache is off in php-fpm (check.php: %r)" % j)
    check(j.get("script_name") == "/check.php", "SCRIPT_NAME is %r" % j.get("script_name"))

    st, h, b = B.http_get(port, "/index.php")
    check(st == 200 and b == MIN_BODY, "GET /index.php: %d %r" % (st, b[:200]))
    check(h.get("content-type", "").startswith("application/json"),
          "GET /index.php: Content-Type %r" % h.get("content-type"))

    st, h, b = B.http_get(port, "/users/42?page=2")
    check(st == 200, "front controller GET /users/42?page=2: status %d: %r" % (st, b[:200]))
    check(json.loads(b) == {"route": "user.show", "id": 42, "page": 2},
          "front controller GET /users/42?page=2: %r" % b[:200])

    st, h, b = B.http_get(port, "/heavy.php")
    check(st == 200, "GET /heavy.php: status %d" % st)
    check(9000 <= len(b) <= 12000 and json.loads(b).get("count") == 100,
          "GET /heavy.php: %d bytes" % len(b))

    body = B.post_body()
    st, h, b = B.http_get(port, "/echo.php", method="POST", body=body,
                          headers={"Content-Type": "application/json"})
    check(st == 200, "POST /echo.php: status %d" % st)
    j = json.loads(b)
    check(j.get("length") == len(body) and j.get("md5") == B.md5(body)
          and j.get("content_type") == "application/json",
          "POST /echo.php: backend saw %r" % j)

    st, h, b = B.http_get(port, "/stream.php", timeout=10)
    want = B.stream_body()
    check(st == 200 and len(b) == len(want) and b == want,
          "GET /stream.php: status %d, %d bytes (want %d)" % (st, len(b), len(want)))

    check_keepalive(port, "/index.php", MIN_BODY)


def preflight_null(target, port):
    st, h, b = B.http_get(port, "/index.php")
    check(st == 200 and b == NULL_BODY, "GET /index.php (null backend): %d %r" % (st, b[:200]))
    check_keepalive(port, "/index.php", NULL_BODY)


def check_keepalive(port, path, want):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for i in range(3):
            st, h, b = B.http_get(port, path, conn=c)
            check(st == 200 and b == want, "keep-alive request %d: %d %r" % (i + 1, st, b[:100]))
            check(c.sock is not None, "the connection was closed after request %d: no keep-alive" % (i + 1))
    finally:
        c.close()


# ------------------------------------------------------------------ wrk ----

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m|h)$", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out):
    r = {"requests": 0, "rps": 0.0, "p50_ms": None, "p99_ms": None,
         "connect": 0, "read": 0, "write": 0, "timeouts": 0, "non2xx": 0}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+),", out, re.M)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"^Requests/sec:\s*([\d.]+)", out, re.M)
    if m:
        r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(r"^\s*%s(?:\.000)?%%\s+(\S+)" % pct, out, re.M)
        if m:
            r[key] = _ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["connect"], r["read"], r["write"], r["timeouts"] = map(int, m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["non2xx"]
    return r


def run_wrk(port, sc, seconds, timeout, procs):
    argv = ["wrk", "-t1", "-c%d" % sc["conns"], "-d%gs" % seconds, "--timeout", "%gs" % timeout,
            "--latency"]
    if sc.get("lua"):
        argv += ["-s", os.path.join(B.BENCH, sc["lua"])]
    argv.append("http://127.0.0.1:%d%s" % (port, sc["path"]))
    env = dict(os.environ, BENCH_POST_BODY=os.path.join(B.STATE, "post-body.json"))
    logf = os.path.join(B.STATE, "wrk.out")
    if os.path.exists(logf):
        os.unlink(logf)
    p = procs.start("wrk", argv, logf, env=env)
    try:
        p.wait(seconds + timeout + 30)
    except subprocess.TimeoutExpired:
        procs.stop("wrk", grace=1)
        raise RuntimeError("wrk did not finish")
    procs.stop("wrk")
    with open(logf) as f:
        out = f.read()
    if p.returncode != 0 or "requests in" not in out:
        raise RuntimeError("wrk failed (status %s):\n%s" % (p.returncode, out[-2000:]))
    return out, argv


def measure(procs, target, port, sc, seconds, timeout):
    proxy = procs.get("proxy-" + target)
    backend = procs.get("backend-" + target)
    pp0 = B.proc_tree(proxy.pid)
    bp0 = B.proc_tree(backend.pid)
    c0, k0 = B.cpu_ticks(pp0), B.cpu_ticks(bp0)
    m0, s0, w0, t0 = B.machine_busy_seconds(), B.self_cpu(), B.children_cpu(), time.time()
    out, argv = run_wrk(port, sc, seconds, timeout, procs)
    m1, s1, w1, t1 = B.machine_busy_seconds(), B.self_cpu(), B.children_cpu(), time.time()
    c1 = B.cpu_ticks(set(pp0) | set(B.proc_tree(proxy.pid)))
    k1 = B.cpu_ticks(set(bp0) | set(B.proc_tree(backend.pid)))
    r = parse_wrk(out)
    # Noise: CPU the machine spent on anything but this run (proxy,
    # backend, wrk, the harness), in % of one core. High values mean another
    # workload shared the machine and the run is suspect.
    ours = B.cpu_delta_seconds(c0, c1) + B.cpu_delta_seconds(k0, k1) + (w1 - w0) + (s1 - s0)
    r["wrk_cpu_s"] = w1 - w0
    r["other_cpu_pct"] = max(0.0, (m1 - m0) - ours) * 100 / max(t1 - t0, 1e-3)
    n = max(r["requests"], 1)
    r["proxy_cpu_s"] = B.cpu_delta_seconds(c0, c1)
    r["backend_cpu_s"] = B.cpu_delta_seconds(k0, k1)
    r["proxy_us_per_req"] = r["proxy_cpu_s"] * 1e6 / n
    r["backend_us_per_req"] = r["backend_cpu_s"] * 1e6 / n
    r["wrk"] = " ".join(argv)
    return r, out


# ----------------------------------------------------------- the run ----

def bring_up(procs, targets, backend, tools, ports, failed):
    """Start each target's backend and proxy, then check it answers every
    scenario's request correctly. A target that fails is stopped, recorded
    in `failed` and left out. Returns the targets that passed."""
    up = []
    for t in targets:
        try:
            B.start_backend(procs, t, backend, tools)
            B.start_proxy(procs, t, ports[t])
            (preflight_php if backend == "php" else preflight_null)(t, ports[t])
            up.append(t)
            B.log("  %-9s ok (%s backend)" % (t, backend))
        except (CheckFailed, RuntimeError, OSError, ValueError, http.client.HTTPException) as e:
            msg = str(e).strip() or e.__class__.__name__
            failed[t] = "%s backend: %s" % (backend, msg)
            tag = "kiln not ready" if t == "kiln" else "%s failed its pre-flight" % t
            B.log("  *** %s: %s" % (tag, msg))
            procs.stop("proxy-" + t)
            procs.stop("backend-" + t)
    return up


def tear_down(procs, targets, backend, notes):
    """Stop every proxy and backend. fcgi_null logs each malformed record it
    receives; a target that sent any gets a warning in the results."""
    for t in targets:
        procs.stop("proxy-" + t)
        procs.stop("backend-" + t)
        if backend == "null":
            try:
                with open(os.path.join(B.tdir(t), "fcgi_null.log")) as f:
                    n = sum(1 for line in f if "protocol error (" in line)
            except OSError:
                n = 0
            if n:
                notes.append("**warning**: %s sent %d malformed FastCGI record sequence(s) to fcgi_null "
                             "(see /tmp/kiln-bench/%s/fcgi_null.log)." % (t, n, t))


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(runs):
    return {
        "rps": median([r["rps"] for r in runs]),
        "p50_ms": median([r["p50_ms"] for r in runs]),
        "p99_ms": median([r["p99_ms"] for r in runs]),
        "proxy_us_per_req": median([r["proxy_us_per_req"] for r in runs]),
        "backend_us_per_req": median([r["backend_us_per_req"] for r in runs]),
        "errors": sum(r["errors"] for r in runs),
        "timeouts": sum(r["timeouts"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "rounds": len(runs),
        "other_cpu_pct_max": max([r.get("other_cpu_pct", 0) for r in runs] or [0]),
    }


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def render_markdown(cfg, info, scenarios, summary, failed, notes):
    lines = []
    lines.append("## kiln benchmark (%s)" % time.strftime("%Y-%m-%d %H:%M"))
    lines.append("")
    lines.append("%s, %s cores, Linux %s; nginx %s, HAProxy %s, %s, %s; kiln: %s." % (
        info.get("cpu", "?"), info.get("nproc"), info.get("kernel"), info.get("nginx"),
        info.get("haproxy"), info.get("php-fpm"), info.get("wrk"), info.get("kiln") or "not built"))
    lines.append("wrk -t1, %gs per run, %d round(s) interleaved, medians; one proxy worker each; "
                 "php-fpm pm=static 8 children per proxy (unix socket, OPcache on); "
                 "CPU from /proc (utime+stime, all threads and processes of the proxy)." % (
                     cfg["seconds"], cfg["rounds"]))
    lines.append("")
    lines.append("| scenario | target | req/s | p50 ms | p99 ms | proxy CPU µs/req | backend CPU µs/req | errors | timeouts |")
    lines.append("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for sc in scenarios:
        for t in B.TARGET_ORDER:
            s = summary.get(sc["name"], {}).get(t)
            if not s:
                continue
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %d | %d |" % (
                sc["name"], t, fmt(s["rps"], ",.0f"), fmt(s["p50_ms"], ".2f"), fmt(s["p99_ms"], ".2f"),
                fmt(s["proxy_us_per_req"], ".1f"), fmt(s["backend_us_per_req"], ".1f"),
                s["errors"], s["timeouts"]))
    lines.append("")
    refs = [t for t in B.TARGET_ORDER if t != "kiln"]
    have_kiln = any("kiln" in summary.get(sc["name"], {}) for sc in scenarios)
    if have_kiln:
        lines.append("kiln relative to each reference (req/s: above 1 is faster; CPU/req: below 1 is cheaper):")
        lines.append("")
        lines.append("| scenario | " + " | ".join("req/s vs %s" % r for r in refs) + " | "
                     + " | ".join("CPU/req vs %s" % r for r in refs) + " |")
        lines.append("|---|" + "--:|" * (2 * len(refs)))
        for sc in scenarios:
            row = summary.get(sc["name"], {})
            k = row.get("kiln")
            if not k:
                continue
            rr, cr = [], []
            for r in refs:
                o = row.get(r)
                rr.append("%.2f" % (k["rps"] / o["rps"]) if o and o["rps"] and k["rps"] else "-")
                cr.append("%.2f" % (k["proxy_us_per_req"] / o["proxy_us_per_req"])
                          if o and o["proxy_us_per_req"] and k["proxy_us_per_req"] else "-")
            lines.append("| %s | %s | %s |" % (sc["name"], " | ".join(rr), " | ".join(cr)))
        lines.append("")
    for t, why in failed.items():
        tag = "kiln not ready" if t == "kiln" else "%s not measured" % t
        first = why.strip().splitlines()[0] if why.strip() else ""
        lines.append("**%s**: %s" % (tag, first))
        lines.append("")
    noise = max([s["other_cpu_pct_max"] for row in summary.values() for s in row.values()] or [0])
    lines.append("Noise: other processes used at most %.0f%% of one core during a timed run%s." % (
        noise, " -- the machine was not idle, treat these numbers with care" if noise > 15 else ""))
    lines.append("")
    for n in notes:
        lines.append(n)
        lines.append("")
    lines.append("Scenarios: " + "; ".join("`%s` %s" % (sc["name"], sc["title"]) for sc in scenarios) + ".")
    return "\n".join(lines) + "\n"


def draw_chart(scenarios, summary, out_path, info):
    """Two panels, one group of bars per scenario: req/s and proxy CPU per
    request, each relative to the baseline target (nginx without upstream
    keepalive when measured) so that scenarios of very different scale share
    a linear axis; the absolute numbers are in the table. SVG, or PNG when
    out_path ends in .png. Returns None, or why there is no chart."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed (Debian gnuplot-nox): no chart"
    targets = [t for t in B.TARGET_ORDER if any(t in summary.get(sc["name"], {}) for sc in scenarios)]
    scs = [sc for sc in scenarios if summary.get(sc["name"])]
    if not targets or not scs:
        return "nothing to draw"
    base = next((t for t in ("nginx", "nginx-ka", "haproxy", "kiln") if t in targets), targets[0])
    short = {"kiln": "kiln", "nginx": "nginx", "nginx-ka": "nginx keepalive", "haproxy": "HAProxy"}

    def rel(row, t, key):
        b = row.get(base, {}).get(key)
        v = row.get(t, {}).get(key)
        return ("%.3f" % (v / b)) if v and b else "-"
    data = os.path.join(B.STATE, "chart.dat")
    with open(data, "w") as f:
        for key in ("rps", "proxy_us_per_req"):
            for sc in scs:
                row = summary[sc["name"]]
                f.write(sc["name"] + " " + " ".join(rel(row, t, key) for t in targets) + "\n")
            f.write("\n\n")
    if out_path.endswith(".png"):
        terminal = 'set terminal pngcairo size 1000,760 enhanced font "sans,11" background rgb "white"'
    else:
        terminal = 'set terminal svg size 1000,760 dynamic enhanced font "sans,12" background rgb "white"'
    colors = {"kiln": "#d9480f", "nginx": "#5c7cfa", "nginx-ka": "#91a7ff", "haproxy": "#2f9e44"}
    plot0 = ", ".join("'%s' index 0 using %d:xtic(1) title '%s' lc rgb '%s'" % (
        data, i + 2, short[t], colors[t]) for i, t in enumerate(targets))
    plot1 = ", ".join("'%s' index 1 using %d:xtic(1) notitle lc rgb '%s'" % (
        data, i + 2, colors[t]) for i, t in enumerate(targets))
    script = """
%(terminal)s
set output '%(out)s'
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border rgb "#333333"
set grid ytics lc rgb "#dddddd"
set key outside top center horizontal font ",11"
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set multiplot layout 2,1 title "%(title)s" font ",13"
set ylabel "req/s, %(base)s = 1"
set title "Throughput (median req/s): higher is better"
plot %(plot0)s, 1 notitle lc rgb "#888888" dt 2
set ylabel "CPU/request, %(base)s = 1"
set title "Proxy CPU per request (/proc utime+stime): lower is better"
plot %(plot1)s, 1 notitle lc rgb "#888888" dt 2
unset multiplot
""" % {"out": out_path, "plot0": plot0, "plot1": plot1, "terminal": terminal, "base": short[base],
       "title": "kiln vs nginx vs HAProxy: %s cores, wrk -t1, one proxy worker; %s" % (
           info.get("nproc"), time.strftime("%Y-%m-%d"))}
    r = subprocess.run([gp], input=script, capture_output=True, text=True)
    if r.returncode != 0:
        return "gnuplot failed: " + r.stderr.strip()[-500:]
    return None


def main():
    cfg = settings()
    lock, procs, tools, ports = B.start_session(["wrk", "nginx", "haproxy", "cc"])
    rawdir = os.path.join(B.OUT, "raw")
    shutil.rmtree(rawdir, ignore_errors=True)
    os.makedirs(rawdir)
    targets, failed = B.ready_targets(cfg["targets"], ports)

    info = B.machine_info()
    total_runs = len(cfg["scenarios"]) * len(targets) * cfg["rounds"]
    B.log("bench: %d scenario(s) x %d target(s) x %d round(s) x %gs = about %.0f s of load" % (
        len(cfg["scenarios"]), len(targets), cfg["rounds"], cfg["seconds"],
        total_runs * cfg["seconds"]))
    if "kiln" in failed:
        B.log("*** kiln not ready: %s: measuring the others only%s" % (
            failed["kiln"], "" if cfg["strict"] else " (BENCH_STRICT=1 would fail the run)"))

    runs = {}     # scenario -> target -> [run]
    notes = []
    interrupted = False
    try:
        B.prepare_state(targets)
        for backend in ("php", "null"):
            scs = [sc for sc in cfg["scenarios"] if sc["backend"] == backend]
            live = [t for t in targets if t not in failed]
            if not scs or not live:
                continue
            B.log("bench: starting %s backends and proxies, pre-flight checks" % backend)
            up = bring_up(procs, live, backend, tools, ports, failed)
            for sc in scs:
                B.log("bench: scenario %s: %s" % (sc["name"], sc["title"]))
                for t in list(up) if cfg["warmup"] else []:
                    try:
                        run_wrk(ports[t], sc, cfg["warmup"], cfg["wrk_timeout"], procs)
                    except RuntimeError as e:
                        B.log("  warm-up %s: %s" % (t, e))
                for rnd in range(cfg["rounds"]):
                    for t in list(up):
                        if not procs.alive("proxy-" + t):
                            failed[t] = "died during scenario %s:\n%s" % (
                                sc["name"], B.tail(os.path.join(B.tdir(t), "proxy.log")))
                            B.log("  *** %s died:\n%s" % (t, failed[t]))
                            up.remove(t)
                            continue
                        try:
                            r, out = measure(procs, t, ports[t], sc, cfg["seconds"], cfg["wrk_timeout"])
                        except RuntimeError as e:
                            B.log("  *** %s: %s" % (t, e))
                            notes.append("**warning**: a %s run of %s failed: %s" % (
                                sc["name"], t, str(e).splitlines()[0]))
                            continue
                        with open(os.path.join(rawdir, "%s-%s-%d.txt" % (sc["name"], t, rnd + 1)), "w") as f:
                            f.write(r["wrk"] + "\n" + out)
                        runs.setdefault(sc["name"], {}).setdefault(t, []).append(r)
                        if not procs.alive("proxy-" + t):
                            failed[t] = "died during scenario %s:\n%s" % (
                                sc["name"], B.tail(os.path.join(B.tdir(t), "proxy.log")))
                            B.log("  *** %s died:\n%s" % (t, failed[t]))
                            up.remove(t)
                        B.log("  round %d %-9s %9.0f req/s  p50 %7.2f ms  p99 %8.2f ms  proxy %6.1f µs/req"
                              "  errors %d  timeouts %d  other CPU %.0f%%" % (
                                  rnd + 1, t, r["rps"], r["p50_ms"] or 0, r["p99_ms"] or 0,
                                  r["proxy_us_per_req"], r["errors"], r["timeouts"], r["other_cpu_pct"]))
            tear_down(procs, targets, backend, notes)
    except KeyboardInterrupt:
        interrupted = True
        B.log("\nbench: interrupted; stopping everything it started")
    finally:
        procs.stop_all()

    summary = {sc: {t: summarize(rs) for t, rs in by_t.items()} for sc, by_t in runs.items()}
    if "nginx-ka" in targets and "nginx-ka" not in failed:
        notes.append("nginx-ka keeps up to 32 idle FastCGI connections to a pool of 8 php-fpm "
                     "children; a child serves one connection until it closes, so requests routed "
                     "to the surplus connections wait in the listen queue: expect timeouts there.")
    # The references' errors are their behaviour (nginx-ka's timeouts);
    # kiln's are bugs.
    kiln_bad = ["%s: %d errors, %d timeouts" % (sc, row["kiln"]["errors"], row["kiln"]["timeouts"])
                for sc, row in summary.items()
                if "kiln" in row and (row["kiln"]["errors"] or row["kiln"]["timeouts"])]
    if kiln_bad:
        notes.append("**warning: kiln had errors or timeouts under load** (%s)%s." % (
            "; ".join(kiln_bad), ": this fails the run with BENCH_STRICT=1" if not cfg["strict"] else ""))
    md = render_markdown(cfg, info, cfg["scenarios"], summary, failed, notes)
    B.log("\n" + md)
    with open(os.path.join(B.OUT, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(B.OUT, "results.json"), "w") as f:
        json.dump({"settings": {k: v for k, v in cfg.items() if k not in ("scenarios",)},
                   "scenarios": cfg["scenarios"], "machine": info, "failed": failed,
                   "summary": summary, "runs": runs,
                   "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, f, indent=1)
    svg = os.path.join(B.OUT, "results.svg")
    err = draw_chart(cfg["scenarios"], summary, svg, info)
    if err:
        B.log("bench: " + err)
    elif cfg["chart"]:
        shutil.copyfile(svg, os.path.join(B.BENCH, "results.svg"))
        B.log("bench: chart written to bench/results.svg")
    B.log("bench: results in %s/results.{md,json,svg}" % os.path.relpath(B.OUT, B.REPO))
    os.close(lock)
    if interrupted:
        return 130
    if failed and cfg["strict"]:
        B.log("bench: BENCH_STRICT=1 and %s failed: failing" % ", ".join(failed))
        return 1
    if cfg["strict"] and kiln_bad:
        B.log("bench: BENCH_STRICT=1 and kiln had errors or timeouts under load: failing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
