"""Valid configs compile into sites that report exactly what was written.

For every valid/*.json, built by CMake into build/valid_<name>/kiln:
  - every key in the input has the same value in `kiln --print-config`
    (durations compared as durations, normalized fields after the
    documented normalization, secrets as "<redacted>");
  - every key left out shows the documented default;
  - `kiln --version` reports the SHA-256 of `kiln-gen --canonical`.
"""
import hashlib
import ipaddress
import json
import os
import re
from fractions import Fraction

import pytest

from conftest import HERE, env_path, run_gen

VALID = sorted((HERE / "valid").glob("*.json"))

DURATION_KEYS = {"dial_timeout", "read_timeout", "write_timeout", "pool_idle_timeout",
                 "keepalive_timeout", "shutdown_timeout", "upstream_queue_timeout",
                 "client_rate_grace",
                 "cache_ttl", "max_age", "nonce_lifetime", "ttl", "timeout"}
SECRET_KEYS = {"ha1", "password_hash", "password"}

# The documented defaults (README "Configuration"), written out here on
# purpose rather than taken from the generator.
DEFAULTS = {
    "listen": ":8080", "network": "tcp", "address": "127.0.0.1:9000",
    "document_root": "/var/www/html", "index": "index.php", "workers": 0,
    "dial_timeout": "5s", "read_timeout": "30s", "write_timeout": "30s",
    "keepalive_timeout": "75s", "shutdown_timeout": "20s", "upstream_queue_timeout": "10s",
    "max_body_size": 10485760, "max_concurrency": 1024, "max_request_line": 8192,
    "max_header_size": 32768, "max_headers": 100, "max_response_header_size": 65536,
    "body_buffer_size": 1048576, "temp_dir": "/tmp", "pool_max_idle": 32,
    "client_min_rate": 1024, "client_rate_grace": "10s", "response_buffer_size": 262144,
    "response_temp_max": 134217728, "buffer_memory_max": 67108864,
    "pool_idle_timeout": "30s", "upstream_max_conns": 5, "response_headers": {},
    "locations": [],
    "cors": {"enabled": False, "allowed_origins": [], "allowed_methods": [],
             "allowed_headers": [], "exposed_headers": [], "allow_credentials": False,
             "max_age": "0s"},
    "auth": {"enabled": False, "type": "digest", "realm": "", "algorithm": "SHA-256",
             "nonce_lifetime": "5m", "users": [],
             "password_cache": {"enabled": True, "ttl": "1m", "max_entries": 10000}},
    "readiness": {"enabled": True, "status_path": "/status", "timeout": "2s",
                  "drain_enabled": True,
                  "drain_trusted_cidrs": ["127.0.0.0/8", "::1/128"]},
}
UPSTREAM_DEFAULTS = {"cache_ttl": "5m"}
RETURN_DEFAULTS = {"status": 200, "content_type": "text/plain; charset=utf-8"}

UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6,
         "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def go_duration(text):
    """Go's time.ParseDuration, exactly, in nanoseconds (as a Fraction)."""
    if text == "0":
        return Fraction(0)
    terms = re.findall(r"(\d*\.?\d*)([^\d.]+)", text)
    assert "".join(n + u for n, u in terms) == text, text
    return sum(Fraction(n) * UNITS[u] for n, u in terms)


def tidy_path(p):
    p = re.sub("/+", "/", p)
    return p.rstrip("/") or "/"


def normalize(key, value):
    """The generator's documented normalization of a written value."""
    if key in ("document_root", "temp_dir"):
        return tidy_path(value)
    if key == "allowed_origins":
        return [v.lower() for v in value]
    if key == "allowed_methods":
        return [v.upper() for v in value]
    if key == "drain_trusted_cidrs":
        return [str(ipaddress.ip_network(v, strict=False)) for v in value]
    if key in ("network", "type"):
        return value.lower()
    if key == "algorithm":
        return value.upper()
    return value


def matches(key, written, printed):
    """Is `printed` what the generator must make of `written`? Durations
    may be printed in another spelling of the same length; everything else
    exactly as normalized (so a generator that stopped normalizing fails)."""
    if key in DURATION_KEYS:
        return go_duration(written) == go_duration(printed)
    return normalize(key, written) == printed


def compare(written, printed, where):
    """Every key written appears in printed with the same value."""
    if isinstance(written, dict):
        assert isinstance(printed, dict), where
        for key, value in written.items():
            assert key in printed, f"{where}.{key} missing from --print-config"
            if key in SECRET_KEYS:
                assert printed[key] == "<redacted>", f"{where}.{key} not redacted"
                continue
            if key in ("cors", "auth", "readiness", "password_cache", "return") or \
                    isinstance(value, (dict, list)) and key not in (
                        "allowed_origins", "allowed_methods", "drain_trusted_cidrs"):
                compare(value, printed[key], f"{where}.{key}")
            else:
                assert matches(key, value, printed[key]), \
                    f"{where}.{key}: wrote {value!r}, printed {printed[key]!r}"
    elif isinstance(written, list):
        assert isinstance(printed, list) and len(printed) == len(written), where
        for i, (w, p) in enumerate(zip(written, printed)):
            compare(w, p, f"{where}[{i}]")
    else:
        assert written == printed, f"{where}: wrote {written!r}, printed {printed!r}"


