"""The URLconf the create benchmark serves: the project's own, plus a bare DRF create view.

The bare view is what a first draft of the endpoint would be: the same key
authentication and scope check, a ``ModelSerializer`` that inserts the complaint (with
the SLA clock row the table requires) and nothing else: no category rules, no policy
matching on business days, no reference numbering, no transition record, no
idempotency. It writes the same table shape, history rows included.
"""

from __future__ import annotations

import uuid

from django.urls import include, path
from django.utils import timezone
from rest_framework import generics, serializers

from casework.models import SlaClock, SlaPolicy, Team
from casework.partners.authentication import PartnerKeyAuthentication
from casework.partners.permissions import HasKeyScope, IsPartner
from complaints.models import Complaint

BARE_PATH = "bench/bare-complaints/"


class BareComplaintSerializer(serializers.ModelSerializer):
    class Meta:
        model = Complaint
        fields = [
            "reference",
            "category",
            "customer_name",
            "customer_phone",
            "account_number",
            "description",
            "transaction_at",
            "amount",
            "transaction_reference",
            "merchant",
        ]
        read_only_fields = ["reference"]


class BareComplaintCreate(generics.CreateAPIView):
    serializer_class = BareComplaintSerializer
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [IsPartner, HasKeyScope]
    throttle_classes = []
    api_scope = "complaints"

    def perform_create(self, serializer) -> None:
        policy = SlaPolicy.objects.filter(case_type="complaint", is_active=True).first()
        now = timezone.now()
        clock = SlaClock.objects.create(
            policy=policy,
            started_at=now,
            first_response_due_at=now,
            resolution_due_at=now,
            resolution_warn_at=now,
        )
        serializer.save(
            reference=f"BARE-{uuid.uuid4().hex[:20]}",
            partner=self.request.user.partner,
            registered_by=self.request.user,
            team=Team.objects.get(code="frontline"),
            channel="partner_api",
            sla_clock=clock,
        )


urlpatterns = [
    path(BARE_PATH, BareComplaintCreate.as_view()),
    path("", include("config.urls")),
]
