"""The public survey page, ``/survey/<token>/``: no login, one answer per complaint.

A door like the others: it reads the link, draws the form or the page that says why not,
and hands the answer to ``services.answer_survey``. It speaks the complaint's language
(``customer_language``) unless the visitor switches (``?lang=en``). Each request counts
against the client address's allowance (``SURVEY_RATE_LIMIT``, django-ratelimit in the
default cache); over it, a 429 page. CSRF stays on: the GET sets the token the POST must
carry. Styles and nothing else come from the site's own static files (the CSP holds).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from casework.core.errors import InvalidInput
from casework.models import CustomerLanguage
from complaints.models import SurveyOutcome, SurveyResponse

from . import links, services
from .forms import SurveyForm

LANGUAGES = tuple(CustomerLanguage.values)


def client_address(group: str, request: HttpRequest) -> str:
    """The visitor's address: the one the load balancer saw (the last of X-Forwarded-For it
    appended, per ``AXES_PROXY_COUNT``, as the login lockout reads it), else the socket's."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT or 0
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate(group: str, request: HttpRequest) -> str:
    return settings.SURVEY_RATE_LIMIT


def _page(
    request: HttpRequest, template: str, context: dict, *, language: str, status: int = 200
) -> HttpResponse:
    query = request.GET.copy()
    switches = []
    for code, name in settings.LANGUAGES:
        if code in LANGUAGES:
            query["lang"] = code
            switches.append(
                {"code": code, "name": name, "url": f"?{query.urlencode()}", "is_current": code == language}
            )
    response = render(
        request,
        template,
        {**context, "language": language, "languages": switches},
        status=status,
    )
    response["Content-Language"] = language
    return response


def _language(request: HttpRequest, complaint=None) -> str:
    chosen = request.GET.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    if complaint is not None and complaint.customer_language in LANGUAGES:
        return complaint.customer_language
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in LANGUAGES else LANGUAGES[0]


@never_cache
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    if is_ratelimited(request, group="survey", key=client_address, rate=_rate, method=ALL, increment=True):
        language = _language(request)
        with translation.override(language):
            response = _page(request, "survey/limited.html", {}, language=language, status=429)
        response["Retry-After"] = "600"
        return response
    try:
        complaint = links.complaint_for_token(token)
    except links.SurveyLinkRefused as refusal:
        language = _language(request)
        with translation.override(language):
            return _page(
                request,
                "survey/refused.html",
                {"is_expired": isinstance(refusal, links.SurveyLinkExpired)},
                language=language,
                status=refusal.status,
            )
    language = _language(request, complaint)
    with translation.override(language):
        return _survey(request, token, complaint, language)


def _survey(request: HttpRequest, token: str, complaint, language: str) -> HttpResponse:
    context = {"reference": complaint.reference, "expires_at": links.expires_at(token)}
    refusal = services.rateable_refusal(complaint)
    if isinstance(refusal, services.AlreadyAnswered):
        return _answered(
            request, complaint, context, language, status=409 if request.method == "POST" else 200
        )
    if refusal is not None:
        return _page(request, "survey/not_rateable.html", context, language=language, status=409)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_survey(
                token=token, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except services.AlreadyAnswered:
            return _answered(request, complaint, context, language, status=409)
        except links.SurveyLinkRefused:  # expired between the form and the answer
            return _page(request, "survey/refused.html", {"is_expired": True}, language=language, status=410)
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # After a POST, a GET: reloading the thank-you page sends nothing again.
            return redirect(f"{request.path}?lang={language}")
    status = 400 if form.is_bound else 200
    return _page(request, "survey/form.html", {**context, "form": form}, language=language, status=status)


def _answered(request, complaint, context: dict, language: str, *, status: int) -> HttpResponse:
    response = SurveyResponse.objects.get(complaint=complaint)
    return _page(
        request,
        "survey/thanks.html",
        {
            **context,
            "is_reopened": response.outcome in (SurveyOutcome.REOPENED, SurveyOutcome.ESCALATED),
            "rating": response.rating,
        },
        language=language,
        status=status,
    )
