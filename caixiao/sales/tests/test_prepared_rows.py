"""``core/rows.py`` (decision D18, issue 3 item 8): the prepared statements of the hot paths read and
write exactly what the ORM reads and writes, on SQLite and PostgreSQL. Here with the sales models,
which have every kind of column the hot path touches (decimals, dates, times, JSON, nullable keys)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from caixiao.approvals.defaults import ensure_default_flows
from caixiao.approvals.enums import InstanceStatus
from caixiao.approvals.selectors import active_flow_row
from caixiao.catalog.models import Product
from caixiao.catalog.tests.factories import CategoryFactory
from caixiao.core import rows
from caixiao.partners.models import Customer
from caixiao.sales import services
from caixiao.sales.approval import DOCUMENT_TYPE
from caixiao.sales.models import SalesOrder, SalesOrderLine

pytestmark = pytest.mark.django_db


def values(obj) -> dict[str, str]:
    """Every column's value with its type and exact form (``Decimal('1.50')`` is not ``Decimal('1.5')``)."""
    return {f.attname: repr(getattr(obj, f.attname)) for f in type(obj)._meta.concrete_fields}


@pytest.fixture
def order(customer, product, other_product, warehouse, rep):
    return services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, actor=rep, lines=[
        services.OrderLineInput(product_id=product.pk, quantity=Decimal("2"), discount_percent=Decimal("5")),
        services.OrderLineInput(product_id=other_product.pk, quantity=Decimal("1"))], notes="备注")


def test_select_reads_what_the_orm_reads(order):
    (read,) = rows.select(SalesOrder, "id = %s", [order.pk])
    assert values(read) == values(SalesOrder.objects.get(pk=order.pk))
    assert read._state.adding is False and read._state.db == "default"
    lines = rows.select(SalesOrderLine, "order_id = %s", [order.pk], order_by="position, id")
    assert [values(line) for line in lines] == [values(line) for line in order.lines.order_by("position", "id")]


def test_related_rows_come_in_the_same_statement(order, rep):
    customer = Customer.objects.get(pk=order.customer_id)
    with CaptureQueriesContext(connection) as queries:
        read = rows.get(SalesOrder, order.pk, related=("customer", "owner"))
        assert values(read.customer) == values(customer)
        assert values(read.owner) == values(rep)
    assert len(queries) == 1


def test_a_null_foreign_key_is_none_without_a_query(order):
    SalesOrder.objects.filter(pk=order.pk).update(owner=None)
    with CaptureQueriesContext(connection) as queries:
        read = rows.get(SalesOrder, order.pk, related=("owner",))
        assert read.owner is None
    assert len(queries) == 1


def test_list_parameters_expand_for_in(product, other_product, pcs):
    table = Product._meta.db_table
    both = rows.select(Product, f"{table}.id IN %s", [{product.pk, other_product.pk}], related=("base_unit",),
                       order_by=f"{table}.id")
    assert [p.pk for p in both] == sorted([product.pk, other_product.pk])
    assert [values(p.base_unit) for p in both] == [values(pcs)] * 2
    assert rows.select(Product, "id IN %s AND is_active", [[product.pk]]) == [product]
    assert rows.select(Product, "id IN %s", [[]]) == []


def test_annotations_and_limits(order, rep):
    ensure_default_flows()
    flow = active_flow_row(document_type=DOCUMENT_TYPE, pending_for=str(order.pk))
    assert flow is not None and flow.has_pending is False
    from caixiao.approvals.models import ApprovalInstance

    ApprovalInstance.objects.create(document_type=DOCUMENT_TYPE, object_id=str(order.pk), flow=flow,
                                    flow_version=flow.version, flow_snapshot=[], context={},
                                    status=InstanceStatus.PENDING, current_step=1, activation=1, requester=rep)
    assert active_flow_row(document_type=DOCUMENT_TYPE, pending_for=str(order.pk)).has_pending is True
    assert active_flow_row(document_type="no.such.type") is None


def test_get_of_a_missing_row():
    with pytest.raises(SalesOrder.DoesNotExist):
        rows.get(SalesOrder, 987654)


def test_for_update_locks_the_rows_where_the_database_has_row_locks(order):
    with CaptureQueriesContext(connection) as queries:
        rows.get(SalesOrder, order.pk, related=("customer",), for_update=True)
    sql = queries.captured_queries[-1]["sql"]
    if connection.features.has_select_for_update:
        assert sql.endswith(f'FOR NO KEY UPDATE OF "{SalesOrder._meta.db_table}"')
    else:
        assert "FOR" not in sql.split("WHERE")[-1]


