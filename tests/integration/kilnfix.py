"""Fixtures for kiln's integration tests: a real php-fpm with a private pool,
a real kiln binary built from a test site config, and raw-socket clients.

Each test site is a config in sites/<name>.json, compiled by CMake into
$KILN_BUILD_DIR/it_<name>/kiln. Its paths are fixed at build time, so every
site owns /tmp/kiln-it/<name>/ (document root copy, php-fpm socket, logs) and
one loopback port; tests of one site never run in parallel (ctest locks).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("KILN_BUILD_DIR", HERE.parents[1] / "build"))
STATE_ROOT = Path("/tmp/kiln-it")


def find_php_fpm():
    for name in ("php-fpm8.2", "php-fpm"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin")
        if path:
            return path
    candidates = sorted(Path("/usr/sbin").glob("php-fpm*"))
    if candidates:
        return str(candidates[0])
    raise RuntimeError("php-fpm not found: apt-get install php-fpm")


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what}")


class PhpFpm:
    """A php-fpm master with one private pool on a Unix socket (or TCP)."""

    def __init__(self, state: Path, listen: str, **pool):
        self.state = state
        self.listen = listen
        self.pool = {"pm": "static", "pm.max_children": 4, "pm.max_requests": 0}
        self.pool.update(pool)
        self.proc = None

    def conf_text(self):
        lines = [
            "[global]",
            f"pid = {self.state}/php-fpm.pid",
            f"error_log = {self.state}/php-fpm.log",
            "daemonize = no",
            "log_level = warning",
            "[it]",
            f"listen = {self.listen}",
            "clear_env = yes",
            "catch_workers_output = yes",
            "decorate_workers_output = no",
        ]
        if os.getuid() == 0:
            lines += ["user = nobody", "group = nogroup", "listen.owner = root", "listen.mode = 0600"]
        for key, value in self.pool.items():
            lines.append(f"{key} = {value}")
        return "\n".join(lines) + "\n"

    def start(self):
        conf = self.state / "php-fpm.conf"
        conf.write_text(self.conf_text())
        if not self.listen.startswith("/"):
            pass
        elif os.path.exists(self.listen):
            os.unlink(self.listen)
        self.proc = subprocess.Popen(
            [find_php_fpm(), "--nodaemonize", "--fpm-config", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.listen.startswith("/"):
            wait_for(lambda: os.path.exists(self.listen), what="php-fpm socket")
        else:
            host, port = self.listen.rsplit(":", 1)
            wait_for(lambda: _can_connect(host.strip("[]"), int(port)), what="php-fpm port")
        return self

    def stop(self, sig=signal.SIGQUIT):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        """Kill the master and every worker at once (a crash)."""
        if self.proc and self.proc.poll() is None:
            # Stop the master first: a master that sees its workers die
            # forks new ones, which would outlive it as orphans still
            # serving on the old socket.
            self.proc.send_signal(signal.SIGSTOP)
            children = self.worker_pids()
            subprocess.run(["pkill", "-KILL", "-P", str(self.proc.pid)], check=False)
            self.proc.kill()
            self.proc.wait()
            # SIGKILL is delivered asynchronously, and until a child is gone
            # it still holds the listening socket it inherited: a new
            # php-fpm started before that would look up and then refuse.
            wait_for(lambda: not any(os.path.exists(f"/proc/{p}") and
                                     "zombie" not in _proc_state(p) for p in children),
                     what="php-fpm children gone")
        self.proc = None

    def worker_pids(self):
        if not self.proc:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]


def socket_inodes(pid):
    """Inodes of the sockets process `pid` holds, as /proc/net/* names them."""
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def _proc_state(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("State:"):
                    return line
    except OSError:
        pass
    return "zombie"


def _can_connect(host, port):
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Kiln:
    """A kiln binary built from sites/<name>.json, run in the foreground."""

    def __init__(self, name: str):
        self.name = name
        self.binary = BUILD / f"it_{name}" / "kiln"
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} is missing: build the test sites first")
        self.state = STATE_ROOT / name
        self.proc = None
        self.log_path = self.state / "kiln.log"
        printed = subprocess.run([str(self.binary), "--print-config"], capture_output=True,
                                 text=True, check=True).stdout
        self.config = __import__("json").loads(printed)
        host, port = self.config["listen"].rsplit(":", 1)
        self.host = host.strip("[]") or "127.0.0.1"
        self.port = int(port)

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.binary)], stdout=self.log, stderr=self.log)
        wait_for(lambda: self.proc.poll() is not None or _can_connect(self.host, self.port),
                 what="kiln listening")
        if self.proc.poll() is not None:
            raise RuntimeError(f"kiln exited at start: {self.log_text()}")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stop kiln; returns its exit status."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        status = self.proc.returncode
        self.proc = None
        self.log.close()
        return status

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stats(self):
        """The counters kiln logs when it stops ("stopped: N requests, M
        upstream connections opened, K retried"), as a dict; None before."""
        m = None
        for m in re.finditer(r"stopped: (\d+) requests, (\d+) upstream connections opened, "
                             r"(\d+) retried", self.log_text()):
            pass
        if m is None:
            return None
        return {"requests": int(m.group(1)), "up_connects": int(m.group(2)),
                "retried": int(m.group(3))}

    def sanitizer_problems(self):
        """Lines of the log that a sanitizer wrote, or kiln's own invariant
        checks ("BUG: ..."); empty when clean."""
        bad = ("AddressSanitizer", "LeakSanitizer", "runtime error", "ThreadSanitizer", "BUG: ")
        return [line for line in self.log_text().splitlines() if any(b in line for b in bad)]

    def rss_kib(self):
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def url(self, path="/"):
        return f"http://{self.host}:{self.port}{path}"


def prepare_state(name: str, www: Path = HERE / "www") -> Path:
    """A fresh /tmp/kiln-it/<name>/ with a copy of the test document root."""
    state = STATE_ROOT / name
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    shutil.copytree(www, state / "www")
    # Readable by php-fpm's workers (nobody when run as root). Only this
    # site's tree: other sites' tests may be running, with directories of
    # their own modes (a writable marks/ directory, see make_marks_dir).
    os.chmod(STATE_ROOT, 0o755)
    for root, dirs, files in os.walk(state):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return state


def make_marks_dir(state: Path) -> Path:
    """state/marks, writable by php-fpm's workers: scripts leave files there
    (www_core/mark.php) so a test can tell whether a request reached PHP."""
    marks = state / "marks"
    marks.mkdir(exist_ok=True)
    os.chmod(marks, 0o1777)
    return marks


# ---- raw HTTP ---------------------------------------------------------------

class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value), names as sent
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]


class RawClient:
    """A blocking socket client that reads responses exactly as framed, so a
    test sees every byte kiln sends (and notices a second response)."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def _read_until(self, marker):
        while marker not in self.buf:
            self._fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_n(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head_request=False):
        head = self._read_until(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
        if not m:
            raise ValueError(f"bad status line {lines[0]!r}")
        status = int(m.group(1))
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers.append((k.decode("latin1"), v.strip().decode("latin1")))
        resp = Response(status, m.group(2).decode("latin1"), headers, b"", head)
        if status == 100:
            return resp
        if head_request or status in (204, 304):
            return resp
        te = resp.header("transfer-encoding")
        cl = resp.header("content-length")
        if te is not None:
            assert te.lower() == "chunked", te
            body = b""
            while True:
                size_line = self._read_until(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                body += self._read_n(size)
                assert self._read_n(2) == b"\r\n"
            resp.body = body
        elif cl is not None:
            resp.body = self._read_n(int(cl))
        else:
            body = self.buf
            self.buf = b""
            try:
                while True:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        break
                    body += chunk
            except (ConnectionResetError, TimeoutError):
                pass
            resp.body = body
        return resp

    def closed_by_peer(self, wait=1.0):
        """True when the server closed the connection (nothing else sent)."""
        self.sock.settimeout(wait)
        try:
            if self.buf:
                return False
            data = self.sock.recv(1)
            return data == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def read_rest(self, wait=2.0):
        """Every byte the peer still sends until it closes (or `wait` seconds
        of silence: then None, the connection is still open)."""
        self.sock.settimeout(wait)
        data, self.buf = self.buf, b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            return data
        except TimeoutError:
            return None


def request(host, port, raw: bytes, timeout=10.0, head_request=False):
    """Send one raw request on a new connection and read one response."""
    c = RawClient(host, port, timeout)
    try:
        c.send(raw)
        return c.read_response(head_request=head_request)
    finally:
        c.close()
