# The two commands of the README: `make demo` runs the product, `make test` runs the tests.
# Both install what they need first (scripts/setup.sh).
.PHONY: setup test test-unit lint bench bench-reports bench-history bench-ws bench-load bench-config bench-calls bench-pacing bench-pacing-live demo sandbox-up sandbox-down

setup:
	bash scripts/setup.sh

test: setup
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/python -m pytest -ra

test-unit: setup
	.venv/bin/python -m pytest -ra tests/unit tests/replay

# Ctrl-C stops everything the demo started (see standardiste/tools/demo.py).
demo: setup
	.venv/bin/standardiste demo

bench: setup
	.venv/bin/python bench/ingest.py

# Every report timed on a year of a 100-agent center in PostgreSQL (127.0.0.1:5432; the data
# is generated once, ~2 min), against a naive query of the same report: see README "Reports".
bench-reports: setup
	.venv/bin/python bench/reports.py

# What keeping the reports exact costs the history writer (README "Reports").
bench-history: setup
	.venv/bin/python bench/history_write.py

bench-ws: setup
	.venv/bin/python bench/ws_latency.py

# The load tier against the real sandbox (long form; needs root): see README "Load tier".
bench-load: setup
	.venv/bin/python bench/load.py

# How long an admin's change takes to be live in Asterisk (needs root: the sandbox).
bench-config: setup
	.venv/bin/python bench/config_live.py

# How long a supervisor's call control takes (needs root: the sandbox, sipp phones).
bench-calls: setup
	.venv/bin/python bench/call_control_live.py

# The dialer's predictive pacing against progressive 1:1 on a simulated center (no sandbox).
bench-pacing: setup
	.venv/bin/python bench/pacing.py

# The predictive dialer live on the sandbox against the simulation (needs root, sipp).
bench-pacing-live: setup
	.venv/bin/python bench/pacing_live.py

sandbox-up: setup
	.venv/bin/standardiste sandbox up

sandbox-down:
	.venv/bin/standardiste sandbox down
