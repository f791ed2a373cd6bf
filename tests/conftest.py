import os

# Playwright's sync API leaves an event loop on the test process's thread; later ORM calls in
# the same process are plain sync code, so Django's async guard must not refuse them in tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from datetime import UTC, datetime

import pytest
from django.utils import translation

from escalade.core import clock as clock_module
from escalade.core import config_cache
from escalade.escalation.services import _handling_cache
from tests import factories

# Browsers and demo servers: one definition for every test package, so a process that runs
# workspace and portal tests starts one Playwright (a second one in a process cannot start).
pytest_plugins = ["tests.browser"]

# Monday 23 November 2026, 09:00 UTC: a working morning in Europe.
DEFAULT_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Freeze time for the test; move it with ``clock.advance(hours=1)`` or ``clock.set(...)``."""
    with clock_module.frozen(DEFAULT_NOW) as frozen:
        yield frozen


@pytest.fixture
def make():
    return factories


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    # A request through LocaleMiddleware leaves its language active on this thread.
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_configuration_cache():
    # Each test's database is rolled back, not saved through the services: start uncached.
    config_cache.clear()
    _handling_cache.clear()
    yield
    config_cache.clear()
    _handling_cache.clear()
