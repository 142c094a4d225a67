"""A pytest plugin (``-p casework.tests.environment`` in pyproject.toml), loaded before
Django's settings are: what the test process, and every server or worker it starts, needs
from the environment whatever DEBUG says. Nothing here imports Django."""

import os

# A fixed, published key: tests never depend on a key file under var/ (nor on DEBUG).
os.environ.setdefault("AUDIT_CHAIN_KEY", "74657374732d6f6e6c792d61756469742d636861696e2d6b65792d3332627974")

# The suite runs as the demo does (its published secrets, the demo payments receiver), while
# pytest-django keeps DEBUG off. Tests of the production profile start their processes with
# DEMO=false and secrets of their own.
os.environ.setdefault("DEMO", "true")
