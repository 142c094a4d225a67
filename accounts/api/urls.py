"""The partner API's account-request routes, mounted at /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from .views import AccountRequestViewSet

router = SimpleRouter()
router.register("account-requests", AccountRequestViewSet, basename="account-request")

urlpatterns = router.urls
