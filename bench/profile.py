#!/usr/bin/python3
"""make bench-profile: what one proxied request costs, counted rather than
timed, so the numbers do not move with machine noise.

For each target, on the null FastCGI backend (bench/fcgi_null.c), with
bench/kaclient.c sending an exact number of keep-alive requests (one
connection, one request at a time, so the count of events per request is
deterministic):

  instructions/request  valgrind --tool=callgrind; counters zeroed with
                        `callgrind_control -z` after a warm-up, dumped with
                        `callgrind_control -d` after N requests: Ir / N
  syscalls/request      strace -c -f attached to every thread of the proxy
                        after a warm-up, detached after N requests
  allocator calls/req   LD_PRELOAD=bench/alloc_count.so: malloc, calloc,
                        realloc, free, posix_memalign, aligned_alloc,
                        memalign, valloc counted per process in a mapped
                        file, read before and after N requests

nginx runs with master_process off (one process, what valgrind and strace
see is the worker's request path); HAProxy with -db, nbthread 1; kiln with
workers 1 (its config, bench/bench.json).

Environment:
  BENCH_TARGETS=a,b          targets (default kiln,nginx,nginx-ka,haproxy)
  BENCH_PROFILE_CALLGRIND=N  requests counted under callgrind (20000)
  BENCH_PROFILE_STRACE=N     requests counted under strace (20000)
  BENCH_PROFILE_ALLOC=N      requests counted for allocator calls (100000)
  BENCH_PROFILE_WARMUP=N     warm-up requests before each count (2000)
  BENCH_PROFILE_CONNS=N      kaclient connections (1)
  BENCH_STRICT=1             a target that cannot be profiled fails the run
  KILN_BUILD=failed          set by the Makefile when building kiln failed

Output: a table on stdout, build/bench/profile.md and profile.json.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

ALLOC_FIELDS = ["malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc",
                "memalign", "valloc", "bytes"]


class ProfileError(Exception):
    pass


def settings():
    targets = [x.strip() for x in os.environ.get("BENCH_TARGETS", "").split(",") if x.strip()]
    for t in targets:
        if t not in B.TARGET_ORDER:
            B.die("BENCH_TARGETS: unknown target %r (known: %s)" % (t, ", ".join(B.TARGET_ORDER)))
    return {
        "targets": [t for t in B.TARGET_ORDER if not targets or t in targets],
        "callgrind_n": B.env_int("BENCH_PROFILE_CALLGRIND", 20000),
        "strace_n": B.env_int("BENCH_PROFILE_STRACE", 20000),
        "alloc_n": B.env_int("BENCH_PROFILE_ALLOC", 100000),
        "warmup": B.env_int("BENCH_PROFILE_WARMUP", 2000),
        "conns": B.env_int("BENCH_PROFILE_CONNS", 1),
        "strict": os.environ.get("BENCH_STRICT", "") not in ("", "0"),
    }


def kaclient(tools, port, n, conns, timeout):
    """Send exactly n requests; returns kaclient's summary dict."""
    argv = [tools["kaclient"], "-p", str(port), "-n", str(n), "-c", str(conns), "-u", "/index.php"]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ProfileError("kaclient: %d requests did not finish in %d s" % (n, timeout))
    if r.returncode != 0:
        raise ProfileError("kaclient: %s %s" % (r.stdout.strip(), r.stderr.strip()))
    return dict(kv.split("=", 1) for kv in r.stdout.split())


def start(procs, target, port, env=None, valgrind=None, ready=15):
    """The target's proxy in its profile form (nginx: one process)."""
    return B.start_proxy(procs, target, port, env=env, valgrind_prefix=valgrind,
                         master=False, ready_timeout=ready)


def check_answers(port):
    st, h, b = B.http_get(port, "/index.php", timeout=30)
    if st != 200 or b != b'{"ok":true}\n':
        raise ProfileError("GET /index.php on the null backend: %d %r" % (st, b[:100]))


# ------------------------------------------------------------- callgrind ----

