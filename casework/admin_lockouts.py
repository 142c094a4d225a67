"""Login lockouts (django-axes) in the admin: supervisors read the attempts and lift a lock
by deleting its row; auditors only read. Axes offers its clean-up action to anyone who can
see the list; here it needs the right to delete, like every other write."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_delete_permission(request):
            actions.pop("cleanup_expired_attempts", None)
        return actions
