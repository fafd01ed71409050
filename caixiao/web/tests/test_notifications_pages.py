"""The bell, notifications, to-dos, preferences, webhook pages and the event monitor."""

import pytest
from django.urls import reverse

from caixiao.core.models import DeliveryStatus, EventDelivery
from caixiao.notifications import services, webhooks
from caixiao.notifications.models import NotificationPreference, Todo, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

HOOK = {"name": "ERP", "event_types": "sales.order.*\nsales.delivery_notice.shipped", "url": "http://127.0.0.1:9/hook",
        "secret": "0123456789abcdef", "format": "json", "is_active": "on"}


def note_for(user, title="Order SO-1 confirmed", url=""):
    return services.notify(recipients=[user], verb="sales.order.confirmed", title=lambda: title, url=url)[0]


def test_bell_counts_unread_and_the_page_marks_them_read(login, make_user):
    rep = make_user("sales_rep")
    client = login(rep)
    note = note_for(rep)
    note_for(rep, "Second")
    assert 'id="bell-count">2<' in client.get(reverse("web:notification-bell")).content.decode()
    assert "bell-slot" in client.get(reverse("web:workbench")).content.decode()
    page = client.get(reverse("web:notifications")).content.decode()
    assert "Order SO-1 confirmed" in page and "Second" in page
    client.post(reverse("web:notification-read", args=[note.pk]))
    assert 'id="bell-count">1<' in client.get(reverse("web:notification-bell")).content.decode()
    client.post(reverse("web:notifications-read-all"))
    assert "bell-count" not in client.get(reverse("web:notification-bell")).content.decode()


def test_others_notifications_are_not_found(login, make_user):
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    note = note_for(other)
    login(rep).post(reverse("web:notification-read", args=[note.pk]))
    note.refresh_from_db()
    assert note.read_at is None


def test_workbench_and_todo_page_list_my_todos_and_close_them(login, make_user):
    clerk = make_user("warehouse_clerk")
    todo, _ = services.open_todo(kind="ship_delivery_notice", document_type="sales.deliverynotice", document_id=3,
                                 role="warehouse_clerk", title=lambda: "Ship DN-3", url="/somewhere/")
    client = login(clerk)
    assert "Ship DN-3" in client.get(reverse("web:workbench")).content.decode()
    assert "Ship DN-3" in client.get(reverse("web:todos")).content.decode()
    assert "Ship DN-3" not in login(make_user("buyer")).get(reverse("web:workbench")).content.decode()
    client = login(clerk)
    client.post(reverse("web:todo-close", args=[todo.pk]), {"status": "done"})
    todo.refresh_from_db()
    assert todo.status == "done" and todo.closed_by == clerk
    assert "Ship DN-3" in client.get(reverse("web:todos") + "?status=done").content.decode()


def test_preferences_page_saves_channels(login, make_user):
    rep = make_user("sales_rep", email="rep@example.com")
    client = login(rep)
    assert "sales.order.confirmed" in client.get(reverse("web:notification-preferences")).content.decode()
    client.post(reverse("web:notification-preferences"), {"sales.order.confirmed:email": "on"})
    pref = NotificationPreference.objects.get(user=rep, event_type="sales.order.confirmed")
    assert (pref.in_app, pref.email) == (False, True)


def test_webhook_pages_create_edit_test_and_deactivate(admin_client, admin_user):
    response = admin_client.post(reverse("web:webhook-create"), HOOK)
    assert response.status_code == 302
    sub = WebhookSubscription.objects.get()
    assert sub.event_types == ["sales.order.*", "sales.delivery_notice.shipped"] and sub.owner == admin_user
    assert "ERP" in admin_client.get(reverse("web:webhooks")).content.decode()
    admin_client.post(reverse("web:webhook-edit", args=[sub.pk]), {**HOOK, "secret": "", "format": "wecom"})
    sub.refresh_from_db()
    assert sub.format == "wecom" and sub.secret == HOOK["secret"]  # an empty secret keeps the current one
    admin_client.post(reverse("web:webhook-test", args=[sub.pk]))
    delivery = WebhookDelivery.objects.get()
    log = admin_client.get(reverse("web:webhook-deliveries") + f"?subscription={sub.pk}").content.decode()
    assert "notifications.webhook.test_requested" in log
    admin_client.post(reverse("web:webhook-replay", args=[delivery.pk]))
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1
    admin_client.post(reverse("web:webhook-active", args=[sub.pk]), {"active": "0"})
    sub.refresh_from_db()
    assert sub.is_active is False


@pytest.mark.parametrize(("change", "field"), [
    ({"url": "ftp://127.0.0.1/"}, "url"),
    ({"url": "http://no-such-host.invalid/"}, "url"),
    ({"secret": "short"}, "secret"),
    ({"event_types": "sales.order.sneezed"}, "event_types"),
])
def test_bad_webhook_form_shows_the_error_and_saves_nothing(admin_client, change, field):
    response = admin_client.post(reverse("web:webhook-create"), {**HOOK, **change})
    assert response.status_code == 200
    assert WebhookSubscription.objects.count() == 0
    assert response.context["form"].errors[field]


def test_webhooks_and_monitor_are_for_administrators(login, make_user):
    client = login(make_user("sales_manager"))
    for name in ("web:webhooks", "web:webhook-create", "web:webhook-deliveries", "web:event-monitor"):
        assert client.get(reverse(name)).status_code == 403
    sub = webhooks.create_subscription(data={**HOOK, "event_types": ["*"]}, actor=None)
    assert client.post(reverse("web:webhook-test", args=[sub.pk])).status_code == 403


def test_event_monitor_shows_dead_letters_with_retry_and_replay(admin_client, admin_user):
    sub = webhooks.create_subscription(data={**HOOK, "event_types": ["*"]}, actor=admin_user)
    webhooks.send_test_event(subscription_id=sub.pk, actor=admin_user)
    delivery = EventDelivery.objects.get()
    EventDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD, last_error="Boom")
    page = admin_client.get(reverse("web:event-monitor") + "?status=dead").content.decode()
    assert "notifications.webhook.test_requested" in page and "Boom" in page
    admin_client.post(reverse("web:event-delivery-retry", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    admin_client.post(reverse("web:event-replay", args=[delivery.event_id]))
    assert Todo.objects.count() == 0
