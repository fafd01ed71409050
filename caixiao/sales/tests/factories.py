"""Builders for sales tests. Orders are made through the services, so every order a test sees went
through the same checks, numbering, audit and events as a real one."""

from decimal import Decimal

from caixiao.inventory import services as inventory_services
from caixiao.sales import services
from caixiao.sales.models import SalesOrder

D = Decimal


def receive(product, warehouse, quantity, *, location=None, unit_cost="10", actor=None):
    [move] = inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=D(str(quantity)), unit_cost=D(unit_cost),
        location_id=location.pk if location else None)], actor=actor)
    return move


def lines(*items):
    """``lines((product, 3), (other, "1.5", "9.90"))`` → OrderLineInput rows (quantity, optional price)."""
    result = []
    for item in items:
        product, quantity, *rest = item
        result.append(services.OrderLineInput(product_id=product.pk, quantity=D(str(quantity)),
                                              unit_price=D(str(rest[0])) if rest else None))
    return result


def make_order(*, customer, warehouse, items, actor, policy="backorder", confirm=False, **kwargs) -> SalesOrder:
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, lines=lines(*items),
                                  shortage_policy=policy, actor=actor, **kwargs)
    if confirm:
        order = services.confirm_order(order_id=order.pk, actor=actor)
    return order


def ship_all(order, *, actor, lines=None):
    """Notice → pick → pack → check → ship; returns the shipped notice."""
    notice = services.create_delivery_notice(order_id=order.pk, lines=lines, actor=actor)
    services.start_picking(notice_id=notice.pk, actor=actor)
    services.pack_delivery(notice_id=notice.pk, packages=1, actor=actor)
    services.check_delivery(notice_id=notice.pk, lines=[
        services.CheckedLine(line_id=line.pk, quantity=line.quantity) for line in notice.lines.all()], actor=actor)
    return services.ship_delivery(notice_id=notice.pk, actor=actor)
