"""A pytest plugin (``-p casework.tests.environment`` in pyproject.toml), loaded before
Django's settings are: what the test process, and every server or worker it starts, needs
from the environment whatever DEBUG says, and ``require_service``, how a test asks for a
service the environment may lack. Nothing here imports Django."""

import os

import pytest

# A fixed, published key: tests never depend on a key file under var/ (nor on DEBUG).
os.environ.setdefault("AUDIT_CHAIN_KEY", "74657374732d6f6e6c792d61756469742d636861696e2d6b65792d3332627974")

# The suite runs as the demo does (its published secrets, the demo payments receiver), while
# pytest-django keeps DEBUG off. Tests of the production profile start their processes with
# DEMO=false and secrets of their own.
os.environ.setdefault("DEMO", "true")


def require_service(available: bool, what: str) -> None:
    """Skip locally without the service; under CI a missing service is a failure."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not configured here")
