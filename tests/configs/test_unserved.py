"""Settings the config language has but this runtime does not serve yet
(serve.c): kiln-gen refuses them with the setting's path, builds nothing,
and says the same under --check. A binary never starts only to refuse, or
to serve an application without the authentication its config asked for.

Each unserved/*.json is otherwise valid; NAME.expect holds the exact
diagnostic lines (without the "FILE: " prefix)."""
import pytest

from conftest import HERE, expected_lines, leftovers, run_gen, stale_outputs

UNSERVED = sorted((HERE / "unserved").glob("*.json"))


@pytest.mark.parametrize("config", UNSERVED, ids=lambda p: p.stem)
def test_refused_at_build_time(kiln_gen, config, tmp_path):
    out = tmp_path / "out"
    stale_outputs(out)
    want = sorted(f"{config.name}: {line}" for line in expected_lines(config.with_suffix(".expect")))
    result = run_gen(kiln_gen, "--out", out, config.name, cwd=config.parent)
    assert result.returncode == 1, result.stderr
    assert sorted(result.stderr.splitlines()) == want, result.stderr
    assert leftovers(out) == []
    check = run_gen(kiln_gen, "--check", config.name, cwd=config.parent)
    assert check.returncode == 1
    assert sorted(check.stderr.splitlines()) == want, check.stderr


def test_the_rest_of_the_language_is_still_checked_first(kiln_gen, tmp_path):
    """A config that breaks a rule gets that rule's diagnostic alone: what the
    runtime serves is only asked of a config that is otherwise valid."""
    config = tmp_path / "site.json"
    config.write_text('{"auth": {"enabled": true, "realm": "x", "users": []}}')
    result = run_gen(kiln_gen, "--check", config)
    assert result.returncode == 1
    assert "not served" not in result.stderr
    assert "$.auth.users" in result.stderr
