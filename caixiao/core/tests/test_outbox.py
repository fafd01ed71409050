"""Issue 4 / N3: events are never lost and each handler applies each event exactly once."""

import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction

from caixiao.core import events, outbox
from caixiao.core.models import AuditEntry, DeliveryStatus, EventDelivery, NumberSequence, OutboxEvent

OK_EVENT = events.define("test.widget.created", description="test event", payload={"n": "a number"})
FAILING_EVENT = events.define("test.widget.broken", description="test event whose handler fails")
CRASH_EVENT = events.define("test.widget.crashed", description="test event whose worker dies once")
SLOW_EVENT = events.define("test.widget.slow", description="test event with a slow handler")
UNHANDLED_EVENT = events.define("test.widget.ignored", description="test event nobody consumes")

crash_once = {"armed": False}


def _effect(event, verb):
    """A database effect we can count: one audit entry per handler run."""
    AuditEntry.objects.create(content_type=ContentType.objects.get_for_model(OutboxEvent),
                              object_id=str(event.pk), verb=verb)


@events.handler(OK_EVENT, name="test.count")
def count_handler(event):
    _effect(event, "handled")


@events.handler(FAILING_EVENT, name="test.fail")
def failing_handler(event):
    _effect(event, "partial write that must roll back")
    raise RuntimeError("consumer is down")


@events.handler(CRASH_EVENT, name="test.crash")
def crashing_handler(event):
    _effect(event, "handled")
    if crash_once["armed"]:
        crash_once["armed"] = False
        raise SystemExit("worker killed")  # not an Exception: like a dying process, it escapes


@events.handler(SLOW_EVENT, name="test.slow")
def slow_handler(event):
    time.sleep(0.3)
    _effect(event, "handled")


@pytest.fixture(autouse=True)
def only_this_modules_handlers(monkeypatch):
    """Count this module's handlers only: consumers of every event (``"*"``, such as the webhook
    fan-out of caixiao.notifications) are not what these tests are about."""
    monkeypatch.setattr(events, "HANDLERS", {k: h for k, h in events.HANDLERS.items() if k.startswith("test.")})


def handled(event) -> int:
    return AuditEntry.objects.filter(object_id=str(event.pk), verb="handled").count()


def emit(event_type):
    with transaction.atomic():
        anchor = NumberSequence.objects.create(series=f"T{NumberSequence.objects.count()}")
        return outbox.emit(event_type, aggregate=anchor, payload={"n": 1})


@pytest.mark.django_db
def test_emit_writes_event_and_one_delivery_per_handler():
    event = emit(OK_EVENT)
    assert event.version == 1 and event.aggregate_type == "core.numbersequence"
    assert list(event.deliveries.values_list("handler", "status")) == [("test.count", "pending")]
    assert not EventDelivery.objects.filter(event__type=UNHANDLED_EVENT).exists()


@pytest.mark.django_db
def test_rolled_back_transaction_leaves_no_event():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        anchor = NumberSequence.objects.create(series="X")
        outbox.emit(OK_EVENT, aggregate=anchor, payload={})
        1 / 0  # noqa: B018
    assert not OutboxEvent.objects.exists()
    assert not EventDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_unknown_event_type_and_emit_outside_a_transaction_are_refused():
    anchor = NumberSequence.objects.create(series="Y")
    with pytest.raises(RuntimeError):
        outbox.emit(OK_EVENT, aggregate=anchor, payload={})
    with pytest.raises(events.UnknownEventType), transaction.atomic():
        outbox.emit("test.widget.unknown", aggregate=anchor, payload={})


@pytest.mark.django_db
def test_worker_applies_event_once_even_when_run_twice():
    event = emit(OK_EVENT)
    assert outbox.process_due() == 1
    assert outbox.process_due() == 0
    assert outbox.process_event(event.pk) == 0
    assert handled(event) == 1
    assert event.deliveries.get().status == DeliveryStatus.DONE


@pytest.mark.django_db
def test_dispatch_runs_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = emit(OK_EVENT)
    assert handled(event) == 1


@pytest.mark.django_db
def test_failing_handler_never_breaks_the_emitter_and_is_retried_then_dead_lettered(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    event = emit(FAILING_EVENT)
    assert OutboxEvent.objects.filter(pk=event.pk).exists()  # the emitting transaction committed
    outbox.process_due()
    delivery = event.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "consumer is down" in delivery.last_error
    assert delivery.next_attempt_at > delivery.event.created_at
    assert outbox.process_due() == 0  # backing off: not due yet
    for _ in range(2):
        EventDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.event.created_at)
        outbox.process_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == 3
    assert not AuditEntry.objects.filter(verb__startswith="partial").exists()  # each failed run rolled back
    outbox.retry_delivery(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_backoff_grows_exponentially_and_is_capped():
    assert 8 <= outbox.backoff(1).total_seconds() <= 12
    assert 16 <= outbox.backoff(2).total_seconds() <= 24
    assert outbox.backoff(30).total_seconds() <= outbox.BACKOFF_MAX_SECONDS * 1.2


@pytest.mark.django_db(transaction=True)
def test_worker_killed_midway_loses_nothing_and_applies_once(settings):
    settings.OUTBOX_RUN_ON_COMMIT = False
    event = emit(CRASH_EVENT)
    crash_once["armed"] = True
    with pytest.raises(SystemExit):
        outbox.process_due()
    delivery = event.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0  # the claim rolled back
    assert handled(event) == 0
    assert outbox.process_due() == 1  # the next worker (or the sweeper) picks it up
    assert handled(event) == 1
    assert event.deliveries.get().status == DeliveryStatus.DONE


@pytest.mark.django_db
def test_replay_runs_handlers_again():
    event = emit(OK_EVENT)
    outbox.process_due()
    assert outbox.replay_event(event_id=event.pk) == 1
    outbox.process_due()
    assert handled(event) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_delivery_twice(settings):
    settings.OUTBOX_RUN_ON_COMMIT = False
    if connection.vendor != "postgresql":
        pytest.skip("parallel workers are tested on PostgreSQL (CI sets DATABASE_URL); SQLite serialises writers")
    event = emit(SLOW_EVENT)
    ran: list[bool] = []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            ran.append(outbox.run_delivery(event.deliveries.get().pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ran) == [False, True]
    assert handled(event) == 1
