"""Use cases of notifications and to-dos (X3). Handlers call ``notify`` and ``open_todo`` inside the
event's delivery transaction; e-mail leaves later, from ``EmailDelivery`` rows, through ``send_email``
which runs outside any transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from caixiao.core import outbox
from caixiao.core.errors import NotFound, ValidationFailed
from caixiao.core.models import OutboxEvent
from caixiao.notifications import kinds, preferences, selectors
from caixiao.notifications.models import (
    Channel,
    EmailDelivery,
    Notification,
    NotificationPreference,
    SendStatus,
    Todo,
    TodoStatus,
)

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)  # a "sending" row older than this was left by a dead worker


# The staff UI's page of each document type (URL names in caixiao/web); others follow the
# ``web:<model>-detail`` convention of the master-data pages.
DOCUMENT_URL_NAMES = {
    "sales.salesorder": "web:sales-order",
    "sales.deliverynotice": "web:delivery-notice",
}


def document_url(document_type: str, document_id: str) -> str:
    """The web page of a document, or "" while the UI has no page for it."""
    name = DOCUMENT_URL_NAMES.get(document_type, f"web:{document_type.rpartition('.')[2]}-detail")
    try:
        return reverse(name, args=[document_id])
    except NoReverseMatch:
        return ""


def users_with_role(role: str) -> list[Any]:
    return list(get_user_model().objects.filter(groups__name=role, is_active=True).distinct())


def in_language(user, text_factory) -> str:
    """Render a message in the recipient's language (stored notifications are plain text)."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return str(text_factory())


def notify(*, recipients: Iterable[Any], verb: str, title, body=lambda: "", document_type: str = "",
           document_id: str = "", url: str = "", event: OutboxEvent | None = None) -> list[Notification]:
    """Notify each recipient by the channels their preferences choose for ``verb``. ``title`` and
    ``body`` are callables so they are rendered in each recipient's language. Idempotent per event:
    a replayed event notifies nobody twice."""
    created = []
    for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values():
        channels = preferences.channels_for(user, verb)
        if not channels:
            continue
        if event is not None and Notification.objects.filter(event=event, recipient=user, verb=verb).exists():
            continue
        notification = Notification.objects.create(
            recipient=user, verb=verb, title=in_language(user, title)[:200], body=in_language(user, body),
            document_type=document_type, document_id=str(document_id), url=url, event=event,
            read_at=None if Channel.IN_APP.value in channels else timezone.now())
        if Channel.EMAIL.value in channels:
            queue_email(notification)
        created.append(notification)
    return created


def queue_email(notification: Notification) -> EmailDelivery:
    from caixiao.notifications import tasks

    user = notification.recipient
    body = notification.body
    if notification.url:
        body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
    delivery = EmailDelivery.objects.create(notification=notification, to_address=user.email,
                                            subject=notification.title, body=body)
    tasks.send_email_task.enqueue(delivery.pk)
    return delivery


def _claim(model, pk: int):
    """Take a due row for sending (``pending`` → ``sending``) in a short transaction of its own."""
    with transaction.atomic():
        row = (model.objects.select_for_update(skip_locked=True, no_key=True)
               .filter(pk=pk, status=SendStatus.PENDING, next_attempt_at__lte=timezone.now()).first())
        if row is None:
            return None
        row.status = SendStatus.SENDING
        row.attempts += 1
        row.claimed_at = timezone.now()
        row.save(update_fields=["status", "attempts", "claimed_at"])
        return row


