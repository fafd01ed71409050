from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caixiao.core.codes import code_validator


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One row per document state change or other audited action (X10), written by the service in
    the same transaction as the change. Master data field history is kept by django-simple-history."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    document = GenericForeignKey("content_type", "object_id")
    verb = models.CharField(_("action"), max_length=64)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        ordering = ["-at", "-id"]
        permissions = [("view_strategic_figures", _("Can view strategic figures (margins, KPIs)"))]

    def __str__(self) -> str:
        return f"{self.verb} {self.content_type_id}:{self.object_id}"


class NumberSequence(models.Model):
    """A counter per document series and period; taken under a row lock so numbers are gapless."""

    series = models.CharField(max_length=32)
    period = models.CharField(max_length=16, default="", blank=True)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["series", "period"], name="numbersequence_series_period_uniq")]

    def __str__(self) -> str:
        return f"{self.series}/{self.period}: {self.last_value}"


class MasterDataQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class MasterData(TimeStampedModel):
    """Base for master records: a unique validated code, a name, and deactivation instead of deletion
    once documents refer to a record. Field history is kept by django-simple-history (X10)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)

    objects = MasterDataQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OutboxEvent(models.Model):
    """A domain event, written by a service in the same transaction as the change it announces
    (DESIGN.md "Events"). Never edited; consumers get one ``EventDelivery`` each."""

    type = models.CharField(_("event type"), max_length=100, db_index=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    aggregate_type = models.CharField(_("document type"), max_length=100)
    aggregate_id = models.CharField(_("document id"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-id"]
        indexes = [models.Index(fields=["aggregate_type", "aggregate_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    DEAD = "dead", _("Dead-lettered")


class EventDelivery(models.Model):
    """One handler's progress on one event: retried with back-off, dead-lettered after N attempts.
    The handler's own writes and the switch to ``done`` commit together, so each handler applies an
    event exactly once."""

    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE,
                              related_name="deliveries")
    handler = models.CharField(_("handler"), max_length=100)
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="eventdelivery_event_handler_uniq")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.handler} ← #{self.event_id} ({self.status})"


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a user sent with a POST action (STYLE.md B7): claimed before the action
    runs, then holding its response so a retry gets the same answer without running it again
    (``caixiao/api/idempotency.py``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.BinaryField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_user_key_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
