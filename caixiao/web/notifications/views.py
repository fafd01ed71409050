"""Thin views: read through the notifications selectors, act through its services (or the outbox's
retry/replay), turn a ``DomainError`` into form errors or a message; every view checks who may."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caixiao.core import outbox
from caixiao.core.errors import DomainError
from caixiao.core.models import DeliveryStatus, EventDelivery, OutboxEvent
from caixiao.notifications import kinds, preferences, selectors, services, webhooks
from caixiao.notifications.models import SendStatus, TodoStatus, WebhookSubscription
from caixiao.web.crud import require
from caixiao.web.forms import add_domain_error
from caixiao.web.notifications.forms import WebhookSubscriptionForm

PER_PAGE = 30
VIEW_WEBHOOKS = "notifications.view_webhooksubscription"
ADD_WEBHOOKS = "notifications.add_webhooksubscription"
CHANGE_WEBHOOKS = "notifications.change_webhooksubscription"
VIEW_DELIVERIES = "notifications.view_webhookdelivery"
REPLAY_DELIVERIES = "notifications.change_webhookdelivery"
VIEW_EVENTS = "core.view_outboxevent"
RETRY_EVENTS = "core.change_eventdelivery"


def _page(request: HttpRequest, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


# Notifications ---------------------------------------------------------------------------------
@login_required
def bell(request: HttpRequest) -> HttpResponse:
    """The navbar's bell with the unread count; htmx polls it."""
    return render(request, "notifications/_bell.html", {"unread": selectors.unread_count(user=request.user)})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.list_notifications(user=request.user, unread=True if unread_only else None)
    return render(request, "notifications/notification_list.html", {
        "page": _page(request, rows), "unread_only": unread_only,
        "unread": selectors.unread_count(user=request.user)})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = services.mark_read(user=request.user, notification_id=pk)
    except DomainError as err:
        messages.error(request, str(err.message))
        return redirect("web:notifications")
    if request.POST.get("open") and notification.url:
        return redirect(notification.url)
    return _back(request, "web:notifications")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(user=request.user)
    messages.success(request, _("Marked %(count)s notifications read.") % {"count": count})
    return _back(request, "web:notifications")


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        for event_type in preferences.NOTIFIABLE:
            services.set_preference(user=request.user, event_type=event_type,
                                    in_app=request.POST.get(f"{event_type}:in_app") == "on",
                                    email=request.POST.get(f"{event_type}:email") == "on")
        messages.success(request, _("Saved your notification settings."))
        return redirect("web:notification-preferences")
    return render(request, "notifications/preferences.html", {
        "rows": preferences.preferences_for(request.user), "has_email": bool(getattr(request.user, "email", ""))})


# To-dos ----------------------------------------------------------------------------------------
@login_required
def todo_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or TodoStatus.OPEN
    if status not in TodoStatus.values:
        status = TodoStatus.OPEN
    rows = selectors.list_todos(user=request.user, status=status)
    return render(request, "notifications/todo_list.html", {
        "page": _page(request, rows), "status": status, "statuses": TodoStatus.choices, "kinds": kinds.TODO_KINDS})


@login_required
@require_POST
def close_todo(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        todo = services.close_todo(user=request.user, todo_id=pk, status=request.POST.get("status", TodoStatus.DONE))
    except DomainError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Closed the to-do “%(title)s”.") % {"title": todo.title})
    return _back(request, "web:todos")


# Webhooks --------------------------------------------------------------------------------------
@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_WEBHOOKS)
    return render(request, "notifications/webhook_list.html", {"subscriptions": selectors.list_subscriptions()})


@login_required
def webhook_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require(request, CHANGE_WEBHOOKS if pk else ADD_WEBHOOKS)
    sub = get_object_or_404(WebhookSubscription, pk=pk) if pk else None
    initial = {"is_active": True, "format": "json"} if sub is None else {
        "name": sub.name, "event_types": "\n".join(sub.event_types), "url": sub.url, "format": sub.format,
        "is_active": sub.is_active}
    form = WebhookSubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        try:
            if sub is None:
                sub = webhooks.create_subscription(data=data, actor=request.user)
                messages.success(request, _("Created the webhook “%(name)s”. Its secret: %(secret)s")
                                 % {"name": sub.name, "secret": sub.secret})
            else:
                data["secret"] = data["secret"] or None  # empty: keep the current secret
                sub = webhooks.update_subscription(subscription_id=sub.pk, data=data, actor=request.user)
                messages.success(request, _("Saved the webhook “%(name)s”.") % {"name": sub.name})
        except DomainError as err:
            add_domain_error(form, err)
        else:
            return redirect("web:webhooks")
    return render(request, "notifications/webhook_form.html", {"form": form, "subscription": sub})


@login_required
@require_POST
def webhook_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, CHANGE_WEBHOOKS)
    try:
        sub = webhooks.set_subscription_active(subscription_id=pk, active=request.POST.get("active") == "1",
                                               actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, (_("Activated “%(name)s”.") if sub.is_active else _("Deactivated “%(name)s”."))
                         % {"name": sub.name})
    return redirect("web:webhooks")


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, CHANGE_WEBHOOKS)
    try:
        delivery = webhooks.send_test_event(subscription_id=pk, actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
        return redirect("web:webhooks")
    messages.success(request, _("Queued a test event; the delivery log shows the result."))
    return redirect(f"{reverse('web:webhook-deliveries')}?subscription={delivery.subscription_id}")


@login_required
def webhook_deliveries(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_DELIVERIES)
    subscription_id = request.GET.get("subscription")
    status = request.GET.get("status") or None
    rows = selectors.list_webhook_deliveries(
        subscription_id=int(subscription_id) if subscription_id and subscription_id.isdigit() else None,
        status=status if status in SendStatus.values else None)
    return render(request, "notifications/webhook_deliveries.html", {
        "page": _page(request, rows), "subscriptions": selectors.list_subscriptions(),
        "subscription_id": subscription_id, "status": status, "statuses": SendStatus.choices})


@login_required
@require_POST
def webhook_replay(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, REPLAY_DELIVERIES)
    try:
        webhooks.replay_delivery(delivery_id=pk, actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Queued the delivery again."))
    return _back(request, "web:webhook-deliveries")


# Event monitor ---------------------------------------------------------------------------------
@login_required
def event_monitor(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_EVENTS)
    status = request.GET.get("status") or None
    events = OutboxEvent.objects.prefetch_related("deliveries")
    if status in DeliveryStatus.values:
        events = events.filter(deliveries__status=status).distinct()
    counts = {s: EventDelivery.objects.filter(status=s).count() for s in DeliveryStatus.values}
    return render(request, "notifications/event_monitor.html", {
        "page": _page(request, events), "status": status, "statuses": DeliveryStatus.choices, "counts": counts})


@login_required
@require_POST
def retry_event_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, RETRY_EVENTS)
    delivery = get_object_or_404(EventDelivery, pk=pk)
    outbox.retry_delivery(delivery_id=delivery.pk, actor=request.user)
    messages.success(request, _("Queued %(handler)s for event #%(event)s again.")
                     % {"handler": delivery.handler, "event": delivery.event_id})
    return _back(request, "web:event-monitor")


@login_required
@require_POST
def replay_event(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, RETRY_EVENTS)
    event = get_object_or_404(OutboxEvent, pk=pk)
    count = outbox.replay_event(event_id=event.pk, actor=request.user)
    messages.success(request, _("Replaying event #%(event)s to %(count)s handlers.") % {"event": event.pk, "count": count})
    return _back(request, "web:event-monitor")
