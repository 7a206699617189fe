# Tablecloth. `make run` sets everything up and serves; `make test` runs every check.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
VENDOR := app/static/vendor
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
# Where phones are sent (join links, the QR code), unless TABLECLOTH_BASE_URL says otherwise:
# this machine at PORT. README: "At a venue".
LOCAL_URL := http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: messages translations run test setup lint typecheck pytest-sqlite pytest-postgresql migrate bench chromium services clean

run: setup
	export TABLECLOTH_BASE_URL="$${TABLECLOTH_BASE_URL:-$(LOCAL_URL)}" && \
	$(PY) -m app demo && \
	exec .venv/bin/uvicorn app.main:create_app --factory --loop app.serving:new_event_loop \
		--http app.serving:HeaderTimeout --ws app.serving:SpreadPings --timeout-keep-alive 5 \
		--host $(HOST) --port $(PORT) --proxy-headers

setup: $(VENV_STAMP) node_modules/.installed $(VENDOR)/.copied translations

# Languages (README "Another language"): `make messages` extracts every marked string into
# messages.pot and brings each catalogue up to date; `make translations` compiles them (the
# .mo files are built, never committed).
POT := app/translations/messages.pot
messages: $(VENV_STAMP)
	.venv/bin/pybabel extract -F babel.cfg --no-wrap --sort-by-file -o $(POT) .
	for lang in $$(cd app/translations && ls -d */ | tr -d /); do \
		.venv/bin/pybabel update --no-wrap -i $(POT) -d app/translations -l $$lang; done

translations: $(VENV_STAMP)
	.venv/bin/pybabel compile -d app/translations

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check uv==0.13.8
	.venv/bin/uv pip install -q --python $(PY) -e '.[dev]'
	rm -f .venv/.installed-*
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: node_modules/.installed
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/dist/ext/hx-ws.min.js $(VENDOR)/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/
	touch $@

migrate: setup
	$(PY) -m app migrate

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

typecheck: setup
	.venv/bin/mypy app tests bench scripts

# Debian's Chromium drives the browser tests; install it when missing and we are root.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null || { echo "chromium is missing: apt-get install chromium"; exit 1; }

# PostgreSQL and Redis run on every developer and CI machine; start them if they stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { [ "$$(id -u)" = 0 ] && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; }
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; }

pytest-sqlite: setup chromium services
	TABLECLOTH_TEST_DATABASE=sqlite $(PY) -m pytest -q

pytest-postgresql: setup chromium services
	TABLECLOTH_TEST_DATABASE=$(PG_TEST_URL) $(PY) -m pytest -q

test: lint typecheck pytest-sqlite pytest-postgresql

bench: setup
	$(PY) bench/rotation.py
	$(PY) bench/fanout.py

clean:
	rm -rf .venv node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
