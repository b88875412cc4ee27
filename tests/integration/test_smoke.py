# kiln-sites: basic
"""The shortest path through everything: a request proxied to php-fpm, a
baked location, the liveness endpoint."""
import json

from kilnfix import request

SITE = "basic"


def test_php_answers_through_kiln(site):
    kiln, _ = site
    r = request(kiln.host, kiln.port, b"GET /hello?x=1 HTTP/1.1\r\nHost: example.test\r\n\r\n")
    assert r.status == 200
    env = json.loads(r.body)["server"]
    assert env["SCRIPT_NAME"] == "/index.php"
    assert env["PATH_INFO"] == "/hello"
    assert env["QUERY_STRING"] == "x=1"
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("Server") is None
    assert r.header("Date") is not None


def test_static_location_and_healthz(site):
    kiln, fpm = site
    r = request(kiln.host, kiln.port, b"GET /robots.txt HTTP/1.1\r\nHost: a\r\n\r\n")
    assert (r.status, r.body) == (200, b"User-agent: *\nDisallow:\n")
    fpm.stop()
    r = request(kiln.host, kiln.port, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert (r.status, r.body) == (200, b"ok\n")
