"""Shared machinery of bench/run.py and bench/profile.py.

Standard library only; run with Debian's /usr/bin/python3.

What lives here:
  - paths and fixed ports (kiln's come from bench/bench.json, its config is
    compiled in, so everything else is arranged around it);
  - Procs: starts every process in its own session, records its PID and
    start time in /tmp/kiln-bench/pids.json, and stops exactly those
    process groups (never anything found by name), also after a crash of a
    previous run;
  - the targets (kiln, nginx, nginx with upstream keepalive, HAProxy) and
    their backends (one php-fpm pool or one null FastCGI responder each, on
    the target's private unix socket);
  - /proc CPU accounting and small HTTP helpers.
"""

import fcntl
import glob
import hashlib
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
STATE = "/tmp/kiln-bench"              # fixed: kiln's config is compiled in
TOOLS = os.path.join(REPO, "build", "bench-tools")
OUT = os.environ.get("BENCH_OUT", os.path.join(REPO, "build", "bench"))
KILN_CONFIG = os.path.join(BENCH, "bench.json")
KILN_BIN = os.environ.get("KILN_BIN", os.path.join(REPO, "build", "bench", "kiln"))
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Reference proxies listen next to kiln (whose port is in bench.json).
PORTS = {"nginx": 28081, "nginx-ka": 28082, "haproxy": 28083}
TARGET_ORDER = ["kiln", "nginx", "nginx-ka", "haproxy"]
TARGET_TITLES = {
    "kiln": "kiln",
    "nginx": "nginx (no upstream keepalive)",
    "nginx-ka": "nginx (keepalive 32)",
    "haproxy": "HAProxy (fcgi-app, http-reuse)",
}

# The POST scenario's body: 1 KiB of JSON, written to a file that post.lua
# reads, and checked byte for byte (length, md5) in the pre-flight.
def post_body():
    items = ",".join(['{"k":"0123456789abcdef"}'] * 40)
    head = '{"items":[' + items + '],"pad":"'
    return (head + "x" * (1024 - len(head) - 2) + '"}').encode()


def stream_body():
    """What bench/www/stream.php sends: 64 x 1024 lines of '%015d\\n'."""
    return b"".join((b"%015d\n" % i) * 1024 for i in range(64))


def log(msg):
    # A closed stdout (| head) must not stop the run before its cleanup.
    try:
        print(msg, flush=True)
    except OSError:
        pass


def die(msg, code=1):
    print("bench: " + msg, file=sys.stderr, flush=True)
    sys.exit(code)


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


def env_float(name, default):
    v = os.environ.get(name, "")
    return float(v) if v.strip() else default


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join("    " + l for l in lines[-n:])
    except OSError:
        return "    (no log)"


def last_line(path):
    try:
        with open(path, "rb") as f:
            lines = [l for l in f.read().decode("utf-8", "replace").splitlines() if l.strip()]
        return lines[-1].strip() if lines else ""
    except OSError:
        return ""


# ---------------------------------------------------------------- /proc ----

