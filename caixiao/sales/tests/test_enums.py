import itertools

from caixiao.sales.enums import (
    DELIVERY_NOTICE_TRANSITIONS,
    OPEN_NOTICE_STATUSES,
    OPEN_ORDER_STATUSES,
    PURCHASE_DEMAND_TRANSITIONS,
    SALES_ORDER_TRANSITIONS,
    DeliveryNoticeStatus,
    PurchaseDemandStatus,
    SalesOrderStatus,
)


def test_every_status_has_an_entry_in_its_transition_table():
    assert set(SALES_ORDER_TRANSITIONS) == set(SalesOrderStatus.values)
    assert set(DELIVERY_NOTICE_TRANSITIONS) == set(DeliveryNoticeStatus.values)
    assert set(PURCHASE_DEMAND_TRANSITIONS) == set(PurchaseDemandStatus.values)
    for table, statuses in ((SALES_ORDER_TRANSITIONS, SalesOrderStatus.values),
                            (DELIVERY_NOTICE_TRANSITIONS, DeliveryNoticeStatus.values)):
        assert all(set(targets) <= set(statuses) for targets in table.values())


def test_the_order_life_cycle_follows_the_issue():
    assert SALES_ORDER_TRANSITIONS[SalesOrderStatus.DRAFT] == {SalesOrderStatus.PENDING_APPROVAL,
                                                               SalesOrderStatus.CONFIRMED, SalesOrderStatus.CANCELLED}
    # Approval (S2): the final approval confirms; a rejection, a return, a withdrawal or an edit: draft again.
    assert SALES_ORDER_TRANSITIONS[SalesOrderStatus.PENDING_APPROVAL] == {
        SalesOrderStatus.CONFIRMED, SalesOrderStatus.DRAFT, SalesOrderStatus.CANCELLED}
    assert SalesOrderStatus.CLOSED in SALES_ORDER_TRANSITIONS[SalesOrderStatus.SHIPPED]
    assert SalesOrderStatus.CANCELLED in SALES_ORDER_TRANSITIONS[SalesOrderStatus.PARTIALLY_SHIPPED]
    assert not SALES_ORDER_TRANSITIONS[SalesOrderStatus.CLOSED]
    assert not SALES_ORDER_TRANSITIONS[SalesOrderStatus.CANCELLED]
    assert {SalesOrderStatus.CONFIRMED, SalesOrderStatus.PARTIALLY_SHIPPED} == OPEN_ORDER_STATUSES


def test_notices_go_open_picking_packed_checked_shipped():
    path = [DeliveryNoticeStatus.OPEN, DeliveryNoticeStatus.PICKING, DeliveryNoticeStatus.PACKED,
            DeliveryNoticeStatus.CHECKED, DeliveryNoticeStatus.SHIPPED]
    for frm, to in itertools.pairwise(path):
        assert to in DELIVERY_NOTICE_TRANSITIONS[frm]
        assert DeliveryNoticeStatus.CANCELLED in DELIVERY_NOTICE_TRANSITIONS[frm]
    assert set(OPEN_NOTICE_STATUSES) == set(path[:-1])
