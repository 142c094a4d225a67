"""Partner credentials: API keys kept hashed and shown once, scopes per key, rotation and
revocation, optional request signing, per-partner throttling on the shared cache, and the
admin pages that issue them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import ApiScope, PartnerApiKey
from casework.notices import webhooks
from casework.partners.authentication import REPLAYED_CODE, first_use, signature_id, signed_message_id
from casework.partners.credentials import (
    LAST_USED_RESOLUTION,
    check_scopes,
    issue_key,
    key_hash,
    revoke_key,
    rotate_key,
)
from casework.partners.throttling import PartnerRateThrottle
from casework.tests.api import CASE_SCOPES, assert_error, key_for
from casework.tests.environment import require_service
from casework.tests.faults import free_port
from casework.tests.races import race
from casework.tests.worker import database_url_in_use
from complaints.models import Complaint
from complaints.tests.factories import file_complaint

LIST_URL = "/api/v1/complaints/"


@pytest.fixture(params=["memory", "redis"])
def shared_cache(request, settings):
    """The default cache as each deployment has it: in memory (the demo, one process) and
    the shared Redis (production; required in CI, skipped here without CACHE_URL)."""
    if request.param == "redis":
        require_service(settings.CACHE_URL.startswith("redis"), "the shared Redis cache (CACHE_URL)")
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.CACHE_URL}
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared-test"}
    settings.CACHES = {"default": backend}
    cache.clear()
    yield request.param
    cache.clear()


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# Keys


def test_a_key_is_stored_only_as_its_hash_and_its_prefix(partner):
    api_key, key = issue_key(partner, name="call centre", scopes=CASE_SCOPES, actor=None)

    stored = PartnerApiKey.objects.get(pk=api_key.pk)
    assert re.fullmatch(r"bo_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", key)
    assert stored.prefix == key.split("_")[1]
    assert stored.key_hash == key_hash(key) != key
    assert key not in json.dumps(list(PartnerApiKey.objects.values()), default=str)
    assert key not in json.dumps(list(PartnerApiKey.history.values()), default=str)


def test_a_key_opens_the_partners_own_door_and_notes_its_last_use(partner):
    api_key, key = issue_key(partner, name="call centre", scopes=CASE_SCOPES, actor=None)
    own = file_complaint(partner)

    response = bearer(key).get(LIST_URL)

    assert response.status_code == 200, response.content
    assert [row["reference"] for row in response.json()["results"]] == [own.reference]
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert PartnerApiKey.history.filter(id=api_key.pk).count() == 1, "a use writes no history row"


def test_last_use_is_written_at_most_once_a_minute(partner, django_assert_num_queries):
    api_key, key = issue_key(partner, name="call centre", scopes=CASE_SCOPES, actor=None)
    client = bearer(key)
    client.get(LIST_URL)
    first_use = PartnerApiKey.objects.get(pk=api_key.pk).last_used_at

    client.get(LIST_URL)
    assert PartnerApiKey.objects.get(pk=api_key.pk).last_used_at == first_use

    PartnerApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first_use - LAST_USED_RESOLUTION)
    client.get(LIST_URL)
    assert PartnerApiKey.objects.get(pk=api_key.pk).last_used_at > first_use - LAST_USED_RESOLUTION


@pytest.mark.parametrize(
    "spoil",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # right prefix, wrong secret
        lambda key: "bo_zzzzzzzz_" + key.split("_", 2)[2],  # unknown prefix
        lambda key: key.replace("bo_", "xx_", 1),  # not a key at all
        lambda key: "bo_short",
    ],
)
def test_a_wrong_key_is_401_without_saying_which_part_is_wrong(partner, spoil):
    _, key = issue_key(partner, name="call centre", scopes=CASE_SCOPES, actor=None)

    error = assert_error(bearer(spoil(key)).get(LIST_URL), 401, "authentication_failed")

    assert error["message"] == "The API key is not valid, or was revoked or expired."


def test_a_revoked_key_is_refused_at_once_and_revoking_twice_says_so(partner, supervisor):
    api_key, key = issue_key(partner, name="call centre", scopes=CASE_SCOPES, actor=None)
    client = bearer(key)
    assert client.get(LIST_URL).status_code == 200

    assert revoke_key(api_key, actor=supervisor) is True
    assert revoke_key(api_key, actor=supervisor) is False

    assert_error(client.get(LIST_URL), 401, "authentication_failed")
    api_key.refresh_from_db()
    assert api_key.revoked_by == supervisor
    assert api_key.history.latest().history_user == supervisor


def test_an_expired_key_is_refused(partner):
    api_key, key = issue_key(
        partner,
        name="call centre",
        scopes=CASE_SCOPES,
        actor=None,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    assert bearer(key).get(LIST_URL).status_code == 200
    PartnerApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert_error(bearer(key).get(LIST_URL), 401, "authentication_failed")


def test_a_suspended_partner_is_known_but_refused(partner):
    client = bearer(key_for(partner))
    partner.is_active = False
    partner.save()

    assert_error(client.get(LIST_URL), 403, "permission_denied")


def test_rotation_without_overlap_replaces_the_key_at_once(partner, supervisor):
    api_key, old = issue_key(partner, name="call centre", scopes=[ApiScope.COMPLAINTS_READ], actor=None)

    new_key, new = rotate_key(api_key, actor=supervisor)

    assert new != old and new_key.scopes == [ApiScope.COMPLAINTS_READ] and new_key.name == "call centre"
    assert bearer(new).get(LIST_URL).status_code == 200
    assert_error(bearer(old).get(LIST_URL), 401, "authentication_failed")
    with pytest.raises(ValidationError):
        rotate_key(api_key, actor=supervisor)


def test_rotation_with_overlap_lets_both_keys_work_until_the_old_one_ends(partner, supervisor):
    api_key, old = issue_key(partner, name="call centre", scopes=CASE_SCOPES, actor=None)

    _, new = rotate_key(api_key, actor=supervisor, overlap=dt.timedelta(hours=24))

    assert bearer(old).get(LIST_URL).status_code == 200
    assert bearer(new).get(LIST_URL).status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert (
        timezone.now() + dt.timedelta(hours=23)
        < api_key.expires_at
        <= timezone.now() + dt.timedelta(hours=24)
    )


# Scopes


def test_a_read_only_key_reads_but_may_not_file(partner):
    client = bearer(key_for(partner, [ApiScope.COMPLAINTS_READ]))

    assert client.get(LIST_URL).status_code == 200
    error = assert_error(client.post(LIST_URL, {}, format="json"), 403, "permission_denied")
    assert "complaints:write" in error["message"]


def test_a_key_for_one_case_type_does_not_open_another(partner):
    client = bearer(key_for(partner, [ApiScope.REFUND_CASES_WRITE]))

    assert client.get("/api/v1/refund-cases/").status_code == 200
    error = assert_error(client.get(LIST_URL), 403, "permission_denied")
    assert "complaints:read or complaints:write" in error["message"]
    assert_error(client.get("/api/v1/account-requests/"), 403, "permission_denied")


def test_settlement_reports_are_only_for_the_payments_system(partner):
    with pytest.raises(ValidationError) as refused:
        check_scopes(partner, [ApiScope.SETTLEMENTS_REPORT])
    assert "payments system" in str(refused.value)
    with pytest.raises(ValidationError):
        check_scopes(partner, ["complaints:delete"])
    with pytest.raises(ValidationError):
        check_scopes(partner, [])


def test_scopes_are_kept_in_one_order_without_repeats(partner):
    assert check_scopes(partner, ["refund-cases:read", "complaints:write", "complaints:write"]) == [
        "complaints:write",
        "refund-cases:read",
    ]


# Signed requests


def signed(
    key: str, secret: str, method: str, path: str, body: bytes, *, at: dt.datetime | None = None
) -> dict:
    at = at or timezone.now()
    timestamp = int(at.timestamp())
    return {
        "HTTP_AUTHORIZATION": f"Bearer {key}",
        "HTTP_SIGNATURE_TIMESTAMP": str(timestamp),
        "HTTP_SIGNATURE": webhooks.sign(secret, signed_message_id(method, path), timestamp, body),
    }


@pytest.fixture
def signing_key(partner):
    api_key, key = issue_key(partner, name="signed", scopes=CASE_SCOPES, actor=None, signed_requests=True)
    assert api_key.signing_secret.startswith("whsec_")
    return key, api_key.signing_secret


def test_a_signing_key_refuses_unsigned_requests(signing_key):
    key, _ = signing_key

    error = assert_error(bearer(key).get(LIST_URL), 401, "authentication_failed")

    assert "Signature-Timestamp" in error["message"]


def test_a_signed_request_passes_and_covers_method_path_query_and_body(signing_key, partner):
    key, secret = signing_key
    client = APIClient()
    path = LIST_URL + "?state=received"

    assert client.get(path, **signed(key, secret, "GET", path, b"")).status_code == 200
    # The same signature on another query, another method or another body is refused.
    headers = signed(key, secret, "GET", path, b"")
    assert_error(client.get(LIST_URL + "?state=closed", **headers), 401, "authentication_failed")
    body = json.dumps({"reason": "customer withdrew"}).encode()
    complaint = file_complaint(partner)
    url = f"/api/v1/complaints/{complaint.reference}/withdraw/"
    headers = signed(key, secret, "POST", url, body)
    tampered = json.dumps({"reason": "customer withdrew!"})
    assert_error(
        client.post(url, tampered, content_type="application/json", **headers), 401, "authentication_failed"
    )
    response = client.post(url, body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "withdrawn"


def test_a_stale_signature_cannot_be_replayed(signing_key):
    key, secret = signing_key
    headers = signed(key, secret, "GET", LIST_URL, b"", at=timezone.now() - dt.timedelta(minutes=6))

    error = assert_error(APIClient().get(LIST_URL, **headers), 401, "authentication_failed")

    assert "too old" in error["message"]


def test_a_signed_request_replayed_with_identical_headers_is_refused_and_files_nothing(
    shared_cache, signing_key
):
    key, secret = signing_key
    body = json.dumps(
        {"category": "other", "customer_name": "Li", "customer_phone": "13800138000", "description": "x"}
    ).encode()
    headers = signed(key, secret, "POST", LIST_URL, body)
    client = APIClient()

    first = client.post(LIST_URL, body, content_type="application/json", **headers)
    replayed = client.post(LIST_URL, body, content_type="application/json", **headers)

    assert first.status_code == 201, first.content
    error = assert_error(replayed, 401, REPLAYED_CODE)
    assert "already received" in error["message"]
    assert replayed["WWW-Authenticate"] == 'Bearer realm="api"'
    assert Complaint.objects.count() == 1
    # Extra candidates in the header make no new signature: the one that matched is remembered.
    padded = {**headers, "HTTP_SIGNATURE": headers["HTTP_SIGNATURE"] + " v1,AAAA"}
    assert_error(client.post(LIST_URL, body, content_type="application/json", **padded), 401, REPLAYED_CODE)
    # Signed afresh (another second), the same request goes through.
    later = signed(key, secret, "POST", LIST_URL, body, at=timezone.now() + dt.timedelta(seconds=1))
    assert client.post(LIST_URL, body, content_type="application/json", **later).status_code == 201


def test_a_used_signature_is_remembered_in_the_shared_cache_for_its_validity_window(
    shared_cache, signing_key
):
    key, secret = signing_key
    api_key = PartnerApiKey.objects.get(signing_secret=secret)
    signed_at = timezone.now() - dt.timedelta(seconds=100)
    headers = signed(key, secret, "GET", LIST_URL, b"", at=signed_at)

    assert APIClient().get(LIST_URL, **headers).status_code == 200

    remembered = signature_id(api_key.pk, headers["HTTP_SIGNATURE"])
    assert cache.get(remembered) is not None
    if shared_cache == "redis":
        import redis

        (name,) = redis.Redis.from_url(settings.CACHE_URL).keys(f"*{remembered}")
        ttl = redis.Redis.from_url(settings.CACHE_URL).ttl(name)
        # Accepted until 300 s after signing (200 s from now), plus the clocks' margin.
        assert 200 <= ttl <= 200 + 60 + 1


def test_of_simultaneous_uses_of_one_signature_exactly_one_is_the_first(shared_cache):
    outcomes = race(*[lambda: first_use("api-signature:race", timeout=60)] * 20)

    assert sorted(outcomes) == [False] * 19 + [True]


# Throttling


def test_a_partner_over_its_rate_gets_429_with_retry_after_and_others_do_not(partner, other_partner):
    partner.rate_limit = "2/minute"
    partner.save()
    client, other = bearer(key_for(partner)), bearer(key_for(other_partner))

    assert [client.get(LIST_URL).status_code for _ in range(2)] == [200, 200]
    response = client.get(LIST_URL)

    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert other.get(LIST_URL).status_code == 200, "each partner has its own allowance"
    # The allowance is the partner's, whichever of its keys calls.
    assert_error(bearer(key_for(partner)).get(LIST_URL), 429, "throttled")


def throttle_burst(partner, requests: int) -> list[bool]:
    """What the throttle answers ``requests`` callers of the partner's arriving at once."""
    partner.user.partner  # noqa: B018 -- loaded here, so the racers read no database
    request = SimpleNamespace(user=partner.user)
    return race(*[lambda: PartnerRateThrottle().allow_request(request, None)] * requests)


