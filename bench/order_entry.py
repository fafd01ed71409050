"""Order entry benchmark (issue 3 item 8, SPEC N5). Prints figures; it is not a test.

How to run (from the repository root):

    make bench                                    # = .venv/bin/python bench/order_entry.py
    .venv/bin/python bench/order_entry.py         # SQLite; PostgreSQL too when DATABASE_URL is a postgres URL
    .venv/bin/python bench/order_entry.py --pg    # also PostgreSQL at postgres://postgres@127.0.0.1:5432
    .venv/bin/python bench/order_entry.py --pg-url postgres://user@host:5432 --orders 600 --products 60

What it measures: sales orders of 3 lines (3 different products, 1–3 pieces each) created and confirmed
(reserving stock, "backorder" policy) per second, with 1, 4 and 16 concurrent clients, each with its own
database connection, run the same way for both sides and as each deployment runs (DESIGN.md "Two
deployments"): on SQLite threads of one process (the embedded default is one process; SQLite lets one
writer in at a time and processes would wait on its file lock by polling), on PostgreSQL forked
processes (the scale layout runs several web processes; threads would share one interpreter lock).
``--clients-as threads|processes`` runs both engines one way:

- **app**: ``sales.services.create_order`` then ``confirm_order``, i.e. the whole application: input
  checks, scoping, numbering, pricing, the ledger's conditional UPDATEs, audit entries, outbox events
  with their deliveries and dispatch tasks, retries;
- **baseline**: the same rows written with bare SQL through the database driver, no Django, connected
  as Django connects (on PostgreSQL psycopg with client-side parameter binding and no prepared
  statements, Django's default, so that only the application differs): the number
  counter, the order and its lines, the three conditional balance UPDATEs (row count checked), the
  reservations, the audit entries, the outbox events with one delivery row per subscribed handler
  and one task row each, the order's status update; two transactions per order, as the app has.

For each number of clients the two sides take turns, ``--rounds`` (3) rounds each, and each side's
best round is printed with every round's figure: on a shared machine a neighbour's load only ever slows
a round down, and taking turns exposes both sides to the same conditions. Each round gets fresh
products with enough stock, so both sides do the same work; every round is checked for oversell
(``allocated`` equals what the round's orders reserved and never exceeds ``on_hand``) and the ledger's
invariants are checked after the rounds (``check_invariants() == []``).

SQLite runs on a file under ``var/bench/`` (WAL, IMMEDIATE transactions, as in production); PostgreSQL
in its own database ``caixiao_bench``, created and dropped by the bench. Each engine runs in a child
process (Django's settings are read once per process)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bench_db import ROOT, VAR, django_on  # bench/ is sys.path[0] when run as a script

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "caixiao_bench"
CLIENTS = (1, 4, 16)
LINES = 3
D = Decimal


# The parent: one child process per engine ---------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help=f"also run on PostgreSQL at {DEFAULT_PG}")
    parser.add_argument("--pg-url", help="PostgreSQL server URL (no database name); implies --pg")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even if DATABASE_URL is set")
    parser.add_argument("--orders", type=int, default=480, help="orders per run, shared by the clients")
    parser.add_argument("--products", type=int, default=60, help="products per run")
    parser.add_argument("--clients", default=",".join(map(str, CLIENTS)), help="client counts, e.g. 1,4,16")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per client count, app and baseline taking turns; each side's best is reported")
    parser.add_argument("--clients-as", choices=["auto", "threads", "processes"], default="auto",
                        help="auto: threads on SQLite, processes on PostgreSQL")
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    if args.child:
        mode = args.clients_as if args.clients_as != "auto" else "threads" if args.child == "sqlite" else "processes"
        run_engine(args.child, args.url, orders=args.orders, products=args.products, clients=clients, mode=mode,
                   rounds=args.rounds)
        return

    engines = [("sqlite", f"sqlite:///{VAR / 'order_entry.sqlite3'}")]
    env_url = os.environ.get("DATABASE_URL", "")
    server = args.pg_url or (DEFAULT_PG if args.pg else None)
    if server is None and env_url.startswith("postgres"):
        server = env_url.rsplit("/", 1)[0]
    if server and not args.sqlite_only:
        engines.append(("postgresql", f"{server.rstrip('/')}/{PG_DATABASE}"))
    print(f"Order entry: {LINES}-line sales orders created and confirmed per second; {args.orders} orders "
          f"per round over {args.products} products; clients {clients}; best of {args.rounds} rounds, app and "
          f"baseline taking turns.")
    print(f"{'engine':<11} {'clients':>7} {'app/s':>9} {'baseline/s':>11} {'ratio':>7}  "
          f"{'app oversold':>12} {'base oversold':>13}  invariants  (every round, orders/s)")
    failed = False
    for engine, url in engines:
        result = subprocess.run([sys.executable, __file__, "--child", engine, "--url", url, "--orders",
                                 str(args.orders), "--products", str(args.products), "--clients", args.clients,
                                 "--clients-as", args.clients_as, "--rounds", str(args.rounds)],
                                cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=False)
        failed |= result.returncode != 0
    sys.exit(1 if failed else 0)


# The child: one engine --------------------------------------------------------------------------------------
def run_engine(engine: str, url: str, *, orders: int, products: int, clients: list[int], mode: str,
               rounds: int) -> None:
    with django_on(engine, url, PG_DATABASE):
        world = World.create()
        print(f"{engine}: clients as {mode}; statements per order (create + confirm): app {app_statements(world)}, "
              f"baseline {baseline_statements(world, engine, url)}", flush=True)
        for count in clients:
            # App and baseline take turns, ``rounds`` times each; each side's best round is reported (as
            # timeit does: on a shared machine, interference only ever slows a round down).
            apps: list[RunResult] = []
            bases: list[RunResult] = []
            for _round in range(rounds):
                apps.append(run_clients(world, count, orders, products, app_client, label=f"app-{count}",
                                        mode=mode))
                bases.append(run_clients(world, count, orders, products, baseline_client(engine, url),
                                         label=f"base-{count}", mode=mode))
            app = max(apps, key=lambda r: r.rate)
            base = max(bases, key=lambda r: r.rate)
            oversold_app = sum((r.oversold for r in apps), D(0))
            oversold_base = sum((r.oversold for r in bases), D(0))
            failures = sum(r.failures for r in apps + bases)
            invariants = check_ledger()
            print(f"{engine:<11} {count:>7} {app.rate:>9.1f} {base.rate:>11.1f} {app.rate / base.rate:>6.0%}  "
                  f"{oversold_app:>12} {oversold_base:>13}  {invariants}  "
                  f"(app {' '.join(f'{r.rate:.0f}' for r in apps)}; baseline {' '.join(f'{r.rate:.0f}' for r in bases)})",
                  flush=True)
            if oversold_app or oversold_base or invariants != "ok" or failures:
                raise SystemExit(f"{engine}: oversold or drift after the runs with {count} clients "
                                 f"({failures} failures)")


@dataclass
class World:
    """What every run shares: a sales rep with a customer, a warehouse with a bin, a unit."""

    rep_id: int
    customer_id: int
    warehouse_id: int
    location_id: int
    unit_id: int
    category_id: int
    run: int = 0

    @classmethod
    def create(cls) -> World:
        from caixiao.accounts import services as account_services
        from caixiao.accounts.models import User
        from caixiao.approvals.defaults import ensure_default_flows
        from caixiao.catalog.models import Category, Unit
        from caixiao.inventory.models import Location, Warehouse
        from caixiao.partners.models import Customer, CustomerCategory, Region

        account_services.sync_roles()  # as the app starts (manage.py serve): roles, then the seeded approval
        ensure_default_flows()  # flows, which every confirmation asks (none of these orders needs approval)
        rep = User.objects.create_user(username="bench_rep", password="x")
        customer = Customer.objects.create(code="BENCH", name="压测客户", account_manager=rep,
                                           category=CustomerCategory.objects.create(code="BENCH", name="b"),
                                           region=Region.objects.create(code="BENCH", name="b"))
        warehouse = Warehouse.objects.create(code="BENCH", name="压测仓")
        location = Location.objects.create(warehouse=warehouse, code="A-01")
        return cls(rep_id=rep.pk, customer_id=customer.pk, warehouse_id=warehouse.pk, location_id=location.pk,
                   unit_id=Unit.objects.create(code="PCS", name="个").pk,
                   category_id=Category.objects.create(code="BENCH", name="b").pk)

    def stocked_products(self, count: int, stock: Decimal) -> list[int]:
        from caixiao.catalog.models import Product
        from caixiao.inventory import services as inventory_services

        self.run += 1
        products = Product.objects.bulk_create([
            Product(code=f"B{self.run:02d}-{i:04d}", name=f"压测{i}", category_id=self.category_id,
                    base_unit_id=self.unit_id, sale_price=D("19.90"), purchase_price=D("8"))
            for i in range(count)])
        inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
            product_id=p.pk, warehouse_id=self.warehouse_id, quantity=stock, unit_cost=D("8"),
            location_id=self.location_id) for p in products], actor=None)
        return [p.pk for p in products]


@dataclass
class RunResult:
    rate: float
    oversold: Decimal
    failures: int


def plan_orders(orders: int, products: list[int], seed: int) -> list[list[tuple[int, Decimal]]]:
    rng = random.Random(seed)
    return [[(p, D(rng.randint(1, 3))) for p in rng.sample(products, LINES)] for _ in range(orders)]


def run_clients(world: World, clients: int, orders: int, product_count: int, client, *, label: str,
                mode: str = "processes") -> RunResult:
    """Fresh products, ``orders`` orders split over ``clients`` clients; returns orders per second,
    timed from the moment every client is ready (connections are opened inside the timing, as the app's are)."""
    demand_per_product = orders * LINES * 3 / product_count
    products = world.stocked_products(product_count, D(int(demand_per_product * 2) + 10))
    plan = plan_orders(orders, products, seed=clients)
    shares = [plan[i::clients] for i in range(clients)]
    run = _in_processes if mode == "processes" else _in_threads
    elapsed, failures = run(world, shares, client, label)
    for exc in failures[:3]:
        print(f"  {label}: {exc}", file=sys.stderr)
    return RunResult(rate=orders / elapsed, oversold=oversold(products, plan), failures=len(failures))


def _in_threads(world: World, shares, client, label: str) -> tuple[float, list[str]]:
    from django.db import connection

    barrier = threading.Barrier(len(shares) + 1)
    failures: list[str] = []

    def work(share):
        try:
            barrier.wait()
            client(world, share)
        except BaseException as exc:
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(share,), name=f"{label}-{i}") for i, share in enumerate(shares)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, failures


