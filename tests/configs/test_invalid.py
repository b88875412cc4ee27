"""Every invalid fixture fails with its exact diagnostics and leaves no output."""
import pathlib

import pytest

from conftest import HERE, expected_lines, leftovers, run_gen, stale_outputs

INVALID = sorted((HERE / "invalid").glob("*.json"))


def test_enough_fixtures():
    assert len(INVALID) >= 80


@pytest.mark.parametrize("config", INVALID, ids=lambda p: p.stem)
def test_invalid_config(kiln_gen, config, tmp_path):
    out = tmp_path / "out"
    stale_outputs(out)
    # Run from the fixture directory with a relative name: FILE in each
    # message is the path as given on the command line.
    result = run_gen(kiln_gen, "--out", out, config.name, cwd=config.parent)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    want = [f"{config.name}: {line}" for line in expected_lines(config.with_suffix(".expect"))]
    # Exactly these diagnostics: a missing one, or a spurious extra, fails.
    assert sorted(result.stderr.splitlines()) == sorted(want), result.stderr
    assert leftovers(out) == [], "outputs left behind after an error"


def test_every_fixture_has_expectation():
    for config in INVALID:
        assert config.with_suffix(".expect").is_file(), config


def test_all_errors_reported(kiln_gen, tmp_path):
    config = tmp_path / "many.json"
    config.write_text("""{
      "listen": "nowhere",
      "network": "udp",
      "max_body_size": 0,
      "read_timeout": "5 seconds",
      "locations": [{"path": "x"}],
      "cors": {"enabled": true, "allowed_origins": ["ftp://a"]},
      "auth": {"enabled": true, "users": []}
    }""")
    result = run_gen(kiln_gen, "--check", config)
    assert result.returncode == 1
    errors = [l for l in result.stderr.splitlines() if ": warning: " not in l]
    for path in ("$.listen", "$.network", "$.max_body_size", "$.read_timeout",
                 "$.locations[0].path", "$.locations[0]", "$.cors.allowed_origins[0]",
                 "$.auth", "$.auth.users"):
        assert any(f": {path}: " in l for l in errors), (path, result.stderr)
    assert len(errors) >= 9


def test_missing_file(kiln_gen, tmp_path):
    out = tmp_path / "out"
    stale_outputs(out)
    result = run_gen(kiln_gen, "--out", out, tmp_path / "nope.json")
    assert result.returncode == 1
    assert "nope.json: cannot read the config: No such file or directory" in result.stderr
    assert leftovers(out) == []


def test_directory_as_config(kiln_gen, tmp_path):
    result = run_gen(kiln_gen, "--check", tmp_path)
    assert result.returncode == 1
    assert "cannot read the config" in result.stderr


@pytest.mark.parametrize("args", [[], ["--out"], ["--check"], ["--bogus", "x.json"],
                                  ["--check", "a.json", "b.json"], ["--doc", "--check", "a"]])
def test_usage_errors(kiln_gen, args):
    result = run_gen(kiln_gen, *args)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: kiln-gen")


def test_unwritable_output_dir(kiln_gen, tmp_path):
    config = tmp_path / "ok.json"
    config.write_text("{}")
    result = run_gen(kiln_gen, "--out", tmp_path / "missing" / "dir", config)
    assert result.returncode == 1
    assert "cannot write" in result.stderr
