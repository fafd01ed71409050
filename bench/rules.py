"""Rule engine benchmark (issue 5 item 7, SPEC N5). Prints figures; it is not a test.

How to run (from the repository root):

    .venv/bin/python bench/rules.py                 # SQLite (a file under var/bench/)
    .venv/bin/python bench/rules.py --pg            # also PostgreSQL at postgres://postgres@127.0.0.1:5432
    .venv/bin/python bench/rules.py --products 20000 --sqlite-only

The data: ``--products`` products (default 100,000) with a stock balance each in one warehouse, bulk
inserted; 10% of them with 12 weeks of sales history (issue moves), 1% of those growing > 20% week
over week for the last 3 weeks. The rules: the 4 built-ins (enabled) and 4 administrator-style rules
on the weekly schedule (slow movers at the end of their life, over-stock against average sales, a sale
price too close to the purchase price, a fastener category below its minimum order quantity).

What it measures:

- **compile**: checking and compiling the 8 conditions (cold, then from the cache);
- **evaluate**: evaluations per second of each product condition alone over the prebuilt contexts;
- **contexts**: building the product contexts of every product (set-based: one query per source);
- **weekly run**: ``run_schedule("weekly")`` — contexts, one evaluation pass for the 5 weekly product
  rules, then the actions of every match (safety stock adjustments through the catalog service,
  notifications, to-dos) each rule in its own transaction;
- **event path**: the cost of the emit-time check (``Handler.when``) and of an inventory event run
  through the stock-below-safety-stock rule.

SQLite runs on a file under ``var/bench/``; PostgreSQL in its own database ``caixiao_bench_rules``,
created and dropped by the bench. Each engine runs in a child process."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from unittest import mock

from bench_db import ROOT, VAR, django_on  # bench/ is sys.path[0] when run as a script

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "caixiao_bench_rules"
D = Decimal

ADMIN_RULES = [
    {"code": "bench-end-of-life", "name": "End-of-life stock", "trigger_kind": "schedule", "trigger": "weekly",
     "subject": "product", "condition": "product.lifecycle == 'end_of_life' && product.on_hand > 300.0",
     "actions": [{"type": "notify", "params": {"roles": ["purchasing_manager"]}}]},
    {"code": "bench-over-stock", "name": "Over-stock", "trigger_kind": "schedule", "trigger": "weekly",
     "subject": "product",
     "condition": "product.sales_12w > 0.0 && product.on_hand > 38.0 * avg(product.weekly_sales)",
     "actions": [{"type": "create_todo", "params": {"roles": ["buyer"], "title": "Over-stock"}}]},
    {"code": "bench-thin-margin", "name": "Thin margin", "trigger_kind": "schedule", "trigger": "weekly",
     "subject": "product", "condition": "product.sale_price < product.purchase_price * 0.998",
     "actions": [{"type": "notify", "params": {"roles": ["purchasing_manager"]}}]},
    {"code": "bench-fastener-moq", "name": "Fasteners below MOQ", "trigger_kind": "schedule", "trigger": "weekly",
     "subject": "product",
     "condition": "product.category == 'FASTENER' && product.lifecycle == 'growth' "
                  "&& product.available < product.min_order_qty",
     "actions": [{"type": "notify", "params": {"roles": ["buyer"]}}]},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help=f"also run on PostgreSQL at {DEFAULT_PG}")
    parser.add_argument("--pg-url", help="PostgreSQL server URL (no database name); implies --pg")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even if DATABASE_URL is set")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_engine(args.child, args.url, products=args.products)
        return
    engines = [("sqlite", f"sqlite:///{VAR / 'rules.sqlite3'}")]
    env_url = os.environ.get("DATABASE_URL", "")
    server = args.pg_url or (DEFAULT_PG if args.pg else None)
    if server is None and env_url.startswith("postgres"):
        server = env_url.rsplit("/", 1)[0]
    if server and not args.sqlite_only:
        engines.append(("postgresql", f"{server.rstrip('/')}/{PG_DATABASE}"))
    print(f"Rule engine over {args.products:,} products (python {sys.version.split()[0]}; "
          f"command: {' '.join([Path(sys.executable).name, *sys.argv])})", flush=True)
    failed = False
    for engine, url in engines:
        result = subprocess.run([sys.executable, __file__, "--child", engine, "--url", url,
                                 "--products", str(args.products)],
                                cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=False)
        failed |= result.returncode != 0
    sys.exit(1 if failed else 0)


def run_engine(engine: str, url: str, *, products: int) -> None:
    with django_on(engine, url, PG_DATABASE):
        measure(engine, products)


def seed(count: int) -> dict[str, int]:
    """Bulk insert the products, their balances and sales history (bench data, not through services)."""
    from django.contrib.auth.models import Group

    from caixiao.accounts import services as account_services
    from caixiao.accounts.models import User
    from caixiao.catalog.models import Category, Product, Unit
    from caixiao.inventory.enums import MoveKind, StockState
    from caixiao.inventory.models import StockBalance, StockMove, Warehouse

    account_services.sync_roles()
    for username, role in (("bench_buyer", "buyer"), ("bench_pm", "purchasing_manager"), ("bench_admin", "administrator")):
        User.objects.create_user(username=username, password="x").groups.set(Group.objects.filter(name=role))
    unit = Unit.objects.create(code="PCS", name="个", decimals=0)
    categories = [Category.objects.create(code=code, name=code) for code in ("FASTENER", "TOOL", "ELECTRIC", "PIPE")]
    warehouse = Warehouse.objects.create(code="BENCH", name="压测仓")
    rng = random.Random(5)
    lifecycles = ["mature"] * 90 + ["growth"] * 6 + ["decline"] * 3 + ["end_of_life"]
    batch = 5000
    for start in range(0, count, batch):
        Product.objects.bulk_create([Product(
            code=f"B{i:06d}", name=f"压测商品{i}", category=categories[i % 4], base_unit=unit,
            purchase_price=(cost := D(rng.randint(500, 5000)) / 100),
            sale_price=(cost * D(rng.randint(995, 1600)) / 1000).quantize(D("0.01")),
            safety_stock=D(rng.choice([0, 10, 20, 50, 100])), min_order_qty=D(rng.choice([0, 10, 50])),
            lifecycle=rng.choice(lifecycles)) for i in range(start, min(start + batch, count))])
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    on_hand = {pid: D(rng.randint(0, 400)) for pid in ids}
    for start in range(0, len(ids), batch):
        StockBalance.objects.bulk_create([StockBalance(product_id=pid, warehouse=warehouse, on_hand=on_hand[pid],
                                                       allocated=min(on_hand[pid], D(rng.randint(0, 20))))
                                          for pid in ids[start:start + batch]])
    selling = ids[::10]  # 10% with 12 weeks of sales
    growing = set(selling[::10])  # 1% of products: > 20% week over week for the last 3 weeks
    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday())
    moves = 0
    for week in range(12, 0, -1):
        at = dt.datetime.combine(monday - dt.timedelta(weeks=week) + dt.timedelta(days=2), dt.time(10),
                                 tzinfo=dt.UTC)
        rows = []
        for pid in selling:
            if pid in growing:
                quantity = 10 if week > 3 else int(10 * 1.3 ** (4 - week))
            else:
                quantity = rng.randint(5, 15)
            rows.append(StockMove(product_id=pid, warehouse=warehouse, state=StockState.ON_HAND, quantity=-D(quantity),
                                  unit_cost=D("8"), kind=MoveKind.ISSUE, group=__import__("uuid").uuid4(),
                                  reason="bench"))
        with mock.patch("django.utils.timezone.now", return_value=at):
            for start in range(0, len(rows), batch):
                StockMove.objects.bulk_create(rows[start:start + batch])
        moves += len(rows)
    return {"products": len(ids), "moves": moves, "growing": len(growing)}


def measure(engine: str, count: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from caixiao.catalog.models import Product
    from caixiao.core import events
    from caixiao.rules import engine as rule_engine
    from caixiao.rules import expressions, services, subjects
    from caixiao.rules.models import Rule, RuleChange

    started = time.perf_counter()
    facts = seed(count)
    print(f"{engine}: seeded {facts['products']:,} products, {facts['moves']:,} sales moves "
          f"({facts['growing']:,} growing) in {time.perf_counter() - started:.1f} s", flush=True)

    services.ensure_builtin_rules()
    for spec in ADMIN_RULES:
        services.create_rule(data={**spec, "enabled": True}, actor=None)
    for rule in Rule.objects.filter(is_builtin=True, enabled=False):
        services.enable_rule(rule_id=rule.pk, actor=None)
    rules = list(Rule.objects.select_related("current_version").order_by("code"))

    expressions._compile.cache_clear()
    rule_engine._PREPARED.clear()
    t = time.perf_counter()
    prepared = {r.code: rule_engine.prepare(r.current_version, r.subject) for r in rules}
    cold = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(100):
        for r in rules:
            expressions.compile_expression(r.current_version.condition, subjects.get_subject(r.subject).schema,
                                           field_name="condition")
    warm = (time.perf_counter() - t) / 100
    print(f"  compile {len(rules)} conditions: cold {cold * 1000:.1f} ms, cached {warm * 1e6:.1f} µs", flush=True)

    as_of = timezone.now()
    t = time.perf_counter()
    items = list(subjects.PRODUCT.contexts(None, as_of))
    build = time.perf_counter() - t
    print(f"  product contexts: {len(items):,} built in {build:.2f} s ({len(items) / build:,.0f}/s, "
          f"{len(connection.queries) if connection.queries_logged else 'n/a'} queries logged)", flush=True)

    contexts = [c for _t, c in items]
    total_evals, total_time = 0, 0.0
    for rule in rules:
        if rule.subject != "product":
            continue
        expression = prepared[rule.code].expression
        t = time.perf_counter()
        matched = sum(1 for c in contexts if expression.matches(c))
        elapsed = time.perf_counter() - t
        total_evals += len(contexts)
        total_time += elapsed
        print(f"  evaluate {rule.code:<28} {len(contexts) / elapsed:>9,.0f} evals/s  matched {matched:>6,}  "
              f"({rule.current_version.condition})", flush=True)
    print(f"  evaluate, all product rules: {total_evals / total_time:,.0f} evals/s", flush=True)
    del items, contexts

    before = Product.objects.filter(safety_stock__gt=0).values_list("safety_stock", flat=True)
    sum_before = sum(before, D(0))
    t = time.perf_counter()
    runs = services.run_schedule(schedule="weekly", as_of=as_of)
    elapsed = time.perf_counter() - t
    changes = RuleChange.objects.count()
    print(f"  weekly run: {len(runs)} rules over {count:,} products in {elapsed:.1f} s "
          f"({sum(r.evaluated for r in runs) / elapsed:,.0f} evaluations/s end to end); matched "
          + ", ".join(f"{r.rule.code} {r.matched}" for r in runs)
          + f"; {changes:,} changes logged; errors: {[r.error for r in runs if r.error] or 'none'}", flush=True)
    acting = sum(((r.finished_at - r.started_at).total_seconds() for r in runs), 0.0)
    print(f"  of which: contexts + one evaluation pass for the 5 rules {elapsed - acting:.1f} s, actions "
          + ", ".join(f"{r.rule.code} {(r.finished_at - r.started_at).total_seconds():.1f} s" for r in runs),
          flush=True)
    raised = RuleChange.objects.filter(action_type="adjust_safety_stock").count()
    sum_after = sum(Product.objects.filter(safety_stock__gt=0).values_list("safety_stock", flat=True), D(0))
    print(f"  safety stock raised on {raised:,} products (total {sum_before:,.0f} → {sum_after:,.0f})", flush=True)

    # The event path: the emit-time check, and one stock event through the safety-stock rule.
    n = 100_000
    spec = events.HANDLERS["rules.event_rules"]
    t = time.perf_counter()
    for _ in range(n):
        spec.when("inventory.stock.received")  # type: ignore[misc]
    when = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        spec.when("sales.order.created")  # type: ignore[misc]
    when_no = (time.perf_counter() - t) / n
    from caixiao.core.models import OutboxEvent
    from caixiao.inventory.models import StockBalance

    balances = list(StockBalance.objects.values_list("product_id", "warehouse_id")[:500])
    event_times = []
    for pid, wid in balances:
        with transaction.atomic():
            event = OutboxEvent.objects.create(type="inventory.stock.adjusted", aggregate_type="inventory.stockmove",
                                               aggregate_id="0", payload={"version": 1, "moves": [
                                                   {"product_id": pid, "warehouse_id": wid}]})
            t = time.perf_counter()
            rule_engine.on_event(event)
            event_times.append(time.perf_counter() - t)
    event_times.sort()
    print(f"  event path: Handler.when {when * 1e6:.2f} µs (a listened-to type), {when_no * 1e6:.2f} µs (not); "
          f"a stock event through the event rules: median {event_times[len(event_times) // 2] * 1000:.2f} ms, "
          f"p95 {event_times[int(len(event_times) * 0.95)] * 1000:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
