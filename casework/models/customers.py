"""Who a case's customer is: one ``Customer`` per person, found by what the agent verified
(the wallet account, the phone) and never by the free-text name; the e-mail address finds
one only where the case knows neither. The rule that links a case to its customer is in
``casework.customers.identity``.

A customer record holds no name and no text: only the identifiers that found it, each
taken by one customer at most. Retention (``casework.privacy``) pseudonymises the
identifiers of a customer whose cases have all expired and marks the record.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class IdentifierKind(models.TextChoices):
    # In the order a case's identifiers find its customer: the account first.
    ACCOUNT = "account", _("wallet account")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail address")


class Customer(models.Model):
    """One person the back office has cases of, whatever their type."""

    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    pseudonymised_at = models.DateTimeField(null=True, blank=True, verbose_name=_("pseudonymised at"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return gettext("customer #%(id)s") % {"id": self.pk}


class CustomerIdentifier(models.Model):
    """A wallet account number, a phone in E.164 or an e-mail address (lower case) that
    names one customer."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="identifiers", verbose_name=_("customer")
    )
    kind = models.CharField(max_length=10, choices=IdentifierKind.choices, verbose_name=_("kind"))
    value = models.CharField(max_length=254, verbose_name=_("value"))
    first_seen_at = models.DateTimeField(default=timezone.now, verbose_name=_("first seen at"))

    class Meta:
        verbose_name = _("customer identifier")
        verbose_name_plural = _("customer identifiers")
        ordering = ["customer", "kind", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="one_customer_per_identifier")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def reference(self) -> str:
        """What a reveal of the value is logged under: the customer, never the value."""
        return gettext("customer #%(id)s") % {"id": self.customer_id}
