"""Machinery for the fault and soak tests (test_fault_*.py, soak.py), on top
of kilnfix: the misbehaving FastCGI peer (fcgi_peer.c), a kiln that can be
started with its own limits, measurements of kiln's memory, descriptors and
CPU time, and a client that tells a complete response from a cut one.

Tolerances used by the tests (stated once, here):
  - descriptors: client sockets and non-socket descriptors return exactly to
    their baseline; upstream sockets may differ only by what the idle pool
    may hold (at most upstream_max_conns);
  - RSS: at most RSS_SLACK_KIB above the baseline taken after warm-up (the
    warm-up runs each kind of request once, so free lists and arena chunk
    pools are already at their steady size). Under AddressSanitizer freed
    memory sits in ASan's quarantine before reuse, so kiln runs with a
    quarantine of ASAN_QUARANTINE_MB and the slack grows by that much; leaks
    proper are then LeakSanitizer's job, at kiln's exit.
"""
import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path

from kilnfix import (BUILD, HERE, Kiln, PhpFpm, make_marks_dir, prepare_state,
                     socket_inodes, wait_for)

RSS_SLACK_KIB = 4 * 1024
ASAN_QUARANTINE_MB = 16


# ---- kiln with limits --------------------------------------------------------

def is_sanitized(binary) -> bool:
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return "libasan" in out or "libubsan" in out


class LimitedKiln(Kiln):
    """A Kiln started with an optional RLIMIT_NOFILE and, under ASan, a
    bounded quarantine (see the module docstring)."""

    def __init__(self, name, nofile=None):
        super().__init__(name)
        self.nofile = nofile
        self.sanitized = is_sanitized(self.binary)

    def start(self):
        env = dict(os.environ)
        if self.sanitized:
            opts = env.get("ASAN_OPTIONS", "")
            env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
                f"quarantine_size_mb={ASAN_QUARANTINE_MB}"
        nofile = self.nofile

        def limits():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.binary)], stdout=self.log, stderr=self.log,
                                     env=env, preexec_fn=limits)
        wait_for(lambda: self.proc.poll() is not None or _can_connect(self.host, self.port),
                 what="kiln listening")
        if self.proc.poll() is not None:
            raise RuntimeError(f"kiln exited at start: {self.log_text()}")
        return self

    def rss_slack_kib(self):
        return RSS_SLACK_KIB + (ASAN_QUARANTINE_MB * 1024 if self.sanitized else 0)

    def cpu_seconds(self):
        """User + system CPU time kiln has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def fds(self):
        """kiln's descriptors by kind: tcp (listeners and clients), unix
        (upstream connections), other (epoll, eventfd, log, ...)."""
        tcp_inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                for line in Path(table).read_text().splitlines()[1:]:
                    tcp_inodes.add(line.split()[9])
            except FileNotFoundError:
                pass
        sockets = socket_inodes(self.proc.pid)
        total = len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        return {"tcp": len(sockets & tcp_inodes), "unix": len(sockets - tcp_inodes),
                "other": total - len(sockets)}

    def usage(self):
        return {"rss_kib": self.rss_kib(), "fds": self.fds()}


def _can_connect(host, port):
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_site_free(name, timeout=300.0):
    """Wait until no other kiln serves site `name` (read from the binary's
    baked config). Test sites own fixed ports and state directories, and
    kiln listens with SO_REUSEPORT, so a second run of the same test (from
    another build directory) would silently share the port; ctest's
    resource locks only cover one ctest run."""
    k = Kiln(name)
    try:
        wait_for(lambda: not _can_connect(k.host, k.port), timeout=timeout,
                 what=f"port {k.port} of site {name} to be free (another test run?)")
    except TimeoutError:
        raise AssertionError(f"port {k.port} of site {name} stays busy: another run?")


@contextlib.contextmanager
def fault_site(name, peer=False, pool=None, nofile=None, www=HERE / "www_fault"):
    """kiln for sites/<name>.json in front of fcgi_peer (peer=True) or a real
    php-fpm with `pool` settings; yields (kiln, backend) and stops both,
    checking kiln's clean exit (conftest.stop_site)."""
    from conftest import stop_site
    wait_site_free(name)
    state = prepare_state(name, www)
    make_marks_dir(state)
    kiln = LimitedKiln(name, nofile=nofile)
    if peer:
        backend = Peer(state, kiln.config["address"]).start()
    else:
        backend = PhpFpm(state, kiln.config["address"], **(pool or {})).start()
    try:
        kiln.start()
        yield kiln, backend
    finally:
        stop_site(kiln, backend)


def assert_back_to_baseline(kiln, base, max_upstream, timeout=5.0):
    """Wait (kiln closes lingering sockets on its own schedule) until kiln's
    descriptors are back at `base` (see the tolerances above), then check
    RSS. Returns the final usage."""
    deadline = time.monotonic() + timeout
    while True:
        now = kiln.usage()
        f, b = now["fds"], base["fds"]
        ok = f["tcp"] == b["tcp"] and f["other"] == b["other"] and f["unix"] <= max_upstream
        if ok or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert ok, f"descriptors {f} not back to baseline {b} (upstream <= {max_upstream})"
    grown = now["rss_kib"] - base["rss_kib"]
    assert grown <= kiln.rss_slack_kib(), \
        f"RSS grew by {grown} KiB (baseline {base['rss_kib']} KiB, slack {kiln.rss_slack_kib()})"
    return now


