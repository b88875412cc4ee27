# kiln-sites: core_stream
# kiln-serial
"""A 1 GiB response streamed from PHP (flush() after every 64 KiB) through
kiln to a real client: the body arrives exact, and kiln's memory stays
bounded (its RSS, sampled from /proc while the bytes flow, and its
high-water mark VmHWM, stay under 64 MiB) because it relays with
backpressure instead of buffering. The slow-reader variants pause and
trickle on the client side: memory stays bounded all the same."""
import re
import threading
import time
from pathlib import Path

import pytest

from corelib import WWW_CORE, client

SITE = "core_stream"
WWW = WWW_CORE

GIB = 1 << 30
RSS_LIMIT_KIB = 64 * 1024
BLOCK = b"0123456789abcdef" * 4096  # what stream.php sends per 64 KiB chunk
PATTERN = b"0123456789abcdef" * 260


def proc_kib(pid, field):
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(field + r":\s+(\d+)", text).group(1))


class RssSampler(threading.Thread):
    def __init__(self, pid, every=0.02):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak = 0
        self.samples = 0
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            try:
                self.peak = max(self.peak, proc_kib(self.pid, "VmRSS"))
                self.samples += 1
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(self.every)

    def stop(self):
        self.stop_flag.set()
        self.join()


class ChunkedReader:
    """Decodes a chunked body from a socket without keeping it: counts the
    bytes, checks a sample of the chunks against stream.php's pattern."""

    def __init__(self, sock, initial=b""):
        self.sock = sock
        self.buf = bytearray(initial)
        self.total = 0
        self.chunks = 0
        self.bad_chunks = 0

    def _fill(self, n=1 << 20):
        data = self.sock.recv(n)
        if not data:
            raise EOFError("connection closed inside the chunked body")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            self._fill()

    def read(self, slow=None):
        """Read to the end of the body. `slow(total)` may sleep to pace."""
        while True:
            size = int(self._line().split(b";")[0], 16)
            if size == 0:
                assert self._line() == b""
                return self.total
            need = size + 2
            while len(self.buf) < need:
                self._fill(min(1 << 20, need - len(self.buf)) if slow is None else 16384)
                if slow is not None:
                    slow(self.total + len(self.buf))
            if self.chunks % 16 == 0:
                # kiln's chunks are what it read from php-fpm, not PHP's
                # flushes; the decoded stream is BLOCK over and over.
                n, off = min(size, 4096), self.total % 16
                if bytes(self.buf[:n]) != PATTERN[off:off + n]:
                    self.bad_chunks += 1
            assert bytes(self.buf[size:size + 2]) == b"\r\n", "chunk not followed by CRLF"
            del self.buf[:need]
            self.total += size
            self.chunks += 1


def stream(kiln, nbytes, slow=None):
    c = client(kiln, timeout=60)
    c.send(b"GET /stream.php?bytes=%d&chunk=65536 HTTP/1.1\r\nHost: a\r\n\r\n" % nbytes)
    head = c._read_until(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Transfer-Encoding: chunked\r\n" in head
    reader = ChunkedReader(c.sock, c.buf)
    c.buf = b""
    total = reader.read(slow)
    assert reader.bad_chunks == 0
    assert reader.buf == bytearray()  # nothing after the last chunk
    # The connection is still good for another request.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().body == b"ok\n"
    c.close()
    return total


@pytest.fixture
def kiln(site_module):
    return site_module[0]


def test_one_gib_streamed_with_bounded_memory(kiln):
    sampler = RssSampler(kiln.pid)
    sampler.start()
    t0 = time.monotonic()
    total = stream(kiln, GIB)
    elapsed = time.monotonic() - t0
    sampler.stop()
    hwm = proc_kib(kiln.pid, "VmHWM")
    print(f"\n1 GiB in {elapsed:.1f}s ({GIB / elapsed / 1e6:.0f} MB/s); "
          f"RSS peak sampled {sampler.peak} KiB over {sampler.samples} samples, VmHWM {hwm} KiB")
    assert total == GIB
    assert sampler.samples > 10
    assert sampler.peak < RSS_LIMIT_KIB
    assert hwm < RSS_LIMIT_KIB


def test_slow_reader_keeps_memory_bounded(kiln):
    """The client stops reading for a while and then trickles: kiln must stop
    reading php-fpm rather than buffer the difference."""
    nbytes = 256 << 20
    sampler = RssSampler(kiln.pid)
    sampler.start()
    state = {"paused": False, "rss_during_pause": []}

    def slow(received):
        if received < (8 << 20):
            time.sleep(0.002)                     # trickle: ~16 KiB per 2 ms
        elif not state["paused"]:
            state["paused"] = True
            for _ in range(10):                   # a 1.5 s stall, RSS watched
                time.sleep(0.15)
                state["rss_during_pause"].append(proc_kib(kiln.pid, "VmRSS"))

    total = stream(kiln, nbytes, slow)
    sampler.stop()
    hwm = proc_kib(kiln.pid, "VmHWM")
    print(f"\nslow reader: RSS peak {sampler.peak} KiB, during the stall "
          f"{state['rss_during_pause']}, VmHWM {hwm} KiB")
    assert total == nbytes
    assert state["paused"]
    assert max(state["rss_during_pause"]) < RSS_LIMIT_KIB
    # Stalled means stalled: memory does not keep growing while nobody reads.
    assert max(state["rss_during_pause"]) - min(state["rss_during_pause"]) < 4 * 1024
    assert sampler.peak < RSS_LIMIT_KIB
    assert hwm < RSS_LIMIT_KIB


def test_several_slow_readers_at_once(kiln):
    """Four clients, two of them stalled, two streaming: the bound holds for
    the sum."""
    results, errors = {}, []

    def run(k, stall):
        try:
            def slow(received):
                if stall and received > (4 << 20) and not results.get(("stalled", k)):
                    results[("stalled", k)] = True
                    time.sleep(1.0)
            results[k] = stream(kiln, 64 << 20, slow if stall else None)
        except Exception as e:  # reported below
            errors.append(repr(e))

    sampler = RssSampler(kiln.pid)
    sampler.start()
    threads = [threading.Thread(target=run, args=(k, k % 2 == 0)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    sampler.stop()
    assert errors == []
    assert [results[k] for k in range(4)] == [64 << 20] * 4
    assert sampler.peak < RSS_LIMIT_KIB
