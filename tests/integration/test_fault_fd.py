# kiln-sites: fault_fd
"""kiln out of file descriptors: started with RLIMIT_NOFILE=64, it takes
client connections until accept() fails; then it keeps serving the
connections it has, answers what needs a new descriptor with a clean 502,
does not spin on the listener (its CPU time stays low while connections
wait in the backlog), and accepts them once descriptors are free again."""
import socket
import threading
import time

import pytest

from faultfix import assert_back_to_baseline, fault_site, get, read_fetched
from kilnfix import wait_for

SITE = "fault_fd"
NOFILE = 64
MAX_UP = 2


@pytest.fixture
def env():
    with fault_site(SITE, pool={"pm": "static", "pm.max_children": 2}, nofile=NOFILE) as env:
        yield env


class Client:
    """A keep-alive client connection."""

    def __init__(self, kiln):
        self.sock = socket.create_connection((kiln.host, kiln.port), timeout=5)

    def ask(self, path, timeout=5.0):
        self.sock.sendall(get(path))
        return read_fetched(self.sock, timeout=timeout)

    def close(self):
        self.sock.close()


def test_out_of_descriptors(env):
    kiln, fpm = env
    c = Client(kiln)
    assert c.ask("/index.php").status == 200  # leaves one pooled upstream connection
    c.close()
    wait_for(lambda: kiln.fds()["tcp"] == 1, what="kiln closing the first client")
    base = kiln.usage()
    used = sum(base["fds"].values())
    assert used < NOFILE - 20, base

    # Open connections until kiln stops accepting.
    served, pending = [], []
    for _ in range(NOFILE + 10):
        cl = Client(kiln)
        cl.sock.sendall(get("/healthz"))
        try:
            f = read_fetched(cl.sock, timeout=1.0)
        except (TimeoutError, socket.timeout):
            pending.append(cl)
            if len(pending) == 5:
                break
            continue
        assert f.status == 200 and f.complete, f
        served.append(cl)
    assert len(pending) == 5, f"kiln accepted {len(served)} connections without failing"
    assert NOFILE - used - 5 <= len(served) <= NOFILE - used, (len(served), used)
    assert "accept: Too many open files" in kiln.log_text()

    # Saturated: five connections wait in the backlog. No spinning.
    cpu0 = kiln.cpu_seconds()
    time.sleep(2.0)
    cpu = kiln.cpu_seconds() - cpu0
    assert cpu < 0.2, f"kiln used {cpu:.2f}s of CPU in 2s while out of descriptors"

    # Established connections are served: kiln's own answers, and PHP over
    # the pooled upstream connection (no new descriptor needed).
    for cl in served[:3]:
        f = cl.ask("/healthz")
        assert f.status == 200 and f.complete, f
        f = cl.ask("/index.php")
        assert f.status == 200 and f.body.startswith(b"hello pid "), f
    # Two at once: one takes the pooled connection, the other needs a new
    # socket and gets a clean 502 (never a hang or a crash).
    results = [None, None]

    def ask(i):
        try:
            results[i] = served[3 + i].ask("/sleep.php?ms=300")
        except OSError as e:
            results[i] = e
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    statuses = sorted(r.status for r in results)
    assert statuses in ([200, 502], [200, 200]), results

    # Descriptors free again: the waiting connections are accepted and served.
    for cl in served[:10]:
        cl.close()
    for cl in pending:
        f = read_fetched(cl.sock, timeout=5.0)
        assert f.status == 200 and f.complete, f
    # And new ones too.
    fresh = Client(kiln)
    assert fresh.ask("/index.php").status == 200
    for cl in served[10:] + pending + [fresh]:
        cl.close()
    assert kiln.proc.poll() is None
    assert_back_to_baseline(kiln, base, max_upstream=MAX_UP, timeout=10)
