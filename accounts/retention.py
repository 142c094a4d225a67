"""What retention pseudonymises in an account request once its period ends
(``casework.privacy.retention``): the customer's words and the authentication evidence.
The wallet account itself is the wallet's record, kept by its own rules."""

from __future__ import annotations

from casework.models.kinds import Personal, Retention
from casework.models.retention import PSEUDONYMISED

from .models import ENDED_REQUEST_STATES, AccountRequest, AuthenticationEvidence


def identifiers(request: AccountRequest) -> tuple[str, ...]:
    account = request.account
    return tuple(value for value in (account.holder_name, account.account_number) if value)


RETENTION = Retention(
    ended_states=ENDED_REQUEST_STATES,
    ended_at="updated_at",
    personal=(
        Personal(AccountRequest, {"customer_statement": PSEUDONYMISED, "explanation_given": PSEUDONYMISED}),
        Personal(AuthenticationEvidence, {"note": PSEUDONYMISED}, case_field="request", file_field="file"),
    ),
    identifiers=identifiers,
)
