"""The throw-away database each benchmark runs in: a fresh SQLite file under var/bench/ (kept after
the run for inspection) or a PostgreSQL database of its own, created before and dropped after."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"


@contextmanager
def django_on(engine: str, url: str, database: str) -> Iterator[None]:
    """In a benchmark's child process (DATABASE_URL = ``url``): a fresh database, Django set up and
    migrated on it; closed and dropped on leaving."""
    prepare_database(engine, url, database)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    try:
        yield
    finally:
        connections.close_all()
        drop_database(engine, url, database)


def prepare_database(engine: str, url: str, database: str) -> None:
    if engine == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")


def drop_database(engine: str, url: str, database: str) -> None:
    if engine == "sqlite":
        return  # kept under var/bench/ for inspection; replaced by the next run
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
