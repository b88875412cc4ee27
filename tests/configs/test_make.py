"""`make CONFIG=...` with the file names people give their configs: a name
starting with a digit, or with spaces, brackets, '+' or '@', builds (or
fails with kiln-gen's own diagnostics, naming the file and the JSON path),
never with a build-system complaint about an unknown target; a config
that does not exist is reported by kiln-gen too.

Builds into a private build directory (without the test targets), so it
runs beside the rest of the suite."""
import os
import subprocess

from conftest import env_path


def make(src, build, config):
    # A make of its own, not a sub-make of `make test`'s jobserver.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(["make", "-s", "site", f"CONFIG={config}", f"BUILD={build}",
                           "CMAKE_FLAGS=-DKILN_TESTS=OFF"], cwd=src, capture_output=True,
                          text=True, timeout=1200, env=env)


def test_config_names_people_write(tmp_path):
    src = env_path("KILN_SOURCE_DIR")
    build, sites = tmp_path / "build", tmp_path / "sites"
    sites.mkdir()
    shop = sites / "01-shop.json"
    shop.write_text('{"listen": "127.0.0.1:18199"}')
    r = make(src, build, shop)
    assert r.returncode == 0, r.stdout + r.stderr
    binary = build / "01-shop" / "kiln"
    assert f"built {binary}" in r.stdout
    v = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    assert "config 01-shop.json sha256:" in v.stdout

    odd = sites / "my shop (v2)+eu@1.json"
    odd.write_text('{"listen": "127.0.0.1:18198"}')
    r = make(src, build, odd)
    assert r.returncode == 0, r.stdout + r.stderr
    v = subprocess.run([str(build / "my_shop__v2__eu_1" / "kiln"), "--version"],
                       capture_output=True, text=True)
    assert "config my shop (v2)+eu@1.json sha256:" in v.stdout

    odd.write_text('{"listen": ":99999"}')
    r = make(src, build, odd)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert f'{odd}: $.listen: ":99999": port must be 1-65535' in out, out
    assert "unknown target" not in out and "no rule to make" not in out.lower()

    r = make(src, build, sites / "missing.json")
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert f"{sites / 'missing.json'}: cannot read the config" in out, out
    assert "unknown target" not in out and "no rule to make" not in out.lower()