def proc_stat(pid):
    """(ppid, utime+stime ticks, starttime) of pid, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15,
    # starttime 22 (proc(5)); utime/stime cover every thread of the process.
    return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[19])


def proc_tree(root):
    """root and all its descendants (nginx master + workers, php-fpm master
    + children)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st:
            children.setdefault(st[0], []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_ticks(pids):
    """{pid: ticks} for the pids that still exist."""
    out = {}
    for p in pids:
        st = proc_stat(p)
        if st:
            out[p] = st[1]
    return out


def cpu_delta_seconds(before, after):
    """CPU seconds spent between two cpu_ticks() snapshots; a process that
    appeared in between counts from zero."""
    return sum(t - before.get(p, 0) for p, t in after.items()) / CLK_TCK


def machine_busy_seconds():
    """CPU seconds all CPUs spent not idle since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is in user)
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / CLK_TCK


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def children_cpu():
    """CPU of reaped children (wrk, once waited for)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ------------------------------------------------------------ processes ----

class Procs:
    """Every process the benchmark starts, each the leader of its own
    session/process group, so stopping it stops its children (nginx
    workers, php-fpm children) and nothing else."""

    def __init__(self):
        self.procs = {}  # name -> (Popen, starttime)
        self.registry = os.path.join(STATE, "pids.json")

    def _save(self):
        data = {n: {"pid": p.pid, "start": s} for n, (p, s) in self.procs.items()}
        tmp = self.registry + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, self.registry)

    def cleanup_stale(self):
        """Stop the process groups a previous, killed run left behind:
        only PIDs from its registry whose start time still matches."""
        try:
            with open(self.registry) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return
        for name, e in data.items():
            st = proc_stat(e["pid"])
            if st and st[2] == e["start"]:
                log("bench: stopping %s (pid %d) left over from an earlier run" % (name, e["pid"]))
                try:
                    os.killpg(e["pid"], signal.SIGKILL)
                except OSError:
                    pass
        os.unlink(self.registry)

    def start(self, name, argv, logfile, env=None):
        if name in self.procs:
            self.stop(name)
        f = open(logfile, "ab")
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 env=env, start_new_session=True, cwd=STATE)
        finally:
            f.close()
        st = proc_stat(p.pid)
        self.procs[name] = (p, st[2] if st else 0)
        self._save()
        return p

    def get(self, name):
        e = self.procs.get(name)
        return e[0] if e else None

    def alive(self, name):
        p = self.get(name)
        return p is not None and p.poll() is None

    def stop(self, name, sig=signal.SIGTERM, grace=5.0):
        e = self.procs.pop(name, None)
        if not e:
            return None
        p = e[0]
        pgid = p.pid
        try:
            os.killpg(pgid, sig)
        except OSError:
            pass
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
        # The leader is gone; members of its group (workers) may linger.
        deadline = time.time() + grace
        while time.time() < deadline:
            try:
                os.killpg(pgid, 0)
            except OSError:
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
        self._save()
        return p.returncode

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)
        try:
            os.unlink(self.registry)
        except OSError:
            pass


