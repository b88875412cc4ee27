# kiln-sites: core_tcp
"""The FastCGI side over TCP (php-fpm on 127.0.0.1:18121): it works like
the Unix socket, connections to php-fpm are pooled and reused (counted from
/proc/net/tcp while the test runs and from the counters kiln logs when it
stops), and a php-fpm that is down gives 502 at once and is used again as
soon as it is back, without restarting kiln."""
import hashlib
import socket
import threading
import time

from corelib import WWW_CORE, Timer, client, env_of, get, kiln_upstream_conns, tcp_established

SITE = "core_tcp"
WWW = WWW_CORE
FPM_PORT = 18121


def test_tcp_upstream_works_like_unix(site):
    kiln, _ = site
    c = client(kiln)
    c.send(b"GET /dump.php/p/i?x=1 HTTP/1.1\r\nHost: Tcp.Example\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n")
    r = c.read_response()
    s = env_of(r)["server"]
    assert s["SCRIPT_FILENAME"] == "/tmp/kiln-it/core_tcp/www/dump.php"
    assert (s["PATH_INFO"], s["QUERY_STRING"], s["SERVER_NAME"]) == ("/p/i", "x=1", "tcp.example")
    assert s["REMOTE_PORT"] == str(c.sock.getsockname()[1])
    assert s["HTTP_COOKIE"] == "a=1; b=2"
    body = bytes(range(256)) * 100
    c.send(b"POST /md5.php HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    r = c.read_response()
    assert r.body.split()[:2] == [str(len(body)).encode(), hashlib.md5(body).hexdigest().encode()]
    c.send(b"GET /stream.php?bytes=2000000&chunk=30000 HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.read_response()
    assert r.header("Transfer-Encoding") == "chunked" and len(r.body) == 2000000
    c.close()


def test_one_client_connection_uses_one_upstream_connection(site):
    kiln, _ = site
    n = 200
    peak = 0
    c = client(kiln)
    pids = set()
    for i in range(n):
        c.send(b"GET /dump.php?i=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
        d = env_of(c.read_response())
        pids.add(d["pid"])
        if i % 10 == 0:
            peak = max(peak, kiln_upstream_conns(kiln, FPM_PORT))
    # While the client connection is still open: one pooled connection.
    assert tcp_established(FPM_PORT) == 1
    c.close()
    assert peak == 1
    assert len(pids) == 1   # php-fpm binds a kept-alive connection to one worker
    assert kiln.stop() == 0
    stats = kiln.stats()
    assert stats["requests"] == n
    assert stats["up_connects"] == 1, stats
    assert stats["retried"] == 0


def test_new_client_connections_reuse_the_pool(site):
    kiln, _ = site
    for i in range(60):
        r, _ = get(kiln, b"/dump.php?seq=%d" % i)
        assert r.status == 200
    assert kiln_upstream_conns(kiln, FPM_PORT) <= kiln.config["upstream_max_conns"]
    assert tcp_established(FPM_PORT) <= kiln.config["upstream_max_conns"]
    assert kiln.stop() == 0
    stats = kiln.stats()
    assert stats["requests"] == 60
    # Each thread keeps its own pool: at most one connection per thread.
    assert stats["up_connects"] <= kiln.config["workers"], stats


def test_parallel_clients_never_exceed_upstream_max_conns(site):
    kiln, _ = site
    max_conns = kiln.config["upstream_max_conns"]
    errors, peak = [], [0]

    def worker(k):
        try:
            c = client(kiln)
            for i in range(50):
                c.send(b"GET /dump.php?k=%d&i=%d HTTP/1.1\r\nHost: a\r\n\r\n" % (k, i))
                r = c.read_response()
                if r.status != 200:
                    errors.append(r.status)
            c.close()
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak[0] = max(peak[0], kiln_upstream_conns(kiln, FPM_PORT))
        time.sleep(0.005)
    assert errors == []
    assert peak[0] <= max_conns
    assert kiln.stop() == 0
    stats = kiln.stats()
    assert stats["requests"] == 8 * 50
    assert stats["retried"] == 0


def test_php_fpm_down_gives_502_fast_and_recovers(site):
    kiln, fpm = site
    dial = kiln.config["dial_timeout"]
    assert dial == "1s"
    r, _ = get(kiln, b"/dump.php")
    assert r.status == 200
    fpm.stop()
    # The pooled connection is dead now; every request gets 502, at once.
    for _ in range(3):
        with Timer() as t:
            r, _ = get(kiln, b"/dump.php")
        assert r.status == 502
        assert r.header("Content-Type", "").startswith("text/plain")
        assert t.elapsed < 1.0, t.elapsed
    # Static answers do not need php-fpm.
    r, _ = get(kiln, b"/healthz")
    assert r.status == 200
    # php-fpm is back: served again by the same kiln process.
    pid = kiln.pid
    fpm.start()
    r, _ = get(kiln, b"/dump.php")
    assert r.status == 200
    assert kiln.pid == pid and kiln.proc.poll() is None
    # A keep-alive client connection that saw the 502 goes on as well.
    c = client(kiln)
    for _ in range(3):
        c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
        assert c.read_response().status == 200
    c.close()


def test_php_fpm_down_on_a_kept_alive_client_connection(site):
    kiln, fpm = site
    c = client(kiln)
    c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().status == 200
    fpm.stop()
    c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.read_response()
    assert r.status == 502
    fpm.start()
    c.send(b"GET /dump.php HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.read_response().status == 200
    c.close()


def test_dial_that_hangs_ends_at_dial_timeout(site):
    """php-fpm replaced by a listener whose accept queue is full: the kernel
    drops kiln's SYNs and the connect hangs. kiln answers once dial_timeout
    (1s) has passed, not before and not much later."""
    kiln, fpm = site
    fpm.stop()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", FPM_PORT))
    lsock.listen(0)
    fillers = []
    try:
        # Fill the accept queue (never accepted).
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", FPM_PORT))
            except BlockingIOError:
                pass
            fillers.append(s)
        time.sleep(0.2)
        with Timer() as t:
            r, _ = get(kiln, b"/dump.php")
        assert r.status == 504  # README: not connected within dial_timeout
        assert 0.9 <= t.elapsed < 2.0, t.elapsed
        assert "dial_timeout" in kiln.log_text()
    finally:
        for s in fillers:
            s.close()
        lsock.close()
    fpm.start()
    r, _ = get(kiln, b"/dump.php")
    assert r.status == 200


def test_params_larger_than_one_fastcgi_record(site):
    """A head whose params encode to more than 65535 bytes goes out in
    several PARAMS records, each holding whole name-value pairs: php-fpm
    decodes every record on its own and resets the connection on a pair cut
    in two (that was a 502)."""
    kiln, _ = site
    host = b"a" * 22000  # twice in the params: HTTP_HOST and SERVER_NAME
    path = b"/dump.php/" + b"b" * 6000  # four times: URI, PATH_INFO, ...
    big = b"c" * 30000
    r, _ = get(kiln, path, b"Host: " + host + b"\r\nX-Big: " + big + b"\r\n")
    env = env_of(r)["server"]
    assert env["HTTP_HOST"] == host.decode() and env["SERVER_NAME"] == host.decode()
    assert env["HTTP_X_BIG"] == big.decode()
    assert env["PATH_INFO"] == "/" + "b" * 6000


def test_a_header_too_long_for_any_fastcgi_record_is_431(site):
    """One name-value pair over 65535 bytes cannot be sent in a PARAMS
    record at all: 431, and php-fpm never sees it."""
    kiln, _ = site
    r, _ = get(kiln, b"/dump.php", b"Cookie: k=" + b"v" * 70000 + b"\r\n")
    assert r.status == 431, r
    assert env_of(get(kiln, b"/dump.php")[0])["server"]["SCRIPT_NAME"] == "/dump.php"
