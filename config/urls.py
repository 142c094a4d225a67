from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from casework.admin import customers, team, workspace
from casework.intake import webhooks as intake_webhooks
from casework.ops import demo_payments, health
from casework.partners.errors import no_such_endpoint
from complaints.returns import views as returns_views

# The API docs draw with inline styles (ReDoc also renders in a worker it makes from a blob):
# their two pages alone relax the site's Content-Security-Policy for that, no inline script.
docs_csp = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

# Under /api/ a path no route matches answers in the API's error shape, not an HTML page:
# the last route below, whatever DEBUG says; handler404 for a 404 raised elsewhere.
handler404 = "casework.partners.errors.not_found"
# A refusal in the admin keeps the admin's header: the user's tools and the way home.
handler403 = "casework.admin.refusals.permission_denied"

admin.site.site_header = _("Wallet complaints back office")
admin.site.site_title = _("Back office")
admin.site.index_title = _("Cases")
# There is no public site behind the back office: no "View site" link into a 404.
admin.site.site_url = None

urlpatterns = [
    # My work, the clerks' landing page, in the admin's look (casework.admin.workspace).
    *(path(route, view, name=name) for route, view, name in workspace.urls),
    # The supervisors' team view beside it (casework.admin.team).
    *(path(route, view, name=name) for route, view, name in team.urls),
    # The customer's page: every case of one customer, and the search for one (casework.admin.customers).
    *(path(route, view, name=name) for route, view, name in customers.urls),
    # The regulatory returns, in the admin's look (complaints.returns.views).
    *(path(route, view, name=name) for route, view, name in returns_views.urls),
    path("admin/", admin.site.urls),
    # For the load balancer: the database and the broker answer (200), or which does not (503).
    path("healthz/", health.healthz, name="healthz"),
    # set_language: the admin header's language choice.
    path("i18n/", include("django.conf.urls.i18n")),
    # The customers' satisfaction survey: public, signed links (complaints.survey).
    path("survey/", include("complaints.survey.urls")),
    path("api/v1/", include("complaints.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("refunds.api.urls")),
    # The schema and its docs are public, whatever credentials the caller sends.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path(
        "api/docs/",
        # Its start-up script comes from this URL (?script), not inline.
        docs_csp(
            SpectacularSwaggerSplitView.as_view(
                url_name="schema", authentication_classes=[], permission_classes=[AllowAny]
            )
        ),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        docs_csp(
            SpectacularRedocView.as_view(
                url_name="schema", authentication_classes=[], permission_classes=[AllowAny]
            )
        ),
        name="api-redoc",
    ),
    # Customers' replies: an e-mail provider's inbound webhook (django-anymail's routes, each
    # checking its provider's signature; the signal files the mail) and the SMS gateway's.
    path("inbound/email/", include("anymail.urls")),
    path("inbound/sms/", intake_webhooks.sms_inbound, name="inbound-sms"),
    # Last of the API's: any other path under /api/ (see handler404 above).
    re_path(r"^api/", no_such_endpoint, name="api-no-such-endpoint"),
]

if settings.DEMO_PAYMENTS_RECEIVER:
    # The stand-in payments system that `make run` sends payment instructions to.
    urlpatterns.append(
        path(
            "demo/payments/instructions/",
            demo_payments.receive_instruction,
            name="demo-payments-instructions",
        )
    )
