#!/usr/bin/env bash
# `make run`: the web server and a Celery worker with beat, stopped together by Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
trap 'trap - EXIT INT TERM; kill 0 2>/dev/null' EXIT INT TERM

$BIN/celery -A crm_site worker --beat --scheduler django --pool solo --loglevel INFO &
$BIN/python manage.py runserver 127.0.0.1:8000
