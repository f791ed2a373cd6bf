"""Start real Escalade processes (worker, server) on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ESCALADE = str(Path(sys.executable).with_name("escalade"))


def database_url() -> str:
    """The URL of the database the test is using, for a child process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{quote(str(settings['NAME']))}"
    user = quote(settings.get("USER") or "")
    auth = f"{user}@" if user else ""
    host = f"{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}"
    return f"postgres://{auth}{host}/{settings['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ESCALADE_DATABASE_URL": database_url(),
        "ESCALADE_LOG_LEVEL": "WARNING",
        **extra,
    }
    return env


def run_escalade(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ESCALADE, *args], env=child_env(**env), capture_output=True, text=True, timeout=timeout
    )


def start_escalade(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [ESCALADE, *args],
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
