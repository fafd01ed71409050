"""Notifications, to-dos, webhooks and the event monitor (X3, X9). A user reads and closes only their
own notifications and to-dos; webhooks and the monitor are for administrators."""

from datetime import datetime
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from caixiao.api.crud import Id
from caixiao.api.errors import COMMON_ERRORS, WRITE_ERRORS
from caixiao.api.pagination import PageNumber
from caixiao.api.permissions import authorize
from caixiao.core import outbox
from caixiao.core.models import DeliveryStatus, EventDelivery, OutboxEvent
from caixiao.notifications import selectors, services, webhooks
from caixiao.notifications.models import SendStatus, TodoStatus, WebhookFormat

router = Router()

VIEW_WEBHOOKS = "notifications.view_webhooksubscription"
ADD_WEBHOOKS = "notifications.add_webhooksubscription"
CHANGE_WEBHOOKS = "notifications.change_webhooksubscription"
VIEW_DELIVERIES = "notifications.view_webhookdelivery"
REPLAY_DELIVERIES = "notifications.change_webhookdelivery"
VIEW_EVENTS = "core.view_outboxevent"
RETRY_EVENTS = "core.change_eventdelivery"


# Notifications ---------------------------------------------------------------------------------
class NotificationOut(Schema):
    id: int
    verb: str = Field(..., description="the event type that caused it")
    title: str
    body: str
    document_type: str
    document_id: str
    url: str
    event_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationFilters(Schema):
    unread: bool | None = Field(None, description="true: unread only; false: read only")


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


@router.get("/notifications", response={200: list[NotificationOut], **COMMON_ERRORS}, tags=["notifications"],
            operation_id="list_notifications", summary="My notifications, newest first")
@paginate(PageNumber)
def list_notifications(request, filters: NotificationFilters = Query(...)):
    return selectors.list_notifications(user=request.user, unread=filters.unread)


@router.get("/notifications/unread-count", response={200: UnreadOut, **COMMON_ERRORS}, tags=["notifications"],
            operation_id="count_unread_notifications", summary="How many of my notifications are unread")
def unread_count(request):
    return {"unread": selectors.unread_count(user=request.user)}


@router.post("/notifications/{int:pk}/read", response={200: NotificationOut, **WRITE_ERRORS},
             tags=["notifications"], operation_id="mark_notification_read", summary="Mark one notification read")
def mark_read(request, pk: int):
    return services.mark_read(user=request.user, notification_id=pk)


@router.post("/notifications/read-all", response={200: MarkedOut, **COMMON_ERRORS}, tags=["notifications"],
             operation_id="mark_all_notifications_read", summary="Mark all my notifications read")
def mark_all_read(request):
    return {"marked": services.mark_all_read(user=request.user)}


# To-dos ----------------------------------------------------------------------------------------
class TodoOut(Schema):
    id: int
    kind: str
    title: str
    url: str
    document_type: str
    document_id: str
    assignee_id: int | None
    role: str
    status: TodoStatus
    due_on: Any = Field(None, description="date (ISO) or null")
    created_at: datetime
    closed_at: datetime | None


class TodoFilters(Schema):
    status: TodoStatus | None = Field(TodoStatus.OPEN, description="open (default), done or cancelled")


class TodoCloseIn(Schema):
    status: Literal["done", "cancelled"] = "done"


@router.get("/todos", response={200: list[TodoOut], **COMMON_ERRORS}, tags=["todos"], operation_id="list_todos",
            summary="My to-dos and those of my roles")
@paginate(PageNumber)
def list_todos(request, filters: TodoFilters = Query(...)):
    return selectors.list_todos(user=request.user, status=filters.status)


@router.post("/todos/{int:pk}/close", response={200: TodoOut, **WRITE_ERRORS}, tags=["todos"],
             operation_id="close_todo", summary="Close one of my to-dos (done or cancelled)")
def close_todo(request, pk: int, payload: TodoCloseIn):
    return services.close_todo(user=request.user, todo_id=pk, status=payload.status)


# Webhook subscriptions -------------------------------------------------------------------------
class SubscriptionOut(Schema):
    id: int
    name: str
    event_types: list[str]
    url: str
    format: WebhookFormat
    is_active: bool
    owner_id: int | None
    created_at: datetime
    updated_at: datetime


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(..., description="shown on create only: keep it to verify signatures")


class SubscriptionIn(Schema):
    name: str = Field(..., max_length=100)
    event_types: list[str] = Field(..., description="event names or patterns (sales.*, *), see docs/events.md")
    url: str = Field(..., max_length=500, description="http(s) address whose host resolves")
    secret: str = Field("", max_length=128, description="≥ 16 characters; empty: one is generated")
    format: WebhookFormat = WebhookFormat.JSON
    is_active: bool = True


class SubscriptionPatch(Schema):
    name: str | None = Field(None, max_length=100)
    event_types: list[str] | None = None
    url: str | None = Field(None, max_length=500)
    secret: str | None = Field(None, max_length=128)
    format: WebhookFormat | None = None
    is_active: bool | None = None


@router.get("/webhook-subscriptions", response={200: list[SubscriptionOut], **COMMON_ERRORS}, tags=["webhooks"],
            operation_id="list_webhook_subscriptions")
@paginate(PageNumber)
def list_subscriptions(request):
    authorize(request, VIEW_WEBHOOKS)
    return selectors.list_subscriptions()


@router.post("/webhook-subscriptions", response={201: SubscriptionCreatedOut, **WRITE_ERRORS}, tags=["webhooks"],
             operation_id="create_webhook_subscription")
