"""A real IMAP server for the mail intake's tests: Debian's dovecot, started on 127.0.0.1
and a free port with a configuration of its own in a temporary folder (one passwd-file
user, a maildir, plaintext login allowed on the loopback, no TLS), stopped after. The
machine's own dovecot service is never used (``make mailserver`` installs the package
and keeps its service stopped)."""

from __future__ import annotations

import contextlib
import email.message
import imaplib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "complaints"


def available() -> bool:
    return os.access(DOVECOT, os.X_OK)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(root: Path, port: int, password: str) -> Path:
    if os.geteuid() == 0:
        # dovecot runs no mail process as root: the mail belongs to its own user.
        account = pwd.getpwnam("dovecot")
        internal, login = "dovecot", "dovenull"
    else:
        account = pwd.getpwuid(os.geteuid())
        internal = login = account.pw_name
    for folder in ("run", "mail", "home"):
        (root / folder).mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{password}\n")
    for path in (root / "mail", root / "home"):
        os.chown(path, account.pw_uid, account.pw_gid)
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
instance_name = casework-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    os.chmod(root, 0o755)
    return config


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    @contextlib.contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.user, self.password)
        imap.select("INBOX")
        try:
            yield imap
        finally:
            imap.logout()

    def append(self, message: email.message.Message | bytes) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        with self.session() as imap:
            status, detail = imap.append("INBOX", None, None, raw)
            assert status == "OK", detail

    def empty(self) -> None:
        with self.session() as imap:
            _, found = imap.search(None, "ALL")
            if found[0].split():
                imap.store("1:*", "+FLAGS", "(\\Deleted)")
                imap.expunge()

    def unseen(self) -> int:
        with self.session() as imap:
            _, found = imap.search(None, "UNSEEN")
            return len(found[0].split())

    def mark_all_unseen(self) -> None:
        with self.session() as imap:
            imap.store("1:*", "-FLAGS", "(\\Seen)")


@contextlib.contextmanager
def dovecot() -> Iterator[ImapServer]:
    root = Path(tempfile.mkdtemp(prefix="casework-dovecot-"))
    port = _free_port()
    password = secrets.token_hex(8)
    config = _config(root, port, password)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    output = process.stdout.read().decode() if process.poll() is not None else ""
                    raise RuntimeError(f"dovecot did not start: {output}{log}") from None
                time.sleep(0.1)
        yield ImapServer("127.0.0.1", port, USER, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
