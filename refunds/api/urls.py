"""The refund routes, mounted at /api/v1/ by config/urls.py: partners' refund cases and the
payments system's instructions and provisional credits."""

from rest_framework.routers import SimpleRouter

from .provisional import ProvisionalCreditViewSet
from .views import PaymentInstructionViewSet, RefundCaseViewSet

router = SimpleRouter()
router.register("refund-cases", RefundCaseViewSet, basename="refund-case")
router.register("payment-instructions", PaymentInstructionViewSet, basename="payment-instruction")
router.register("provisional-credits", ProvisionalCreditViewSet, basename="provisional-credit")

urlpatterns = router.urls