def _in_processes(world: World, shares, client, label: str) -> tuple[float, list[str]]:
    """One forked process per client (the parent's connections are closed first: each child opens its own)."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(shares) + 1)
    errors = context.SimpleQueue()

    def work(share):
        code = 0
        try:
            barrier.wait()
            client(world, share)
        except BaseException as exc:
            errors.put(repr(exc))
            code = 1
        finally:
            connections.close_all()
        os._exit(code)

    processes = [context.Process(target=work, args=(share,), name=f"{label}-{i}") for i, share in enumerate(shares)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    messages = []
    while not errors.empty():
        messages.append(errors.get())
    crashed = [f"{p.name} exited with {p.exitcode}" for p in processes if p.exitcode]
    return elapsed, messages + crashed[len(messages):]


def oversold(products: list[int], plan: list[list[tuple[int, Decimal]]]) -> Decimal:
    """How much more is allocated than the run's orders asked for, or than is on hand (0 is right)."""
    from caixiao.inventory.models import StockBalance

    asked: dict[int, Decimal] = {}
    for lines in plan:
        for product_id, quantity in lines:
            asked[product_id] = asked.get(product_id, D(0)) + quantity
    excess = D(0)
    for product_id, on_hand, allocated in StockBalance.objects.filter(product_id__in=products).values_list(
            "product_id", "on_hand", "allocated"):
        excess += max(allocated - asked.get(product_id, D(0)), D(0)) + max(allocated - on_hand, D(0))
    return excess


