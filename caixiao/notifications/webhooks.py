"""Outgoing webhooks (X9): subscriptions, deliveries, signing, the robot formats and sending.

A handler on every event writes one ``WebhookDelivery`` per matching active subscription in the
event's delivery transaction; ``send_delivery`` posts it later, outside any transaction, with a short
timeout, and retries with exponential back-off until ``WEBHOOK_MAX_ATTEMPTS``. The JSON body is
signed with HMAC-SHA256 over ``f"{timestamp}.{body}"`` (docs/notifications.md shows how to verify)."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.core import events, outbox, rows
from caixiao.core.errors import NotFound, ValidationFailed
from caixiao.core.models import OutboxEvent
from caixiao.notifications.events import WEBHOOK_TEST_REQUESTED
from caixiao.notifications.models import SendStatus, WebhookDelivery, WebhookFormat, WebhookSubscription

logger = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 16
EXCERPT_CHARS = 2000
USER_AGENT = "Caixiao-Webhooks/1"


# Validation and subscription services ----------------------------------------------------------
def _check_event_types(value: Any) -> tuple[list[str], list[str]]:
    if isinstance(value, str):
        value = [p.strip() for p in value.replace("\n", ",").split(",")]
    names = [str(p).strip() for p in value or [] if str(p).strip()]
    if not names:
        return [], [_("Choose at least one event type.")]
    unknown = [n for n in names if not any(fnmatch.fnmatchcase(t, n) for t in events.EVENT_TYPES)]
    if unknown:
        return names, [_("Unknown event type or a pattern matching none: %(names)s.") % {"names": ", ".join(unknown)}]
    return list(dict.fromkeys(names)), []


def _check_url(url: str) -> list[str]:
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https"):
        return [_("Use an http:// or https:// address.")]
    if not parts.hostname:
        return [_("The address has no host name.")]
    try:
        socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError, ValueError):
        return [_("The host %(host)s cannot be resolved.") % {"host": parts.hostname}]
    return []


def clean_subscription(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a subscription's fields; raise ``ValidationFailed`` with every field's problems."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 100:
        errors["name"] = [_("Use at most %(n)s characters.") % {"n": 100}]
    cleaned["name"] = name
    cleaned["event_types"], problems = _check_event_types(data.get("event_types"))
    if problems:
        errors["event_types"] = problems
    url = str(data.get("url") or "").strip()
    if len(url) > 500:
        errors["url"] = [_("Use at most %(n)s characters.") % {"n": 500}]
    elif problems := _check_url(url):
        errors["url"] = problems
    cleaned["url"] = url
    secret = str(data.get("secret") or "")
    if not secret:
        secret = secrets.token_urlsafe(32)
    elif len(secret) < MIN_SECRET_LENGTH:
        errors["secret"] = [_("Use a secret of at least %(n)s characters, or leave it empty to generate one.")
                            % {"n": MIN_SECRET_LENGTH}]
    elif len(secret) > 128:
        errors["secret"] = [_("Use at most %(n)s characters.") % {"n": 128}]
    cleaned["secret"] = secret
    fmt = data.get("format") or WebhookFormat.JSON
    if fmt not in WebhookFormat.values:
        errors["format"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(WebhookFormat.values)}]
    cleaned["format"] = fmt
    cleaned["is_active"] = bool(data.get("is_active", True))
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


@transaction.atomic
def create_subscription(*, data: Mapping[str, Any], actor) -> WebhookSubscription:
    return WebhookSubscription.objects.create(**clean_subscription(data), owner=actor)


@transaction.atomic
def update_subscription(*, subscription_id: int, data: Mapping[str, Any], actor) -> WebhookSubscription:
    sub = WebhookSubscription.objects.select_for_update(no_key=True).filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound()
    current = {"name": sub.name, "event_types": sub.event_types, "url": sub.url, "secret": sub.secret,
               "format": sub.format, "is_active": sub.is_active}
    merged = {**current, **{k: v for k, v in data.items() if v is not None}}
    for field, value in clean_subscription(merged).items():
        setattr(sub, field, value)
    sub.save()
    return sub


@transaction.atomic
def set_subscription_active(*, subscription_id: int, active: bool, actor) -> WebhookSubscription:
    sub = WebhookSubscription.objects.select_for_update(no_key=True).filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound()
    sub.is_active = active
    sub.save(update_fields=["is_active", "updated_at"])
    return sub


@transaction.atomic
def send_test_event(*, subscription_id: int, actor) -> WebhookDelivery:
    """Emit a test event and queue its delivery to this subscription only (active or not)."""
    sub = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound()
    event = outbox.emit(WEBHOOK_TEST_REQUESTED, aggregate=sub, actor=actor, payload={
        "version": 1, "subscription_id": sub.pk, "name": sub.name, "message": _("Test message from Caixiao")})
    return _queue(sub, event)


def _queue(sub: WebhookSubscription, event: OutboxEvent, replay_of: WebhookDelivery | None = None) -> WebhookDelivery:
    from caixiao.notifications import tasks

    delivery = WebhookDelivery.objects.create(subscription=sub, event=event, replay_of=replay_of)
    tasks.send_webhook_task.enqueue(delivery.pk)  # an INSERT in this transaction: sent after commit
    return delivery


def has_subscribers(event_type: str) -> bool:
    """Does an active subscription want ``event_type``? Asked when an event is emitted (the fan-out
    handler's ``when``): without one, the event gets no fan-out delivery at all. One plain query, as it
    runs in every emitting transaction (issue 3 item 8)."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    found = rows.execute(f"SELECT {quote('event_types')} FROM {quote(WebhookSubscription._meta.db_table)} "  # noqa: S608
                         f"WHERE {quote('is_active')}", using=connection.alias).fetchall()
    for (patterns,) in found:
        patterns = json.loads(patterns) if isinstance(patterns, (str, bytes)) else patterns
        if any(fnmatch.fnmatchcase(event_type, str(p)) for p in patterns or []):
            return True
    return False


