"""Settings for the web server a benchmark starts: the project's, serving bench URLs too."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bare_api"
