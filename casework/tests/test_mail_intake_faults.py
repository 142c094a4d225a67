"""The mail intake under real faults, against a real IMAP server (dovecot on the loopback)
and a real ``manage.py fetch_mail`` process: killed (SIGKILL) after filing a reply and
before marking it seen; its database connection killed (``pg_terminate_backend``, the
server itself keeps running) between two messages; a message that always fails.

The fetching process reaches dovecot through a relay of the test's own (``Relay``) that
holds one IMAP command of the process's, so the fault lands between two exact steps.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection

from casework.intake import mailbox
from casework.models import CustomerMessage
from casework.tests.customer_mail import reply_to, sent_notice
from casework.tests.worker import database_url_in_use
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.postgres
TIMEOUT_S = 60


class Relay:
    """A TCP relay from a free port to the IMAP server that holds the client's ``hold``-th
    command containing ``word`` (e.g. the first ``STORE``): ``held`` is set and nothing
    more goes to the server until ``release`` is set; then the command goes on, or with
    ``drop`` the connection is cut (what a dead client's command does: nothing)."""

    def __init__(self, server, word: bytes, hold: int = 1, *, drop: bool = False) -> None:
        self.server, self.word, self.hold, self.drop = server, word, hold, drop
        self.held, self.release = threading.Event(), threading.Event()
        self.seen = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"imap://{self.server.user}:{self.server.password}@127.0.0.1:{self.port}/INBOX"

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((self.server.host, self.server.port))
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if from_client and self.word in chunk.upper():
                    self.seen += 1
                    if self.seen == self.hold:
                        self.held.set()
                        self.release.wait(TIMEOUT_S)
                        if self.drop:
                            return
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                end.close()

    @contextmanager
    def running(self) -> Iterator[Relay]:
        threading.Thread(target=self.serve, daemon=True).start()
        try:
            yield self
        finally:
            self.release.set()
            self.listener.close()


def fetch_mail_process(url: str) -> subprocess.Popen:
    """``manage.py fetch_mail`` on the test's database, as beat's worker or cron would run it."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url_in_use(),
        "CELERY_BROKER_URL": "memory://",  # the holder's e-mail is written to the outbox, not published
        "CUSTOMER_MAIL_IMAP_URL": "",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "fetch_mail", "--url", url],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def incoming(complaint) -> list[CustomerMessage]:
    return list(
        CustomerMessage.objects.filter(object_id=complaint.pk, direction=CustomerMessage.Direction.INCOMING)
    )


def waiting_replies(agent, mailbox_server, count: int) -> list[Complaint]:
    complaints = [complaint_in_state(State.AWAITING_CUSTOMER, agent=agent) for _ in range(count)]
    for number, complaint in enumerate(complaints):
        mailbox_server.append(reply_to(sent_notice(complaint), f"Reply {number}: my statement."))
    return complaints


def test_a_fetch_killed_after_filing_a_reply_before_marking_it_seen_files_it_once(
    transactional_db, django_db_serialized_rollback, agent, complaints_mailbox
):
    first, second = waiting_replies(agent, complaints_mailbox, 2)

    with Relay(complaints_mailbox, b" STORE ", drop=True).running() as relay:
        process = fetch_mail_process(relay.url)
        # The first reply is filed and committed; marking it seen waits in the relay.
        assert relay.held.wait(TIMEOUT_S), process.communicate(timeout=TIMEOUT_S)[0]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT_S)

    [filed_before] = [complaint for complaint in (first, second) if incoming(complaint)]
    assert Complaint.objects.get(pk=filed_before.pk).state == State.IN_PROGRESS
    assert complaints_mailbox.unseen() == 2  # neither was marked seen

    fetched = mailbox.fetch()

    assert (fetched.filed, fetched.failed) == (2, 0)
    for complaint in (first, second):
        assert len(incoming(complaint)) == 1  # the one filed before the kill, not again
        complaint.refresh_from_db()
        assert complaint.state == State.IN_PROGRESS
    assert complaints_mailbox.unseen() == 0


def test_a_reply_the_database_refused_stays_unseen_and_is_filed_next_time_the_others_now(
    transactional_db, django_db_serialized_rollback, agent, complaints_mailbox
):
    complaints = waiting_replies(agent, complaints_mailbox, 3)

    # The process reads the second message while its database connection is killed.
    with Relay(complaints_mailbox, b" FETCH ", hold=2).running() as relay:
        process = fetch_mail_process(relay.url)
        assert relay.held.wait(TIMEOUT_S), process.communicate(timeout=TIMEOUT_S)[0]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchall(), "the fetching process had no connection to kill"
        relay.release.set()
        output = process.communicate(timeout=TIMEOUT_S)[0].decode()

    assert process.returncode == 1, output
    assert "2 filed, 1 not filed" in output
    filed = [complaint for complaint in complaints if incoming(complaint)]
    assert [complaint.pk for complaint in filed] == [complaints[0].pk, complaints[2].pk]
    assert complaints_mailbox.unseen() == 1

    fetched = mailbox.fetch()

    assert (fetched.filed, fetched.failed) == (1, 0)
    for complaint in complaints:
        assert len(incoming(complaint)) == 1
        complaint.refresh_from_db()
        assert complaint.state == State.IN_PROGRESS
    assert complaints_mailbox.unseen() == 0


@pytest.fixture
def no_quarantine(complaints_mailbox):
    """The session's mailbox without a Quarantine folder (another test's may be there)."""
    with complaints_mailbox.session() as imap:
        imap.delete(f'"{mailbox.QUARANTINE}"')  # NO if there is none
    return complaints_mailbox


def quarantined(server) -> list[bytes]:
    with server.session() as imap:
        status, _ = imap.select(f'"{mailbox.QUARANTINE}"')
        if status != "OK":
            return []
        _, found = imap.search(None, "ALL")
        return [imap.fetch(number, "(BODY.PEEK[])")[1][0][1] for number in found[0].split()]


@contextmanager
def refusing_messages_from(address: str) -> Iterator[None]:
    """The database refuses every message filed from ``address`` (a trigger, made in the
    test's transaction and gone with it): a mail that fails to file however often it is tried."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_poison() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.address = '{address}' THEN RAISE EXCEPTION 'refused: a poison message'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_poison BEFORE INSERT ON casework_customermessage "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_poison()"
        )
    yield


