"""`make test`: fast hashing, in-memory mail, eager Celery (a dedicated test runs a real worker)."""

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
VAR_DIR.mkdir(exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent tests then wait on locks as production SQLite does.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
SMS_BACKEND = "visits.channels.LocmemSmsBackend"
SURVEY_BASE_URL = "http://testserver"
# The access tests walk the public survey page as eight users; the rate-limit tests set their own.
SURVEY_RATE_PER_IP = "10000/m"
SURVEY_RATE_PER_LINK = "10000/m"
