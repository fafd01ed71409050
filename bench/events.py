"""Outbox throughput: events emitted and dispatched per second, on SQLite and PostgreSQL, with 1 and 3
worker processes (issue 4 item 7).

Run:  .venv/bin/python bench/events.py                      # the whole matrix, prints a table
      .venv/bin/python bench/events.py --events 5000         # more events
      .venv/bin/python bench/events.py --db sqlite --workers 3   # one cell
PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/caixiao_bench_events); the
database is created and dropped by the run; the PostgreSQL rows are skipped when it is unreachable.

Each cell migrates a fresh database, then
1. emits N events, each in its own transaction as a service would (``outbox.emit``: the event, one
   delivery per subscribed handler — a no-op bench handler and the webhook fan-out, which finds no
   subscription — and the dispatcher task row), and times that: *emitted/s*;
2. forks W worker processes that each run ``outbox.process_due`` until nothing is pending, and times
   that: *dispatched/s* (events whose every delivery is done) and deliveries/s;
3. checks every delivery is done after exactly one attempt (no event lost, none run twice)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/caixiao_bench_events"
BENCH_EVENT = "bench.event.happened"


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from caixiao.core.events import define, handler

    define(BENCH_EVENT, description="Benchmark event.", payload={"n": "sequence number"})
    handler(BENCH_EVENT, name="bench.noop")(lambda event: None)


def worker(_index: int) -> None:
    from django.db import connections

    from caixiao.core import outbox

    connections.close_all()  # a fresh connection per forked process
    while outbox.process_due(limit=200):
        pass
    connections.close_all()


def run_cell(events: int, workers: int) -> dict:
    setup_django()
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from caixiao.accounts.models import User
    from caixiao.core import outbox
    from caixiao.core.models import DeliveryStatus, EventDelivery, OutboxEvent

    call_command("migrate", verbosity=0, interactive=False)
    aggregate = User.objects.create(username="bench")

    started = time.perf_counter()
    for n in range(events):
        with transaction.atomic():
            outbox.emit(BENCH_EVENT, aggregate=aggregate, payload={"n": n})
    emit_seconds = time.perf_counter() - started

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    started = time.perf_counter()
    procs = [ctx.Process(target=worker, args=(i,)) for i in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    dispatch_seconds = time.perf_counter() - started

    deliveries = EventDelivery.objects.count()
    done_once = EventDelivery.objects.filter(status=DeliveryStatus.DONE, attempts=1).count()
    assert OutboxEvent.objects.count() == events
    assert done_once == deliveries, f"{deliveries - done_once} deliveries not done exactly once"
    return {"vendor": connection.vendor, "workers": workers, "events": events, "deliveries": deliveries,
            "emitted_per_s": events / emit_seconds, "dispatched_per_s": events / dispatch_seconds,
            "deliveries_per_s": deliveries / dispatch_seconds}


def cell_in_subprocess(db: str, workers: int, events: int, pg_url: str) -> dict | None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false",
           "OUTBOX_RUN_ON_COMMIT": "false", "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as tmp:
        if db == "sqlite":
            env["CAIXIAO_VAR_DIR"] = tmp
            env.pop("DATABASE_URL", None)
        else:
            try:
                pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{urlsplit(pg_url).path.lstrip("/")}"')
                pg_admin(pg_url, f'CREATE DATABASE "{urlsplit(pg_url).path.lstrip("/")}"')
            except Exception as exc:
                print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
                return None
            env["DATABASE_URL"] = pg_url
            env["CAIXIAO_VAR_DIR"] = tmp
        try:
            out = subprocess.run([sys.executable, __file__, "--cell", "--workers", str(workers), "--events",
                                  str(events)], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
        except subprocess.CalledProcessError as exc:
            print(exc.stdout, exc.stderr, file=sys.stderr)
            raise
        finally:
            if db == "postgresql":
                pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{urlsplit(pg_url).path.lstrip("/")}" WITH (FORCE)')
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--cell", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cell:
        print(json.dumps(run_cell(args.events, args.workers[0])))
        return
    pg_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG)
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{'database':<11}{'workers':>8}{'events':>8}{'deliveries':>11}{'emitted/s':>11}{'dispatched/s':>14}"
          f"{'deliveries/s':>14}")
    for db in args.db or ["sqlite", "postgresql"]:
        for workers in args.workers or [1, 3]:
            row = cell_in_subprocess(db, workers, args.events, pg_url)
            if row is None:
                continue
            print(f"{row['vendor']:<11}{row['workers']:>8}{row['events']:>8}{row['deliveries']:>11}"
                  f"{row['emitted_per_s']:>11.0f}{row['dispatched_per_s']:>14.0f}{row['deliveries_per_s']:>14.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
