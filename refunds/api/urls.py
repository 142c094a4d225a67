"""The refund routes, mounted at /api/v1/ by config/urls.py: partners' refund cases and the
payments system's instructions."""

from rest_framework.routers import SimpleRouter

from .views import PaymentInstructionViewSet, RefundCaseViewSet

router = SimpleRouter()
router.register("refund-cases", RefundCaseViewSet, basename="refund-case")
router.register("payment-instructions", PaymentInstructionViewSet, basename="payment-instruction")

urlpatterns = router.urls
