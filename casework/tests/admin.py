"""What every staff-door test does: find a case's admin page, act on a transition's form
as the user saw it, and read the messages and the changelist rows the user is shown."""

from __future__ import annotations

import re
from html import unescape

from django.contrib.messages import get_messages
from django.db.models import Model
from django.urls import reverse


def admin_url(case: Model, view: str = "change", *args: str) -> str:
    """The case's change, transition, step or history page (``view`` as in the admin's URL
    names, ``args`` after the case's key: the transition's name or the step's slug)."""
    meta = case._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[case.pk, *args])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def act(client, url: str, **data):
    """Open a transition's or step's page and post its form as the user saw it."""
    page = client.get(url)
    assert page.status_code == 200, messages_of(page)
    form = page.context["transition_form"]
    seen = {"version": form["version"].value()} if "version" in form.fields else {}
    return client.post(url, {**seen, **data}, follow=True)


def results(response) -> list:
    """The rows a changelist shows."""
    return list(response.context["cl"].result_list)


def visible_text(response, status: int = 200) -> str:
    """What the page shows a person: no markup, scripts, styles or attribute values."""
    assert response.status_code == status, (response.status_code, messages_of(response))
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(re.sub(r"(?s)<[^>]+>", " ", html)))


def forbidden(response) -> str:
    """A write refused for who the user is: a 403 page, whose words this returns."""
    return visible_text(response, status=403)


def assert_chinese(text: str, *, shows: tuple[str, ...], hides: tuple[str, ...] = ()) -> None:
    for chinese in shows:
        assert chinese in text, f"{chinese!r} is not shown"
    for english in hides:
        assert english not in text, f"still in English: {english!r}"
