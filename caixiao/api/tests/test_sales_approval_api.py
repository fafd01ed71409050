"""The sales order API under approval (S2): confirming an order over the credit limit answers 200 with
status pending_approval; the approvers decide through the approval-task endpoints; the order is
confirmed (stock reserved) after the last approval; a second confirm while pending is 409."""

from decimal import Decimal

import pytest
from django.utils import translation

from caixiao.approvals.models import ApprovalTask
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales.tests.factories import receive
from caixiao.sales.tests.helpers import levels

D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def shop(api_as):
    from caixiao.catalog.tests.factories import ProductFactory, UnitFactory

    rep, manager, cfo = api_as("sales_rep"), api_as("sales_manager"), api_as("finance_director")
    warehouse = WarehouseFactory(code="SH", name="上海仓")
    tea = ProductFactory(code="P-TEA", name="龙井", base_unit=UnitFactory(code="PCS", name="个", decimals=0),
                         sale_price=D("15.00"))
    receive(tea, warehouse, 20, location=LocationFactory(warehouse=warehouse, code="A-01"))
    customer = CustomerFactory(code="C-HT", name="恒通", account_manager=rep.user, credit_limit=D("100"))
    return {"rep": rep, "manager": manager, "cfo": cfo, "warehouse": warehouse, "tea": tea, "customer": customer}


def create(shop, quantity, **extra):
    resp = shop["rep"].post("/sales-orders", {"customer_id": shop["customer"].pk, "warehouse_id": shop["warehouse"].pk,
                                              "lines": [{"product_id": shop["tea"].pk, "quantity": quantity, **extra}]})
    assert resp.status_code == 201, resp.json()
    return resp.json()


def test_confirm_over_the_limit_is_200_pending_approval_then_two_approvals_confirm(shop):
    order = create(shop, "10")
    resp = shop["rep"].post(f"/sales-orders/{order['id']}/confirm")
    assert resp.status_code == 200
    assert resp.json()["status"] == "pending_approval" and resp.json()["confirmed_at"] is None
    assert levels(shop["tea"], shop["warehouse"]) == (20, 0)

    detail = shop["rep"].get(f"/sales-orders/{order['id']}").json()
    credit = detail["credit"]
    assert credit["over_limit"] is True
    assert (D(credit["credit_limit"]), D(credit["open_orders"]), D(credit["exposure"])) == (D("100"), 0, D("169.50"))
    assert detail["approval"]["status"] == "pending" and detail["approval"]["current_step"] == 1

    again = shop["rep"].post(f"/sales-orders/{order['id']}/confirm")
    assert again.status_code == 409 and again.json()["code"] == "awaiting_approval"

    [task] = shop["manager"].get("/approval-tasks").json()["items"]
    assert shop["manager"].post(f"/approval-tasks/{task['id']}/approve", {"comment": "ok"}).status_code == 200
    assert shop["rep"].get(f"/sales-orders/{order['id']}").json()["status"] == "pending_approval"
    cfo_task = ApprovalTask.objects.get(assignee=shop["cfo"].user)
    assert shop["cfo"].post(f"/approval-tasks/{cfo_task.pk}/approve", {}).status_code == 200

    body = shop["rep"].get(f"/sales-orders/{order['id']}").json()
    assert body["status"] == "confirmed" and body["confirmed_at"]
    assert body["credit"] is None and body["approval"]["status"] == "approved"
    assert levels(shop["tea"], shop["warehouse"]) == (20, 10)


def test_rejected_order_is_a_draft_again_and_can_be_edited(shop):
    order = create(shop, "10")
    shop["rep"].post(f"/sales-orders/{order['id']}/confirm")
    task = ApprovalTask.objects.get(assignee=shop["manager"].user)
    resp = shop["manager"].post(f"/approval-tasks/{task.pk}/reject", {"comment": "Too much credit"})
    assert resp.status_code == 200
    assert shop["rep"].get(f"/sales-orders/{order['id']}").json()["status"] == "draft"


def test_under_the_limit_confirms_directly(shop):
    order = create(shop, "2")
    resp = shop["rep"].post(f"/sales-orders/{order['id']}/confirm")
    assert resp.status_code == 200 and resp.json()["status"] == "confirmed"


def test_editing_an_order_pending_approval_makes_it_a_draft(shop):
    order = create(shop, "10")
    shop["rep"].post(f"/sales-orders/{order['id']}/confirm")
    resp = shop["rep"].patch(f"/sales-orders/{order['id']}", {"notes": "changed"})
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "draft"
    assert not ApprovalTask.objects.filter(status="pending").exists()