def callgrind(procs, tools, target, port, cfg):
    d = B.tdir(target)
    out = os.path.join(d, "callgrind.out")
    for f in os.listdir(d):
        if f.startswith("callgrind.out"):
            os.unlink(os.path.join(d, f))
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s.%%p" % out]
    p = start(procs, target, port, valgrind=vg, ready=90)
    try:
        check_answers(port)
        kaclient(tools, port, cfg["warmup"], cfg["conns"], 600)
        for cmd in ("-z",):
            r = subprocess.run(["callgrind_control", cmd, str(p.pid)], capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise ProfileError("callgrind_control %s: %s" % (cmd, r.stdout + r.stderr))
        ka = kaclient(tools, port, cfg["callgrind_n"], cfg["conns"], 1800)
        r = subprocess.run(["callgrind_control", "-d", str(p.pid)], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise ProfileError("callgrind_control -d: %s" % (r.stdout + r.stderr))
        dump = "%s.%d.1" % (out, p.pid)
        deadline = time.time() + 30
        total = None
        while time.time() < deadline and total is None:
            try:
                with open(dump) as f:
                    text = f.read()
                m = re.search(r"^totals:\s*(\d+)", text, re.M) or re.search(r"^summary:\s*(\d+)", text, re.M)
                if m:
                    total = int(m.group(1))
            except OSError:
                pass
            if total is None:
                time.sleep(0.2)
        if total is None:
            raise ProfileError("no callgrind dump in %s" % dump)
    finally:
        procs.stop("proxy-" + target)
    return {"instructions": total, "requests": cfg["callgrind_n"],
            "per_request": total / cfg["callgrind_n"], "reconnects": int(ka.get("reconnects", 0)),
            "dump": dump}


# ---------------------------------------------------------------- strace ----

def parse_strace_c(text):
    """{syscall: calls} and the total from `strace -c` output."""
    calls, total = {}, None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or not parts[0].replace(".", "").isdigit():
            continue
        name = parts[-1]
        # columns: % time, seconds, usecs/call, calls, [errors], syscall
        try:
            n = int(parts[3])
        except ValueError:
            continue
        if name == "total":
            total = n
        else:
            calls[name] = n
    if total is None:
        total = sum(calls.values())
    return calls, total


def strace(procs, tools, target, port, cfg):
    d = B.tdir(target)
    p = start(procs, target, port)
    out = os.path.join(d, "strace.txt")
    errf = os.path.join(d, "strace.log")
    try:
        check_answers(port)
        kaclient(tools, port, cfg["warmup"], cfg["conns"], 120)
        pids = B.proc_tree(p.pid)
        tids = []
        for pid in pids:
            try:
                tids += [int(t) for t in os.listdir("/proc/%d/task" % pid)]
            except OSError:
                pass
        # -f with a process's PID attaches every one of its threads.
        argv = ["strace", "-f", "-c", "-o", out]
        for pid in pids:
            argv += ["-p", str(pid)]
        if os.path.exists(errf):
            os.unlink(errf)
        sp = procs.start("strace", argv, errf)
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(errf) as f:
                # one "Process N attached [with M threads]" per process
                if f.read().count("attached") >= len(pids):
                    break
            if sp.poll() is not None:
                raise ProfileError("strace exited: %s" % B.tail(errf))
            time.sleep(0.05)
        else:
            raise ProfileError("strace did not attach to %d threads: %s" % (len(tids), B.tail(errf)))
        ka = kaclient(tools, port, cfg["strace_n"], cfg["conns"], 300)
        procs.stop("strace", sig=signal.SIGINT, grace=10)
        with open(out) as f:
            calls, total = parse_strace_c(f.read())
    finally:
        procs.stop("strace")
        procs.stop("proxy-" + target)
    n = cfg["strace_n"]
    return {"syscalls": total, "requests": n, "per_request": total / n,
            "by_syscall": {k: v / n for k, v in sorted(calls.items(), key=lambda kv: -kv[1])},
            "threads": len(tids), "reconnects": int(ka.get("reconnects", 0))}


# ---------------------------------------------------------------- allocs ----

def read_alloc(dirpath, pids):
    """Sum of the shim's counters over pids."""
    tot = [0] * len(ALLOC_FIELDS)
    for pid in pids:
        path = os.path.join(dirpath, "alloc.%d" % pid)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if data[:8] != b"ALLOCCNT":
            continue
        vals = [int.from_bytes(data[16 + 8 * i:24 + 8 * i], "little") for i in range(len(ALLOC_FIELDS))]
        tot = [a + b for a, b in zip(tot, vals)]
    return tot


def allocs(procs, tools, target, port, cfg):
    d = B.tdir(target)
    adir = os.path.join(d, "alloc")
    os.makedirs(adir, exist_ok=True)
    for f in os.listdir(adir):
        os.unlink(os.path.join(adir, f))
    env = dict(os.environ, LD_PRELOAD=tools["alloc_count.so"], ALLOC_COUNT_DIR=adir)
    p = start(procs, target, port, env=env)
    try:
        check_answers(port)
        kaclient(tools, port, max(cfg["warmup"], 5000), cfg["conns"], 120)
        pids = B.proc_tree(p.pid)
        if not any(os.path.exists(os.path.join(adir, "alloc.%d" % x)) for x in pids):
            raise ProfileError("the allocator shim did not load (no %s/alloc.<pid>)" % adir)
        before = read_alloc(adir, pids)
        ka = kaclient(tools, port, cfg["alloc_n"], cfg["conns"], 600)
        after = read_alloc(adir, set(pids) | set(B.proc_tree(p.pid)))
    finally:
        procs.stop("proxy-" + target)
    n = cfg["alloc_n"]
    delta = {k: (a - b) for k, a, b in zip(ALLOC_FIELDS, after, before)}
    per = {k: v / n for k, v in delta.items()}
    per["calls"] = sum(v for k, v in delta.items() if k != "bytes") / n
    return {"requests": n, "counts": delta, "per_request": per,
            "reconnects": int(ka.get("reconnects", 0))}


# ------------------------------------------------------------------ main ----

def render(cfg, results, failed, info):
    L = []
    L.append("## kiln cost profile (%s)" % time.strftime("%Y-%m-%d %H:%M"))
    L.append("")
    L.append("Null FastCGI backend, keep-alive client (%d connection(s), one request at a time), "
             "after %d warm-up requests. nginx %s (master_process off), HAProxy %s (nbthread 1), kiln: %s." % (
                 cfg["conns"], cfg["warmup"], info.get("nginx"), info.get("haproxy"),
                 info.get("kiln") or "not built"))
    L.append("instructions: callgrind Ir over %d requests; syscalls: strace -c -f over %d; "
             "allocator calls: LD_PRELOAD counter over %d." % (
                 cfg["callgrind_n"], cfg["strace_n"], cfg["alloc_n"]))
    L.append("")
    L.append("| target | instructions/req | syscalls/req | allocator calls/req | malloc | calloc | realloc | free | aligned | bytes/req |")
    L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")

    def f(x, spec):
        return "-" if x is None else format(x, spec)
    for t in B.TARGET_ORDER:
        r = results.get(t)
        if not r:
            continue
        cg = r.get("callgrind", {}).get("per_request")
        sc = r.get("strace", {}).get("per_request")
        a = r.get("alloc", {}).get("per_request")
        aligned = (a["posix_memalign"] + a["aligned_alloc"] + a["memalign"] + a["valloc"]) if a else None
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            t, f(cg, ",.0f"), f(sc, ".2f"), f(a and a["calls"], ".2f"), f(a and a["malloc"], ".2f"),
            f(a and a["calloc"], ".2f"), f(a and a["realloc"], ".2f"), f(a and a["free"], ".2f"),
            f(aligned, ".2f"), f(a and a["bytes"], ",.0f")))
    L.append("")
    for t in B.TARGET_ORDER:
        r = results.get(t, {}).get("strace")
        if r:
            top = ", ".join("%s %.2f" % (k, v) for k, v in r["by_syscall"].items() if v >= 0.005)
            L.append("- %s syscalls/req: %s" % (t, top))
    L.append("")
    for t, why in failed.items():
        tag = "kiln not ready" if t == "kiln" else "%s not profiled" % t
        L.append("**%s**: %s" % (tag, why.strip().splitlines()[0] if why.strip() else ""))
        L.append("")
    return "\n".join(L) + "\n"


