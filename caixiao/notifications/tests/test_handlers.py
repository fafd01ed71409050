"""Events → notifications and to-dos, through the real sales and ledger services."""

from decimal import Decimal

import pytest
from django.core import mail

from caixiao.core import outbox
from caixiao.core.models import DeliveryStatus, EventDelivery, OutboxEvent
from caixiao.notifications import selectors, services
from caixiao.notifications.models import EmailDelivery, Notification, Todo, TodoStatus
from caixiao.sales import services as sales_services
from caixiao.sales.tests.factories import make_order, ship_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, warehouse, product, stock, rep):
    stock(product, 10)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 3)], actor=rep, confirm=True)
    outbox.process_due()
    return order


def test_confirmed_order_notifies_its_sales_rep(order, rep):
    [note] = selectors.list_notifications(user=rep)
    assert note.verb == "sales.order.confirmed"
    assert order.number in note.title
    assert note.document_type == "sales.salesorder" and note.document_id == str(order.pk)
    assert selectors.unread_count(user=rep) == 1


def test_delivery_notice_puts_a_todo_on_every_clerks_list_and_notifies_them(order, rep, make_user, warehouse):
    clerk = make_user("warehouse_clerk")
    manager = make_user("sales_manager")
    warehouse.manager = manager
    warehouse.save()
    notice = sales_services.create_delivery_notice(order_id=order.pk, actor=rep)
    outbox.process_due()

    [todo] = selectors.list_todos(user=clerk)
    assert todo.kind == "ship_delivery_notice" and todo.role == "warehouse_clerk"
    assert todo.document_id == str(notice.pk) and notice.number in todo.title
    assert todo.due_on is not None
    assert [t.assignee for t in selectors.list_todos(user=manager)] == [manager]
    assert selectors.unread_count(user=clerk) == 1
    assert selectors.unread_count(user=manager) == 1
    assert selectors.list_todos(user=rep).count() == 0


def test_replaying_events_duplicates_nothing(order, rep, make_user):
    clerk = make_user("warehouse_clerk")
    sales_services.create_delivery_notice(order_id=order.pk, actor=rep)
    outbox.process_due()
    before = (Notification.objects.count(), Todo.objects.count())
    for event in OutboxEvent.objects.all():
        outbox.replay_event(event_id=event.pk)
    outbox.process_due()
    assert (Notification.objects.count(), Todo.objects.count()) == before
    assert selectors.list_todos(user=clerk).count() == 1


def test_shipping_closes_the_todo_and_tells_the_rep(order, rep, make_user):
    clerk = make_user("warehouse_clerk")
    notice = ship_all(order, actor=clerk)
    outbox.process_due()
    assert selectors.list_todos(user=clerk).count() == 0
    todo = Todo.objects.get(document_id=str(notice.pk))
    assert todo.status == TodoStatus.DONE and todo.closed_at is not None
    assert set(selectors.list_notifications(user=rep).values_list("verb", flat=True)) == {
        "sales.order.confirmed", "sales.delivery_notice.shipped"}


def test_cancelling_the_notice_cancels_the_todo(order, rep, make_user):
    make_user("warehouse_clerk")
    notice = sales_services.create_delivery_notice(order_id=order.pk, actor=rep)
    outbox.process_due()
    sales_services.cancel_delivery_notice(notice_id=notice.pk, actor=rep, reason="customer called")
    outbox.process_due()
    assert Todo.objects.get(document_id=str(notice.pk)).status == TodoStatus.CANCELLED


def test_a_user_closes_only_their_own_todos(order, rep, make_user):
    clerk, other = make_user("warehouse_clerk"), make_user("buyer")
    sales_services.create_delivery_notice(order_id=order.pk, actor=rep)
    outbox.process_due()
    todo = selectors.list_todos(user=clerk).get()
    with pytest.raises(services.NotFound):
        services.close_todo(user=other, todo_id=todo.pk)
    services.close_todo(user=clerk, todo_id=todo.pk)
    assert selectors.list_todos(user=clerk).count() == 0


