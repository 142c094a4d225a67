from rest_framework.permissions import BasePermission


class IsPartner(BasePermission):
    """The caller is an active partner's API user."""

    message = "These credentials do not belong to an active partner."

    def has_permission(self, request, view) -> bool:
        partner = getattr(request.user, "partner", None) if request.user.is_authenticated else None
        return bool(partner and partner.is_active)
