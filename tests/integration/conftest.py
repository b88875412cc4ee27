"""pytest glue: see kilnfix.py for the fixtures' machinery.

A test module sets SITE (the site name), optionally POOL (php-fpm pool
settings) and WWW (a document root other than www/). `site` starts php-fpm
and kiln for each test; `site_module` once for the whole module (for many
cheap tests on one site). Both check at the end that kiln exits 0 on
SIGTERM and that its log has no sanitizer report.
"""
import pytest

from kilnfix import Kiln, PhpFpm, make_marks_dir, prepare_state


def start_site(name, www=None, **pool):
    """php-fpm + kiln for sites/<name>.json; returns (kiln, fpm)."""
    kiln = Kiln(name)
    state = prepare_state(name) if www is None else prepare_state(name, www)
    make_marks_dir(state)
    cfg = kiln.config
    fpm = PhpFpm(state, cfg["address"], **pool).start()
    try:
        kiln.start()
    except BaseException:
        fpm.stop()  # not left behind by a kiln that did not start
        raise
    return kiln, fpm


def pytest_configure(config):
    # An exception in a test's client thread fails the test (pytest would
    # otherwise only warn).
    config.addinivalue_line("filterwarnings",
                            "error::pytest.PytestUnhandledThreadExceptionWarning")


def stop_site(kiln, fpm):
    """Stop both; assert kiln's clean exit and a log free of sanitizer reports."""
    status = kiln.stop()
    fpm.stop()
    assert status in (0, None), kiln.log_text()
    assert not kiln.sanitizer_problems(), kiln.log_text()


def _site_params(request):
    mod = request.module
    name = getattr(request, "param", None) or getattr(mod, "SITE")
    return name, getattr(mod, "WWW", None), getattr(mod, "POOL", {})


@pytest.fixture
def site(request):
    """Parametrize indirectly with the site name, or use the module's SITE."""
    name, www, pool = _site_params(request)
    kiln, fpm = start_site(name, www, **pool)
    yield kiln, fpm
    stop_site(kiln, fpm)


@pytest.fixture(scope="module")
def site_module(request):
    """Like `site`, but one php-fpm and kiln for every test of the module."""
    name, www, pool = _site_params(request)
    kiln, fpm = start_site(name, www, **pool)
    yield kiln, fpm
    stop_site(kiln, fpm)
