#!/usr/bin/env bash
# The benchmark's own virtualenv: the project's requirements plus django-import-export, which the
# project itself does not depend on (so it never reaches .venv or production).
#
#     bash bench/setup_import_bench.sh
#     DATABASE_URL=... bench/.venv-import/bin/python bench/bench_import.py 100000
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=bench/.venv-import
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/pip" install --quiet -r requirements.txt "django-import-export==4.4.3" "tablib[xlsx]"
"$VENV/bin/python" -c "import import_export, tablib; print('django-import-export', import_export.__version__, '/ tablib', tablib.__version__)"
