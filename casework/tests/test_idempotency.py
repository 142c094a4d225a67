"""Idempotency keys, through the refund create (their first adopter) with a partner's token,
and the purge that keeps their table small."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from functools import partial

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from casework import tasks
from casework.core.errors import InvalidInput
from casework.models import IdempotencyKey
from casework.partners import idempotency
from casework.partners.errors import status_for
from casework.tests.api import assert_error, client_for, key_for
from casework.tests.races import race
from refunds.models import RefundCase
from refunds.services import ConflictingReport, UnknownInstruction

URL = "/api/v1/refund-cases/"
KEY = "HTTP_IDEMPOTENCY_KEY"


_numbers = iter(range(1, 100000))


def refund(**overrides) -> dict:
    body = {
        "refund_type": "duplicate_charge",
        "transaction_reference": f"TXN-IDEM-{next(_numbers):06d}",
        "merchant": "Chengdu Hotpot",
        "transaction_amount": "500.00",
        "currency": "CNY",
        "paid_at": (timezone.now() - dt.timedelta(days=1)).isoformat(),
        "requested_amount": "250.00",
        "reason": "Charged twice for one dinner.",
    }
    body.update(overrides)
    return body


# Replay


def test_a_create_without_a_key_keeps_nothing(api):
    assert api.post(URL, refund(), format="json").status_code == 201

    assert not IdempotencyKey.objects.exists()


def test_the_same_key_and_body_get_the_first_answer_again(api, partner):
    body = refund()
    first = api.post(URL, body, format="json", **{KEY: "7f3c-0001"})
    # The same body written another way: key order and spacing do not count.
    rewritten = json.dumps(dict(reversed(list(body.items()))), indent=2)

    again = api.post(URL, rewritten, content_type="application/json", **{KEY: "7f3c-0001"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert (again["Location"], again["ETag"]) == (first["Location"], first["ETag"])
    assert RefundCase.objects.count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.partner, row.key, row.request_method, row.request_path) == (partner, "7f3c-0001", "POST", URL)
    assert (row.response_status, row.response_body["reference"]) == (201, first.json()["reference"])
    assert row.expires_at == row.created_at + dt.timedelta(hours=24)


def test_a_replay_answers_as_it_first_did_whatever_happened_since(api, partner):
    body = refund()
    first = api.post(URL, body, format="json", **{KEY: "k-1"})
    case = RefundCase.objects.get()
    api.post(f"{URL}{case.reference}/cancel/", {}, format="json")

    again = api.post(URL, body, format="json", **{KEY: "k-1"})

    assert (again.status_code, again.json()["state"]) == (201, "requested")
    assert again.json() == first.json()


def test_another_body_under_the_key_is_a_conflict_naming_the_header(api):
    api.post(URL, refund(), format="json", **{KEY: "k-1"})

    error = assert_error(
        api.post(URL, refund(), format="json", **{KEY: "k-1"}), 409, "idempotency_key_reused"
    )

    assert list(error["fields"]) == ["Idempotency-Key"]
    assert RefundCase.objects.count() == 1


def test_a_key_used_on_another_endpoint_is_a_conflict(api):
    complaint = {
        "category": "other",
        "customer_name": "Han Meimei",
        "customer_phone": "13900001111",
        "description": "The app is slow.",
    }
    assert api.post("/api/v1/complaints/", complaint, format="json", **{KEY: "k-9"}).status_code == 201

    assert_error(api.post(URL, complaint, format="json", **{KEY: "k-9"}), 409, "idempotency_key_reused")


def test_keys_are_each_partners_own(api, other_partner):
    body = refund()
    mine = api.post(URL, {**body, "requested_amount": "100.00"}, format="json", **{KEY: "k-1"})
    theirs = client_for(other_partner.user).post(URL, body, format="json", **{KEY: "k-1"})

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert not theirs.has_header("Idempotent-Replayed")
    assert RefundCase.objects.count() == 2


def test_a_refused_create_keeps_no_key_so_the_corrected_one_may_use_it(api):
    refused = api.post(URL, refund(requested_amount="900.00"), format="json", **{KEY: "k-1"})
    assert_error(refused, 400, "invalid")
    assert not IdempotencyKey.objects.exists()

    corrected = api.post(URL, refund(), format="json", **{KEY: "k-1"})

    assert corrected.status_code == 201, corrected.content
    assert not corrected.has_header("Idempotent-Replayed")


def test_a_crash_after_the_create_keeps_neither_the_case_nor_the_key(api, monkeypatch):
    def crash(row, response):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(idempotency, "_remember", crash)

    with pytest.raises(RuntimeError):
        api.post(URL, refund(), format="json", **{KEY: "k-1"})

    assert not RefundCase.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_an_expired_key_is_new_again(api, settings):
    body = refund(requested_amount="100.00")
    first = api.post(URL, body, format="json", **{KEY: "k-1"})
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    again = api.post(URL, body, format="json", **{KEY: "k-1"})

    assert again.status_code == 201, again.content
    assert not again.has_header("Idempotent-Replayed")
    assert again.json()["reference"] != first.json()["reference"]
    assert RefundCase.objects.count() == 2
    row = IdempotencyKey.objects.get()
    assert row.response_body["reference"] == again.json()["reference"]
    assert row.expires_at > timezone.now() + dt.timedelta(hours=23)


def test_the_time_to_live_is_a_setting(api, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 2

    api.post(URL, refund(), format="json", **{KEY: "k-1"})

    row = IdempotencyKey.objects.get()
    assert row.expires_at == row.created_at + dt.timedelta(hours=2)


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_an_empty_or_too_long_key_is_refused_naming_the_header(api, key):
    error = assert_error(api.post(URL, refund(), format="json", **{KEY: key}), 400, "invalid")

    assert list(error["fields"]) == ["Idempotency-Key"]
    assert not RefundCase.objects.exists()


def test_a_key_of_255_characters_is_kept(api):
    assert api.post(URL, refund(), format="json", **{KEY: "k" * 255}).status_code == 201

    assert IdempotencyKey.objects.get().key == "k" * 255


# Purge


def test_the_purge_deletes_only_expired_keys(api):
    for key in ("old-1", "old-2", "fresh"):
        api.post(URL, refund(), format="json", **{KEY: key})
    IdempotencyKey.objects.exclude(key="fresh").update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    assert tasks.purge_idempotency_keys() == 2

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert idempotency.purge_expired(timezone.now()) == 0


def test_the_purge_runs_hourly_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["idempotency-key-purge"]

    assert entry["task"] == tasks.purge_idempotency_keys.name == "casework.tasks.purge_idempotency_keys"
    assert entry["schedule"].minute == {7}
    assert entry["schedule"].hour == set(range(24))


# Refusals other apps raise as their own classes map by their code.


def test_refusals_map_to_their_status_by_code():
    assert status_for(UnknownInstruction("No such instruction")) == 404
    assert status_for(ConflictingReport("Reported settled before")) == 409
    assert status_for(idempotency.IdempotencyKeyReused("Used")) == 409
    assert status_for(InvalidInput("Bad")) == 400


def test_every_partner_create_documents_the_key(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    for path in ("/api/v1/complaints/", "/api/v1/account-requests/", URL):
        create = schema["paths"][path]["post"]
        assert "Idempotency-Key" in [parameter["name"] for parameter in create["parameters"]], path
        assert "idempotency_key_reused" in create["responses"]["409"]["description"], path


# At the same moment, on PostgreSQL: the insert of the key's unique row waits for the
# transaction that holds it. (SQLite serialises writers, so it cannot show a race.)


def _post_in_thread(token: str, body: dict, key: str, outcomes: list, index: int) -> None:
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        outcomes[index] = client.post(URL, body, format="json", **{KEY: key})
    except BaseException as error:
        outcomes[index] = error
    finally:
        connections.close_all()  # this thread's own connection


@pytest.mark.postgres
def test_two_requests_with_one_key_at_once_open_one_case(
    require_postgres, transactional_db, django_db_serialized_rollback, partner
):
    token = key_for(partner)
    body = refund()
    clients = [APIClient() for _ in range(2)]
    for client in clients:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    outcomes = race(
        *[partial(client.post, URL, body, format="json", **{KEY: "race-1"}) for client in clients]
    )

    assert [getattr(o, "status_code", o) for o in outcomes] == [201, 201]
    assert sorted(o.has_header("Idempotent-Replayed") for o in outcomes) == [False, True]
    assert outcomes[0].json() == outcomes[1].json()
    assert RefundCase.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("first_succeeds", [True, False])
def test_a_retry_while_the_first_is_in_flight_waits_for_it(
    require_postgres, transactional_db, django_db_serialized_rollback, partner, monkeypatch, first_succeeds
):
    """Then replays its answer; had the first failed, the retry runs as the first."""
    from refunds.api import views

    opened, release = threading.Event(), threading.Event()
    calls = []
    real_open = views.open_refund_case

    def slow_open(**arguments):
        calls.append(arguments)
        if len(calls) > 1:
            return real_open(**arguments)
        case = real_open(**arguments)
        opened.set()  # the first request holds its key's row, uncommitted
        release.wait(30)
        if not first_succeeds:
            raise InvalidInput("The payments ledger is closed for the night.", field="paid_at")
        return case

    monkeypatch.setattr(views, "open_refund_case", slow_open)
    token = key_for(partner)
    body = refund()
    outcomes: list = [None, None]
    first = threading.Thread(target=_post_in_thread, args=(token, body, "slow-1", outcomes, 0))
    retry = threading.Thread(target=_post_in_thread, args=(token, body, "slow-1", outcomes, 1))

    first.start()
    assert opened.wait(30)
    retry.start()
    time.sleep(0.5)
    assert retry.is_alive(), "the retry waits on the key while the first is in flight"
    assert len(calls) == 1
    release.set()
    first.join(timeout=60)
    retry.join(timeout=60)

    assert not first.is_alive() and not retry.is_alive()
    if first_succeeds:
        assert [o.status_code for o in outcomes] == [201, 201]
        assert outcomes[1]["Idempotent-Replayed"] == "true"
        assert outcomes[1].json() == outcomes[0].json()
        assert len(calls) == 1
    else:
        assert [o.status_code for o in outcomes] == [400, 201]
        assert not outcomes[1].has_header("Idempotent-Replayed")
        assert len(calls) == 2
    assert RefundCase.objects.count() == 1
    assert IdempotencyKey.objects.get().response_body["reference"] == RefundCase.objects.get().reference
