"""The test suite's environment, set before Django reads its settings (``-p config.testing``
in pyproject.toml): the suite runs as the demo does, with its published secrets and the
demo payments receiver, while pytest-django keeps DEBUG off. Tests of the production
profile start their processes with DEMO=false and their own secrets."""

import os

os.environ.setdefault("DEMO", "true")
