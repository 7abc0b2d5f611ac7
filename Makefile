# The two commands a newcomer needs: `make run` (the whole system locally) and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
export CABINET_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432
export CABINET_TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/
SERVICES := identity metering billing documents signature notify

.PHONY: setup setup-test run infra infra-stop test test-fast test-e2e lint migrate bench events-doc res-contract clean

# what `make run` needs; `setup-test` adds the browser, promtool, the JDK, the test and lint tools and checkov
setup:
	@scripts/bootstrap.sh

setup-test:
	@scripts/bootstrap.sh --test

run: setup
	@$(PY) -m devtools.run

# PostgreSQL and RabbitMQ: used where they answer, else installed (Debian's packages) and started, the project's own
infra: setup
	@$(PY) -m devtools.infra

# stops the project's own PostgreSQL and RabbitMQ that `make infra` started (never the machine's)
infra-stop: setup
	@$(PY) -m devtools.infra stop

# bench/ in a mypy run of its own: its scripts are modules of no package, and bench/billing.py would shadow billing
lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy shared/src services/*/src gateway/src devtools/src tests-e2e
	.venv/bin/mypy bench/*.py

# everything CI runs: lint, unit and integration tests, then the end-to-end browser tests
test: setup-test infra lint
	.venv/bin/pytest -q -p no:cacheprovider shared services gateway devtools deploy tests-e2e

test-fast: setup-test infra
	.venv/bin/pytest -q -x shared services gateway devtools

test-e2e: setup-test infra
	.venv/bin/pytest -q tests-e2e

migrate: setup infra
	$(PY) -m shared.migrations $(SERVICES)

bench: setup infra
	$(PY) bench/bus.py

events-doc: setup
	$(PY) -m shared.contracts.reference > docs/events.md

# the RES bus contract as AsyncAPI 3, from the same message models (docs/res-bus-contract.md points to it)
res-contract: setup
	$(PY) -m shared.contracts.asyncapi > docs/res-bus-contract.asyncapi.json

clean:
	[ ! -x $(PY) ] || $(PY) -m devtools.infra stop
	rm -rf .venv var test-artifacts
