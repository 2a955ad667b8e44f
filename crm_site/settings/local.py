"""`make run`: SQLite, the filesystem Celery broker, debug pages."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
# A development-only key: production.py refuses to start without SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-only")

VAR_DIR.mkdir(exist_ok=True)
