# Shortcuts for developers; the README's two commands need none of these.
.PHONY: serve test test-sqlite test-pg bench bench-paging lint

serve:
	python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/incidentd serve

test:
	./scripts/test

test-sqlite:
	INCIDENTD_TEST_DATABASES=sqlite ./scripts/test

test-pg:
	INCIDENTD_TEST_DATABASES=postgresql ./scripts/test

bench:
	.venv/bin/python bench/run.py

bench-paging:
	.venv/bin/python bench/paging.py

lint:
	.venv/bin/python -m ruff check src tests bench
