"""Why a use case was refused, in words staff and partners can act on.

The admin shows ``message``; the API maps each class to its status code.
"""


class CaseworkError(Exception):
    """Base of every refusal a service raises."""

    code = "refused"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionRefused(CaseworkError):
    """The case is not in a state, or lacks a condition, for this transition (API 409)."""

    code = "illegal_transition"


class PermissionRefused(CaseworkError):
    """The actor may not run this use case (API 403)."""

    code = "permission_denied"


class ConcurrentChange(CaseworkError):
    """Someone changed the case since the actor read it (API 409)."""

    code = "concurrent_change"


class InvalidInput(CaseworkError):
    """A value the use case needs is missing or wrong (API 400, naming the field)."""

    code = "invalid"
