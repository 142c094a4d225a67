"""Login lockouts (django-axes) in the admin: supervisors read the attempts and lift a lock
by deleting its row; auditors only read. Axes offers its clean-up action to anyone who can
see the list; here it needs the right to delete, like every other write."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from casework.admin.base import RefusedWritesForbidden

for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class LockoutAdmin(RefusedWritesForbidden, AccessAttemptAdmin):
    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_delete_permission(request):
            actions.pop("cleanup_expired_attempts", None)
        return actions


@admin.register(AccessLog)
class LoginLogAdmin(RefusedWritesForbidden, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class LoginFailureLogAdmin(RefusedWritesForbidden, AccessFailureLogAdmin):
    pass