def main():
    cfg = settings()
    lock, procs, tools, ports = B.start_session(
        ["nginx", "haproxy", "cc", "valgrind", "callgrind_control", "strace"])
    targets, failed = B.ready_targets(cfg["targets"], ports)
    results = {}
    if failed:
        B.log("*** kiln not ready: %s: profiling the others only" % failed["kiln"])
    info = B.machine_info()
    interrupted = False
    try:
        B.prepare_state(targets)
        for t in targets:
            B.log("profile: %s" % t)
            res = {}
            try:
                B.start_backend(procs, t, "null", tools)
                res["alloc"] = allocs(procs, tools, t, ports[t], cfg)
                B.log("  allocator calls/req %.2f (malloc %.2f, free %.2f)" % (
                    res["alloc"]["per_request"]["calls"], res["alloc"]["per_request"]["malloc"],
                    res["alloc"]["per_request"]["free"]))
                res["strace"] = strace(procs, tools, t, ports[t], cfg)
                B.log("  syscalls/req %.2f" % res["strace"]["per_request"])
                res["callgrind"] = callgrind(procs, tools, t, ports[t], cfg)
                B.log("  instructions/req %.0f" % res["callgrind"]["per_request"])
                results[t] = res
            except (ProfileError, RuntimeError, OSError, ValueError, http.client.HTTPException) as e:
                msg = str(e).strip() or e.__class__.__name__
                failed[t] = msg
                B.log("  *** %s: %s" % ("kiln not ready" if t == "kiln" else t + " failed", msg))
                if res:
                    results[t] = res
            finally:
                procs.stop("proxy-" + t)
                procs.stop("backend-" + t)
    except KeyboardInterrupt:
        interrupted = True
        B.log("\nprofile: interrupted; stopping everything it started")
    finally:
        procs.stop_all()

    md = render(cfg, results, failed, info)
    B.log("\n" + md)
    with open(os.path.join(B.OUT, "profile.md"), "w") as f:
        f.write(md)
    with open(os.path.join(B.OUT, "profile.json"), "w") as f:
        json.dump({"settings": cfg, "machine": info, "results": results, "failed": failed,
                   "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, f, indent=1)
    B.log("profile: results in %s/profile.{md,json}" % os.path.relpath(B.OUT, B.REPO))
    os.close(lock)
    if interrupted:
        return 130
    if failed and cfg["strict"]:
        B.log("profile: BENCH_STRICT=1 and %s failed: failing" % ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