@pytest.mark.django_db(transaction=True)
def test_email_goes_out_from_a_delivery_row_after_the_handler(customer, warehouse, product, stock, rep):
    rep.email = "rep@example.com"
    rep.save()
    services.set_preference(user=rep, event_type="sales.order.confirmed", in_app=True, email=True)
    stock(product, 5)
    make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    outbox.process_due()
    delivery = EmailDelivery.objects.get()
    assert mail.outbox == []  # the handler only wrote the row
    assert services.send_due_emails() == 1
    [message] = mail.outbox
    assert message.to == ["rep@example.com"] and message.subject == delivery.subject
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1


def test_email_by_role_default_unless_the_user_turns_it_off(make_user):
    from caixiao.notifications.preferences import channels_for

    manager = make_user("sales_manager", email="boss@example.com")
    assert channels_for(manager, "sales.order.confirmed") == {"in_app", "email"}
    services.set_preference(user=manager, event_type="sales.order.confirmed", in_app=True, email=False)
    assert channels_for(manager, "sales.order.confirmed") == {"in_app"}
    assert channels_for(make_user("sales_manager"), "sales.order.confirmed") == {"in_app"}  # no address


@pytest.mark.django_db(transaction=True)
def test_failing_email_is_retried_then_given_up(order, rep, settings, monkeypatch):
    rep.email = "rep@example.com"
    rep.save()
    note = Notification.objects.get(recipient=rep)
    delivery = services.queue_email(note)
    monkeypatch.setattr(services, "send_mail", lambda *a, **k: (_ for _ in ()).throw(OSError("smtp down")))
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    assert services.send_email(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == "pending" and "smtp down" in delivery.last_error
    EmailDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    services.send_email(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 2


def test_a_failing_notifications_handler_never_breaks_the_emitting_transaction(
        customer, warehouse, product, stock, rep, monkeypatch):
    from caixiao.core import events

    def boom(event):
        raise RuntimeError("handler bug")

    spec = events.HANDLERS["notifications.order_confirmed"]
    monkeypatch.setitem(events.HANDLERS, spec.name, events.Handler(spec.name, spec.patterns, boom))
    stock(product, 5)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    outbox.process_due()
    order.refresh_from_db()
    assert order.status == "confirmed"
    delivery = EventDelivery.objects.get(event__type="sales.order.confirmed", handler=spec.name)
    assert delivery.status == DeliveryStatus.PENDING and "handler bug" in delivery.last_error
    assert Notification.objects.count() == 0
    monkeypatch.setitem(events.HANDLERS, spec.name, spec)
    outbox.retry_delivery(delivery_id=delivery.pk)
    outbox.process_due()
    assert selectors.unread_count(user=rep) == 1


def test_stock_below_safety_stock_alerts_the_buyer_once_and_closes_when_refilled(
        warehouse, product, stock, make_user, rep, customer):
    from caixiao.rules.services import ensure_builtin_rules

    ensure_builtin_rules()  # the alert is the built-in rule "stock-below-safety-stock" now (docs/rules.md)
    buyer = make_user("buyer")
    product.buyer = buyer
    product.safety_stock = Decimal("5")
    product.save()
    stock(product, 6)
    outbox.process_due()
    assert Todo.objects.filter(kind="replenish").count() == 0
    make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    outbox.process_due()
    [todo] = selectors.list_todos(user=buyer)
    assert todo.kind == "replenish" and todo.scope == f"warehouse:{warehouse.pk}"
    assert todo.url == f"/products/{product.pk}/"
    assert selectors.list_notifications(user=buyer).filter(verb="inventory.stock.below_safety").count() == 1
    stock(product, 10)
    outbox.process_due()
    todo.refresh_from_db()
    assert todo.status == TodoStatus.DONE
