"""Linking the cases a database held before customers existed (a migration's operation).

The same rule as ``identity``, over a migration's historical models, for every case still
without a customer: the account finds the customer first, then the phone, the e-mail
address only alone. Rows are read and written in chunks, so a large table is filled in
bounded memory; a case with no keys stays without a customer.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import OuterRef, Subquery

from casework.customers.identity import Keys, finding

CHUNK = 2000


def link_cases(model_label: str, keys: Callable[[object], Keys], related: tuple[str, ...] = ()):
    """A ``RunPython`` function linking each ``model_label`` row to its customer by ``keys(row)``."""

    def run(apps, schema_editor) -> None:
        app_label, model_name = model_label.split(".")
        model = apps.get_model(app_label, model_name)
        customers = apps.get_model("casework", "Customer")
        identifiers = apps.get_model("casework", "CustomerIdentifier")
        held = {(row.kind, row.value): row.customer_id for row in identifiers.objects.all()}
        rows = model._base_manager.filter(customer__isnull=True).select_related(*related).order_by("pk")
        last = 0
        while True:
            chunk = list(rows.filter(pk__gt=last)[:CHUNK])
            if not chunk:
                return
            last = chunk[-1].pk
            for row in chunk:
                row_keys = keys(row)
                if not row_keys:
                    continue
                found = next((held[key] for key in finding(row_keys) if key in held), None)
                if found is None:
                    found = customers.objects.create().pk
                new = [key for key in row_keys if key not in held]
                identifiers.objects.bulk_create(
                    [identifiers(customer_id=found, kind=kind, value=value) for kind, value in new]
                )
                held.update(dict.fromkeys(new, found))
                row.customer_id = found
            model._base_manager.bulk_update(chunk, ["customer"])

    return run


def copy_from_complaint(model_label: str):
    """A ``RunPython`` function giving each ``model_label`` row its complaint's customer."""

    def run(apps, schema_editor) -> None:
        app_label, model_name = model_label.split(".")
        model = apps.get_model(app_label, model_name)
        complaints = apps.get_model("complaints", "Complaint")
        customer = complaints._base_manager.filter(pk=OuterRef("complaint_id")).values("customer_id")[:1]
        model._base_manager.filter(customer__isnull=True, complaint__isnull=False).update(
            customer_id=Subquery(customer)
        )

    return run