def test_insert_writes_what_save_writes(order, customer, warehouse, rep):
    copy = SalesOrder(number="SO-COPY-1", customer=customer, warehouse=warehouse, owner=rep, created_by=rep,
                      requested_on=date(2026, 12, 1), currency="CNY", shortage_policy="backorder", notes="备注",
                      total_net=Decimal("1.5"), total_tax=Decimal("0.2"), total_gross=Decimal("1.7"))
    twin = SalesOrder(**{f.attname: getattr(copy, f.attname) for f in SalesOrder._meta.concrete_fields
                         if not f.primary_key} | {"number": "SO-COPY-2"})
    rows.insert(copy)
    twin.save()
    assert copy.pk and copy._state.adding is False
    stored, saved = SalesOrder.objects.get(pk=copy.pk), SalesOrder.objects.get(pk=twin.pk)
    differ = {"id", "number", "created_at", "updated_at"}
    assert {k: v for k, v in values(stored).items() if k not in differ} == {
        k: v for k, v in values(saved).items() if k not in differ}
    assert stored.created_at is not None and stored.updated_at is not None


def test_insert_of_several_rows_sets_each_primary_key(order, product):
    new = [SalesOrderLine(order=order, position=n, product=product, quantity=Decimal(n), unit_price=Decimal("3"),
                          tax_rate=Decimal("0.13")) for n in (7, 8, 9)]
    rows.insert(*new)
    assert [SalesOrderLine.objects.get(pk=line.pk).position for line in new] == [7, 8, 9]


def test_insert_and_update_send_the_signals_so_history_is_kept(pcs):
    product = Product(code="RW-1", name="预备语句", base_unit=pcs, category=CategoryFactory(),
                      sale_price=Decimal("2.00"))
    rows.insert(product)
    assert product.history.count() == 1
    product.name = "改名"
    rows.update(product, ["name", "updated_at"])
    assert Product.objects.get(pk=product.pk).name == "改名"
    assert [h.history_type for h in product.history.order_by("history_id")] == ["+", "~"]


def test_update_writes_only_the_fields_named(order):
    before = SalesOrder.objects.get(pk=order.pk)
    order.notes, order.customer_reference = "新备注", "not written"
    rows.update(order, ["notes"])
    after = SalesOrder.objects.get(pk=order.pk)
    assert (after.notes, after.customer_reference, after.updated_at) == ("新备注", "", before.updated_at)
    rows.update(order, ["notes", "updated_at"])
    assert SalesOrder.objects.get(pk=order.pk).updated_at > before.updated_at


def test_update_of_a_missing_row_fails_as_save_does(order):
    order.pk = 987654
    with pytest.raises(DatabaseError):
        rows.update(order, ["notes"])


def test_prefetched_lines_answer_without_queries(order):
    read = rows.get(SalesOrder, order.pk)
    lines = rows.select(SalesOrderLine, "order_id = %s", [order.pk], order_by="position, id")
    rows.prefetched(read, "lines", lines)
    with CaptureQueriesContext(connection) as queries:
        assert list(read.lines.all()) == lines
        assert all(line.order is read for line in lines)
    assert len(queries) == 0
    other = services.create_order(customer_id=order.customer_id, warehouse_id=order.warehouse_id,
                                  actor=order.owner, lines=[services.OrderLineInput(
                                      product_id=lines[0].product_id, quantity=Decimal("1"))])
    assert other.pk != read.pk
    assert read.lines.get(position=1) == lines[0]  # a query of this order's lines, not every order's


def test_only_reads_the_fields_named_and_defers_the_rest(order):
    (read,) = rows.select(SalesOrder, "id = %s", [order.pk], only=("number", "customer_id"))
    assert (read.pk, read.number, read.customer_id) == (order.pk, order.number, order.customer_id)
    assert read.get_deferred_fields() >= {"notes", "total_gross"}
    assert read.total_gross == order.total_gross  # read on access, as after QuerySet.only()


def test_saved_builds_the_instance_create_would_return(rep):
    from django.utils import timezone

    from caixiao.core.models import OutboxEvent

    values = {"type": "sales.order.created", "version": 1, "aggregate_type": "sales.salesorder",
              "aggregate_id": "7", "payload": {"n": 1}, "actor_id": rep.pk, "created_at": timezone.now()}
    (pk,) = rows.insert_rows(OutboxEvent, [values])
    assert values_of(rows.saved(OutboxEvent, pk, values)) == values_of(OutboxEvent.objects.get(pk=pk))


def values_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_long_in_lists_are_padded_to_few_statements_and_batched(pcs, monkeypatch):
    category = CategoryFactory()
    made = Product.objects.bulk_create([Product(code=f"IN-{i:03d}", name=f"批量{i}", base_unit=pcs, category=category,
                                                sale_price=Decimal("1")) for i in range(40)])
    ids = [p.pk for p in made]
    for size in range(5, 33):  # 5..32 values: statements for 8, 16 and 32 placeholders only
        assert sorted(p.pk for p in rows.select(Product, "id IN %s", [ids[:size]])) == ids[:size]
    assert {key[2] for key in rows._SELECTS if key[:2] == (Product, "id IN %s")} <= {(0,), (1,), (2,), (3,), (4,),
                                                                                      (8,), (16,), (32,)}
    monkeypatch.setattr(rows, "IN_BATCH", 16)
    assert sorted(p.pk for p in rows.select(Product, "id IN %s AND is_active", [set(ids)])) == ids
    with pytest.raises(ValueError):
        rows.select(Product, "id IN %s", [ids], order_by="id")


