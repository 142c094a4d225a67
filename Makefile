# make run   - virtualenv, install, migrate, demo data, then web + Celery worker + beat
# make test  - install the test tools and run the whole suite (PYTEST_ARGS=... to narrow)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
WEBHOOK_PORT ?= 8001
# load_demo points the demo partners' webhooks at the receiver `make run` starts.
export DEMO_WEBHOOK_RECEIVER_URL ?= http://127.0.0.1:$(WEBHOOK_PORT)
# Where the demo is served: links in notices, and the demo payments receiver that payment
# instructions go to (on this server, whatever PORT says).
export BACKOFFICE_BASE_URL ?= http://$(HOST):$(PORT)

# The settings default to production (DEBUG off, the demo's published secrets and logins
# refused): the demo's targets turn it on explicitly.
DEMO_TARGETS := run demo migrate demo-env
$(DEMO_TARGETS): export DEMO := true
$(DEMO_TARGETS): export DEBUG := true

.PHONY: run test install install-dev migrate demo demo-env lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo --base-url $(BACKOFFICE_BASE_URL)

# What `make run` runs with (HOST=, PORT= as for make run).
demo-env:
	@env | grep -E '^(DEMO|DEBUG|BACKOFFICE_BASE_URL|DEMO_WEBHOOK_RECEIVER_URL)=' | sort

run: demo
	@echo "Admin: $(BACKOFFICE_BASE_URL)/admin/   API docs: $(BACKOFFICE_BASE_URL)/api/docs/"
	@echo "Delivered notices are written to $${VAR_DIR:-var}/mail/; partner webhooks, verified by the"
	@echo "receiver on 127.0.0.1:$(WEBHOOK_PORT), to $${VAR_DIR:-var}/webhooks/. Ctrl-C stops them all."
	@echo "Customers' SMS land in $${VAR_DIR:-var}/sms/ (one JSON file a message), their e-mail in"
	@echo "$${VAR_DIR:-var}/mail/ with the rest (an SMS in quiet hours, $${CUSTOMER_QUIET_HOURS:-21:00-08:00}, waits for the sweep)."
	@$(BIN)/python manage.py demo_survey_link
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=2 & \
	$(BIN)/celery -A config beat --loglevel=INFO & \
	$(BIN)/python manage.py receive_webhooks --port $(WEBHOOK_PORT) --from-database & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev browser mailserver
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests (casework/tests/browser) drive Debian's chromium through its own
# chromedriver: installed here from apt, never downloaded by Selenium; with the Noto CJK
# fonts, so screenshots of the Chinese admin show its characters.
# The mail intake's tests (casework/tests/test_mail_intake.py) start their own Debian
# dovecot on a free loopback port; the package's own service is stopped and kept from
# starting at boot, so nothing holds ports 143/993 on the machine.
.PHONY: mailserver
mailserver:
	@if [ -x /usr/sbin/dovecot ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing dovecot-imapd for the mail intake's tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; } \
			|| echo "Could not install dovecot-imapd: the IMAP tests will skip (fail under CI=true)."; \
		{ service dovecot stop; update-rc.d dovecot disable; systemctl disable --now dovecot; } >/dev/null 2>&1 || true; \
	else \
		echo "dovecot is missing: the IMAP tests will skip (fail under CI=true)."; \
		echo "Install it with: sudo apt-get install dovecot-imapd"; \
	fi

.PHONY: browser
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -d /usr/share/fonts/opentype/noto ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing chromium and chromium-driver for the browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk; } \
			|| echo "Could not install chromium: the browser tests will skip (fail under CI=true)."; \
	else \
		echo "chromium or chromedriver is missing: the browser tests will skip (fail under CI=true)."; \
		echo "Install them with: sudo apt-get install chromium chromium-driver fonts-noto-cjk"; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var/celery var/mail var/db.sqlite3 var/test-db-*.sqlite3

# Our create and lists against django-helpdesk (bench/helpdesk/README.md), one run on the
# PostgreSQL of DATABASE_URL; helpdesk in its own virtualenv, from its pinned requirements.
HELPDESK_VENV := bench/helpdesk/.venv
.PHONY: bench-helpdesk
$(HELPDESK_VENV)/.installed: bench/helpdesk/requirements.txt
	$(PYTHON) -m venv $(HELPDESK_VENV)
	$(HELPDESK_VENV)/bin/pip install --quiet -r bench/helpdesk/requirements.txt
	touch $@
bench-helpdesk: install $(HELPDESK_VENV)/.installed
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/helpdesk_compare.py $(BENCH_ARGS)
