"""Test settings: fast hashing, in-memory mail, deterministic language."""

import atexit
import os
import shutil
import tempfile

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
    # A file, not Django's shared in-memory database: the browser tests' live server answers requests
    # in threads (a page and its htmx requests at once), and threads sharing one in-memory connection
    # corrupt each other's statements; with a file each thread has its own connection and SQLite
    # serialises writers as in production (WAL, IMMEDIATE transactions). In a directory of its own,
    # removed when the test process exits (with the WAL files a still-open connection leaves behind).
    _TEST_DB_DIR = tempfile.mkdtemp(prefix="caixiao-test-")
    atexit.register(shutil.rmtree, _TEST_DB_DIR, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_TEST_DB_DIR, "test.sqlite3")}
