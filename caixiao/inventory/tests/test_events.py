import json
from decimal import Decimal

from caixiao.inventory import events, services
from caixiao.inventory.tests.stock import receive


def test_payloads_are_json_with_decimals_as_strings(product, warehouse, clerk, ref):
    move = receive(product, warehouse, 3, unit_cost="2.5", actor=clerk, reference=ref(1))
    [result] = services.reserve_stock(requests=[services.ReserveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("2"), reference=ref(1))],
        allow_partial=False, actor=clerk)
    count = services.create_stock_count(warehouse_id=warehouse.pk, actor=clerk)

    moves = json.loads(json.dumps(events.moves_payload([move])))
    assert moves["version"] == 1 and moves["moves"][0]["quantity"] == "3.000000"
    assert moves["moves"][0]["unit_cost"] == "2.5000" and moves["moves"][0]["reference_id"] == 1
    reservations = json.loads(json.dumps(events.reservations_payload([result.reservation])))
    assert reservations["reservations"][0]["quantity"] == "2.000000"
    assert json.loads(json.dumps(events.stock_count_payload(count)))["number"] == count.number


def test_event_names_are_dotted_and_past_tense():
    names = [v for k, v in vars(events).items() if k.isupper() and isinstance(v, str) and "." in v]
    assert names and all(n.startswith("inventory.") and n.count(".") == 2 for n in names)


def emitted(event_type):
    from caixiao.core.models import OutboxEvent

    return list(OutboxEvent.objects.filter(type=event_type).order_by("pk"))


def test_every_ledger_service_announces_its_work_in_the_outbox(product, warehouse, clerk, ref):
    receive(product, warehouse, 5, unit_cost="2", actor=clerk, reference=ref(1))
    [received] = emitted(events.STOCK_RECEIVED)
    assert received.payload["moves"][0]["product_id"] == product.pk
    assert received.payload["moves"][0]["quantity"] == "5.000000"

    services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("-1"),
                          reason="damaged", actor=clerk)
    assert emitted(events.STOCK_ADJUSTED)[0].payload["moves"][0]["quantity"] == "-1.000000"

    services.reserve_stock(requests=[services.ReserveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("2"), reference=ref(2))],
        allow_partial=False, actor=clerk)
    assert emitted(events.STOCK_RESERVED)[0].payload["reservations"][0]["quantity"] == "2.000000"

    services.issue_reserved_stock(requests=[services.IssueReservedRequest(
        reservation_reference=ref(2), product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("1"))],
        actor=clerk)
    services.release_reservation(requests=[services.ReleaseRequest(reference=ref(2))], actor=clerk)
    assert emitted(events.STOCK_ISSUED)[0].payload["moves"][0]["quantity"] == "-1.000000"
    assert emitted(events.STOCK_RELEASED)[0].payload["reservations"][0]["quantity_released"] == "1.000000"

    count = services.create_stock_count(warehouse_id=warehouse.pk, actor=clerk)
    assert emitted(events.STOCK_COUNT_POSTED) == []
    assert {e.actor_id for e in emitted(events.STOCK_RECEIVED) + emitted(events.STOCK_ISSUED)} == {clerk.pk}
    assert count.number.startswith("SC-")


def test_a_refused_operation_announces_nothing(product, warehouse, clerk, ref):
    import pytest

    from caixiao.core.errors import DomainError

    with pytest.raises(DomainError):
        services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("-1"),
                              reason="lost", actor=clerk)
    assert emitted(events.STOCK_ADJUSTED) == []
