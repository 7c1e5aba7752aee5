#!/usr/bin/env bash
# The whole check: lint, format, types, import contracts, then every test.
source "$(dirname "$0")/_venv.sh" "all,dev,examples"
# The fleet-mode tests start a real redis-server (Debian's package); CI runs as root.
if ! command -v redis-server >/dev/null; then
    echo "== installing redis-server"
    SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
fi
echo "== ruff"; .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy --strict"; .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