def test_a_message_that_always_fails_is_quarantined_after_its_tries_and_logged_once(
    db, agent, complaints_mailbox, no_quarantine, settings, caplog
):
    settings.CUSTOMER_MAIL_QUARANTINE_AFTER = 3
    complaint, other = (complaint_in_state(State.AWAITING_CUSTOMER, agent=agent) for _ in range(2))
    complaints_mailbox.append(reply_to(sent_notice(complaint), "A good reply."))
    complaints_mailbox.append(reply_to(sent_notice(other), "Poison.", sender="poison@example.com"))

    with refusing_messages_from("poison@example.com"), caplog.at_level(logging.WARNING, "casework.intake"):
        tries = [mailbox.fetch() for _ in range(4)]

    assert [(f.filed, f.failed, f.quarantined) for f in tries] == [(1, 1, 0), (0, 1, 0), (0, 1, 1), (0, 0, 0)]
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and "moved to the Quarantine folder" in errors[0].getMessage()
    assert len([record for record in caplog.records if record.levelno == logging.WARNING]) == 2
    [kept] = quarantined(complaints_mailbox)
    assert b"Poison." in kept  # kept whole, for someone to look at
    assert complaints_mailbox.unseen() == 0
    with complaints_mailbox.session() as imap:
        assert imap.search(None, "ALL")[1] == [b"1"]  # the good reply only, seen
    assert len(incoming(complaint)) == 1 and not incoming(other)
    other.refresh_from_db()
    assert other.state == State.AWAITING_CUSTOMER


def test_the_quarantine_folder_is_made_once_and_reused(
    db, agent, complaints_mailbox, no_quarantine, settings
):
    settings.CUSTOMER_MAIL_QUARANTINE_AFTER = 1
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    with refusing_messages_from("poison@example.com"):
        for text in ("First poison.", "Second poison."):
            complaints_mailbox.append(reply_to(sent_notice(complaint), text, sender="poison@example.com"))
            assert mailbox.fetch().quarantined == 1

    assert [b"First poison." in kept for kept in quarantined(complaints_mailbox)] == [True, False]
    assert complaints_mailbox.unseen() == 0
