#!/usr/bin/env bash
# The whole check: lint, format, types, import contracts, then every test.
source "$(dirname "$0")/_venv.sh" "all,dev,examples"
echo "== ruff"; .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy --strict"; .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