def test_many_rows_are_inserted_in_batches_of_at_most_999_parameters(order, product):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    new = [SalesOrderLine(order=order, position=n, product=product, quantity=Decimal(1), unit_price=Decimal("3"),
                          tax_rate=Decimal("0.13")) for n in range(10, 210)]
    with CaptureQueriesContext(connection) as queries:
        rows.insert(*new)
    columns = len([f for f in SalesOrderLine._meta.concrete_fields if not f.primary_key])
    assert len(queries) == -(-200 // (999 // columns))  # ceil
    assert sorted(SalesOrderLine.objects.filter(pk__in=[line.pk for line in new]).values_list("position", flat=True)) \
        == list(range(10, 210))


def test_statements_run_on_a_kept_driver_cursor_with_djangos_errors(order):
    """Unwatched, the statements run on one driver cursor per connection (rows._execute); driver errors
    still arrive as django.db errors and a broken transaction is still refused."""
    from django.db import IntegrityError, transaction
    from django.db.transaction import TransactionManagementError

    first = rows.execute("SELECT 1")
    assert first.fetchall() == [(1,)]
    assert rows.execute("SELECT 2") is first  # kept, not created per statement
    row = {"number": order.number, "customer_id": order.customer_id, "warehouse_id": order.warehouse_id,
           "requested_on": date(2026, 1, 1), "currency": "CNY", "shortage_policy": "block", "status": "draft"}
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():  # the number is unique
            rows.insert_rows(SalesOrder, [row])
        assert rows.execute("SELECT 1").fetchall() == [(1,)]  # the savepoint rolled back: usable
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            rows.insert_rows(SalesOrder, [row])  # no savepoint to go back to: the transaction is broken
        rows.execute("SELECT 1")


def test_watched_statements_go_through_djangos_cursor(order):
    """Query capture (DEBUG, CaptureQueriesContext) and execute_wrappers see every statement of rows.py."""
    seen: list[str] = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as captured:
        rows.select(SalesOrder, "id = %s", [order.pk])
    assert len(captured.captured_queries) == 1
    with connection.execute_wrapper(wrapper):
        rows.get(SalesOrder, order.pk)
        rows.execute("SELECT 1")
    assert len(seen) == 2


def test_instances_are_built_as_from_db_builds_them(order):
    """rows._from_db stores the values directly for plain models: the same attributes and state as
    Model.from_db; with an init signal receiver connected, from_db (and the receiver) runs."""
    from django.db.models import signals

    (read,) = rows.select(SalesOrder, "id = %s", [order.pk])
    orm = SalesOrder.objects.get(pk=order.pk)
    assert {k: v for k, v in vars(read).items() if k != "_state"} == {
        k: v for k, v in vars(orm).items() if k != "_state"}
    assert (read._state.adding, read._state.db) == (False, "default")
    (partial,) = rows.select(SalesOrder, "id = %s", [order.pk], only=["number"])
    assert partial.get_deferred_fields() == SalesOrder.objects.only("number").get(pk=order.pk).get_deferred_fields()

    built: list[object] = []

    def receiver(sender, instance, **kwargs):
        built.append(instance)

    signals.post_init.connect(receiver, sender=SalesOrder)
    try:
        (watched,) = rows.select(SalesOrder, "id = %s", [order.pk])
    finally:
        signals.post_init.disconnect(receiver, sender=SalesOrder)
    assert len(built) == 1 and built[0] is watched


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
@pytest.mark.parametrize("value", [
    None, 0, 7, 2**40, True, "12", "", "SO-1", "备注", Decimal("1.50"), Decimal("-0.000001"), Decimal("12"), 1.5,
    date(2026, 1, 2), "2026-01-02 03:04:05",
])
def test_values_are_prepared_as_get_db_prep_save_prepares_them(value):
    """rows._preparer skips get_prep_value for values of the field's own type; any value of any column
    written on the hot path comes out as Django's get_db_prep_save gives it (or fails as it fails)."""
    from datetime import UTC, datetime, timedelta, timezone

    from django_tasks_db.models import DBTaskResult

    from caixiao.core.models import AuditEntry, EventDelivery, OutboxEvent
    from caixiao.inventory.models import Reservation

    values = [value, datetime(2026, 11, 24, 12, 0, 1, 5, tzinfo=UTC),
              datetime(2026, 11, 24, 20, 0, tzinfo=timezone(timedelta(hours=8))), datetime(2026, 11, 24, 12, 0)]
    for model in (SalesOrder, SalesOrderLine, AuditEntry, OutboxEvent, EventDelivery, Reservation, DBTaskResult):
        for field in model._meta.concrete_fields:
            prepare = rows._preparer(field)
            for given in values:
                try:
                    expected = field.get_db_prep_save(given, connection)
                except Exception as exc:
                    with pytest.raises(type(exc)):
                        prepare(given, connection)
                    continue
                got = prepare(given, connection)
                assert (type(got), repr(got)) == (type(expected), repr(expected)), (model, field.name, given)
