"""The complaints changelist's search box: what it found before (a reference or a name by
its beginning; a phone number, e-mail address, account number or transaction reference
whole, each by its own index: ``CaseAdmin.get_search_results``) or the full-text search
of ``complaints.search`` (words inside descriptions, merchants, notes and messages)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .search import matching_complaint_ids


class FullTextSearchAdminMixin:
    """Finds a complaint by an identifier or by the words written on it, in one list."""

    search_help_text = _(
        "A reference or a customer's name by its beginning; a phone number, e-mail address, "
        "account number or transaction reference in full; or words found in the description, "
        "merchant, notes and messages, Chinese too (every word must be found, capitals or not; "
        '"quotes" keep a phrase together).'
    )

    def get_search_results(self, request, queryset, search_term):
        found = matching_complaint_ids(search_term)
        if found is None:
            return super().get_search_results(request, queryset, search_term)
        # The identifiers' lookups and the words' each give ids by their own indexes; one
        # UNION of the two sets keeps every lookup an index scan (an OR of a field's match
        # and a subquery would read every complaint) and lists a complaint once.
        by_identifier, _duplicates = super().get_search_results(
            request, self.model._default_manager.all(), search_term
        )
        return queryset.filter(pk__in=by_identifier.order_by().values("pk").union(found)), False
