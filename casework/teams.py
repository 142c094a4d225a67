"""Looking up the desks that own and receive cases."""

from .errors import InvalidInput
from .models import Team


def team_for_code(code: str) -> Team:
    try:
        return Team.objects.get(code=code)
    except Team.DoesNotExist as error:
        raise InvalidInput(f"There is no team '{code}'; add it in the admin.", field="team") from error
