# SmartQueue: `make run` to try it, `make test` to run every test (fresh Debian machine).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py
export PYTHONDONTWRITEBYTECODE := 1

APT_PACKAGES := redis-server chromium chromium-driver postgresql libpango-1.0-0 \
	libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
.PHONY: run test install install-test system-packages runtime-packages translations clean lint

$(BIN)/python:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d smartqueue/translations >/dev/null

# What the invoices' PDF needs (WeasyPrint's Pango, fonts), and installing what is missing:
# shell snippets shared by the two targets below.
PDF_PACKAGES_CHECK = \
	/sbin/ldconfig -p | grep -q libpangoft2-1.0.so.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	/sbin/ldconfig -p | grep -q libharfbuzz-subset.so.0 || missing="$$missing libharfbuzz-subset0"; \
	[ -d /usr/share/fonts/truetype/dejavu ] || missing="$$missing fonts-dejavu-core";
APT_INSTALL_MISSING = \
	echo "installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $$missing >/dev/null

# Debian packages the tests use (real Redis, PostgreSQL, Chromium; the invoices' PDF and
# pdftotext to read it); installed only when root.
system-packages:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium chromium-driver"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	$(PDF_PACKAGES_CHECK) \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then $(APT_INSTALL_MISSING); \
	  else echo "missing Debian packages:$$missing (run as root or: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

# `make run` installs what the invoices' PDF needs when root; without it the app runs and
# only the PDF says it is unavailable.
runtime-packages:
	@missing=""; \
	$(PDF_PACKAGES_CHECK) \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then $(APT_INSTALL_MISSING); \
	  else echo "invoices' PDF unavailable until these are installed:$$missing"; fi; \
	fi

run: install runtime-packages
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-reference
	$(BIN)/flask seed-demo
	@echo "SmartQueue on http://127.0.0.1:$(PORT)  (mail and SMS are printed here and saved under instance/mail/ and instance/sms/)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT) --no-reload --with-threads

# Two test processes (pytest-xdist): each starts its own PostgreSQL, Redis and Chromium.
# TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
test: system-packages $(VENV)/.installed-test translations
	$(BIN)/pytest -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) instance test-artifacts

lint: $(VENV)/.installed-test
	$(BIN)/ruff check smartqueue tests config.py wsgi.py
	$(BIN)/ruff format --check smartqueue tests config.py wsgi.py

# A Monday morning at a prefecture (issue 14): 2 000 tickets, 1 000 ticket pages, 40 agents,
# about 12 minutes; run it alone on the machine. Locust gets its own virtualenv
# (bench/monday/.venv) at the first run. MONDAY_ARGS="--tickets 200 --phones 100 --speed 120"
# is a three-minute smoke run.
.PHONY: bench-monday
bench-monday: system-packages $(VENV)/.installed-test
	$(BIN)/python bench/monday/run.py $(MONDAY_ARGS)
