"""The demo's published credentials, and the one rule that keeps them out of a real system.

``load_demo`` makes a login for every role with a password printed on the console (and in
the README's walk-through), and partner API keys built from the partner's code. Anyone who
has read the README knows them, so outside the demo (``settings.DEMO`` off) they are
refused wherever they are presented, even if demo data was once loaded into the database:
the admin login (``casework.access.backends.ModelBackend``) and the partner API
(``casework.partners.credentials.authenticate_key``).

Imports only Django and ``casework.access.roles``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from casework.access import roles

logger = logging.getLogger(__name__)

DEMO_KEY_SUFFIX = "-demo-only-key"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str | None  # None: the superuser
    first_name: str
    last_name: str
    password: str  # demo only, printed on the console


STAFF = (
    DemoLogin("admin", None, "Wei", "Zhang", "admin-demo-only"),
    DemoLogin("agent", roles.AGENT, "Fang", "Wang", "agent-demo-only"),
    DemoLogin("technician", roles.TECHNICAL_TEAM, "Jie", "Chen", "technician-demo-only"),
    DemoLogin("complaints", roles.COMPLAINTS_DEPARTMENT, "Yang", "Liu", "complaints-demo-only"),
    DemoLogin("supervisor", roles.SUPERVISOR, "Min", "Huang", "supervisor-demo-only"),
    DemoLogin("risk", roles.RISK_OFFICER, "Lin", "Ma", "risk-demo-only"),
    DemoLogin("refunds", roles.REFUNDS_DESK, "Hui", "Zhou", "refunds-demo-only"),
    DemoLogin("auditor", roles.AUDITOR, "Li", "Sun", "auditor-demo-only"),
)
_PUBLISHED_PASSWORDS = {login.username: login.password for login in STAFF}


def demo_key(code: str) -> str:
    """The demo partner's API key: fixed, so every run can print it (demo only)."""
    return f"bo_{code[:8].ljust(8, '0')}_{code}{DEMO_KEY_SUFFIX}"


def is_refused_demo_login(username: str | None, password: str | None) -> bool:
    """A published demo login presented outside the demo."""
    if settings.DEMO or not username or password is None:
        return False
    if _PUBLISHED_PASSWORDS.get(username) != password:
        return False
    logger.warning("Refused the published demo login %r: DEMO is off.", username)
    return True


def is_refused_demo_key(key: str) -> bool:
    """A published demo API key presented outside the demo."""
    if settings.DEMO or not key.endswith(DEMO_KEY_SUFFIX):
        return False
    logger.warning("Refused a published demo API key (%s…): DEMO is off.", key[:12])
    return True
