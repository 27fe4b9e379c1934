# The two commands: `make up` runs the system, `make test` runs the tests.
# Both set up what they need on a fresh machine (venv, Nacos, test packages).

OCR ?= 2
USERS ?= 1

.PHONY: up down test lint bench

up:
	@scripts/bootstrap
	.venv/bin/ocr-mesh up --ocr $(OCR) --users $(USERS)

down:
	.venv/bin/ocr-mesh down

test:
	@scripts/bootstrap --test
	.venv/bin/python -m pytest -q -rs --durations=40

lint:
	.venv/bin/ruff check .
	.venv/bin/mypy
	@[ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error
	npx --no-install eslint web/
