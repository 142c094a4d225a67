from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

admin.site.site_header = "Wallet complaints back office"
admin.site.site_title = "Back office"
admin.site.index_title = "Cases"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("complaints.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    # The schema and its docs are public, whatever credentials the caller sends.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(
            url_name="schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="api-redoc",
    ),
]
