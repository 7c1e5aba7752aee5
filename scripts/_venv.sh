# Sourced by the commands: make the venv (.venv, or $VENV) if missing and install the project with
# the extras given.
# langchain-core is held below 1.8 by constraints.txt (1.8 needs a certifi this index lacks).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
"$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[$1]"
