"""Test settings: fast hashing, in-memory mail, deterministic language."""

import django

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, SQLITE, TASKS_MODULE

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Enqueued tasks are recorded, not run inside the emitting transaction; the outbox dispatches
# after commit in-process (STYLE.md B11), and tests play the worker with outbox.process_due().
TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
OUTBOX_RUN_ON_COMMIT = True
if SQLITE:
    DATABASES["default"]["TEST"] = {"NAME": None}
