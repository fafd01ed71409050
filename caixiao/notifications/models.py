"""In-app notifications, to-dos, e-mail deliveries, preferences and webhooks (X3, X9).

Documents are referred to the way ``OutboxEvent`` does: ``document_type`` is the model's
``app_label.modelname`` and ``document_id`` its primary key, so this app needs no foreign key into
the documents it links to (and a deleted document leaves a harmless dangling link)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caixiao.core.models import OutboxEvent


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("E-mail")


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications")
    verb = models.CharField(_("event type"), max_length=100)
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    document_type = models.CharField(_("document type"), max_length=100, blank=True)
    document_id = models.CharField(_("document id"), max_length=64, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "recipient", "verb"],
                                               name="notification_event_recipient_verb_uniq")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class TodoStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Todo(models.Model):
    """A piece of work waiting for a user or for everyone holding a role. Its ``kind`` comes from the
    registry in ``caixiao.notifications.kinds``; at most one open to-do per kind, document, scope and
    assignee, and the event that created it makes the creating handler idempotent."""

    kind = models.CharField(_("kind"), max_length=64)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="todos")
    role = models.CharField(_("role"), max_length=150, blank=True, help_text=_("Everyone with this role."))
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    url = models.CharField(_("link"), max_length=300, blank=True)
    document_type = models.CharField(_("document type"), max_length=100)
    document_id = models.CharField(_("document id"), max_length=64)
    scope = models.CharField(_("scope"), max_length=64, blank=True,
                             help_text=_("Narrows the document, e.g. the warehouse of a replenishment."))
    status = models.CharField(_("status"), max_length=16, choices=TodoStatus.choices, default=TodoStatus.OPEN)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("to-do")
        verbose_name_plural = _("to-dos")
        ordering = ["due_on", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "document_type", "document_id", "scope", "assignee"],
                                    condition=Q(status="open", assignee__isnull=False),
                                    name="todo_open_user_uniq"),
            models.UniqueConstraint(fields=["kind", "document_type", "document_id", "scope", "role"],
                                    condition=Q(status="open", assignee__isnull=True),
                                    name="todo_open_role_uniq"),
            models.CheckConstraint(condition=Q(assignee__isnull=False) | ~Q(role=""), name="todo_has_assignee"),
        ]
        indexes = [models.Index(fields=["document_type", "document_id", "status"])]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A user's choice of channels for one event type; without a row, the role defaults apply
    (``caixiao.notifications.preferences``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="notification_preferences")
    event_type = models.CharField(_("event type"), max_length=100)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("e-mail"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event_type"], name="notificationpref_user_type_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event_type}"


class SendStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EmailDelivery(models.Model):
    """One e-mail to send. The handler writes the row; a task sends it outside any transaction and
    records the outcome, retrying with back-off."""

    notification = models.OneToOneField(Notification, verbose_name=_("notification"), on_delete=models.CASCADE,
                                        related_name="email")
    to_address = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=16, choices=SendStatus.choices, default=SendStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"


class WebhookFormat(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")


class WebhookSubscription(models.Model):
    name = models.CharField(_("name"), max_length=100)
    event_types = models.JSONField(_("event types"), default=list,
                                   help_text=_("Event names or patterns such as sales.* or *."))
    url = models.URLField(_("target URL"), max_length=500)
    # Kept as given: it is needed to sign each payload (docs/decisions.md).
    secret = models.CharField(_("secret"), max_length=128)
    format = models.CharField(_("format"), max_length=16, choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    is_active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event sent to one subscription; a replay is a new row pointing at the original."""

    subscription = models.ForeignKey(WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE,
                                     related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+")
    replay_of = models.ForeignKey("self", verbose_name=_("replay of"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="replays")
    status = models.CharField(_("status"), max_length=16, choices=SendStatus.choices, default=SendStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], condition=Q(replay_of__isnull=True),
                                               name="webhookdelivery_subscription_event_uniq")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subscription_id} ← #{self.event_id} ({self.status})"
