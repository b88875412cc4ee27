"""Shared fixtures for the kiln-gen config tests.

The tests are run by ctest, which passes the paths below in the
environment; running pytest by hand needs the same variables, e.g.
  KILN_GEN=build-gen/gen/kiln-gen /usr/bin/python3 -m pytest tests/configs
"""
import os
import pathlib
import subprocess

import pytest

HERE = pathlib.Path(__file__).resolve().parent


def env_path(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; run these tests through ctest")
    return pathlib.Path(value)


@pytest.fixture(scope="session")
def kiln_gen():
    path = env_path("KILN_GEN")
    assert path.is_file(), f"kiln-gen not built: {path}"
    return path


def run_gen(kiln_gen, *args, cwd=None):
    """Run kiln-gen; returns the CompletedProcess with text output."""
    return subprocess.run([str(kiln_gen), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def expected_lines(expect_file):
    return [line for line in expect_file.read_text().splitlines() if line]


OUTPUTS = ("site.c", "locations.gperf", "locations.c")


def stale_outputs(out_dir):
    """Pre-fill an output directory, so tests see that failures clean up."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        (out_dir / name).write_text("stale\n")


def leftovers(out_dir):
    return sorted(p.name for p in out_dir.iterdir())
