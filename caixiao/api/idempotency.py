"""``Idempotency-Key`` on POST actions (STYLE.md B7, DESIGN.md "API and UI"), in one place.

``@idempotent(Schema)`` under a router decorator adds the optional header to the operation (and to
the OpenAPI schema) and gives it these semantics, per user and key:

- no header: the action runs as usual;
- a new key: the key is claimed (a row committed at once, so a concurrent duplicate sees it), the
  action runs, and a successful response is stored with the key; an error frees the key again, so
  the client may retry after fixing the request (errors are not cached);
- the same key while the first request still runs: 409 ``idempotency_key_in_use``;
- the same key after it succeeded, with the same method, path and body: the stored response again
  (header ``Idempotent-Replayed: true``) and the action does not run; a different request: 422
  ``idempotency_key_reused``;
- keys expire after ``TTL``; a claim whose request never finished (the process died) may be taken
  over after ``CLAIM_TIMEOUT``.

The response is stored right after the action's own transaction commits. If the process dies in
between, a retry after ``CLAIM_TIMEOUT`` runs the action again: a transition then answers
``invalid_transition`` (it already happened), a create would create a second document. That window
is the price of letting each service own its transaction (docs/decisions.md D13)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Header, Schema
from ninja.responses import Response, Status
from ninja.utils import contribute_operation_args

from caixiao.core.errors import Conflict, ValidationFailed
from caixiao.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
TTL = timedelta(hours=24)
CLAIM_TIMEOUT = timedelta(minutes=5)


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    default_message = _("A request with this Idempotency-Key is still being processed; retry shortly.")


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was used for a different request; use a new key.")


def idempotent(schema: type[Schema]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an endpoint whose successful result is ``schema`` (or ``Status(code, schema)``)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, idempotency_key: str | None = None, **kwargs: Any) -> Any:
            if not idempotency_key:
                return view(request, *args, **kwargs)
            claimed = _claim(request, idempotency_key)
            if isinstance(claimed, HttpResponse):
                return claimed
            try:
                response = _render(schema, view(request, *args, **kwargs))
            except BaseException:
                IdempotencyKey.objects.filter(pk=claimed.pk).delete()
                raise
            IdempotencyKey.objects.filter(pk=claimed.pk).update(
                response_status=response.status_code, response_body=response.content, completed_at=timezone.now())
            return response

        contribute_operation_args(wrapper, "idempotency_key", str | None, Header(  # type: ignore[arg-type]
            None, alias=HEADER, max_length=KEY_MAX_LENGTH,
            description="a unique key per intended action (e.g. a UUID): a retry with the same key "
                        "returns the first response instead of acting twice"))
        return wrapper

    return decorate


def _render(schema: type[Schema], result: Any) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    status, value = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
    data = value if isinstance(value, schema) else schema.model_validate(value)
    return Response(data.model_dump(), status=status)


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _claim(request: HttpRequest, key: str) -> IdempotencyKey | HttpResponse:
    """Claim ``key`` for this request, or answer from / refuse because of an earlier one."""
    fingerprint, now = _fingerprint(request), timezone.now()
    with transaction.atomic():
        row, created = IdempotencyKey.objects.get_or_create(
            user_id=request.user.pk, key=key,  # type: ignore[misc]  # an authenticated user
            defaults={"fingerprint": fingerprint, "created_at": now})
    if created:
        return row
    expired = (row.completed_at or row.created_at) < now - (TTL if row.completed_at else CLAIM_TIMEOUT)
    if expired:
        # Take it over, unless another request did so first (the conditional UPDATE decides).
        taken = IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).update(
            fingerprint=fingerprint, created_at=now, completed_at=None, response_status=None, response_body=None)
        if taken:
            row.created_at = now
            return row
        raise IdempotencyKeyInUse()
    if row.completed_at is None:
        raise IdempotencyKeyInUse()
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused(fields={HEADER: [str(IdempotencyKeyReused.default_message)]})
    replay = HttpResponse(bytes(row.response_body or b""), status=row.response_status,
                          content_type="application/json")
    replay["Idempotent-Replayed"] = "true"
    return replay
