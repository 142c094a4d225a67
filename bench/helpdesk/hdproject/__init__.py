"""A minimal Django project serving django-helpdesk, for the side-by-side benchmark
(bench/helpdesk_compare.py). Its own virtualenv (bench/helpdesk/.venv), its own database."""
