"""Settings shared by every deployment. Everything configurable is read through config.env."""

from decimal import Decimal
from pathlib import Path

import django
from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, env

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-change-me-in-production-3f9a1c")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=["http://127.0.0.1:8000", "http://localhost:8000"])

VAR_DIR = Path(env("CAIXIAO_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "simple_history",
    "django_tasks_db",
    "caixiao.core",
    "caixiao.accounts",
    "caixiao.catalog",
    "caixiao.partners",
    "caixiao.inventory",
    "caixiao.rules",
    "caixiao.approvals",
    "caixiao.sales",
    "caixiao.notifications",
    "caixiao.api",
    "caixiao.web",
    "caixiao.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "caixiao.core.middleware.LanguageMiddleware",
    "caixiao.core.middleware.NulCharacterMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "caixiao.web.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite (embedded default) unless DATABASE_URL is set (PostgreSQL at scale).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'caixiao.sqlite3'}"),
}
SQLITE = DATABASES["default"]["ENGINE"] in ("django.db.backends.sqlite3", "caixiao.core.sqlite3")
if SQLITE:
    # Django's backend with its per-statement and per-value work done once (caixiao/core/sqlite3/base.py).
    DATABASES["default"]["ENGINE"] = "caixiao.core.sqlite3"
    # WAL + IMMEDIATE transactions serialise writers so conditional UPDATEs are race-free
    # (DESIGN.md "Two deployments"); the busy timeout makes writers wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:workbench"
LOGOUT_REDIRECT_URL = "web:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: zh-Hans first, English second; Asia/Shanghai; CNY.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "caixiao" / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="CNY")
DEFAULT_TAX_RATE = Decimal(env("DEFAULT_TAX_RATE", default="0.13"))
# What confirming a sales order does when stock is short (SPEC O2): "backorder" reserves what exists and
# backorders the rest, "block" refuses the order; each order may choose otherwise (docs/sales.md).
SALES_SHORTAGE_POLICY = env("SALES_SHORTAGE_POLICY", default="backorder")
# A sales order whose largest line discount exceeds this fraction needs approval (S2; docs/sales.md).
SALES_DISCOUNT_APPROVAL_THRESHOLD = Decimal(env("SALES_DISCOUNT_APPROVAL_THRESHOLD", default="0.15"))

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# Background work: Django's task API with the database backend (DESIGN.md). On the Python 3.11
# fallback (Django 5.2, docs/decisions.md D2) the same API comes from the django-tasks backport.
TASKS_MODULE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
if TASKS_MODULE == "django_tasks":
    INSTALLED_APPS.append("django_tasks")
else:
    INSTALLED_APPS.append("crontask")  # the scheduler: `manage.py crontask` (docs/deploy.md)
# django-tasks-db, its task rows written with a prepared INSERT (caixiao/core/task_backend.py).
TASKS = {"default": {"BACKEND": "caixiao.core.task_backend.DatabaseBackend"}}
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# Rule runs that changed nothing are deleted after this many days (docs/rules.md "Runs").
RULES_RUN_RETENTION_DAYS = env.int("RULES_RUN_RETENTION_DAYS", default=180)
# Dispatch events in-process right after commit as well as through the worker (tests, demos).
OUTBOX_RUN_ON_COMMIT = env.bool("OUTBOX_RUN_ON_COMMIT", default=False)
# Notifications and webhooks (docs/notifications.md).
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")  # links in e-mails

_EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND}}
else:
    EMAIL_BACKEND = _EMAIL_BACKEND
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="caixiao@localhost")

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# API
NINJA_PAGINATION_PER_PAGE = 50
API_MAX_PAGE_SIZE = 200
API_TOKEN_PREFIX = "cx_"

CAIXIAO_BRAND = _("Caixiao")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {"caixiao": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO"), "propagate": False}},
}
