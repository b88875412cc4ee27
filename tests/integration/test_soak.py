# kiln-sites: soak_main
# kiln-serial
"""A short soak (soak.py) as part of `make test`: 30 s of the mixed load,
failing on any unexpected outcome, RSS growth beyond the bound or a
descriptor not returned (see soak.py for the bounds and why). `make soak
SOAK_SECONDS=N` runs the same for longer."""
import os

from soak import soak

SECONDS = float(os.environ.get("KILN_SOAK_SECONDS", "30"))


def test_soak():
    ok, lines = soak(SECONDS, threads=8, seed=1, warmup=5)
    assert ok, "\n".join(lines)
