# Shortcuts for developers; the README's two commands need none of these.
.PHONY: serve test test-fast test-sqlite test-pg check bench bench-paging

serve:
	python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/incidentd serve

# Everything CI runs: install, the checks, every test on both databases.
test:
	./scripts/test

# The inner loop (needs the .venv that ./scripts/test made): both databases, without the slow real-time tests.
test-fast:
	.venv/bin/python -m pytest --numprocesses 4 -m "not slow"

test-sqlite:
	INCIDENTD_TEST_DATABASES=sqlite ./scripts/test

test-pg:
	INCIDENTD_TEST_DATABASES=postgresql ./scripts/test

# ruff, ruff format, mypy --strict and the import layers.
check:
	./scripts/check

bench:
	.venv/bin/python bench/run.py

bench-paging:
	.venv/bin/python bench/paging.py
