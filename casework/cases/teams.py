"""Looking up the desks that own and receive cases."""

from django.utils.translation import gettext

from casework.core.errors import InvalidInput
from casework.models import Team


def team_for_code(code: str) -> Team:
    try:
        return Team.objects.get(code=code)
    except Team.DoesNotExist as error:
        raise InvalidInput(
            gettext("There is no team '%(code)s'; add it in the admin.") % {"code": code}, field="team"
        ) from error