def fan_out(event: OutboxEvent) -> int:
    """Queue one delivery per active subscription that wants this event (idempotent per event)."""
    if event.type == WEBHOOK_TEST_REQUESTED:
        return 0
    count = 0
    for sub in WebhookSubscription.objects.filter(is_active=True):
        if not any(fnmatch.fnmatchcase(event.type, p) for p in sub.event_types):
            continue
        if WebhookDelivery.objects.filter(subscription=sub, event=event, replay_of__isnull=True).exists():
            continue
        _queue(sub, event)
        count += 1
    return count


@transaction.atomic
def replay_delivery(*, delivery_id: int, actor) -> WebhookDelivery:
    """Send a delivery's event to its subscription again, as a new delivery with its own log."""
    original = WebhookDelivery.objects.select_related("subscription", "event").filter(pk=delivery_id).first()
    if original is None:
        raise NotFound()
    return _queue(original.subscription, original.event, replay_of=original.replay_of or original)


# Payloads and signing --------------------------------------------------------------------------
def event_summary(event: OutboxEvent) -> tuple[str, str]:
    """A title and a markdown text for the chat robots."""
    spec = events.EVENT_TYPES.get(event.type)
    title = f"Caixiao: {event.type}"
    facts = [f"- **{k}**: {v}" for k, v in event.payload.items() if isinstance(v, str | int | float | bool) and k != "version"]
    text = "\n".join([f"### {title}", "", spec.description if spec else "", "", *facts,
                      "", f"#{event.pk} · {timezone.localtime(event.created_at):%Y-%m-%d %H:%M:%S}"])
    return title, text


