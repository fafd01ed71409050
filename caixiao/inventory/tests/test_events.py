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
