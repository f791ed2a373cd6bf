"""A throw-away Dovecot IMAP server on a free loopback port (tests and the benchmark).

Configuration, maildirs, state and logs live in a fresh temp dir; accounts come from a
passwd-file with one plaintext password; no TLS. Run as root, the mail processes use the
``nobody`` account (Dovecot refuses uid 0); unprivileged, everything runs as the current user.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "escalade-test-password"
# Accounts written up front: Dovecot notices a changed passwd-file by its mtime, which two
# quick appends within a second would not change.
USERS = 200


class DovecotMissing(RuntimeError):
    pass


def binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None


def doveadm_binary(dovecot: str) -> str:
    """doveadm comes with dovecot (Debian's dovecot-core), in the sibling bin directory."""
    found = shutil.which("doveadm")
    if found:
        return found
    return str(Path(dovecot).parent.parent / "bin" / "doveadm")


def _running(pid: int) -> bool:
    """The process exists and has not exited (a zombie has closed its sockets already)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # gone, or reaped while being read
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # waiting for the server to listen, not moving time


@dataclass
class Dovecot:
    host: str
    port: int
    root: Path
    config: Path
    binary: str
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def new_user(self) -> str:
        """A fresh IMAP account (an empty maildir)."""
        number = next(self._numbers)
        if number > USERS:
            raise RuntimeError("out of Dovecot test accounts: raise USERS")
        return f"support{number}"

    def client(self, user: str):
        from imapclient import IMAPClient

        client = IMAPClient(self.host, self.port, ssl=False, timeout=60)
        client.login(user, PASSWORD)
        return client

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm`` against this server; its output."""
        done = subprocess.run(
            [doveadm_binary(self.binary), "-c", str(self.config), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def kick(self, user: str, timeout: float = 30) -> None:
        """Drop the user's IMAP connections from the server's side (``doveadm kick``), as an
        administrator or a restarting server does: the process serving each one says
        ``* BYE Server shutting down.`` and exits. Returns once those processes are gone,
        so the client's next command meets the closed connection, never a server still
        serving it.
        """
        lines = self.doveadm("who", "-1", user).splitlines()[1:]  # after the header
        pids = {int(line.split()[2]) for line in lines if line.split()[:2] == [user, "imap"]}
        if not pids:
            raise RuntimeError(f"{user} has no IMAP connection to kick")
        self.doveadm("kick", user)
        deadline = time.monotonic() + timeout
        while any(_running(pid) for pid in pids):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the IMAP processes {sorted(pids)} of {user} did not exit")
            time.sleep(0.01)  # waiting for the server's processes to exit, not moving time

    def stop(self) -> None:
        subprocess.run(
            [self.binary, "-c", str(self.config), "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _config(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot refuses uid 0 for mail; the maildirs belong to nobody.
        mail_user = pwd.getpwnam("nobody")
        users = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
    else:  # an unprivileged run: everything as the current user
        mail_user = pwd.getpwuid(os.geteuid())
        users = (
            f"default_internal_user = {mail_user.pw_name}\n"
            f"default_login_user = {mail_user.pw_name}\n"
        )
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = escalade-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
{users}mail_uid = {mail_user.pw_uid}
mail_gid = {mail_user.pw_gid}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def start() -> Dovecot:
    """Start Dovecot; raises DovecotMissing when it is not installed."""
    program = binary()
    if program is None:
        raise DovecotMissing("Dovecot is not installed (Debian package dovecot-imapd)")
    # Not under pytest's own temp dir: that is private (0700), and Dovecot's auth and mail
    # processes run as other users who must reach the passwd-file and the maildirs.
    root = Path(tempfile.mkdtemp(prefix="escalade-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    (root / "users").write_text(
        "".join(f"support{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
    )
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port))
    # Dovecot forks into the background: its output goes to a file, never to a pipe that
    # would keep subprocess.run waiting for the daemon to close it.
    with (root / "start.log").open("wb") as output:
        started = subprocess.run(
            [program, "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=60,
        )
    server = Dovecot("127.0.0.1", port, root, config, program)
    if started.returncode != 0:
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        message = f"Dovecot did not start: {(root / 'start.log').read_text()}{log}"
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(message)
    try:
        wait_for_port(port)
    except OSError:
        server.stop()
        raise
    return server
