"""Notifications, to-dos, webhooks and the event monitor over the API: scoping, permissions, errors."""

import pytest
from django.db import transaction

from caixiao.core import outbox
from caixiao.core.models import DeliveryStatus, EventDelivery, NumberSequence
from caixiao.notifications import services
from caixiao.notifications.models import Notification, Todo, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

HOOK = {"name": "ERP", "event_types": ["sales.order.*"], "url": "http://127.0.0.1:9/hook",
        "secret": "0123456789abcdef"}


def note_for(user, title="Hello"):
    return services.notify(recipients=[user], verb="sales.order.confirmed", title=lambda: title)[0]


def test_notifications_are_private_and_can_be_marked_read(api_as):
    me, other = api_as("sales_rep"), api_as("sales_rep")
    mine = note_for(me.user)
    note_for(other.user, "Not yours")
    assert me.get("/notifications/unread-count").json() == {"unread": 1}
    body = me.get("/notifications").json()
    assert [n["title"] for n in body["items"]] == ["Hello"]
    theirs = Notification.objects.get(recipient=other.user)
    assert me.post(f"/notifications/{theirs.pk}/read").status_code == 404
    assert me.post(f"/notifications/{mine.pk}/read").json()["read_at"] is not None
    assert me.get("/notifications", {"unread": True}).json()["count"] == 0
    note_for(me.user, "Again")
    assert me.post("/notifications/read-all").json() == {"marked": 1}


def test_todos_of_my_role_and_closing_them(api_as):
    clerk, buyer = api_as("warehouse_clerk"), api_as("buyer")
    todo, _ = services.open_todo(kind="ship_delivery_notice", document_type="sales.deliverynotice", document_id=7,
                                 role="warehouse_clerk", title=lambda: "Ship DN-7")
    assert [t["id"] for t in clerk.get("/todos").json()["items"]] == [todo.pk]
    assert buyer.get("/todos").json()["count"] == 0
    assert buyer.post(f"/todos/{todo.pk}/close", {}).status_code == 404
    assert clerk.post(f"/todos/{todo.pk}/close", {"status": "paused"}).status_code == 422
    closed = clerk.post(f"/todos/{todo.pk}/close", {"status": "done"})
    assert closed.status_code == 200 and closed.json()["status"] == "done"
    assert clerk.post(f"/todos/{todo.pk}/close", {}).json()["code"] == "todo_closed"
    assert clerk.get("/todos", {"status": "done"}).json()["count"] == 1


def test_webhook_subscription_crud_for_administrators(api, api_as):
    created = api.post("/webhook-subscriptions", HOOK)
    assert created.status_code == 201, created.json()
    sub = created.json()
    assert sub["secret"] == HOOK["secret"]
    assert "secret" not in api.get(f"/webhook-subscriptions/{sub['id']}").json()
    changed = api.patch(f"/webhook-subscriptions/{sub['id']}", {"format": "wecom", "event_types": ["*"]})
    assert changed.json()["format"] == "wecom" and changed.json()["event_types"] == ["*"]
    assert api.post(f"/webhook-subscriptions/{sub['id']}/deactivate").json()["is_active"] is False
    test = api.post(f"/webhook-subscriptions/{sub['id']}/test")
    assert test.status_code == 201 and test.json()["event_type"] == "notifications.webhook.test_requested"
    assert api.get("/webhook-deliveries", {"subscription_id": sub["id"]}).json()["count"] == 1
    replay = api.post(f"/webhook-deliveries/{test.json()['id']}/replay")
    assert replay.status_code == 201 and replay.json()["replay_of_id"] == test.json()["id"]

    rep = api_as("sales_rep")
    assert rep.get("/webhook-subscriptions").status_code == 403
    assert rep.post("/webhook-subscriptions", HOOK).status_code == 403
    assert rep.post(f"/webhook-deliveries/{test.json()['id']}/replay").status_code == 403


@pytest.mark.parametrize(("change", "field"), [
    ({"url": "gopher://127.0.0.1/"}, "url"),
    ({"url": "http://no-such-host.invalid/"}, "url"),
    ({"secret": "too-short"}, "secret"),
    ({"event_types": ["sales.nothing.happened"]}, "event_types"),
    ({"format": "slack"}, "format"),
])
def test_bad_webhook_input_is_a_clear_4xx_and_saves_nothing(api, change, field):
    response = api.post("/webhook-subscriptions", {**HOOK, **change})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and field in body["fields"]
    assert WebhookSubscription.objects.count() == 0


def test_event_monitor_lists_retries_and_replays(api, api_as, admin_user):
    api.post("/webhook-subscriptions", HOOK)  # wants sales.order.*: the webhook fan-out takes such events
    with transaction.atomic():
        anchor = NumberSequence.objects.create(series="MONITOR")
        outbox.emit("sales.order.closed", aggregate=anchor, payload={"version": 1, "order_id": 0})
    events = api.get("/events").json()["items"]
    assert events[0]["type"] == "sales.order.closed"
    [delivery] = events[0]["deliveries"]  # the fan-out's; handlers that would do nothing get none
    EventDelivery.objects.filter(pk=delivery["id"]).update(status=DeliveryStatus.DEAD)
    assert api.get("/events", {"delivery_status": "dead"}).json()["count"] == 1
    retried = api.post(f"/event-deliveries/{delivery['id']}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    outbox.process_due()
    assert api.post(f"/events/{events[0]['id']}/replay").json() == {"replayed": 1}
    assert api.post("/events/999999/replay").status_code == 404
    assert api_as("warehouse_clerk").get("/events").status_code == 403
    assert WebhookDelivery.objects.count() == 1 and Todo.objects.count() == 0
