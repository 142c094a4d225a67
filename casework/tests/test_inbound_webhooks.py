"""Replies posted to us: an e-mail provider's inbound webhook (Mailgun's raw-MIME forward,
through django-anymail, signed) and the SMS gateway's (Standard Webhooks); unsigned or
badly signed posts file nothing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest
from django.utils import timezone

from casework.models import ContactOptOut, CustomerMessage, Handback
from casework.notices import webhooks
from casework.tests.customer_mail import reply_to, sent_notice, signed_sms
from complaints.models import State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-mailgun-signing-key-for-tests"
BASIC_AUTH = "mailgun:webhook-password"
MAILGUN_URL = "/inbound/email/mailgun/inbound_mime/"


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL_WEBHOOK_SECRET = BASIC_AUTH
    settings.ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY = SIGNING_KEY


@pytest.fixture
def sms_secret(settings) -> str:
    settings.SMS_INBOUND_SECRET = webhooks.new_secret()
    return settings.SMS_INBOUND_SECRET


def mailgun_post(client, message, *, key: str = SIGNING_KEY, auth: str = BASIC_AUTH):
    """Mailgun's route forward() to a URL with "mime" in it: the message as raw MIME."""
    timestamp, token = str(int(timezone.now().timestamp())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    fields = {
        "recipient": message["To"],
        "sender": "li.wei@example.com",
        "from": message["From"],
        "subject": message["Subject"],
        "body-mime": message.as_string(),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }
    headers = {"authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    return client.post(MAILGUN_URL, fields, headers=headers)


def incoming_on(case) -> int:
    return CustomerMessage.objects.filter(object_id=case.pk, direction="in").count()


def test_a_reply_posted_by_the_mail_provider_resumes_its_complaint(client, agent, mailgun):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)

    response = mailgun_post(client, reply_to(sent_notice(complaint)))

    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS
    assert incoming_on(complaint) == 1
    assert Handback.objects.filter(holder=agent).exists()


def test_the_same_mail_posted_twice_is_filed_once(client, agent, mailgun):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    reply = reply_to(sent_notice(complaint))

    assert mailgun_post(client, reply).status_code == 200
    assert mailgun_post(client, reply).status_code == 200

    assert incoming_on(complaint) == 1


@pytest.mark.parametrize(
    ("key", "auth"),
    [("key-someone-else", BASIC_AUTH), (SIGNING_KEY, ""), (SIGNING_KEY, "mailgun:guessed")],
    ids=["wrong signature", "no basic auth", "wrong basic auth"],
)
def test_an_unsigned_or_forged_provider_post_is_refused_and_files_nothing(client, agent, mailgun, key, auth):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)

    response = mailgun_post(client, reply_to(sent_notice(complaint)), key=key, auth=auth)

    assert response.status_code == 400
    complaint.refresh_from_db()
    assert complaint.state == State.AWAITING_CUSTOMER
    assert incoming_on(complaint) == 0


def test_an_sms_reply_lands_on_the_open_complaint_of_that_number_and_resumes_it(client, agent, sms_secret):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    local = complaint.customer_phone.removeprefix("+86")

    response = signed_sms(
        client, sms_secret, {"from": f"{local[:3]} {local[3:7]} {local[7:]}", "text": "已上传", "id": "gw-1"}
    )

    assert response.status_code == 200 and response.json() == {"filed": True}
    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS
    [reply] = CustomerMessage.objects.filter(object_id=complaint.pk, direction="in")
    assert (reply.channel, reply.address, reply.body_text) == ("sms", complaint.customer_phone, "已上传")
    # The gateway posting it again files nothing more.
    signed_sms(client, sms_secret, {"from": complaint.customer_phone, "text": "已上传", "id": "gw-1"})
    assert incoming_on(complaint) == 1


@pytest.mark.parametrize("word", ["TD", "stop", "退订"])
def test_an_sms_td_opts_the_number_out_instead_of_replying(client, agent, sms_secret, word):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)

    response = signed_sms(
        client, sms_secret, {"from": complaint.customer_phone, "text": f" {word} ", "id": "gw-2"}
    )

    assert response.json() == {"filed": True, "opted_out": True}
    assert ContactOptOut.objects.filter(channel="sms", address=complaint.customer_phone).exists()
    complaint.refresh_from_db()
    assert complaint.state == State.AWAITING_CUSTOMER
    assert incoming_on(complaint) == 0


def test_an_sms_from_a_number_with_no_case_is_not_filed(client, db, sms_secret):
    response = signed_sms(client, sms_secret, {"from": "13911112222", "text": "hello", "id": "gw-3"})

    assert response.json() == {"filed": False}
    assert not CustomerMessage.objects.exists()


def test_an_sms_post_badly_signed_unsigned_or_replayed_is_refused(client, agent, sms_secret):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    payload = {"from": complaint.customer_phone, "text": "ok", "id": "gw-4"}

    forged = signed_sms(client, webhooks.new_secret(), payload)
    unsigned = client.post("/inbound/sms/", payload, content_type="application/json")
    replayed = signed_sms(client, sms_secret, payload, at=timezone.now() - dt.timedelta(minutes=10))

    assert [forged.status_code, unsigned.status_code, replayed.status_code] == [401, 401, 401]
    assert "Timestamp too old" in replayed.json()["detail"]
    complaint.refresh_from_db()
    assert complaint.state == State.AWAITING_CUSTOMER


def test_the_sms_webhook_is_off_without_its_secret(client, db, settings):
    settings.SMS_INBOUND_SECRET = ""

    assert client.post("/inbound/sms/", {}, content_type="application/json").status_code == 404