def send_email(delivery_id: int) -> bool:
    """Send one e-mail delivery now if it is due; record the outcome. Returns whether it was sent."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("send_email() talks to the mail server: call it outside any transaction")
    delivery = _claim(EmailDelivery, delivery_id)
    if delivery is None:
        return False
    try:
        send_mail(delivery.subject, delivery.body, settings.DEFAULT_FROM_EMAIL, [delivery.to_address])
    except Exception as exc:
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            delivery.status = SendStatus.FAILED
        else:
            delivery.status = SendStatus.PENDING
            delivery.next_attempt_at = timezone.now() + outbox.backoff(delivery.attempts)
        delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
        logger.warning("e-mail delivery %s failed: %s", delivery.pk, delivery.last_error)
        return False
    delivery.status = SendStatus.SENT
    delivery.sent_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["status", "sent_at", "last_error"])
    return True


def send_due_emails(*, limit: int = 200) -> int:
    ids = list(EmailDelivery.objects.filter(status=SendStatus.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(send_email(pk) for pk in ids)


def release_stale_claims() -> int:
    """Put rows a dead worker left in ``sending`` back in the queue (at-least-once for mail and webhooks)."""
    from caixiao.notifications.models import WebhookDelivery

    cutoff = timezone.now() - CLAIM_TIMEOUT
    return sum(model.objects.filter(status=SendStatus.SENDING, claimed_at__lt=cutoff)
               .update(status=SendStatus.PENDING, next_attempt_at=timezone.now())
               for model in (EmailDelivery, WebhookDelivery))


def mark_read(*, user, notification_id: int) -> Notification:
    notification = selectors.list_notifications(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    return selectors.list_notifications(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())


def open_todo(*, kind: str, document_type: str, document_id: Any, title, assignee=None, role: str = "",
              scope: str = "", url: str = "", event: OutboxEvent | None = None) -> tuple[Todo, bool]:
    """Open a to-do unless the same one is already open (or this event already opened it)."""
    spec = kinds.get_kind(kind)
    if assignee is None and not role:
        raise ValueError("a to-do needs an assignee or a role")
    key = {"kind": kind, "document_type": document_type, "document_id": str(document_id), "scope": scope}
    who = {"assignee": assignee} if assignee is not None else {"assignee__isnull": True, "role": role}
    existing = Todo.objects.filter(**key, **who).filter(
        Q(status=TodoStatus.OPEN) | Q(event=event) if event is not None else Q(status=TodoStatus.OPEN)).first()
    if existing is not None:
        return existing, False
    due_on = timezone.localdate() + timedelta(days=spec.due_days) if spec.due_days is not None else None
    title_text = in_language(assignee, title) if assignee is not None else str(title())
    todo = Todo.objects.create(**key, assignee=assignee, role="" if assignee is not None else role,
                               title=title_text[:200], url=url, due_on=due_on, event=event)
    return todo, True


def close_todos(*, kind: str | None = None, document_type: str, document_id: Any, scope: str | None = None,
                status: str = TodoStatus.DONE, actor=None) -> int:
    """Close the open to-dos of a document (the work was done, or is no longer needed)."""
    qs = Todo.objects.filter(document_type=document_type, document_id=str(document_id), status=TodoStatus.OPEN)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if scope is not None:
        qs = qs.filter(scope=scope)
    return qs.update(status=status, closed_at=timezone.now(), closed_by=actor if getattr(actor, "pk", None) else None)


def close_todo(*, user, todo_id: int, status: str = TodoStatus.DONE) -> Todo:
    """A user closes one of their to-dos by hand (done, or cancelled as not needed)."""
    if status not in (TodoStatus.DONE, TodoStatus.CANCELLED):
        raise ValidationFailed(fields={"status": [_("Choose done or cancelled.")]})
    todo = selectors.list_todos(user=user, status=None).filter(pk=todo_id).first()
    if todo is None:
        raise NotFound()
    if todo.status != TodoStatus.OPEN:
        raise ValidationFailed(_("This to-do is already closed."), code="todo_closed")
    todo.status = status
    todo.closed_at = timezone.now()
    todo.closed_by = user
    todo.save(update_fields=["status", "closed_at", "closed_by"])
    return todo


@transaction.atomic
def set_preference(*, user, event_type: str, in_app: bool, email: bool) -> NotificationPreference:
    if event_type not in preferences.NOTIFIABLE:
        raise ValidationFailed(fields={"event_type": [_("Unknown event type: %(name)s.") % {"name": event_type}]})
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, event_type=event_type, defaults={"in_app": in_app, "email": email})
    return pref
