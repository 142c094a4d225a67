from rest_framework.permissions import SAFE_METHODS, BasePermission

from casework.models import ApiScope, PartnerApiKey


class IsPartner(BasePermission):
    """The caller is an active partner's API user."""

    message = "These credentials do not belong to an active partner."

    def has_permission(self, request, view) -> bool:
        partner = getattr(request.user, "partner", None) if request.user.is_authenticated else None
        return bool(partner and partner.is_active)


def scopes_allowing(api_scope: str, method: str) -> set[str]:
    """The scopes any one of which lets a key make this call: reading needs read or write on
    the case type; anything else needs write. Settlement reports have one scope for both."""
    if api_scope == "settlements":
        return {ApiScope.SETTLEMENTS_REPORT}
    if method in SAFE_METHODS:
        return {f"{api_scope}:read", f"{api_scope}:write"}
    return {f"{api_scope}:write"}


class HasKeyScope(BasePermission):
    """The API key used carries a scope for this case type and this kind of call
    (the view names its case type in ``api_scope``)."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, PartnerApiKey):
            self.message = "Call with a partner API key: Authorization: Bearer <key>."
            return False
        needed = scopes_allowing(view.api_scope, request.method)
        if needed & set(api_key.scopes):
            return True
        self.message = (
            f"This API key lacks the scope for this call: it needs {' or '.join(sorted(needed))}; "
            f"it has {', '.join(api_key.scopes) or 'none'}."
        )
        return False
