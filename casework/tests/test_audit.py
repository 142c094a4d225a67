"""The transition trail: hash-chained per case and keyed, with anchors, so the check names
the first record that was rewritten or removed. Exporting it as CSV for a period, and the
trail list, are in ``test_audit_export.py``."""

import datetime as dt
import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from casework import tasks
from casework.core import chain
from casework.models import RevealLog, TransitionRecord
from casework.trail.audit import broken_links, records_for, trail_rows, unkeyed_digest
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, register
from refunds.models import RefundCase, RefundState


def test_each_record_links_to_the_previous_one_of_its_case(agent):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent, reason="Caller verified")
    records = list(records_for(complaint))
    assert [r.transition for r in records] == ["register", "verify_identity", "accept"]
    assert records[0].previous_hash == ""
    assert records[1].previous_hash == records[0].record_hash
    assert broken_links(records) == []


def test_an_edited_reason_breaks_the_chain(agent):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    first = records_for(complaint).first()
    TransitionRecord.objects.filter(pk=first.pk).update(reason="Nothing to see")
    assert [r.pk for r in broken_links(records_for(complaint))] == [first.pk]


def between(start, end):
    return TransitionRecord.objects.filter(created_at__gte=start, created_at__lt=end)


def test_the_trail_exports_a_period_with_actor_and_reason(agent):
    complaint = register(agent)
    services.verify_identity(
        complaint=complaint, actor=agent, method="callback", reason="Called back 138****8000"
    )
    now = timezone.now()
    rows = list(trail_rows(between(now - dt.timedelta(hours=1), now + dt.timedelta(seconds=1))))
    assert rows[0][:4] == ["time", "case_type", "case_reference", "transition"]
    assert [row[3] for row in rows[1:]] == ["register", "verify_identity"]
    assert rows[2][2] == complaint.reference
    assert rows[2][6] == "agent.wang"
    assert rows[2][7] == "Called back 138****8000"
    assert list(trail_rows(between(now + dt.timedelta(hours=1), now + dt.timedelta(hours=2))))[1:] == []


# Tamper evidence: the check names the first record that does not match.


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def refused(out: StringIO) -> CommandError:
    with pytest.raises(CommandError) as refusal:
        call_command("verify_audit_chain", stdout=out)
    assert refusal.value.returncode == 1  # what manage.py exits with
    return refusal.value


def test_untouched_trails_pass(agent):
    complaint = complaint_in_state(State.CLOSED, agent=agent)
    assert f"Checked {records_for(complaint).count()} transition records in 1 cases" in verify()


def test_the_check_names_the_first_record_that_does_not_match(agent):
    first_case = complaint_in_state(State.RESOLVED, agent=agent)
    second_case = complaint_in_state(State.RESOLVED, agent=agent)
    changed = list(records_for(first_case))[2]
    later = list(records_for(second_case))[3]
    TransitionRecord.objects.filter(pk__in=[changed.pk, later.pk]).update(reason="Nothing to see")
    out = StringIO()

    error = refused(out)

    assert f"The first: complaint {first_case.reference} record #{changed.pk}." in str(error)
    assert "2 of" in str(error)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"BROKEN complaint {first_case.reference} record #{changed.pk} ")
    assert lines[0].endswith("its content no longer matches its hash: it was changed")
    assert lines[1].startswith(f"BROKEN complaint {second_case.reference} record #{later.pk} ")


def test_a_record_rewritten_with_a_recomputed_hash_is_named_without_the_key(agent):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    chain = list(records_for(complaint))
    forged = chain[1]
    forged.reason = "Caller verified by e-mail"
    forged.record_hash = unkeyed_digest(forged)  # an attacker who knows the scheme, not the key
    TransitionRecord.objects.filter(pk=forged.pk).update(reason=forged.reason, record_hash=forged.record_hash)
    out = StringIO()

    error = refused(out)

    assert f"The first: complaint {complaint.reference} record #{forged.pk}." in str(error)
    assert "its hash is the old unkeyed one" in out.getvalue()


def test_removing_the_last_records_shows_as_a_trail_that_stops_short(agent):
    complaint = complaint_in_state(State.CLOSED, agent=agent)
    last = records_for(complaint).last()
    TransitionRecord.objects.filter(pk=last.pk).delete()  # the chain before it still holds
    out = StringIO()

    error = refused(out)

    assert f"The first: complaint {complaint.reference}." in str(error)
    assert f"SHORT complaint {complaint.reference}: the case is closed but its trail ends in resolved" in (
        out.getvalue()
    )


