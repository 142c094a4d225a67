"""What a transition's or step's page shows, read from its HTML as a person would see it:
one heading, the case's summary box, the form's rows with their errors, the button worded
as the action and Cancel back to the case (casework.admin.actions)."""

from __future__ import annotations

import re
from html import unescape

from django.db.models import Model

from casework.tests.admin import admin_url, visible_text


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"(?s)<[^>]+>", " ", html)).split())


def headings(response) -> list[str]:
    return [_text(h1) for h1 in re.findall(r"(?s)<h1\b[^>]*>(.*?)</h1>", response.content.decode())]


def summary(response) -> str:
    """The words of the case's summary box."""
    found = re.search(r'(?s)<section class="case-summary".*?</section>', response.content.decode())
    assert found, "no case summary on the page"
    return _text(found.group(0))


def form_row(response, field: str) -> str:
    """The HTML of the form row that holds ``field``: its label, input, errors and help."""
    html = response.content.decode()
    row = rf'<div class="form-row[^"]*\bfield-{field}\b[^"]*">'
    found = re.search(rf'(?s){row}(.*?)</div>\s*(?=<div class="form-row|</fieldset>)', html)
    assert found, f"no form row for {field!r}"
    return found.group(0)


def row_errors(response, field: str) -> list[str]:
    row = form_row(response, field)
    return [_text(item) for item in re.findall(r'(?s)<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', row)]


def top_errors(response) -> str:
    """The error note above the form ("" when there is none)."""
    found = re.search(r'(?s)<p class="errornote">(.*?)</p>', response.content.decode())
    return _text(found.group(1)) if found else ""


def submit_row(response) -> str:
    found = re.search(r'(?s)<div class="submit-row">(.*?)</div>', response.content.decode())
    assert found, "no submit row"
    return found.group(1)


def assert_finished_form(response, case: Model, action: str, *, summary_shows: tuple[str, ...] = ()) -> None:
    """The page of ``action`` on ``case``: one heading naming both, the summary box (the
    reference, the state and what ``summary_shows``), a button reading ``action`` and
    Cancel back to the case."""
    assert response.status_code == 200, response.status_code
    assert headings(response) == [f"{action} — {case}"]
    shown = summary(response)
    for words in (str(case), case.get_state_display(), *summary_shows):
        assert words in shown, f"{words!r} not in the summary: {shown}"
    buttons = submit_row(response)
    assert re.search(rf'<input type="submit" value="{re.escape(action)}" class="default"', buttons), buttons
    assert f'<a href="{admin_url(case)}" class="closelink">Cancel</a>' in buttons, buttons
    assert "Apply" not in visible_text(response)


def assert_view_only_page_goes_back_to_the_list(response) -> None:
    buttons = submit_row(response)
    assert "Back to list" in _text(buttons), buttons
    assert "Close" not in _text(buttons), buttons