def test_of_150_simultaneous_requests_exactly_the_allowance_is_let_through(shared_cache, partner):
    partner.rate_limit = "60/minute"
    partner.save()

    outcomes = throttle_burst(partner, 150)

    assert outcomes.count(True) == 60
    refused = PartnerRateThrottle()
    assert refused.allow_request(SimpleNamespace(user=partner.user), None) is False
    assert 59 <= refused.wait() <= 60, "Retry-After: the rest of the window that opened just now"


def test_the_allowance_opens_again_when_its_window_ends(shared_cache, partner):
    partner.rate_limit = "3/second"
    partner.save()
    request = SimpleNamespace(user=partner.user)

    assert [PartnerRateThrottle().allow_request(request, None) for _ in range(4)] == [True] * 3 + [False]
    time.sleep(2.1)

    assert PartnerRateThrottle().allow_request(request, None) is True


def post_json(url: str, key: str, body: dict) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@pytest.mark.postgres
def test_postgres_150_simultaneous_creates_on_gunicorn_file_exactly_the_allowance(
    transactional_db, django_db_serialized_rollback, partner, tmp_path
):
    """As production runs: several gunicorn processes, each with threads, counting in Redis."""
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    require_service(settings.CACHE_URL.startswith("redis"), "the shared Redis cache (CACHE_URL)")
    partner.rate_limit = "60/minute"
    partner.save()
    key = key_for(partner)
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "test-only-throttle-burst-key",
        "PAYMENTS_SIGNING_SECRET": "whsec_dGVzdC1vbmx5LXRocm90dGxlLWJ1cnN0",
        "DATABASE_URL": database_url_in_use(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": settings.CACHE_URL,
        "VAR_DIR": str(tmp_path / "var"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "3",
        "WEB_THREADS": "4",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [Path(sys.executable).parent / "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    body = {"category": "other", "customer_name": "Li", "customer_phone": "13800138000", "description": "x"}
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(f"{base}/healthz/", timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
                time.sleep(0.2)
        cache.clear()  # the health checks counted nothing, but start from nothing anyway

        answers = race(*[lambda: post_json(f"{base}{LIST_URL}", key, body)] * 150, timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = [status for status, _ in answers]
    assert (statuses.count(201), statuses.count(429)) == (60, 90), statuses
    assert Complaint.objects.filter(partner=partner).count() == 60
    assert all(1 <= int(headers["Retry-After"]) <= 60 for status, headers in answers if status == 429)


def test_throttle_counts_live_in_the_shared_cache(partner):
    """In CI (as in production) the counts are in Redis, where every web process sees them."""
    require_service(settings.CACHE_URL.startswith("redis"), "the shared Redis cache (CACHE_URL)")
    import redis

    partner.rate_limit = "50/minute"
    partner.save()
    client = bearer(key_for(partner))
    for _ in range(3):
        client.get(LIST_URL)

    direct = redis.Redis.from_url(settings.CACHE_URL)
    stored = [name for name in direct.keys("*throttle_partner_*") if name.endswith(f"_{partner.pk}".encode())]
    assert len(stored) == 1, "one count per partner, readable by any process"
    assert cache.get(f"throttle_partner_{partner.pk}") is not None


# The admin


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x-not-used-x")


def shown_once(page) -> list[str]:
    return re.findall(r'<code class="secret-once"[^>]*>([^<]+)</code>', page.content.decode())


def test_the_admin_issues_a_key_and_shows_it_once(client, superuser, partner):
    client.force_login(superuser)
    form = {"partner": partner.pk, "name": "call centre", "scopes": ["complaints:write", "refund-cases:read"]}

    page = client.post(reverse("admin:casework_partnerapikey_add"), form)

    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    (key,) = shown_once(page)
    api_key = PartnerApiKey.objects.get()
    assert (api_key.scopes, api_key.created_by, api_key.key_hash) == (
        ["complaints:write", "refund-cases:read"],
        superuser,
        key_hash(key),
    )
    assert bearer(key).get(LIST_URL).status_code == 200
    for url in (
        reverse("admin:casework_partnerapikey_changelist"),
        reverse("admin:casework_partnerapikey_change", args=[api_key.pk]),
        reverse("admin:casework_partner_change", args=[partner.pk]),
    ):
        later = client.get(url)
        assert later.status_code == 200
        assert key not in later.content.decode() and f"bo_{api_key.prefix}_" in later.content.decode()


def test_the_admin_issues_a_signing_secret_with_a_key_that_signs(client, superuser, partner):
    client.force_login(superuser)
    form = {"partner": partner.pk, "name": "signed", "scopes": ["complaints:read"], "signed_requests": "on"}

    key, secret = shown_once(client.post(reverse("admin:casework_partnerapikey_add"), form))

    assert secret == PartnerApiKey.objects.get().signing_secret
    assert_error(bearer(key).get(LIST_URL), 401, "authentication_failed")
    assert APIClient().get(LIST_URL, **signed(key, secret, "GET", LIST_URL, b"")).status_code == 200


def test_the_admin_refuses_settlement_reports_for_a_partner_and_bad_input_loses_nothing(
    client, superuser, partner
):
    client.force_login(superuser)
    form = {
        "partner": partner.pk,
        "name": "call centre",
        "scopes": ["complaints:read", "settlements:report"],
        "expires_at_0": "2020-01-01",
        "expires_at_1": "00:00:00",
    }

    page = client.post(reverse("admin:casework_partnerapikey_add"), form)

    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert "payments system" in errors["scopes"][0]
    assert "future" in errors["expires_at"][0]
    assert page.context["adminform"].form["name"].value() == "call centre", "what was typed stays"
    assert not PartnerApiKey.objects.exists()


def test_the_admin_rotates_with_a_day_of_overlap_and_revokes(client, superuser, partner):
    api_key, old = issue_key(partner, name="call centre", scopes=CASE_SCOPES, actor=None)
    client.force_login(superuser)
    changelist = reverse("admin:casework_partnerapikey_changelist")

    (new,) = shown_once(client.post(changelist, {"action": "rotate_keys", "_selected_action": [api_key.pk]}))

    assert bearer(new).get(LIST_URL).status_code == 200
    assert bearer(old).get(LIST_URL).status_code == 200, "the old key works for the overlap"

    client.post(changelist, {"action": "revoke_keys", "_selected_action": [api_key.pk]})

    assert_error(bearer(old).get(LIST_URL), 401, "authentication_failed")
    assert bearer(new).get(LIST_URL).status_code == 200
    assert PartnerApiKey.objects.get(pk=api_key.pk).revoked_by == superuser


def test_staff_without_the_right_cannot_see_or_issue_keys(client, agent, partner):
    client.force_login(agent)

    assert client.get(reverse("admin:casework_partnerapikey_changelist")).status_code == 403
    assert client.post(reverse("admin:casework_partnerapikey_add"), {}).status_code == 403
