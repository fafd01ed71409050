"""Reads of notifications and to-dos, always scoped to the user who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from caixiao.notifications.models import Notification, Todo, TodoStatus, WebhookDelivery, WebhookSubscription


def list_notifications(*, user, unread: bool | None = None) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


def unread_count(*, user) -> int:
    return list_notifications(user=user, unread=True).count()


def list_todos(*, user, status: str | None = TodoStatus.OPEN) -> QuerySet[Todo]:
    """The user's own to-dos and those of the roles they hold."""
    qs = Todo.objects.filter(Q(assignee=user) | Q(assignee__isnull=True, role__in=list(user.role_codes)))
    if status:
        qs = qs.filter(status=status)
    return qs


def list_subscriptions() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.select_related("owner")


def list_webhook_deliveries(*, subscription_id: int | None = None, status: str | None = None
                            ) -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.select_related("subscription", "event")
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    if status:
        qs = qs.filter(status=status)
    return qs