def create_subscription(request, payload: SubscriptionIn):
    authorize(request, ADD_WEBHOOKS)
    return Status(201, webhooks.create_subscription(data=payload.dict(), actor=request.user))


@router.get("/webhook-subscriptions/{int:pk}", response={200: SubscriptionOut, **WRITE_ERRORS}, tags=["webhooks"],
            operation_id="get_webhook_subscription")
def get_subscription(request, pk: int):
    authorize(request, VIEW_WEBHOOKS)
    return get_object_or_404(selectors.list_subscriptions(), pk=pk)


@router.patch("/webhook-subscriptions/{int:pk}", response={200: SubscriptionOut, **WRITE_ERRORS},
              tags=["webhooks"], operation_id="update_webhook_subscription")
def update_subscription(request, pk: int, payload: SubscriptionPatch):
    authorize(request, CHANGE_WEBHOOKS)
    return webhooks.update_subscription(subscription_id=pk, data=payload.dict(exclude_unset=True), actor=request.user)


@router.post("/webhook-subscriptions/{int:pk}/deactivate", response={200: SubscriptionOut, **WRITE_ERRORS},
             tags=["webhooks"], operation_id="deactivate_webhook_subscription")
def deactivate_subscription(request, pk: int):
    authorize(request, CHANGE_WEBHOOKS)
    return webhooks.set_subscription_active(subscription_id=pk, active=False, actor=request.user)


@router.post("/webhook-subscriptions/{int:pk}/activate", response={200: SubscriptionOut, **WRITE_ERRORS},
             tags=["webhooks"], operation_id="activate_webhook_subscription")
def activate_subscription(request, pk: int):
    authorize(request, CHANGE_WEBHOOKS)
    return webhooks.set_subscription_active(subscription_id=pk, active=True, actor=request.user)


class WebhookDeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: int
    event_type: str = Field(..., alias="event.type")
    replay_of_id: int | None
    status: SendStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    response_ms: int | None
    response_excerpt: str
    error: str
    created_at: datetime
    finished_at: datetime | None


@router.post("/webhook-subscriptions/{int:pk}/test", response={201: WebhookDeliveryOut, **WRITE_ERRORS},
             tags=["webhooks"], operation_id="test_webhook_subscription", summary="Send a test event")
def test_subscription(request, pk: int):
    authorize(request, CHANGE_WEBHOOKS)
    return Status(201, webhooks.send_test_event(subscription_id=pk, actor=request.user))


class WebhookDeliveryFilters(Schema):
    subscription_id: Id | None = None
    status: SendStatus | None = None


@router.get("/webhook-deliveries", response={200: list[WebhookDeliveryOut], **COMMON_ERRORS}, tags=["webhooks"],
            operation_id="list_webhook_deliveries", summary="The delivery log, newest first")
@paginate(PageNumber)
def list_webhook_deliveries(request, filters: WebhookDeliveryFilters = Query(...)):
    authorize(request, VIEW_DELIVERIES)
    return selectors.list_webhook_deliveries(**filters.dict())


@router.post("/webhook-deliveries/{int:pk}/replay", response={201: WebhookDeliveryOut, **WRITE_ERRORS},
             tags=["webhooks"], operation_id="replay_webhook_delivery",
             summary="Send the delivery's event again, as a new delivery")
def replay_webhook_delivery(request, pk: int):
    authorize(request, REPLAY_DELIVERIES)
    return Status(201, webhooks.replay_delivery(delivery_id=pk, actor=request.user))


# Event monitor ---------------------------------------------------------------------------------
class EventDeliveryOut(Schema):
    id: int
    handler: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str
    finished_at: datetime | None


class EventOut(Schema):
    id: int
    type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    actor_id: int | None
    created_at: datetime
    deliveries: list[EventDeliveryOut]

    @staticmethod
    def resolve_deliveries(obj: OutboxEvent) -> list[EventDelivery]:
        return list(obj.deliveries.all())


class EventFilters(Schema):
    type: str | None = Field(None, max_length=100, description="exact event type")
    delivery_status: DeliveryStatus | None = Field(None, description="events with a delivery in this status")


class ReplayedOut(Schema):
    replayed: int


@router.get("/events", response={200: list[EventOut], **COMMON_ERRORS}, tags=["events"], operation_id="list_events",
            summary="Recent outbox events with each handler's delivery")
@paginate(PageNumber)
def list_events(request, filters: EventFilters = Query(...)):
    authorize(request, VIEW_EVENTS)
    qs = OutboxEvent.objects.prefetch_related("deliveries")
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.delivery_status:
        qs = qs.filter(deliveries__status=filters.delivery_status).distinct()
    return qs


@router.post("/event-deliveries/{int:pk}/retry", response={200: EventDeliveryOut, **WRITE_ERRORS}, tags=["events"],
             operation_id="retry_event_delivery", summary="Run a (dead-lettered) handler delivery again now")
def retry_event_delivery(request, pk: int):
    authorize(request, RETRY_EVENTS)
    get_object_or_404(EventDelivery, pk=pk)
    return outbox.retry_delivery(delivery_id=pk, actor=request.user)


@router.post("/events/{int:pk}/replay", response={200: ReplayedOut, **WRITE_ERRORS}, tags=["events"],
             operation_id="replay_event", summary="Run every handler of an event again (they are idempotent)")
def replay_event(request, pk: int):
    authorize(request, RETRY_EVENTS)
    get_object_or_404(OutboxEvent, pk=pk)
    return {"replayed": outbox.replay_event(event_id=pk, actor=request.user)}
