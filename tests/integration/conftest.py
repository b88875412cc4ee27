"""pytest glue: see kilnfix.py for the fixtures' machinery."""
import pytest

from kilnfix import Kiln, PhpFpm, prepare_state


def start_site(name, **pool):
    """php-fpm + kiln for sites/<name>.json; returns (kiln, fpm)."""
    kiln = Kiln(name)
    state = prepare_state(name)
    cfg = kiln.config
    listen = cfg["address"] if cfg["network"] == "unix" else cfg["address"]
    fpm = PhpFpm(state, listen, **pool).start()
    kiln.start()
    return kiln, fpm


@pytest.fixture
def site(request):
    """Parametrize indirectly with the site name, or use the module's SITE."""
    name = getattr(request, "param", None) or getattr(request.module, "SITE")
    pool = getattr(request.module, "POOL", {})
    kiln, fpm = start_site(name, **pool)
    yield kiln, fpm
    status = kiln.stop()
    fpm.stop()
    assert status == 0, kiln.log_text()
    assert "AddressSanitizer" not in kiln.log_text()
    assert "runtime error" not in kiln.log_text()