def app_statements(world: World) -> int:
    """SQL statements the app sends for one order (transaction control included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    products = world.stocked_products(LINES, D(10))
    app_client(world, plan_orders(1, products, seed=0))  # warm caches (content types, the user)
    with CaptureQueriesContext(connection) as queries:
        app_client(world, plan_orders(1, products, seed=1))
    return len(queries.captured_queries) - 1  # less the user lookup of the bench client


def baseline_statements(world: World, engine: str, url: str) -> int:
    products = world.stocked_products(LINES, D(10))
    client = baseline_client(engine, url)
    counted: list[int] = []
    client(world, plan_orders(1, products, seed=1), counted)
    return counted[0]


def check_ledger() -> str:
    from caixiao.inventory.invariants import check_invariants

    drifts = check_invariants()
    return "ok" if not drifts else f"{len(drifts)} drift(s): {drifts[0]}"


# The application ------------------------------------------------------------------------------------------
def app_client(world: World, share: list[list[tuple[int, Decimal]]]) -> None:
    from caixiao.accounts.models import User
    from caixiao.sales import services

    rep = User.objects.get(pk=world.rep_id)
    for lines in share:
        order = services.create_order(
            customer_id=world.customer_id, warehouse_id=world.warehouse_id, shortage_policy="backorder",
            lines=[services.OrderLineInput(product_id=p, quantity=q) for p, q in lines], actor=rep)
        services.confirm_order(order_id=order.pk, actor=rep)


# The bare SQL baseline ------------------------------------------------------------------------------------
def baseline_client(engine: str, url: str):
    """A client writing the app's rows with the driver alone (sqlite3 or psycopg), no Django."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType

    from caixiao.core import events
    from caixiao.inventory.models import StockBalance
    from caixiao.sales.models import SalesOrder, SalesOrderLine

    order_type = ContentType.objects.get_for_model(SalesOrder).pk
    line_type = ContentType.objects.get_for_model(SalesOrderLine).pk
    # The deliveries the app writes: one per handler subscribed now (none for the webhook fan-out
    # while no subscription wants the event, as here).
    handlers = {name: [h.name for h in events.subscribed(name)] for name in (
        "sales.order.created", "inventory.stock.reserved", "sales.order.confirmed")}
    year = time.strftime("%Y")

    def client(world: World, share: list[list[tuple[int, Decimal]]], counted: list[int] | None = None) -> None:
        products = sorted({p for lines in share for p, _q in lines})
        balances = dict(StockBalance.objects.filter(product_id__in=products, warehouse_id=world.warehouse_id)
                        .values_list("product_id", "pk"))
        db = Driver(engine, url, settings.DATABASES["default"])
        try:
            for lines in share:
                order_id, line_ids, totals = db.transaction(create_order, world, lines)
                db.transaction(confirm_order, world, order_id, lines, line_ids, totals, balances)
        finally:
            db.close()
        if counted is not None:
            counted.append(db.statements)

    def emit(db: Driver, event_type: str, aggregate: str, aggregate_id: int, payload: dict, actor: int,
             now) -> None:
        event_id = db.insert(
            "INSERT INTO core_outboxevent (type, version, aggregate_type, aggregate_id, payload, actor_id, created_at)"
            " VALUES (%s, 1, %s, %s, %s, %s, %s)", (event_type, aggregate, str(aggregate_id), json.dumps(payload),
                                                      actor, now))
        for handler in handlers[event_type]:
            db.execute("INSERT INTO core_eventdelivery (event_id, handler, status, attempts, next_attempt_at, "
                       "last_error) VALUES (%s, %s, 'pending', 0, %s, '')", (event_id, handler, now))
        if handlers[event_type]:
            db.execute("INSERT INTO django_tasks_database_dbtaskresult (id, status, enqueued_at, args_kwargs, "
                       "priority, task_path, queue_name, backend_name, run_after, exception_class_path, traceback, "
                       "worker_ids) VALUES (%s, 'READY', %s, %s, 0, 'caixiao.core.tasks.dispatch_event', 'default', "
                       "'default', %s, '', '', '[]')",
                       (uuid.uuid4().hex, now, json.dumps({"args": [event_id], "kwargs": {}}), db.far_future))

    def create_order(db: Driver, world: World, lines: list[tuple[int, Decimal]]):
        now = db.now()
        db.execute("UPDATE core_numbersequence SET last_value = last_value + 1 WHERE series = 'SB' AND period = %s",
                   (year,))
        if db.rowcount == 0:
            db.execute("INSERT INTO core_numbersequence (series, period, last_value) VALUES ('SB', %s, 1)", (year,))
        number = db.one("SELECT last_value FROM core_numbersequence WHERE series = 'SB' AND period = %s", (year,))
        priced = [(p, q, money(q * D("19.90"))) for p, q in lines]
        priced = [(p, q, net, money(net * D("0.13"))) for p, q, net in priced]
        net, tax = sum(r[2] for r in priced), sum(r[3] for r in priced)
        order_id = db.insert(
            "INSERT INTO sales_salesorder (created_at, updated_at, number, customer_id, warehouse_id, requested_on, "
            "currency, owner_id, shortage_policy, customer_reference, notes, status, total_net, total_tax, "
            "total_gross, created_by_id, cancel_reason) VALUES (%s, %s, %s, %s, %s, %s, 'CNY', %s, 'backorder', "
            "'', '', 'draft', %s, %s, %s, %s, '')",
            (now, now, f"SB-{year}-{number:06d}", world.customer_id, world.warehouse_id, db.today(), world.rep_id,
             db.dec(net), db.dec(tax), db.dec(net + tax), world.rep_id))
        line_ids = [db.insert(
            "INSERT INTO sales_salesorderline (order_id, position, product_id, quantity, unit_price, "
            "discount_percent, tax_rate, total_net, total_tax, total_gross, quantity_shipped, quantity_cancelled) "
            "VALUES (%s, %s, %s, %s, %s, 0, %s, %s, %s, %s, 0, 0)",
            (order_id, i, p, db.dec(q), db.dec(D("19.90")), db.dec(D("0.13")), db.dec(n), db.dec(t),
             db.dec(n + t))) for i, (p, q, n, t) in enumerate(priced, start=1)]
        db.execute("INSERT INTO core_auditentry (at, actor_id, content_type_id, object_id, verb, from_state, "
                   "to_state, changes, comment) VALUES (%s, %s, %s, %s, 'created', '', 'draft', %s, '')",
                   (now, world.rep_id, order_type, str(order_id),
                    json.dumps({"lines": len(lines), "total_gross": str(net + tax)})))
        emit(db, "sales.order.created", "sales.salesorder", order_id, {
            "version": 1, "order_id": order_id, "customer_id": world.customer_id, "total_gross": str(net + tax)},
            world.rep_id, now)
        return order_id, line_ids, (net, tax)

    def confirm_order(db: Driver, world: World, order_id: int, lines, line_ids, totals, balances) -> None:
        now = db.now()
        db.one(f"SELECT status FROM sales_salesorder WHERE id = %s{db.lock}", (order_id,))
        for (product_id, quantity), _line_id in sorted(zip(lines, line_ids, strict=True),
                                                       key=lambda item: balances[item[0][0]]):
            db.execute("UPDATE inventory_stockbalance SET allocated = ROUND(allocated + %s, 6), updated_at = %s "
                       "WHERE id = %s AND on_hand >= ROUND(allocated + %s, 6)",
                       (db.dec(quantity), now, balances[product_id], db.dec(quantity)))
            if db.rowcount != 1:
                raise RuntimeError("baseline: not enough stock")  # never: every run has enough
        reservation_ids = [db.insert(
            "INSERT INTO inventory_reservation (product_id, warehouse_id, quantity, quantity_consumed, "
            "quantity_released, status, reference_type_id, reference_id, reference_label, actor_id, created_at, "
            "updated_at) VALUES (%s, %s, %s, 0, 0, 'open', %s, %s, %s, %s, %s, %s)",
            (p, world.warehouse_id, db.dec(q), line_type, line_id, f"#{line_id}", world.rep_id, now, now))
            for (p, q), line_id in zip(lines, line_ids, strict=True)]
        emit(db, "inventory.stock.reserved", "inventory.reservation", reservation_ids[0],
             {"version": 1, "reservations": [{"id": r} for r in reservation_ids]}, world.rep_id, now)
        net, tax = totals
        db.execute("UPDATE sales_salesorder SET status = 'confirmed', confirmed_at = %s, updated_at = %s, "
                   "total_net = %s, total_tax = %s, total_gross = %s WHERE id = %s",
                   (now, now, db.dec(net), db.dec(tax), db.dec(net + tax), order_id))
        db.execute("INSERT INTO core_auditentry (at, actor_id, content_type_id, object_id, verb, from_state, "
                   "to_state, changes, comment) VALUES (%s, %s, %s, %s, 'status:confirmed', 'draft', 'confirmed', "
                   "'{}', '')", (now, world.rep_id, order_type, str(order_id)))
        emit(db, "sales.order.confirmed", "sales.salesorder", order_id, {
            "version": 1, "order_id": order_id, "lines": [{"line_id": i, "reserved": str(q)}
                                                          for (_p, q), i in zip(lines, line_ids, strict=True)]},
            world.rep_id, now)

    return client


