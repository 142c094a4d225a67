"""The partner API's complaint routes, mounted at /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from .views import ComplaintViewSet

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")

urlpatterns = router.urls
