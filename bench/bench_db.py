"""The throw-away database each benchmark runs in: a fresh SQLite file under var/bench/ (kept after
the run for inspection) or a PostgreSQL database of its own, created before and dropped after."""

from __future__ import annotations

from pathlib import Path

VAR = Path(__file__).resolve().parents[1] / "var" / "bench"


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
