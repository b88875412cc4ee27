# kiln-sites: fault_restart
# kiln-serial
"""php-fpm restarted under concurrent keep-alive load, the way a deploy or a
crash does it, several times in a row (the report that opened this: after
one restart kiln answered 200 requests, then none, until it was restarted).

The pool is the one from that report: TCP, pm=static with 24 children,
pm.max_requests=200 (so php-fpm also recycles a child every few hundred
requests under load), and kiln with upstream_max_conns 20, pool_max_idle 16.
wrk drives 30 keep-alive connections for 2 s at a time.

After every restart, graceful (SIGQUIT) or hard (SIGKILL of master and
children), kiln must serve at full speed at once: no error, no timeout,
throughput near the first run's, /readyz ready, and no php-fpm connection
left waiting on a peer that hung up (CLOSE-WAIT): each such connection is a
slot kiln cannot use, and a php-fpm child that waits for kiln to close.
"""
import re
import shutil
import signal
import subprocess

import pytest

from faultfix import fault_site
from kilnfix import request, socket_inodes, wait_for

SITE = "fault_restart"
POOL = {"pm": "static", "pm.max_children": 24, "pm.max_requests": 200,
        "pm.status_path": "/fpm-status"}
FPM_PORT = 18141
MAX_UP = 20


def wrk(kiln, seconds=2, conns=30, path="/index.php"):
    exe = shutil.which("wrk")
    assert exe, "wrk is missing: make deps-test installs it"
    out = subprocess.run([exe, "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s",
                          kiln.url(path)], capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    m = re.search(r"(\d+) requests in ([\d.]+)s", out)
    assert m, out
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": int(m.group(1)), "rps": int(m.group(1)) / float(m.group(2)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": sum(int(g) for g in errors.groups()) if errors else 0, "out": out}


def kiln_fpm_sockets(kiln):
    """kiln's TCP connections to php-fpm by state (/proc/net/tcp codes:
    01 ESTABLISHED, 08 CLOSE_WAIT, ...)."""
    inodes = socket_inodes(kiln.pid)
    states = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if int(p[2].split(":")[1], 16) == FPM_PORT and p[9] in inodes:
                states[p[3]] = states.get(p[3], 0) + 1
    return states


def restart(fpm, how):
    if how == "graceful":
        fpm.stop(signal.SIGQUIT)
    else:
        fpm.kill()
    fpm.start()


@pytest.fixture(scope="module")
def env():
    with fault_site(SITE, pool=POOL) as (kiln, fpm):
        yield kiln, fpm


def test_restarts_under_keep_alive_load(env):
    kiln, fpm = env
    first = wrk(kiln)
    runs = [("start", first)]
    assert first["non2xx"] == 0 and first["errors"] == 0, first["out"]
    assert first["requests"] > 1000, first["out"]
    for how in ["graceful", "hard", "graceful", "hard"]:
        # Load just ran: the pool holds connections that php-fpm will drop.
        restart(fpm, how)
        r = request(kiln.host, kiln.port, b"GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n")
        assert (r.status, r.body) == (200, b"ready\n"), (how, r.status, r.body)
        after = wrk(kiln)
        runs.append((how, after))
        assert after["non2xx"] == 0 and after["errors"] == 0, (how, after["out"])
        assert after["rps"] >= 0.5 * first["rps"], (how, after["rps"], first["rps"])
    print("\n" + "; ".join(f"{how}: {r['rps']:.0f} req/s" for how, r in runs))
    # Nothing waits on a connection php-fpm hung up on.
    wait_for(lambda: kiln_fpm_sockets(kiln).get("08", 0) == 0, timeout=2.0,
             what="no CLOSE_WAIT php-fpm connection")
    assert sum(kiln_fpm_sockets(kiln).values()) <= MAX_UP
    assert kiln.log_text().count("upstream_queue_timeout") == 0


def test_readyz_right_after_a_restart_with_idle_connections(env):
    """The readiness probe shares the pool: dead pooled connections must not
    make it fail (nor hold its slot)."""
    kiln, fpm = env
    wrk(kiln, seconds=1)
    for how in ["graceful", "hard"]:
        restart(fpm, how)
        for _ in range(3):
            r = request(kiln.host, kiln.port, b"GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n")
            assert (r.status, r.body) == (200, b"ready\n"), how