def run_lock():
    """Exclusive lock on /tmp/kiln-bench for the whole run."""
    os.makedirs(STATE, exist_ok=True)
    fd = os.open(os.path.join(STATE, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        die("another benchmark run holds %s/.lock" % STATE)
    return fd


def install_signal_handlers():
    """SIGINT, SIGTERM and SIGHUP end the run through the finally blocks
    that stop every process it started."""
    def handler(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)
    # Also when started with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGINT, handler)


# ---------------------------------------------------------------- tools ----

def build_tools():
    """Compile the C helpers into build/bench-tools (when out of date)."""
    os.makedirs(TOOLS, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    jobs = [
        ("fcgi_null", ["fcgi_null.c", "../proto/fcgi_codec.c"], ["-O2", "-I" + os.path.join(BENCH, "..", "proto")]),
        ("kaclient", ["kaclient.c"], ["-O2"]),
        ("alloc_count.so", ["alloc_count.c"], ["-O2", "-shared", "-fPIC", "-pthread"]),
    ]
    for out, srcs, flags in jobs:
        dst = os.path.join(TOOLS, out)
        src = [os.path.join(BENCH, s) for s in srcs]
        if os.path.exists(dst) and all(os.path.getmtime(dst) >= os.path.getmtime(s) for s in src):
            continue
        cmd = [cc, "-Wall", "-Wextra", "-D_GNU_SOURCE"] + flags + ["-o", dst] + src
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            die("compiling %s failed:\n%s" % (out, r.stderr))
    return {n: os.path.join(TOOLS, n) for n in ("fcgi_null", "kaclient", "alloc_count.so")}


def find_php_fpm():
    for name in ("php-fpm8.2", "php-fpm"):
        p = shutil.which(name) or (os.path.exists("/usr/sbin/" + name) and "/usr/sbin/" + name)
        if p:
            return p
    cands = sorted(glob.glob("/usr/sbin/php-fpm*"))
    return cands[-1] if cands else None


def require_tools(names):
    missing = [n for n in names if not (shutil.which(n) or os.path.exists("/usr/sbin/" + n))]
    if not find_php_fpm():
        missing.append("php-fpm")
    if missing:
        die("missing: %s (run `make deps-bench`, which installs them from Debian)" % " ".join(missing))


def which(name):
    return shutil.which(name) or "/usr/sbin/" + name


def start_session(required):
    """What run.py and profile.py both do first: check the tools, take the
    run lock, clean up after a crashed run and build the helpers. Returns
    (lock, procs, tools, ports)."""
    require_tools(required)
    lock = run_lock()
    install_signal_handlers()
    procs = Procs()
    procs.cleanup_stale()
    tools = build_tools()
    kiln_port, _ = kiln_site()
    os.makedirs(OUT, exist_ok=True)
    return lock, procs, tools, dict(PORTS, kiln=kiln_port)


def ready_targets(targets, ports):
    """The targets that can run, and {target: why not} for kiln when its
    build failed. Dies when a target's port is taken."""
    targets, failed = list(targets), {}
    if "kiln" in targets:
        if os.environ.get("KILN_BUILD") == "failed":
            failed["kiln"] = "building it failed (make site CONFIG=bench/bench.json); see the build output above"
        elif not os.access(KILN_BIN, os.X_OK):
            failed["kiln"] = "%s does not exist (make site CONFIG=bench/bench.json)" % os.path.relpath(KILN_BIN, REPO)
        if failed:
            targets.remove("kiln")
    busy = [t for t in targets if port_in_use(ports[t])]
    if busy:
        die("ports already in use on 127.0.0.1: %s (another server? a previous run?)" % ", ".join(
            "%s:%d" % (t, ports[t]) for t in busy))
    return targets, failed


# ----------------------------------------------------------------- kiln ----

def kiln_site():
    """listen port, upstream socket and document root from bench/bench.json,
    checked against the fixed layout the harness builds."""
    with open(KILN_CONFIG) as f:
        cfg = json.load(f)
    host, port = cfg["listen"].rsplit(":", 1)
    want = {
        "network": "unix",
        "address": os.path.join(STATE, "kiln", "upstream.sock"),
        "document_root": os.path.join(STATE, "www"),
    }
    for k, v in want.items():
        if cfg.get(k) != v:
            die("%s: %s must be %r (the harness puts it there)" % (KILN_CONFIG, k, v))
    if host != "127.0.0.1":
        die("%s: listen must be on 127.0.0.1" % KILN_CONFIG)
    return int(port), cfg


def kiln_version():
    try:
        r = subprocess.run([KILN_BIN, "--version"], capture_output=True, text=True, timeout=5)
        return " ".join(r.stdout.split())
    except (OSError, subprocess.SubprocessError):
        return ""


# -------------------------------------------------------------- targets ----

def render(template, values):
    with open(os.path.join(BENCH, "conf", template)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, v)
    leftover = re.findall(r"@[A-Z_]+@", text)
    if leftover:
        die("template %s: unreplaced %s" % (template, " ".join(sorted(set(leftover)))))
    return text


def tdir(target):
    return os.path.join(STATE, target)


def upstream_sock(target):
    return os.path.join(tdir(target), "upstream.sock")


def prepare_state(targets):
    """Fresh document root copy, php.ini, POST body, per-target dirs."""
    www = os.path.join(STATE, "www")
    shutil.rmtree(www, ignore_errors=True)
    shutil.copytree(os.path.join(BENCH, "www"), www)
    os.chmod(STATE, 0o755)
    for root, dirs, files in os.walk(www):
        os.chmod(root, 0o755)
        for fn in files:
            os.chmod(os.path.join(root, fn), 0o644)
    php_fpm = find_php_fpm()
    ver = os.path.basename(php_fpm).replace("php-fpm", "") or "8.2"
    base_ini = "/etc/php/%s/fpm/php.ini" % ver
    with open(os.path.join(STATE, "php.ini"), "w") as out:
        if os.path.exists(base_ini):
            with open(base_ini) as f:
                out.write(f.read())
        with open(os.path.join(BENCH, "conf", "php.ini")) as f:
            out.write("\n; ---- bench/conf/php.ini ----\n" + f.read())
    with open(os.path.join(STATE, "post-body.json"), "wb") as f:
        f.write(post_body())
    for t in targets:
        d = tdir(t)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        for stale in glob.glob(os.path.join(d, "*")):
            if os.path.isdir(stale):
                shutil.rmtree(stale, ignore_errors=True)
            else:
                os.unlink(stale)


def as_root():
    return os.geteuid() == 0


def start_backend(procs, target, kind, tools, null_workers=1):
    """Start the target's private upstream: a php-fpm pool ("php") or the
    null FastCGI responder ("null"), on STATE/<target>/upstream.sock."""
    d = tdir(target)
    sock = upstream_sock(target)
    procs.stop("backend-" + target)
    if os.path.exists(sock):
        os.unlink(sock)
    if kind == "php":
        conf = os.path.join(d, "php-fpm.conf")
        user = "user = www-data\ngroup = www-data" if as_root() else ""
        with open(conf, "w") as f:
            f.write(render("php-fpm.conf.in", {"DIR": d, "NAME": target, "POOL": target.replace("-", "_"),
                                                   "USER": user}))
        env = dict(os.environ, PHP_INI_SCAN_DIR="")
        argv = [find_php_fpm(), "--nodaemonize", "--fpm-config", conf,
                "-c", os.path.join(STATE, "php.ini")]
        if as_root():
            argv.append("--allow-to-run-as-root")
        p = procs.start("backend-" + target, argv, os.path.join(d, "php-fpm.out"), env=env)
        logf = os.path.join(d, "php-fpm.out")
    else:
        argv = [tools["fcgi_null"], "-l", sock, "-w", str(null_workers)]
        p = procs.start("backend-" + target, argv, os.path.join(d, "fcgi_null.log"))
        logf = os.path.join(d, "fcgi_null.log")
    if not wait_unix(sock, p, 10):
        raise RuntimeError("%s backend for %s did not come up:\n%s\n%s" % (
            kind, target, tail(logf), tail(os.path.join(d, "php-fpm.log"))))
    return p


def proxy_argv(target, port, valgrind_prefix=None, master=True):
    """Write the target's config and return the command that runs it in the
    foreground."""
    d = tdir(target)
    docroot = os.path.join(STATE, "www")
    if target == "kiln":
        argv = [KILN_BIN]
    elif target in ("nginx", "nginx-ka"):
        ka = target == "nginx-ka"
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(render("nginx.conf.in", {
                "DIR": d, "PORT": str(port), "DOCROOT": docroot,
                "MASTER": "on" if master else "off",
                "USER": "user www-data;" if as_root() else "",
                "UPSTREAM_KEEPALIVE": "        keepalive 32;" if ka else "",
                "FASTCGI_KEEP_CONN": "            fastcgi_keep_conn on;" if ka else "",
            }))
        argv = [which("nginx"), "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")]
    elif target == "haproxy":
        conf = os.path.join(d, "haproxy.cfg")
        with open(conf, "w") as f:
            f.write(render("haproxy.cfg.in", {"DIR": d, "PORT": str(port), "DOCROOT": docroot}))
        argv = [which("haproxy"), "-db", "-f", conf]
    else:
        raise ValueError(target)
    return (valgrind_prefix or []) + argv


def start_proxy(procs, target, port, env=None, valgrind_prefix=None, master=True, ready_timeout=10):
    d = tdir(target)
    logf = os.path.join(d, "proxy.log")
    argv = proxy_argv(target, port, valgrind_prefix, master)
    p = procs.start("proxy-" + target, argv, logf, env=env)
    if not wait_tcp(port, p, ready_timeout):
        rc = p.poll()
        why = ("exited with status %s" % rc) if rc is not None else "not listening after %ds" % ready_timeout
        last = last_line(logf)
        raise RuntimeError("%s %s%s\n%s\n%s" % (target, why, (": " + last) if last else "", tail(logf),
                                                tail(os.path.join(d, "error.log"), 5)))
    return p


def port_in_use(port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_tcp(port, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        if port_in_use(port):
            return True
        time.sleep(0.05)
    return False


def wait_unix(path, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        if os.path.exists(path):
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                return True
            except OSError:
                pass
            finally:
                s.close()
        time.sleep(0.05)
    return False


# ----------------------------------------------------------------- HTTP ----

def http_get(port, path, method="GET", body=None, headers=None, timeout=5.0, conn=None):
    """One request; returns (status, headers dict lower-cased, body bytes).
    Reuses `conn` (keep-alive) when given."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Host": "127.0.0.1:%d" % port}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    if conn is None:
        c.close()
    return r.status, hdrs, data


def md5(b):
    return hashlib.md5(b).hexdigest()


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": os.uname().release}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def ver(argv, pick=lambda s: s.splitlines()[0] if s else ""):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=5)
            return pick((r.stdout + r.stderr).strip())
        except (OSError, subprocess.SubprocessError):
            return ""
    info["nginx"] = ver([which("nginx"), "-v"]).replace("nginx version: ", "")
    info["haproxy"] = ver([which("haproxy"), "-v"]).replace("HAProxy version ", "").split(" ")[0]
    fpm = find_php_fpm()
    info["php-fpm"] = ver([fpm, "-v"]).split(" (")[0] if fpm else ""
    info["wrk"] = ver(["wrk", "--version"]).split(" [")[0]
    info["kiln"] = kiln_version()
    return info