@pytest.fixture
def demo(db, settings, tmp_path) -> None:
    settings.DEMO = True  # the demo refuses to run outside the demo
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=StringIO())


def raw(sql: str, *params) -> int:
    """What an attacker with database access does: SQL behind the application's back."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.mark.postgres
def test_postgres_the_demo_trail_holds_and_a_raw_update_is_named(require_postgres, demo):
    records = TransitionRecord.objects.count()
    assert f"Checked {records} transition records" in verify()
    escalated = Complaint.objects.filter(state=State.ESCALATED).first()
    target = TransitionRecord.objects.get(case_reference=escalated.reference, transition="escalate")

    sql = "UPDATE casework_transitionrecord SET reason = %s WHERE id = %s"
    assert raw(sql, "Customer is wrong, nothing to trace", target.pk) == 1
    out = StringIO()
    error = refused(out)

    assert f"The first: complaint {escalated.reference} record #{target.pk}." in str(error)
    assert f"BROKEN complaint {escalated.reference} record #{target.pk} " in out.getvalue()
    assert "1 of" in str(error)


@pytest.mark.postgres
def test_postgres_a_raw_delete_of_a_middle_record_names_the_one_after_the_gap(require_postgres, demo):
    closed = Complaint.objects.filter(state=State.CLOSED).first()
    chain = list(records_for(closed))
    assert len(chain) >= 3

    assert raw("DELETE FROM casework_transitionrecord WHERE id = %s", chain[1].pk) == 1
    out = StringIO()
    error = refused(out)

    assert f"The first: complaint {closed.reference} record #{chain[2].pk}." in str(error)
    assert "does not link to the record before it" in out.getvalue()


@pytest.mark.postgres
def test_postgres_a_raw_delete_of_the_last_record_shows_the_trail_stops_short(require_postgres, demo):
    refund = RefundCase.objects.filter(state=RefundState.REFUNDED).first()
    last = records_for(refund).last()

    assert raw("DELETE FROM casework_transitionrecord WHERE id = %s", last.pk) == 1
    out = StringIO()
    error = refused(out)

    assert f"SHORT refundcase {refund.reference}: the case is refunded" in out.getvalue()
    assert refund.reference in str(error)


# The keyed chain: transition records, the field history and the reveal log, and the anchors.


def reveal(client, user, obj, field: str, reason: str = "Customer on the line") -> None:
    client.force_login(user)
    meta = obj._meta
    url = reverse("admin:casework_reveal", args=[meta.app_label, meta.model_name, obj.pk, field])
    assert client.post(url, {"reveal_reason": reason}).status_code == 200


def anchor() -> str:
    out = StringIO()
    call_command("anchor_audit_chain", stdout=out)
    return out.getvalue()


@pytest.mark.postgres
def test_postgres_a_trail_rewritten_with_recomputed_hashes_is_named(require_postgres, agent):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    chain = list(records_for(complaint))
    # The forger rewrites a reason and re-hashes it and every record after it, links and all.
    previous = chain[0].record_hash
    for record in chain[1:]:
        if record.transition == "accept":
            record.reason = "Customer withdrew the claim"
        record.previous_hash = previous
        record.record_hash = previous = unkeyed_digest(record)
        sql = "UPDATE casework_transitionrecord SET reason = %s, previous_hash = %s, record_hash = %s"
        raw(f"{sql} WHERE id = %s", record.reason, record.previous_hash, record.record_hash, record.pk)
    out = StringIO()

    error = refused(out)

    assert f"The first: complaint {complaint.reference} record #{chain[1].pk}." in str(error)
    assert f"{len(chain) - 1} of {len(chain)} transition records" in str(error)
    assert "its hash is the old unkeyed one" in out.getvalue()


@pytest.mark.postgres
def test_postgres_a_raw_update_of_a_history_row_is_named(require_postgres, agent):
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    first = complaint.history.order_by("history_id").first()
    verify()

    sql = "UPDATE complaints_historicalcomplaint SET amount = %s WHERE history_id = %s"
    assert raw(sql, "1.00", first.history_id) == 1
    out = StringIO()
    error = refused(out)

    which = f"historicalcomplaint of complaint #{complaint.pk} row #{first.history_id} (position 1, +"
    assert f"The first: {which}" in str(error)
    assert f"BROKEN {which}" in out.getvalue()
    assert "its content no longer matches its seal: it was changed" in out.getvalue()
    assert "1 of " in str(error) and "field-history and reveal-log rows" in str(error)


@pytest.mark.postgres
def test_postgres_a_raw_delete_of_a_middle_history_row_names_the_one_after_the_gap(require_postgres, agent):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    rows = list(complaint.history.order_by("history_id"))
    assert len(rows) >= 3

    assert raw("DELETE FROM complaints_historicalcomplaint WHERE history_id = %s", rows[1].history_id) == 1
    out = StringIO()
    error = refused(out)

    assert f"row #{rows[2].history_id} (position 3," in str(error)
    assert "the row(s) before it in this chain were removed" in out.getvalue()


@pytest.mark.postgres
def test_postgres_a_raw_update_or_delete_of_a_reveal_log_row_is_named(require_postgres, client, agent):
    complaint = register(agent)
    reveal(client, agent, complaint, "customer_phone", "Calling the customer back")
    reveal(client, agent, complaint, "account_number", "Checking the account")
    first, second = RevealLog.objects.order_by("id")
    assert "reveal-log rows hold their seals" in verify()

    assert raw("UPDATE casework_reveallog SET reason = %s WHERE id = %s", "Routine check", first.pk) == 1
    out = StringIO()
    error = refused(out)
    assert f"The first: reveal log #{first.pk} ({complaint.reference} customer_phone, revealed" in str(error)
    assert "its content no longer matches its seal" in out.getvalue()

    assert raw("DELETE FROM casework_reveallog WHERE id = %s", first.pk) == 1
    out = StringIO()
    error = refused(out)
    assert f"The first: reveal log #{second.pk} ({complaint.reference} account_number" in str(error)
    assert "the row(s) before it in this chain were removed" in out.getvalue()


@pytest.mark.postgres
def test_postgres_the_newest_rows_removed_behind_an_anchor_are_detected(
    require_postgres, settings, client, agent
):
    settings.AUDIT_ANCHOR_SETTLE_SECONDS = 0
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    reveal(client, agent, complaint, "customer_phone")
    anchor()
    assert "the database matches 1 anchor(s)" in verify()
    newest = complaint.history.order_by("-history_id").first()
    last_reveal = RevealLog.objects.get()

    # The newest row of a chain: nothing links to it, only the anchor counted it.
    assert raw("DELETE FROM complaints_historicalcomplaint WHERE history_id = %s", newest.history_id) == 1
    assert raw("DELETE FROM casework_reveallog WHERE id = %s", last_reveal.pk) == 1
    out = StringIO()
    error = refused(out)

    assert "ANCHOR complaints.historicalcomplaint rows of the start to " in out.getvalue()
    assert "ANCHOR casework.reveallog rows of the start to " in out.getvalue()
    assert "1 of them were removed" in out.getvalue()
    assert "2 difference(s) from the 1 anchor(s)" in str(error)


@pytest.mark.postgres
def test_postgres_a_rewrite_with_the_key_is_still_caught_by_the_anchor(require_postgres, settings, agent):
    settings.AUDIT_ANCHOR_SETTLE_SECONDS = 0
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    anchor()
    row = complaint.history.order_by("-history_id").first()  # the newest: no link to it gives it away
    row.amount = "1.00"
    row.chain_hash = ""
    row.seal((row.chain_seq - 1, row.chain_previous) if row.chain_seq > 1 else None)  # an insider's key
    sql = "UPDATE complaints_historicalcomplaint SET amount = %s, chain_hash = %s WHERE history_id = %s"
    raw(sql, "1.00", row.chain_hash, row.history_id)
    out = StringIO()

    refused(out)

    assert "ANCHOR complaints.historicalcomplaint" in out.getvalue()
    assert "some were rewritten" in out.getvalue()
    assert "BROKEN" not in out.getvalue()  # the seals themselves hold: only the anchor knew


@pytest.mark.postgres
def test_postgres_an_edited_or_removed_anchor_line_is_named(require_postgres, settings, agent):
    settings.AUDIT_ANCHOR_SETTLE_SECONDS = 0
    register(agent)
    anchor()
    register(agent)
    anchor()
    anchor()
    path = settings.AUDIT_ANCHOR_FILE
    lines = path.read_bytes().splitlines()

    path.write_bytes(b"\n".join([lines[0], lines[2]]) + b"\n")  # the second line removed
    out = StringIO()
    refused(out)
    assert "anchor line 2 of" in out.getvalue()
    assert "anchor lines were removed" in out.getvalue()

    path.write_bytes(b"\n".join([lines[0].replace(b'"totals":{', b'"totals":{"x":1,'), *lines[1:]]) + b"\n")
    out = StringIO()
    refused(out)
    assert "anchor line 1 of" in out.getvalue() and "its HMAC does not match" in out.getvalue()


@pytest.mark.postgres
def test_postgres_the_demo_trail_and_its_anchor_verify(require_postgres, settings, demo, client):
    settings.AUDIT_ANCHOR_SETTLE_SECONDS = 0
    supervisor = User.objects.get(username="supervisor")
    reveal(client, supervisor, Complaint.objects.first(), "customer_phone")
    line = anchor()

    out = verify()

    assert "every link holds" in out
    assert "the database matches 1 anchor(s)" in out
    rows = int(re.search(r"; (\d+) field-history and reveal-log rows hold their seals", out).group(1))
    assert rows > TransitionRecord.objects.count()  # every field change is in a chain
    digest = line.split()[1]
    listed = StringIO()
    call_command("anchor_audit_chain", "--list", stdout=listed)
    assert digest in listed.getvalue()


def test_the_anchor_task_appends_a_signed_line(settings, agent):
    settings.AUDIT_ANCHOR_SETTLE_SECONDS = 0
    register(agent)

    digest = tasks.anchor_audit_chain()

    [raw_line] = settings.AUDIT_ANCHOR_FILE.read_bytes().splitlines()
    assert hashlib.sha256(raw_line).hexdigest() == digest
    line = json.loads(raw_line)
    assert line["chains"]["casework.transitionrecord"][0] == 1
    assert line["totals"]["complaints.historicalcomplaint"] == 1
    assert settings.AUDIT_ANCHOR_FILE.stat().st_mode & 0o777 == 0o600
    assert "audit-anchor" in settings.CELERY_BEAT_SCHEDULE


def test_rows_sealed_under_a_previous_key_verify_after_a_rotation(settings, agent):
    register(agent)
    old = settings.AUDIT_CHAIN_KEY
    settings.AUDIT_CHAIN_KEY = "bmV3LWF1ZGl0LWNoYWluLWtleS1hZnRlci1yb3RhdGlvbiE="
    out = StringIO()
    refused(out)  # the new key alone does not vouch for what the old one sealed

    settings.AUDIT_CHAIN_PREVIOUS_KEYS = [old]

    assert "every link holds" in verify()


def test_the_demo_makes_its_key_once_and_keeps_it_private(settings, tmp_path):
    settings.AUDIT_CHAIN_KEY = ""
    settings.AUDIT_CHAIN_KEY_FILE = tmp_path / "audit-chain.key"

    first = chain.chain_keys()[0]

    assert settings.AUDIT_CHAIN_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert len(first) == 32
    assert chain._keys.cache_clear() is None and chain.chain_keys()[0] == first


def test_outside_the_demo_a_missing_key_refuses_to_start(tmp_path):
    env = {
        **os.environ,
        "DEMO": "false",
        "SECRET_KEY": "test-only-start-up-key",
        "PAYMENTS_SIGNING_SECRET": "whsec_dGVzdC1vbmx5LXN0YXJ0LXVwLXBheW1lbnRzLWtleQ==",
        "PAYMENTS_ENDPOINT_URL": "https://payments.wallet.example/instructions/",
        "VAR_DIR": str(tmp_path),
    }
    env.pop("AUDIT_CHAIN_KEY")
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert started.returncode != 0
    assert "ImproperlyConfigured: Set AUDIT_CHAIN_KEY" in started.stderr
    assert not (tmp_path / "audit-chain.key").exists()


def test_rows_written_before_the_chain_was_keyed_are_sealed_by_the_migration(agent, client):
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    reveal(client, agent, complaint, "customer_phone")
    # As a database from before this change has them: no seals, transition records unkeyed.
    HistoricalComplaint = complaint.history.model
    HistoricalComplaint.objects.update(chain_seq=0, chain_previous="", chain_hash="")
    RevealLog.objects.update(chain_seq=0, chain_previous="", chain_hash="")
    previous = ""
    for record in records_for(complaint):
        record.previous_hash = previous
        record.record_hash = previous = unkeyed_digest(record)
        record.save()
    out = StringIO()
    refused(out)

    migration = importlib.import_module("casework.migrations.0015_seal_the_field_history")
    migration.seal_reveals_and_transitions(django_apps, None)
    chain.seal_history_in_migration("complaints")(django_apps, None)

    assert "every link holds" in verify()
