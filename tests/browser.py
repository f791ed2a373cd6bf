"""Browser-test fixtures (a pytest plugin, see tests/conftest.py): real `escalade serve`
processes with the demo loaded, and Debian's Chromium driven by Playwright. Screenshots of every open page of a failed browser
test are saved under test-artifacts/.

Browser tests are skipped only when Chromium is missing and CI is not "true"; under CI=true
a missing browser fails them.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from tests.processes import ESCALADE

CHROMIUM = os.environ.get("ESCALADE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "escalade-demo"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


# --- servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    env: dict
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@dataclass
class Installation:
    """A data folder and database with the demo loaded, and the servers started on it."""

    env: dict
    database: str | None = None
    servers: list[Server] = field(default_factory=list)

    def serve(self, **extra_env: str) -> Server:
        port = _free_port()
        env = {**self.env, **extra_env}
        process = subprocess.Popen(
            [ESCALADE, "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"server did not start: {process.stderr.read().decode()[-2000:]}"
                )
            time.sleep(0.1)  # waiting for the process to listen, not moving time
        server = Server(url=url, env=env, process=process)
        self.servers.append(server)
        return server

    def escalade(self, *args: str) -> str:
        done = subprocess.run(
            [ESCALADE, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if self.database:
            with psycopg.connect(_postgres_admin_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_admin_dsn() -> str:
    db = settings.DATABASES["default"]
    return (
        f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} "
        f"user={db.get('USER') or 'postgres'} dbname=postgres"
    )


def make_installation(home: Path) -> Installation:
    """Migrate, load the demo and the starter macros into a database of its own."""
    env = {
        **os.environ,
        "ESCALADE_HOME": str(home),
        "ESCALADE_LOG_LEVEL": "WARNING",
    }
    env.pop("ESCALADE_REDIS_URL", None)
    installation = Installation(env=env)
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        installation.database = f"escalade_ws_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_postgres_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{installation.database}"')
        db = settings.DATABASES["default"]
        env["ESCALADE_DATABASE_URL"] = (
            f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{installation.database}"
        )
    else:
        env.pop("ESCALADE_DATABASE_URL", None)
    installation.escalade("migrate")
    installation.escalade("loaddemo")
    installation.escalade("manage", "loadmacros")
    return installation


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Iterator[Installation]:
    """The demo company behind one `escalade serve` (in-memory channel layer)."""
    installation = make_installation(tmp_path_factory.mktemp("workspace-home"))
    installation.serve()
    yield installation
    installation.close()


@pytest.fixture(scope="session")
def demo_server(demo) -> Server:
    return demo.servers[0]


# --- the browser ------------------------------------------------------------------------------


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is required under CI=true but {CHROMIUM} is missing", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium: scripts/system-deps.sh)")


@pytest.fixture(scope="session")
def chromium(request):
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class Browsers:
    """One browser context (its own cookies) per person signed in during a test."""

    def __init__(self, chromium) -> None:
        self.chromium = chromium
        self.contexts: list = []
        self.pages: dict[str, object] = {}
        self.errors: list[str] = []

    def sign_in(self, server: Server, username: str, *, width: int = 1440):
        context = self.chromium.new_context(
            viewport={"width": width, "height": 900}, locale="en-GB"
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{username}: {error}"))
        page.goto(f"{server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/queue/.*"))
        self.pages[username] = page
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsers(chromium, request) -> Iterator[Browsers]:
    opened = Browsers(chromium)
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-120:]
        for username, page in opened.pages.items():
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{username}.png"), full_page=True)
            except Exception as exc:  # a crashed page: say so instead of hiding the failure
                print(f"no screenshot of {username}'s page: {exc}")
    opened.close()
    assert not opened.errors, f"JavaScript errors: {opened.errors}"


def wait_until_live(page) -> None:
    """The page's WebSocket is connected and subscribed (the server said hello)."""
    page.wait_for_function("document.body.dataset.live === 'open'")


def api_client(server: Server, username: str) -> httpx.Client:
    """An HTTP client signed in with the browser session (the API accepts it with CSRF)."""
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)
    client.get("/login/")
    response = client.post(
        "/login/",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, response.text[:500]
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    return client


def redis_url_or_skip() -> str:
    url = os.environ.get("ESCALADE_TEST_REDIS", "redis://127.0.0.1:6379")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true: {exc}", pytrace=False)
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url
