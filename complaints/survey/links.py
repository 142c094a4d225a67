"""The survey link the decision notice carries: ``PUBLIC_BASE_URL/survey/<token>/``.

The token is the complaint's reference, dated and signed (``TimestampSigner`` under a salt
of its own, so no other signed value of the site opens it): ``CMP-20261124-000123.<time>.<mac>``.
Nothing else about the customer is in the address. It is refused once older than
``SURVEY_LINK_DAYS``, or when a character of it was changed.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint

SALT = "complaints.survey.link"
# Not in a reference nor in signing's base64 alphabet; a colon reads badly in an SMS.
SEPARATOR = "."


class SurveyLinkRefused(Exception):
    """The link does not open a survey; ``status`` is the page's HTTP status."""

    status = 400


class SurveyLinkTampered(SurveyLinkRefused):
    status = 400


class SurveyLinkExpired(SurveyLinkRefused):
    status = 410


class _DatedSigner(signing.TimestampSigner):
    """Signs as of ``issued_at`` (the moment the complaint was resolved, or now)."""

    def __init__(self, issued_at: dt.datetime | None = None) -> None:
        super().__init__(salt=SALT, sep=SEPARATOR)
        self.issued_at = issued_at

    def timestamp(self) -> str:
        seconds = self.issued_at.timestamp() if self.issued_at is not None else time.time()
        return signing.b62_encode(int(seconds))


def survey_token(complaint: Complaint, *, issued_at: dt.datetime | None = None) -> str:
    """The signed token naming ``complaint``, valid ``SURVEY_LINK_DAYS`` from ``issued_at``
    (now unless given)."""
    return _DatedSigner(issued_at).sign(complaint.reference)


def survey_url(complaint: Complaint, *, issued_at: dt.datetime | None = None) -> str:
    """The absolute address of ``complaint``'s survey page, for the decision notice."""
    path = reverse("survey", kwargs={"token": survey_token(complaint, issued_at=issued_at)})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def reference_from_token(token: str) -> str:
    """The reference the token names; :class:`SurveyLinkExpired` or :class:`SurveyLinkTampered`."""
    max_age = dt.timedelta(days=settings.SURVEY_LINK_DAYS)
    try:
        return _DatedSigner().unsign(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise SurveyLinkExpired(str(error)) from error
    except signing.BadSignature as error:
        raise SurveyLinkTampered(str(error)) from error


def complaint_for_token(token: str, *, for_update: bool = False) -> Complaint:
    reference = reference_from_token(token)
    complaints = Complaint.objects.select_for_update() if for_update else Complaint.objects
    try:
        return complaints.get(reference=reference)
    except Complaint.DoesNotExist as error:  # signed by us, for a case no longer here
        raise SurveyLinkTampered(reference) from error


def expires_at(token: str) -> dt.datetime | None:
    """When the token stops opening the survey (for the page's footer); None if unreadable."""
    try:
        stamp = token.split(SEPARATOR)[-2]
        issued = dt.datetime.fromtimestamp(signing.b62_decode(stamp), tz=dt.UTC)
    except (IndexError, ValueError):
        return None
    return timezone.localtime(issued + dt.timedelta(days=settings.SURVEY_LINK_DAYS))
