"""Approvals over the API (S2): flows (admin; edits make versions; 422s with codes and positions),
document types, my tasks and the decision actions (403 for anybody but the assignee or their
delegate), instances with steps and history, withdraw, delegations, Idempotency-Key, query ceilings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.approvals.models import ApprovalFlow, ApprovalInstance
from caixiao.approvals.tests import doctype
from caixiao.catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

KEY = doctype.KEY
MANAGER = {"name": "Purchasing manager", "resolver": "role", "params": {"role": "purchasing_manager"}}
DIRECTOR = {"name": "Finance director", "resolver": "role", "params": {"role": "finance_director"},
            "condition": "amount >= 50000.0"}


@pytest.fixture(autouse=True)
def memo_type():
    doctype.register()
    doctype.calls.clear()
    yield
    doctype.calls.clear()


@pytest.fixture
def people(api_as):
    return {"requester": api_as("buyer"), "manager": api_as("purchasing_manager"),
            "director": api_as("finance_director"), "other": api_as("purchasing_manager")}


@pytest.fixture
def flow(api, people):
    response = api.post("/approval-flows", {"document_type": KEY, "name": "Memo", "steps": [MANAGER, DIRECTOR]})
    assert response.status_code == 201, response.json()
    return response.json()


def submit(people, amount="60000"):
    from caixiao.approvals import services

    memo = ProductFactory(purchase_price=Decimal(amount), buyer=people["requester"].user)
    return services.submit(doc_type=KEY, obj=memo, actor=people["requester"].user)


def my_task(client) -> dict:
    items = client.get("/approval-tasks").json()["items"]
    assert len(items) == 1, items
    return items[0]


# Flows ---------------------------------------------------------------------------------------------------
def test_flow_crud_and_versions(api, flow):
    assert flow["version"] == 1 and flow["is_active"] and [s["position"] for s in flow["steps"]] == [1, 2]
    assert flow["steps"][1]["condition"] == "amount >= 50000.0"
    assert api.get(f"/approval-flows/{flow['id']}").json()["name"] == "Memo"
    edited = api.patch(f"/approval-flows/{flow['id']}", {"name": "Memo v2", "steps": [MANAGER]})
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["version"], edited.json()["previous_id"]) == (2, flow["id"])
    assert api.get(f"/approval-flows/{flow['id']}").json()["is_active"] is False
    listed = api.get("/approval-flows", {"document_type": KEY}).json()
    assert [f["version"] for f in listed["items"]] == [2, 1]
    assert api.post(f"/approval-flows/{edited.json()['id']}/deactivate").json()["is_active"] is False
    assert api.post(f"/approval-flows/{flow['id']}/activate").json()["is_active"] is True
    again = api.post("/approval-flows", {"document_type": KEY, "name": "Memo", "steps": [MANAGER]})
    assert (again.status_code, again.json()["code"]) == (409, "flow_exists")


@pytest.mark.parametrize(("steps", "code", "field"), [
    ([], "no_steps", "steps"),
    ([{**MANAGER, "condition": "amount >= "}], "invalid_expression", "steps.0.condition"),
    ([{**MANAGER, "condition": "weight > 3.0"}], "invalid_expression", "steps.0.condition"),
    ([{**MANAGER, "params": {"role": "qc_inspector"}}], "no_approver", "steps.0.params"),
    ([{**MANAGER, "resolver": "user", "params": {"user_ids": [99999]}}], "no_approver", "steps.0.params"),
    ([{**MANAGER, "resolver": "nth_manager", "params": {"n": 0}}], "no_approver", "steps.0.params"),
    ([{**MANAGER, "mode": "n_of_m", "required_count": 5}], "invalid_required_count", "steps.0.required_count"),
])
def test_bad_flows_are_422_with_a_code_and_change_nothing(api, people, steps, code, field):
    response = api.post("/approval-flows", {"document_type": KEY, "name": "Memo", "steps": steps})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code and field in body["fields"], body
    if code == "invalid_expression":
        assert body["details"]["line"] == 1 and body["details"]["column"] >= 1
    assert not ApprovalFlow.objects.filter(document_type=KEY).exists()


def test_malformed_flow_input_is_422(api, people):
    assert api.post("/approval-flows", {"document_type": KEY, "name": "x", "steps": [
        {**MANAGER, "resolver": "astrologer"}]}).status_code == 422
    response = api.post("/approval-flows", {"document_type": "no.such", "name": "x", "steps": [MANAGER]})
    assert (response.status_code, response.json()["code"]) == (422, "unknown_document_type")


def test_only_administrators_edit_flows(people, flow):
    manager = people["manager"]
    assert manager.post("/approval-flows", {"document_type": KEY, "name": "x", "steps": [MANAGER]}).status_code == 403
    assert manager.patch(f"/approval-flows/{flow['id']}", {"steps": [MANAGER]}).status_code == 403
    assert manager.get("/approval-flows").status_code == 403


def test_document_types_list_their_condition_fields(people):
    body = people["manager"].get("/approval-flows/document-types").json()
    memo = next(t for t in body if t["key"] == KEY)
    assert [f["path"] for f in memo["fields"]] == ["amount", "category.code", "urgent"]
    assert "role" in [r[0] for r in memo["resolvers"]] and any(m[0] == "n_of_m" for m in memo["modes"])
    assert any(t["key"] == "purchasing.order" and t["has_default_flow"] for t in body)


# Tasks and decisions -------------------------------------------------------------------------------------
def test_two_step_approval_through_the_api(flow, people, django_assert_max_num_queries):
    instance = submit(people)
    manager, director, requester = people["manager"], people["director"], people["requester"]
    assert requester.get("/approval-tasks").json()["count"] == 0
    task = my_task(manager)
    assert task["step_name"] == "Purchasing manager" and task["document_type"] == KEY
    detail = manager.get(f"/approval-tasks/{task['id']}").json()
    assert detail["can_decide"] is True
    assert [s["state"] for s in detail["instance"]["steps"]] == ["current", "waiting"]

    response = manager.post(f"/approval-tasks/{task['id']}/approve", {"comment": "ok"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved" and response.json()["can_decide"] is False
    assert response.json()["instance"]["current_step"] == 2

    task = my_task(director)
    done = director.post(f"/approval-tasks/{task['id']}/approve", {}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert done.status_code == 200 and done.json()["instance"]["status"] == "approved"
    replay = director.post(f"/approval-tasks/{task['id']}/approve", {}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert len(doctype.calls) == 1
    again = director.post(f"/approval-tasks/{task['id']}/approve", {})
    assert (again.status_code, again.json()["code"]) == (409, "task_decided")

    with django_assert_max_num_queries(12):
        body = requester.get(f"/approval-instances/{instance.pk}").json()
    assert body["status"] == "approved" and [s["state"] for s in body["steps"]] == ["done", "done"]
    assert [h["action"] for h in body["history"]] == [
        "approval:submitted", "approval:approved", "approval:approved", "status:approved"]
    assert body["history"][1]["comment"] == "ok"


def test_only_the_assignee_decides_anybody_else_gets_403(flow, people, api):
    submit(people)
    task = my_task(people["manager"])
    for client in (people["requester"], people["director"], api):
        for action, body in (("approve", {}), ("reject", {"comment": "no"}), ("return", {"comment": "no"})):
            response = client.post(f"/approval-tasks/{task['id']}/{action}", body)
            assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert people["other"].get(f"/approval-tasks/{task['id']}").status_code == 404
    assert people["manager"].post("/approval-tasks/999999/approve", {}).status_code == 404


def test_reject_needs_a_comment_and_to_step_must_be_earlier(flow, people):
    instance = submit(people)
    manager = people["manager"]
    task = my_task(manager)
    response = manager.post(f"/approval-tasks/{task['id']}/reject", {"comment": ""})
    assert (response.status_code, response.json()["code"]) == (422, "comment_required")
    response = manager.post(f"/approval-tasks/{task['id']}/reject", {"comment": "x", "to_step": 1})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_step")
    assert manager.post(f"/approval-tasks/{task['id']}/reject", {"comment": "x", "to_step": "a"}).status_code == 422
    manager.post(f"/approval-tasks/{task['id']}/approve", {})
    task = my_task(people["director"])
    sent_back = people["director"].post(f"/approval-tasks/{task['id']}/reject", {"comment": "redo", "to_step": 1})
    assert sent_back.status_code == 200 and sent_back.json()["instance"]["current_step"] == 1
    task = my_task(manager)
    rejected = manager.post(f"/approval-tasks/{task['id']}/reject", {"comment": "no budget"})
    assert rejected.json()["instance"]["status"] == "rejected"
    instance.refresh_from_db()
    assert instance.comment == "no budget"


def test_return_and_withdraw(flow, people):
    submit(people)
    task = my_task(people["manager"])
    returned = people["manager"].post(f"/approval-tasks/{task['id']}/return", {"comment": "add the quote"})
    assert returned.json()["instance"]["status"] == "returned"
    instance = submit(people, "100")
    assert people["manager"].post(f"/approval-instances/{instance.pk}/withdraw").status_code == 403
    withdrawn = people["requester"].post(f"/approval-instances/{instance.pk}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = people["requester"].post(f"/approval-instances/{instance.pk}/withdraw")
    assert (again.status_code, again.json()["code"]) == (409, "not_pending")


def test_instances_of_a_document_and_their_visibility(flow, people, api_as):
    instance = submit(people)
    requester = people["requester"]
    listed = requester.get("/approval-instances", {"document_type": KEY, "object_id": instance.object_id}).json()
    assert [i["id"] for i in listed["items"]] == [instance.pk]
    stranger = api_as()  # no role: sees only approvals they are part of
    assert stranger.get("/approval-instances").json()["count"] == 0
    assert stranger.get(f"/approval-instances/{instance.pk}").status_code == 404
    assert api_as("finance").get(f"/approval-instances/{instance.pk}").status_code == 200  # back office: all
    assert api_as("sales_rep").get(f"/approval-instances/{instance.pk}").status_code == 404  # own scope only
    assert people["manager"].get("/approval-instances", {"status": "bogus"}).status_code == 422


def test_task_lists_filter_by_status(flow, people):
    submit(people, "100")
    manager = people["manager"]
    task = my_task(manager)
    manager.post(f"/approval-tasks/{task['id']}/approve", {})
    assert manager.get("/approval-tasks").json()["count"] == 0
    assert manager.get("/approval-tasks", {"status": "approved"}).json()["count"] == 1
    assert manager.get("/approval-tasks", {"status": "all"}).json()["count"] == 1
    assert manager.get("/approval-tasks", {"assignee_id": people["other"].user.pk}).status_code == 403


# Delegations ---------------------------------------------------------------------------------------------
def test_delegation_crud_and_the_delegate_decides(flow, people, api_as):
    today = timezone.localdate()
    manager, other = people["manager"], people["other"]
    deputy = api_as()
    instance = submit(people, "100")
    task = next(t for t in manager.get("/approval-tasks").json()["items"])
    created = manager.post("/approval-delegations", {
        "to_user_id": deputy.user.pk, "starts_on": str(today), "ends_on": str(today + dt.timedelta(days=2)),
        "reason": "business trip"})
    assert created.status_code == 201, created.json()
    delegation = created.json()
    assert delegation["from_user_id"] == manager.user.pk and delegation["in_force"] is True
    assert [d["id"] for d in deputy.get("/approval-delegations").json()["items"]] == [delegation["id"]]
    assert task["id"] in [t["id"] for t in deputy.get("/approval-tasks").json()["items"]]
    assert deputy.post(f"/approval-tasks/{task['id']}/approve", {"comment": "for pm"}).status_code == 200
    instance.refresh_from_db()
    assert instance.status == "approved"

    assert other.get(f"/approval-delegations/{delegation['id']}").status_code == 404
    overlap = manager.post("/approval-delegations", {
        "to_user_id": other.user.pk, "starts_on": str(today), "ends_on": str(today)})
    assert (overlap.status_code, overlap.json()["code"]) == (409, "delegation_overlap")
    for_someone_else = other.post("/approval-delegations", {
        "from_user_id": manager.user.pk, "to_user_id": other.user.pk, "starts_on": str(today),
        "ends_on": str(today)})
    assert for_someone_else.status_code == 403
    bad = manager.post("/approval-delegations", {"to_user_id": manager.user.pk, "starts_on": str(today),
                                                 "ends_on": str(today)})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_delegation")
    ended = manager.post(f"/approval-delegations/{delegation['id']}/end")
    assert ended.json()["in_force"] is False and ended.json()["ended_at"]
    assert manager.delete(f"/approval-delegations/{delegation['id']}").status_code == 204
    assert ApprovalInstance.objects.count() == 1


def test_lists_have_query_ceilings(api, flow, people, django_assert_max_num_queries):
    for _ in range(5):
        submit(people, "100")
    manager = people["manager"]
    with django_assert_max_num_queries(8):
        assert manager.get("/approval-tasks").json()["count"] == 5
    with django_assert_max_num_queries(8):
        assert api.get("/approval-instances").json()["count"] == 5
    with django_assert_max_num_queries(8):
        assert api.get("/approval-flows").json()["count"] == 1
