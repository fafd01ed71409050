"""The transactional outbox (DESIGN.md "Events", STYLE.md B8).

``emit`` writes the event, one delivery row per subscribed handler and the task that dispatches it,
all in the caller's transaction: if the business change rolls back, so does the event; if it
commits, the event cannot be lost. A worker runs each delivery in its own transaction together with
the handler's writes, so a handler applies an event exactly once even when a worker dies midway
(the delivery simply stays pending and is picked up again). Failures are retried with exponential
back-off and dead-lettered after ``OUTBOX_MAX_ATTEMPTS``; a handler that raises never affects the
transaction that emitted the event."""

from __future__ import annotations

import logging
import random
import traceback
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from caixiao.core import events, rows
from caixiao.core.models import DeliveryStatus, EventDelivery, OutboxEvent

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600


def emit(event_type: str, *, aggregate: models.Model, payload: dict[str, Any], actor: Any = None) -> OutboxEvent:
    """Record ``event_type`` about ``aggregate``; call inside the service's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox.emit() must run inside the transaction of the change it announces")
    spec = events.get_event_type(event_type)
    now = timezone.now()
    actor = actor if getattr(actor, "pk", None) else None
    values = {"type": event_type, "version": spec.version, "aggregate_type": aggregate._meta.label_lower,
              "aggregate_id": str(aggregate.pk), "payload": payload, "actor_id": actor.pk if actor else None,
              "created_at": now}
    # Two plain INSERTs (rows.py): the event, then one delivery per subscribed handler.
    (event_id,) = rows.insert_rows(OutboxEvent, [values])
    event: OutboxEvent = rows.saved(OutboxEvent, event_id, values)
    if actor is not None:
        event.actor = actor
    handlers = events.subscribed(event_type)  # skips handlers that would do nothing (Handler.when)
    if handlers:
        rows.insert_rows(EventDelivery, [
            {"event_id": event_id, "handler": h.name, "status": DeliveryStatus.PENDING, "attempts": 0,
             "next_attempt_at": now, "last_error": ""} for h in handlers], returning=False)
        _schedule(event_id)
    return event


def _schedule(event_id: int, run_after=None) -> None:
    from caixiao.core.tasks import dispatch_event

    task = dispatch_event.using(run_after=run_after) if run_after else dispatch_event
    task.enqueue(event_id)  # an INSERT in this transaction with the database task backend
    if getattr(settings, "OUTBOX_RUN_ON_COMMIT", False) and run_after is None:
        # Tests and single-process setups: dispatch right after commit, in this process.
        transaction.on_commit(lambda: process_event(event_id), robust=True)


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at an hour, with ±20% jitter so retries do not stampede."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=seconds * (0.8 + 0.4 * random.random()))


def process_event(event_id: int) -> int:
    """Run every due delivery of one event; returns how many ran (successfully or not)."""
    ids = list(EventDelivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING,
                                            next_attempt_at__lte=timezone.now()).values_list("pk", flat=True))
    return sum(run_delivery(pk) for pk in ids)


def process_due(*, limit: int = 500) -> int:
    """Run due deliveries of any event, oldest first: the sweeper that recovers from dead workers and
    runs retries; also what tests call to play the worker."""
    ids = list(EventDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(run_delivery(pk) for pk in ids)


def run_delivery(delivery_id: int) -> bool:
    """Claim one delivery (skipping it if another worker holds it), run its handler and record the
    outcome in the same transaction. Returns True if this call ran the handler."""
    with transaction.atomic():
        delivery = (EventDelivery.objects.select_for_update(skip_locked=True, no_key=True)
                    .select_related("event")
                    .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
                    .first())
        if delivery is None:
            return False
        delivery.attempts += 1
        spec = events.HANDLERS.get(delivery.handler)
        try:
            if spec is None:
                raise LookupError(f"no handler named {delivery.handler!r} is registered")
            with transaction.atomic():  # a savepoint: a failing handler leaves nothing behind
                spec.func(delivery.event)
        except Exception as exc:
            _record_failure(delivery, exc)
        else:
            delivery.status = DeliveryStatus.DONE
            delivery.finished_at = timezone.now()
            delivery.last_error = ""
            delivery.save(update_fields=["status", "attempts", "finished_at", "last_error"])
        return True


def _record_failure(delivery: EventDelivery, exc: Exception) -> None:
    delivery.last_error = "".join(traceback.format_exception(exc))[-4000:]
    if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.DEAD
        delivery.finished_at = timezone.now()
        logger.error("event delivery %s dead-lettered after %s attempts", delivery.pk, delivery.attempts)
    else:
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        _schedule(delivery.event_id, run_after=delivery.next_attempt_at)
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_error", "finished_at"])


@transaction.atomic
def retry_delivery(*, delivery_id: int, actor: Any = None) -> EventDelivery:
    """Send a dead-lettered (or waiting) delivery again now: the admin's retry button."""
    delivery = EventDelivery.objects.select_for_update(no_key=True).get(pk=delivery_id)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.finished_at = None
    delivery.save(update_fields=["status", "next_attempt_at", "finished_at"])
    _schedule(delivery.event_id)
    return delivery


@transaction.atomic
def replay_event(*, event_id: int, handler: str | None = None, actor: Any = None) -> int:
    """Run an event's handlers again (all, or one by name), e.g. after fixing a consumer's bug.
    Handlers are idempotent, so a replay repeats effects only where a handler chooses to."""
    qs = EventDelivery.objects.select_for_update(no_key=True).filter(event_id=event_id)
    if handler:
        qs = qs.filter(handler=handler)
    count = qs.update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), finished_at=None)
    if count:
        _schedule(event_id)
    return count