def money(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


class Driver:
    """The database driver alone: sqlite3 (WAL, BEGIN IMMEDIATE, as the app) or psycopg."""

    def __init__(self, engine: str, url: str, settings_dict: dict) -> None:
        self.engine = engine
        if engine == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(settings_dict["NAME"], timeout=30, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.lock, self.far_future = "", "9999-01-01 00:00:00"
        else:
            import psycopg

            # As Django connects: client-side parameter binding, no server-side prepared statements.
            self.conn = psycopg.connect(url, cursor_factory=psycopg.ClientCursor, prepare_threshold=None)
            self.lock = " FOR NO KEY UPDATE"
            from datetime import UTC, datetime

            self.far_future = datetime(9999, 1, 1, tzinfo=UTC)
        self.cursor = self.conn.cursor()
        self.rowcount = 0
        self.statements = 0  # sent to the server, transaction control included

    def transaction(self, fn, *args):
        for attempt in range(5):
            try:
                self._begin()
                result = fn(self, *args)
                self._commit()
                return result
            except Exception as exc:
                self._rollback()
                if attempt == 4 or not self._retryable(exc):
                    raise
                time.sleep(0.02 * 2 ** attempt)
        raise AssertionError("unreachable")

    def _begin(self) -> None:
        self.statements += 1  # psycopg sends BEGIN with the first statement
        if self.engine == "sqlite":
            self.cursor.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self.statements += 1
        self.conn.commit() if self.engine != "sqlite" else self.cursor.execute("COMMIT")

    def _rollback(self) -> None:
        if self.engine == "sqlite":
            if self.conn.in_transaction:
                self.cursor.execute("ROLLBACK")
        else:
            self.conn.rollback()

    def _retryable(self, exc: Exception) -> bool:
        return "locked" in str(exc) or getattr(exc, "sqlstate", None) in {"40001", "40P01", "55P03"}

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.engine == "sqlite" else sql

    def execute(self, sql: str, params=()) -> None:
        self.statements += 1
        self.cursor.execute(self._sql(sql), params)
        self.rowcount = self.cursor.rowcount

    def insert(self, sql: str, params=()) -> int:
        self.statements += 1
        self.cursor.execute(self._sql(sql + " RETURNING id"), params)
        return self.cursor.fetchone()[0]

    def one(self, sql: str, params=()):
        self.statements += 1
        self.cursor.execute(self._sql(sql), params)
        return self.cursor.fetchone()[0]

    def dec(self, value: Decimal):
        return str(value) if self.engine == "sqlite" else value

    def now(self):
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        return now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.engine == "sqlite" else now

    def today(self):
        from datetime import date

        return date.today().isoformat() if self.engine == "sqlite" else date.today()

    def close(self) -> None:
        self.conn.close()


if __name__ == "__main__":
    main()
