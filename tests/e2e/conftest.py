"""A real Escalade server process on a database of its own, with the demo loaded."""

import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from tests.processes import ESCALADE


@dataclass
class Server:
    url: str
    env: dict
    loaddemo_output: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_admin_dsn() -> str:
    db = settings.DATABASES["default"]
    return f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} user={db.get('USER') or 'postgres'} dbname=postgres"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    home: Path = tmp_path_factory.mktemp("server-home")
    env = {**os.environ, "ESCALADE_HOME": str(home), "ESCALADE_LOG_LEVEL": "WARNING"}
    database = None
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        database = f"escalade_e2e_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_postgres_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        db = settings.DATABASES["default"]
        env["ESCALADE_DATABASE_URL"] = (
            f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{database}"
        )
    else:
        env.pop("ESCALADE_DATABASE_URL", None)
    for step in (["migrate"], ["loaddemo"]):
        done = subprocess.run(
            [ESCALADE, *step], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    loaddemo_output = done.stdout
    port = _free_port()
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
            raise RuntimeError(f"server did not start: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.1)  # waiting for the process to listen, not moving time
    yield Server(url=url, env=env, loaddemo_output=loaddemo_output)
    process.terminate()
    process.wait(timeout=30)
    if database:
        with psycopg.connect(_postgres_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