def build_body(delivery: WebhookDelivery) -> dict[str, Any]:
    event = delivery.event
    fmt = delivery.subscription.format
    if fmt == WebhookFormat.DINGTALK:
        title, text = event_summary(event)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if fmt == WebhookFormat.WECOM:
        _title, text = event_summary(event)
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"id": event.pk, "type": event.type, "version": event.version, "created_at": event.created_at,
            "aggregate": {"type": event.aggregate_type, "id": event.aggregate_id},
            "payload": event.payload, "delivery_id": delivery.pk}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, f"{timestamp}.{body}")."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def dingtalk_url(url: str, secret: str, timestamp_ms: str) -> str:
    """DingTalk robots with 加签 enabled check ``timestamp`` and ``sign`` query parameters."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    query = urllib.parse.urlencode({"timestamp": timestamp_ms, "sign": base64.b64encode(digest).decode()})
    return f"{url}{'&' if '?' in url else '?'}{query}"


def build_request(delivery: WebhookDelivery, now: float | None = None) -> urllib.request.Request:
    sub = delivery.subscription
    now = time.time() if now is None else now
    timestamp = str(int(now))
    body = json.dumps(build_body(delivery), cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    url = dingtalk_url(sub.url, sub.secret, str(int(now * 1000))) if sub.format == WebhookFormat.DINGTALK else sub.url
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Caixiao-Event": delivery.event.type, "X-Caixiao-Delivery": str(delivery.pk),
               "X-Caixiao-Timestamp": timestamp, "X-Caixiao-Signature": sign(sub.secret, timestamp, body)}
    return urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) checked on save


# Sending ---------------------------------------------------------------------------------------
def _claim(delivery_id: int) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                    .select_related("subscription", "event")
                    .filter(pk=delivery_id, status=SendStatus.PENDING, next_attempt_at__lte=timezone.now()).first())
        if delivery is None:
            return None
        delivery.status = SendStatus.SENDING
        delivery.attempts += 1
        delivery.claimed_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "claimed_at"])
        return delivery


def post(request: urllib.request.Request) -> tuple[int | None, str, str]:
    """POST and return (status code, response excerpt, error); never raises for network trouble."""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(EXCERPT_CHARS).decode(errors="replace"), ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(EXCERPT_CHARS).decode(errors="replace"), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(exc).__name__}: {reason}"[:2000]


def send_delivery(delivery_id: int) -> bool:
    """Send one due delivery; record status code, response time and excerpt. Returns success."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("send_delivery() makes an HTTP call: call it outside any transaction")
    delivery = _claim(delivery_id)
    if delivery is None:
        return False
    started = time.monotonic()
    code, excerpt, error = post(build_request(delivery))
    delivery.response_ms = int((time.monotonic() - started) * 1000)
    delivery.last_status_code = code
    delivery.response_excerpt = excerpt
    ok = code is not None and 200 <= code < 300 and not error
    if ok and delivery.subscription.format != WebhookFormat.JSON:
        ok, error = _robot_accepted(excerpt)
    delivery.error = error
    if ok:
        delivery.status = SendStatus.SENT
        delivery.finished_at = timezone.now()
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = SendStatus.FAILED
        delivery.finished_at = timezone.now()
        logger.warning("webhook delivery %s gave up after %s attempts", delivery.pk, delivery.attempts)
    else:
        delivery.status = SendStatus.PENDING
        delivery.next_attempt_at = timezone.now() + outbox.backoff(delivery.attempts)
        from caixiao.notifications import tasks

        tasks.send_webhook_task.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    delivery.save(update_fields=["status", "response_ms", "last_status_code", "response_excerpt", "error",
                                 "finished_at", "next_attempt_at"])
    return ok


def _robot_accepted(excerpt: str) -> tuple[bool, str]:
    """DingTalk and WeCom answer 200 with ``{"errcode": 0}`` on success and another code on errors."""
    try:
        errcode = json.loads(excerpt).get("errcode", 0)
    except (ValueError, AttributeError):
        return True, ""
    return (True, "") if errcode == 0 else (False, f"errcode {errcode}")


def send_due(*, limit: int = 200) -> int:
    """Send every due delivery, oldest first: the scheduler's sweep and what tests call."""
    ids = list(WebhookDelivery.objects.filter(status=SendStatus.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(send_delivery(pk) for pk in ids)
