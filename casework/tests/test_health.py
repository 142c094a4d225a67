"""The health endpoint answers for the database and the broker this process really uses."""

from __future__ import annotations

import socket

import pytest


def test_healthy_when_the_database_and_the_broker_answer(client, db):
    response = client.get("/healthz/")

    assert response.status_code == 200, response.content
    assert response.json() | {"took_ms": 0} == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "took_ms": 0,
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def unreachable_broker(settings):
    """The broker's address swapped for a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"


def test_503_naming_the_broker_when_it_does_not_answer(client, db, unreachable_broker):
    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"


def test_only_get(client, db):
    assert client.post("/healthz/").status_code == 405