# ---- the misbehaving FastCGI peer ---------------------------------------------

class Peer:
    """fcgi_peer on a Unix socket (or host:port), with its stats file."""

    def __init__(self, state: Path, listen: str):
        self.binary = BUILD / "peers" / "fcgi_peer"
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} is missing: build the test peers first")
        self.listen = listen
        self.stats_path = state / "peer.stats"
        self.log_path = state / "peer.log"
        self.proc = None

    def start(self):
        if self.stats_path.exists():
            self.stats_path.unlink()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.binary), "-l", self.listen, "-s",
                                      str(self.stats_path), "-t", "900"],
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: self.stats_path.exists() or self.proc.poll() is not None,
                 what="fcgi_peer listening")
        assert self.proc.poll() is None, self.log_path.read_text()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()

    def stats(self):
        out = {}
        for line in self.stats_path.read_text().splitlines():
            k, v = line.split()
            out[k] = int(v)
        return out

    def wait_stats(self, pred, timeout=5.0, what="peer stats"):
        """Wait until pred(stats) holds; returns the stats (raises on timeout)."""
        last = {}

        def check():
            nonlocal last
            last = self.stats()
            return pred(last)
        try:
            wait_for(check, timeout=timeout, what=what)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: {last}")
        return last


# ---- a client that sees how a response ended ------------------------------------

class Fetched:
    """One response as the client saw it. `complete` is True when its framing
    was satisfied (Content-Length reached, or the terminating chunk of a
    chunked body); `closed` when kiln closed the connection afterwards (or
    instead). `status` is None when kiln closed before sending a head."""

    def __init__(self):
        self.status = None
        self.headers = {}
        self.head = b""
        self.body = b""
        self.complete = False
        self.closed = False
        self.elapsed = 0.0

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return (f"Fetched(status={self.status}, complete={self.complete}, "
                f"closed={self.closed}, body={len(self.body)} bytes, head={self.head[:200]!r})")


class _Stream:
    def __init__(self, sock, max_body):
        self.sock = sock
        self.buf = b""
        self.eof = False
        self.max_body = max_body

    def fill(self):
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(262144)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def until(self, marker):
        while marker not in self.buf:
            if not self.fill():
                return None
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def take(self, n):
        while len(self.buf) < n:
            if not self.fill():
                return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def stream_of(sock):
    """A reader for sock that keeps bytes read past one response for the
    next (pipelined responses): pass it to read_fetched as `stream`."""
    return _Stream(sock, None)


def read_fetched(sock, head_request=False, max_body=None, timeout=10.0, stream=None):
    """Read one response from sock (see Fetched). Stops after max_body body
    bytes (complete stays False: the caller aborts). Bytes after the
    response are lost unless a `stream` (stream_of) is given."""
    f = Fetched()
    t0 = time.monotonic()
    sock.settimeout(timeout)
    s = stream if stream is not None else _Stream(sock, max_body)
    head = s.until(b"\r\n\r\n")
    if head is None:
        f.closed = True
        f.elapsed = time.monotonic() - t0
        return f
    f.head = head
    lines = head[:-4].split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0])
    assert m, f"bad status line {lines[0]!r}"
    f.status = int(m.group(1))
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        f.headers[k.decode("latin1").strip().lower()] = v.strip().decode("latin1")
    te = f.headers.get("transfer-encoding")
    cl = f.headers.get("content-length")
    body = []
    got = 0
    if head_request or f.status in (204, 304):
        f.complete = True
    elif te is not None:
        assert te.lower() == "chunked", te
        while True:
            line = s.until(b"\r\n")
            if line is None:
                break
            size = int(line.split(b";")[0], 16)
            if size == 0:
                f.complete = s.until(b"\r\n") == b"\r\n"
                break
            data = s.take(size)
            if data is None:
                body.append(s.buf)
                s.buf = b""
                break
            body.append(data)
            got += size
            if s.take(2) != b"\r\n":
                break
            if max_body is not None and got >= max_body:
                break
    elif cl is not None:
        want = int(cl)
        while got < want:
            take = min(want - got, 1 << 20)
            data = s.take(take)
            if data is None:
                body.append(s.buf)
                s.buf = b""
                break
            body.append(data)
            got += take
            if max_body is not None and got >= max_body:
                break
        f.complete = got == want
    else:
        while s.fill():
            pass
        body.append(s.buf)
        s.buf = b""
        f.complete = True
    f.body = b"".join(body)
    f.elapsed = time.monotonic() - t0
    f.closed = s.eof
    return f


def fetch(host, port, raw: bytes, timeout=10.0, head_request=False, check_close=0.0):
    """Send one raw request on a new connection and read the response; with
    check_close > 0, also wait that long for kiln to close the connection."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.sendall(raw)
        f = read_fetched(sock, head_request=head_request, timeout=timeout)
        if check_close and not f.closed:
            sock.settimeout(check_close)
            try:
                f.closed = sock.recv(1) == b""
            except (ConnectionResetError, BrokenPipeError):
                f.closed = True
            except (TimeoutError, socket.timeout):
                f.closed = False
        return f
    finally:
        sock.close()


def get(path, host="a"):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


PATTERN = b"0123456789abcdef"


def pattern(n, start=0):
    """The body pattern of fcgi_peer's big/endless modes and stream.php."""
    reps = (start + n) // 16 + 2
    return (PATTERN * reps)[start:start + n]
