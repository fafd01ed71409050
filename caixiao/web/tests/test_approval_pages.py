"""Approval pages (S2): my approvals with one-click decisions (htmx rows), the task page, the approval
panel on the sales order, the to-do row's buttons, flow administration (a new version per save, CEL
errors under the condition), delegations; who may see and do what, checked on the server."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from caixiao.approvals.enums import InstanceStatus, TaskStatus
from caixiao.approvals.models import ApprovalFlow, ApprovalInstance, ApprovalTask, Delegation
from caixiao.core import outbox
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales.enums import SalesOrderStatus
from caixiao.sales.models import SalesOrder
from caixiao.sales.tests.factories import make_order

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def people(make_user):
    return {"rep": make_user("sales_rep"), "manager": make_user("sales_manager"),
            "cfo": make_user("finance_director"), "clerk": make_user("warehouse_clerk")}


@pytest.fixture
def pending(world, people):
    """An order of 10 × P001 (19.90 + 13%) for a customer with a limit of 100: waits for the manager."""
    customer = CustomerFactory(code="C200", name="恒通", account_manager=people["rep"], credit_limit=D("100"))
    order = make_order(customer=customer, warehouse=world["warehouse"], items=[(world["product"], 10)],
                       actor=people["rep"], confirm=True)
    outbox.process_due()
    return order


def manager_task(people):
    return ApprovalTask.objects.get(assignee=people["manager"], status=TaskStatus.PENDING)


def test_inbox_lists_my_pending_tasks_with_decision_buttons(login, people, pending):
    response = login(people["manager"]).get(reverse("web:approvals"))
    assert response.status_code == 200
    html = response.content.decode()
    task = manager_task(people)
    assert pending.number in html and "恒通" in html
    assert reverse("web:approval-decide", args=[task.pk, "approve"]) in html
    assert list(response.context["page"]) == [task]
    assert login(people["cfo"]).get(reverse("web:approvals")).context["page"].paginator.count == 0


def test_one_click_approve_from_the_inbox_swaps_the_row(login, people, pending):
    task = manager_task(people)
    client = login(people["manager"])
    response = client.post(reverse("web:approval-decide", args=[task.pk, "approve"]),
                           {"comment": "客户信用良好", "row": "inbox"}, **HTMX)
    assert response.status_code == 200
    assert 'data-status="approved"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.APPROVED and task.comment == "客户信用良好"
    assert ApprovalTask.objects.get(assignee=people["cfo"]).status == TaskStatus.PENDING
    decided = client.get(reverse("web:approvals"), {"show": "decided"})
    assert list(decided.context["page"]) == [task]


def test_reject_without_a_comment_shows_the_error_in_the_row_and_changes_nothing(login, people, pending):
    task = manager_task(people)
    response = login(people["manager"]).post(reverse("web:approval-decide", args=[task.pk, "reject"]),
                                             {"comment": "", "row": "inbox"}, **HTMX)
    assert response.status_code == 200  # htmx swaps only successful responses
    assert "decision-error" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING


def test_the_todo_row_has_approve_and_reject_buttons(login, people, pending):
    task = manager_task(people)
    response = login(people["manager"]).get(reverse("web:workbench"))
    html = response.content.decode()
    assert reverse("web:approval-decide", args=[task.pk, "approve"]) in html
    assert reverse("web:approval-decide", args=[task.pk, "reject"]) in html
    response = login(people["manager"]).post(reverse("web:approval-decide", args=[task.pk, "approve"]),
                                             {"row": "todo"}, **HTMX)
    assert "decision-done" in response.content.decode()


def test_task_page_shows_document_steps_and_decides_without_javascript(login, people, pending):
    task = manager_task(people)
    client = login(people["manager"])
    response = client.get(reverse("web:approval-task", args=[task.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert pending.number in html and reverse("web:sales-order", args=[pending.pk]) in html
    assert [s.state for s in response.context["steps"]] == ["current", "waiting"]
    assert response.context["can_decide"]
    response = client.post(reverse("web:approval-decide", args=[task.pk, "return"]), {"comment": "拆成两单"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == SalesOrderStatus.DRAFT
    page = client.get(reverse("web:approval-task", args=[task.pk]))
    assert "拆成两单" in page.content.decode() and not page.context["can_decide"]


def test_parallel_branches_show_as_current_together(login, world, people):
    """A stage of parallel branches has two current steps on the task page, not one current and one
    waiting (the page shows the same states as approvals.selectors.instance_steps)."""
    from caixiao.approvals import services as approval_services
    from caixiao.approvals.defaults import ensure_default_flows

    ensure_default_flows()
    flow = ApprovalFlow.objects.get(document_type="sales.order", is_active=True)
    approval_services.update_flow(flow_id=flow.pk, actor=None, steps=[
        {"name": step.name, "condition": step.condition, "resolver": step.resolver, "params": step.resolver_params,
         "mode": step.mode, "required_count": step.required_count, "parallel": step.position == 2}
        for step in flow.steps.order_by("position")])
    customer = CustomerFactory(code="C201", name="恒通", account_manager=people["rep"], credit_limit=D("100"))
    make_order(customer=customer, warehouse=world["warehouse"], items=[(world["product"], 10)],
               actor=people["rep"], confirm=True)
    task = manager_task(people)
    response = login(people["manager"]).get(reverse("web:approval-task", args=[task.pk]))
    assert [s.state for s in response.context["steps"]] == ["current", "current"]


def test_strangers_cannot_see_or_decide_a_task(login, people, pending):
    task = manager_task(people)
    for user in (people["clerk"], people["cfo"]):
        client = login(user)
        assert client.get(reverse("web:approval-task", args=[task.pk])).status_code == 404
        assert client.post(reverse("web:approval-decide", args=[task.pk, "approve"])).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING
    assert login(people["rep"]).get(reverse("web:approval-task", args=[task.pk])).status_code == 200  # requester


def test_supplier_portal_users_have_no_approval_pages(login, make_user, world):
    from caixiao.partners.tests.factories import SupplierFactory

    user = make_user("supplier", supplier=SupplierFactory())
    client = login(user)
    assert client.get(reverse("web:approvals")).status_code == 403
    assert client.get(reverse("web:approval-delegations")).status_code == 403
    menu = {item["url"] for section in client.get(reverse("web:workbench")).context["nav_menu"]
            for item in section["items"]}
    assert reverse("web:approvals") not in menu


def test_order_page_says_sent_for_approval_and_shows_the_panel(login, people, world):
    customer = CustomerFactory(code="C300", name="恒通", account_manager=people["rep"], credit_limit=D("100"))
    order = make_order(customer=customer, warehouse=world["warehouse"], items=[(world["product"], 10)],
                       actor=people["rep"])
    client = login(people["rep"])
    response = client.post(reverse("web:sales-order-action", args=[order.pk, "confirm"]), follow=True)
    assert [m.tags for m in response.context["messages"]] == ["approval info"]  # "sent for approval"
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrderStatus.PENDING_APPROVAL
    panel = response.context["approval"]
    assert panel["instance"].status == InstanceStatus.PENDING and panel["withdraw_url"]
    assert [s.state for s in panel["steps"]] == ["current", "waiting"]
    assert response.context["credit"].over_limit
    assert 'id="approval-panel"' in response.content.decode()
    assert not any(a["name"] == "confirm" for a in response.context["actions"])
    # The requester withdraws it: a draft again.
    client.post(panel["withdraw_url"])
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrderStatus.DRAFT


def test_flow_admin_saves_a_new_version_and_shows_cel_errors_under_the_condition(login, admin_user, pending):
    client = login(admin_user)
    listing = client.get(reverse("web:approval-flows"))
    assert listing.status_code == 200 and "sales.order" in listing.content.decode()
    url = reverse("web:approval-flow-edit", args=["sales.order"])
    form = client.get(url)
    assert form.status_code == 200 and "over_credit_limit" in form.content.decode()
    formset = form.context["formset"]
    assert len(formset.forms) == 2
    data = {"name": "销售订单审批", "description": "", "steps-TOTAL_FORMS": "2", "steps-INITIAL_FORMS": "2",
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}
    rows = [("销售经理", "amount >= 100.0 &&", "role", "sales_manager"),
            ("财务总监", "over_credit_limit", "role", "finance_director")]
    for i, (name, condition, resolver, role) in enumerate(rows):
        data.update({f"steps-{i}-ORDER": str(i + 1), f"steps-{i}-name": name, f"steps-{i}-condition": condition,
                     f"steps-{i}-resolver": resolver, f"steps-{i}-role": role, f"steps-{i}-mode": "any",
                     f"steps-{i}-required_count": "1", f"steps-{i}-reminder_hours": "24"})
    bad = client.post(url, data)
    assert bad.status_code == 200
    errors = bad.context["formset"].forms[0].errors["condition"]
    assert "Line 1, column" in errors[0] or "第 1 行" in errors[0]
    versions = ApprovalFlow.objects.filter(document_type="sales.order").count()

    data["steps-0-condition"] = "amount >= 100.0"
    data["steps-1-ORDER"], data["steps-0-ORDER"] = "1", "2"  # reordered: finance director first
    response = client.post(url, data)
    assert response.status_code == 302
    flow = ApprovalFlow.objects.get(document_type="sales.order", is_active=True)
    assert ApprovalFlow.objects.filter(document_type="sales.order").count() == versions + 1
    assert [s.name for s in flow.steps.order_by("position")] == ["财务总监", "销售经理"]
    assert ApprovalInstance.objects.get().flow_version == flow.version - 1  # submitted ones keep theirs


def test_flow_pages_need_the_permission(login, people):
    client = login(people["manager"])
    assert client.get(reverse("web:approval-flows")).status_code == 403
    assert client.get(reverse("web:approval-flow-edit", args=["sales.order"])).status_code == 403


def test_add_step_button_adds_an_empty_row(login, admin_user, world):
    client = login(admin_user)
    url = reverse("web:approval-flow-edit", args=["sales.order"])
    initial = client.get(url).context["formset"]
    data = {"name": "x", "description": "", "steps-TOTAL_FORMS": str(len(initial.forms)),
            "steps-INITIAL_FORMS": str(len(initial.forms)), "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "1000", "add_step": "1"}
    response = client.post(url, data)
    assert len(response.context["formset"].forms) == len(initial.forms) + 1


def test_delegation_lets_a_colleague_decide(login, people, pending, make_user):
    deputy = make_user("sales_manager")
    client = login(people["manager"])
    today = timezone.localdate()
    response = client.post(reverse("web:approval-delegations"), {
        "to_user": deputy.pk, "starts_on": today.isoformat(), "ends_on": today.isoformat(), "reason": "出差"})
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.from_user == people["manager"] and delegation.to_user == deputy
    task = manager_task(people)
    assert task in login(deputy).get(reverse("web:approvals")).context["page"]
    bad = login(people["manager"]).post(reverse("web:approval-delegations"), {
        "to_user": deputy.pk, "starts_on": today.isoformat(), "ends_on": today.isoformat()})
    assert bad.status_code == 200 and bad.context["form"].errors
    login(people["manager"]).post(reverse("web:approval-delegation-end", args=[delegation.pk]))
    delegation.refresh_from_db()
    assert delegation.ended_at is not None


def flow_post(rows, name="流程"):
    data = {"name": name, "description": "", "steps-TOTAL_FORMS": str(len(rows)), "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"steps-{i}-{k}": v for k, v in {"ORDER": str(i + 1), "mode": "any", "required_count": "1",
                                                       **row}.items()})
    return data


def test_a_step_nobody_can_approve_and_a_flow_without_steps_are_refused_on_their_fields(login, admin_user, world):
    client = login(admin_user)
    url = reverse("web:approval-flow-edit", args=["sales.order"])
    before = ApprovalFlow.objects.count()
    response = client.post(url, flow_post([{"name": "质检", "condition": "", "resolver": "role",
                                            "role": "qc_inspector"}]))
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors.get("role")
    response = client.post(url, flow_post([]))
    assert response.status_code == 200 and response.context["flow_form"].non_field_errors()
    assert ApprovalFlow.objects.count() == before


def test_the_second_of_two_approvers_sees_already_decided_in_the_row(login, people, pending, make_user):
    """Any-one step with two sales managers: the first approves, the second's click changes nothing and
    says why in the row."""
    second = make_user("sales_manager")
    pending.refresh_from_db()
    from caixiao.sales import services as sales_services

    sales_services.cancel_order(order_id=pending.pk, actor=people["rep"])  # start again with both managers
    customer = pending.customer
    order = make_order(customer=customer, warehouse=pending.warehouse, items=[(pending.lines.first().product, 10)],
                       actor=people["rep"], confirm=True)
    first_task = ApprovalTask.objects.get(instance__object_id=str(order.pk), assignee=people["manager"])
    second_task = ApprovalTask.objects.get(instance__object_id=str(order.pk), assignee=second)
    login(people["manager"]).post(reverse("web:approval-decide", args=[first_task.pk, "approve"]), **HTMX)
    response = login(second).post(reverse("web:approval-decide", args=[second_task.pk, "approve"]),
                                  {"row": "inbox"}, **HTMX)
    assert "decision-error" in response.content.decode()
    second_task.refresh_from_db()
    assert second_task.status == TaskStatus.SKIPPED


def test_the_order_page_offers_the_approver_a_decide_button(login, people, pending, make_user):
    """The manager is outside the rep's department (no data scope over the order) but approves it: they
    read the order page, with the Decide button and without the order's own actions; another manager
    without a task gets a 404."""
    response = login(people["manager"]).get(reverse("web:sales-order", args=[pending.pk]))
    assert response.status_code == 200
    assert response.context["approval"]["my_task"] == manager_task(people)
    assert 'id="approval-open-task"' in response.content.decode()
    assert not response.context["approval"]["withdraw_url"]
    assert response.context["actions"] == [] and response.context["edit_url"] == ""
    assert login(make_user("sales_manager")).get(reverse("web:sales-order", args=[pending.pk])).status_code == 404
    assert login(people["manager"]).get(reverse("web:sales-order-edit", args=[pending.pk])).status_code == 404


def test_a_refused_decision_on_the_todo_row_keeps_the_buttons(login, people, pending):
    task = manager_task(people)
    response = login(people["manager"]).post(reverse("web:approval-decide", args=[task.pk, "reject"]),
                                             {"row": "todo", "comment": ""}, **HTMX)
    html = response.content.decode()
    assert "decision-error" in html
    assert reverse("web:approval-decide", args=[task.pk, "reject"]) in html  # try again with a comment


def test_the_finance_director_sends_it_back_to_the_sales_manager(login, people, pending):
    login(people["manager"]).post(reverse("web:approval-decide", args=[manager_task(people).pk, "approve"]))
    cfo_task = ApprovalTask.objects.get(assignee=people["cfo"], status=TaskStatus.PENDING)
    client = login(people["cfo"])
    page = client.get(reverse("web:approval-task", args=[cfo_task.pk]))
    assert [c[0] for c in page.context["form"].fields["to_step"].choices] == ["", 1]
    response = client.post(reverse("web:approval-decide", args=[cfo_task.pk, "reject"]),
                           {"comment": "请再核实回款", "to_step": "1"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == SalesOrderStatus.PENDING_APPROVAL
    again = manager_task(people)
    assert again.step == 1 and again.activation > 1