def check_defaults(written, printed, defaults, where):
    """Keys left out show the documented default; no key is unknown."""
    assert set(printed) == set(defaults), f"{where}: keys {sorted(printed)}"
    for key, default in defaults.items():
        if isinstance(default, dict) and default:
            check_defaults(written.get(key, {}), printed[key], default, f"{where}.{key}")
        elif key not in written:
            assert matches(key, default, printed[key]), \
                f"{where}.{key}: default {default!r}, printed {printed[key]!r}"


def check_locations(written, printed):
    for i, (w, p) in enumerate(zip(written.get("locations", []), printed["locations"])):
        if "upstream" in w:
            assert set(p) == {"path", "upstream", "cache_ttl"}
            if "cache_ttl" not in w:
                assert go_duration(p["cache_ttl"]) == go_duration("5m")
        else:
            assert set(p) == {"path", "return"}
            assert set(p["return"]) == {"status", "body", "content_type"}
            for key, default in RETURN_DEFAULTS.items():
                if key not in w["return"]:
                    assert p["return"][key] == default, f"$.locations[{i}].return.{key}"


def site_binary(config):
    name = re.sub(r"[^A-Za-z0-9_]", "_", config.stem)
    binary = env_path("KILN_BUILD_DIR") / f"valid_{name}" / "kiln"
    assert binary.is_file(), f"site not built: {binary}"
    return binary


def run_site(binary, arg):
    import subprocess
    result = subprocess.run([str(binary), arg], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("config", VALID, ids=lambda p: p.stem)
def test_print_config(config):
    written = json.loads(config.read_text())
    text = run_site(site_binary(config), "--print-config")
    assert text.endswith("}\n")
    printed = json.loads(text)
    compare(written, printed, "$")
    defaults = json.loads(json.dumps(DEFAULTS))
    # Keys of the other auth type are not in effect and not printed.
    if written.get("auth", {}).get("type", "digest").lower() == "basic":
        del defaults["auth"]["algorithm"], defaults["auth"]["nonce_lifetime"]
    else:
        del defaults["auth"]["password_cache"]
    check_defaults(written, printed, defaults, "$")
    check_locations(written, printed)
    # Pretty-printed with sorted keys, two-space indent.
    # (jansson writes \u escapes with upper-case hex, Python lower-case.)
    upper = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(),
                   json.dumps(printed, indent=2, sort_keys=True, ensure_ascii=True,
                              separators=(",", ": ")))
    assert text == upper + "\n"


@pytest.mark.parametrize("config", VALID, ids=lambda p: p.stem)
def test_version_reports_canonical_hash(kiln_gen, config):
    canonical = run_gen(kiln_gen, "--canonical", config)
    assert canonical.returncode == 0, canonical.stderr
    digest = hashlib.sha256(canonical.stdout.encode()).hexdigest()
    version = run_site(site_binary(config), "--version")
    assert f"config {config.name} sha256:{digest}" in version


@pytest.mark.parametrize("config", VALID, ids=lambda p: p.stem)
def test_generated_files_hold_no_build_paths(config):
    gen = site_binary(config).parent / "gen"
    for name in ("site.c", "locations.gperf", "locations.c"):
        text = (gen / name).read_text(errors="replace")
        for path in (env_path("KILN_BUILD_DIR"), env_path("KILN_SOURCE_DIR"), HERE):
            assert str(path) not in text, f"{name} names {path}"
        assert "DO NOT EDIT" in text


def test_canonical_form(kiln_gen, tmp_path):
    """Durations take their canonical spelling; the text is compact and sorted."""
    config = tmp_path / "c.json"
    config.write_text('{"read_timeout": "90000ms", "dial_timeout": "0.5s", '
                      '"keepalive_timeout": "4m0s", "write_timeout": "1m30.25s"}')
    out = run_gen(kiln_gen, "--canonical", config).stdout
    data = json.loads(out)
    assert data["read_timeout"] == "1m30s"
    assert data["dial_timeout"] == "500ms"
    assert data["write_timeout"] == "1m30s250ms"
    assert data["keepalive_timeout"] == "4m"
    assert out == json.dumps(data, separators=(",", ":"), sort_keys=True)
    # Same effective config, different spelling: same hash.
    other = tmp_path / "d.json"
    other.write_text('{"write_timeout": "90250ms", "keepalive_timeout": "240s", '
                     '"dial_timeout": "500ms", "read_timeout": "1.5m"}')
    assert run_gen(kiln_gen, "--canonical", other).stdout == out


def test_output_is_deterministic(kiln_gen, tmp_path):
    config = HERE / "valid" / "full.json"
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        out.mkdir()
        assert run_gen(kiln_gen, "--out", out, config).returncode == 0
        outputs.append(((out / "site.c").read_bytes(), (out / "locations.gperf").read_bytes()))
    assert outputs[0] == outputs[1]
