"""Settings shared by every environment; the environment decides the rest.

Values come from environment variables (see the configuration table in README.md).
Defaults here are safe for `make run` only; production.py refuses to start without secrets.
"""

import datetime
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "template_partials",
    "simple_history",
    "django_celery_beat",
    "axes",
    "csp",
    "crm_site",
    "retailers",
    "grading",
    "complaints",
    "visits",
    "loyalty",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "crm_site.middleware.RequestSizeLimitMiddleware",  # before CSRF, the first to read the body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm_site.urls"
WSGI_APPLICATION = "crm_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm_site.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the Celery worker write while the web process reads. A province is a database of
    # several GB: SQLite's default 2 MB page cache sends every big read back through the kernel,
    # so each connection gets a large cache, memory-mapped reads and in-memory temporary B-trees
    # (bench/README.md, issue 16). The cache is allocated as it fills, not up front.
    SQLITE_CACHE_MB = env.int("SQLITE_CACHE_MB", default=512)
    SQLITE_MMAP_MB = env.int("SQLITE_MMAP_MB", default=4096)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024}; PRAGMA mmap_size={SQLITE_MMAP_MB * 1024 * 1024}; "
            "PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A connection kept between requests keeps its page cache warm (and, on PostgreSQL, saves the
# connection set-up); health checks drop one the server closed.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm_site.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every authentication first (it needs the request, so tests use force_login
# or the real log-in view, not the test client's login()).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["crm_site.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="crm@localhost")

# Celery: the app lives in crm_site/celery.py and reads every CELERY_* setting below.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery-broker"),
        "data_folder_out": str(VAR_DIR / "celery-broker"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
for folder in (
    CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", ""),
    CELERY_BROKER_TRANSPORT_OPTIONS.get("control_folder", ""),
):
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Tests and CI: when set, a test that needs PostgreSQL/Redis fails instead of skipping.
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)

# Largest spreadsheet an admin may upload for import (bytes).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=30 * 1024 * 1024)
# What a workbook may hold once unpacked, checked before it is read (a small .xlsx can inflate to
# gigabytes): all its parts together, its first sheet's part, how many times larger than packed a
# part may grow (zip bombs), and the cells its first sheet declares (<dimension ref="A1:O…">).
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=512 * 1024 * 1024)
IMPORT_MAX_SHEET_BYTES = env.int("IMPORT_MAX_SHEET_BYTES", default=400 * 1024 * 1024)
IMPORT_MAX_INFLATE_RATIO = env.int("IMPORT_MAX_INFLATE_RATIO", default=100)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=16 * 1024 * 1024)

# Request size (issue 15, item 22). A request whose Content-Length is above its URL's limit is
# answered 413 before its body is read (crm_site.middleware); the default fits a 5 MB ticket
# attachment and its form, the import page takes a spreadsheet of IMPORT_MAX_BYTES.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=6 * 1024 * 1024)
REQUEST_MAX_BYTES_FOR = {"retailers:import-list": IMPORT_MAX_BYTES + 1024 * 1024}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # form fields other than files
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # a larger uploaded file goes to a temporary file, not memory

# --- Content-Security-Policy (django-csp) ----------------------------------------------------------
# Only the site's own (vendored) scripts, styles, fonts and images; no inline script, style element or
# style attribute anywhere (htmx's indicator style is in crm.css, see the htmx-config meta in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws its icons (checkboxes, selects) as data: SVGs
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Log-in throttling (django-axes) -------------------------------------------------------------
# A username is locked after AXES_FAILURE_LIMIT failures from any address, and an address after as
# many failures for any usernames: the first stops guessing one account from many machines, the
# second one machine trying a password on every account (a lock on the pair username+address alone
# would allow both). The price is that anyone who knows a username can lock it for a while: the lock
# is not extended by failures during it, ends after the cool-off, the page says to ask an admin, and
# the admin unlocks at once in the back office (Axes > Access attempts, which also shows the address
# the failures came from) or with `manage.py axes_reset_username <name>`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
# A success before the limit forgets the earlier failures of that username from that address only.
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "crm_site.security.LoginAttemptHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failed attempts during a lock do not extend it: a lock someone else caused ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client address (crm_site.security.client_ip): REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse
# proxies the address the outermost one saw, from X-Forwarded-For (never trusted without proxies:
# anyone can send that header). Without it, behind a proxy every user would share one address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "crm_site.security.client_ip"
AXES_VERBOSE = False  # no "AXES: BEGIN" line at the start of every command and worker

# --- Satisfaction surveys (visits/surveys.py, issue 11) --------------------------------------------
# A shared cache for the survey page's rate limits (django-ratelimit): with several web processes set
# CACHE_URL (e.g. redis://127.0.0.1:6379/1), else each process counts on its own.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# How invitations reach a shop: "sms" (SMS_BACKEND) or "email" (Django's mail, to
# SURVEY_EMAIL_RECIPIENT with {phone} replaced: shops have no address of their own, so this is an
# e-mail-to-SMS gateway of the operator).
SURVEY_CHANNEL = env("SURVEY_CHANNEL", default="sms")
SURVEY_EMAIL_RECIPIENT = env("SURVEY_EMAIL_RECIPIENT", default="{phone}@sms.invalid")
# visits.channels.ConsoleSmsBackend prints each message (link included) on standard output, like
# Django's console e-mail backend; FileSmsBackend appends them to a file under SMS_FILE_PATH;
# LocmemSmsBackend keeps them in visits.channels.outbox (tests). A real gateway is one more class.
SMS_BACKEND = env("SMS_BACKEND", default="visits.channels.ConsoleSmsBackend")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=VAR_DIR / "sms")
# The absolute address the links in the messages start with (the public /s/<token>/ page).
SURVEY_BASE_URL = env("SURVEY_BASE_URL", default="http://127.0.0.1:8000")
SURVEY_VALID_DAYS = env.int("SURVEY_VALID_DAYS", default=14)  # a link answers for this many days
SURVEY_REMINDERS_MAX = env.int("SURVEY_REMINDERS_MAX", default=2)  # reminders to a shop that has not answered
SURVEY_REMINDER_GAP_DAYS = env.int("SURVEY_REMINDER_GAP_DAYS", default=3)  # at least this long after the last message
SURVEY_SEND_ATTEMPTS = env.int("SURVEY_SEND_ATTEMPTS", default=5)  # then the invitation stays failed
SURVEY_BATCH_SIZE = env.int("SURVEY_BATCH_SIZE", default=5000)  # invitations created/queued per transaction
SURVEY_SEND_BATCH_SIZE = env.int("SURVEY_SEND_BATCH_SIZE", default=200)  # invitations one send task takes
# A complaint closed within this many days before the job is surveyed (not the whole history at
# the first run); the follow-up visit of a low score is planned this many days ahead.
SURVEY_COMPLAINT_WITHIN_DAYS = env.int("SURVEY_COMPLAINT_WITHIN_DAYS", default=14)
SURVEY_FOLLOW_UP_DAYS = env.int("SURVEY_FOLLOW_UP_DAYS", default=2)
# The public page: requests per client address (every page view) and answers tried per link.
SURVEY_RATE_PER_IP = env("SURVEY_RATE_PER_IP", default="60/m")
SURVEY_RATE_PER_LINK = env("SURVEY_RATE_PER_LINK", default="20/h")
