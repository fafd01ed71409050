"""The approval engine's tables (SPEC S2, DESIGN.md "Approvals"; docs/approvals.md).

``ApprovalFlow`` (one row per version of a document type's flow) → ordered ``ApprovalStep``s.
Submitting a document snapshots the active version into an ``ApprovalInstance``; each activated step
gets one ``ApprovalTask`` per approver. Decisions are conditional UPDATEs on these rows (services.py),
so concurrent clicks cannot double-advance. The tasks plus ``AuditEntry`` rows are the history."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from caixiao.approvals.enums import ApprovalMode, InstanceStatus, ResolverKind, TaskStatus
from caixiao.core.models import TimeStampedModel


class ApprovalFlow(TimeStampedModel):
    """One version of a document type's flow. Editing a flow writes a new version (a new row) and
    deactivates the old one; instances keep the snapshot they were submitted with."""

    document_type = models.CharField(_("document type"), max_length=64, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    previous = models.ForeignKey("self", verbose_name=_("previous version"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")
        ordering = ["document_type", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["document_type", "version"], name="approvalflow_type_version_uniq"),
            models.UniqueConstraint(fields=["document_type"], condition=Q(is_active=True),
                                    name="approvalflow_one_active_per_type"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ApprovalStep(models.Model):
    flow = models.ForeignKey(ApprovalFlow, verbose_name=_("flow"), on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=200)
    condition = models.TextField(_("condition"), blank=True,
                                 help_text=_("A CEL condition on the document; empty: always."))
    resolver = models.CharField(_("approvers"), max_length=20, choices=ResolverKind.choices)
    resolver_params = models.JSONField(_("approver parameters"), default=dict, blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=ApprovalMode.choices, default=ApprovalMode.ANY)
    required_count = models.PositiveSmallIntegerField(_("approvals required"), default=1,
                                                      help_text=_("For N of M: how many must approve."))
    reminder_hours = models.PositiveIntegerField(_("remind after hours"), null=True, blank=True,
                                                 help_text=_("Empty: no reminders."))
    parallel = models.BooleanField(_("in parallel with the step before"), default=False,
                                   help_text=_("Opens together with the step before it; the flow moves on "
                                               "when both are done (parallel branches)."))

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["flow", "position"]
        constraints = [models.UniqueConstraint(fields=["flow", "position"], name="approvalstep_flow_position_uniq")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class ApprovalInstance(models.Model):
    """One submission of one document. ``flow_snapshot`` holds the steps as submitted (with whether
    each matched and the approvers resolved for it); ``activation`` counts step activations so a step
    re-opened by a rejection counts only its new tasks."""

    document_type = models.CharField(_("document type"), max_length=64)
    object_id = models.CharField(_("document id"), max_length=64)
    content_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    description = models.CharField(_("document"), max_length=300, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    flow = models.ForeignKey(ApprovalFlow, verbose_name=_("flow"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="instances")
    flow_version = models.PositiveIntegerField(_("flow version"))
    flow_snapshot = models.JSONField(_("flow as submitted"), default=list)
    context = models.JSONField(_("document data as submitted"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=16, choices=InstanceStatus.choices,
                              default=InstanceStatus.PENDING, db_index=True)
    current_step = models.PositiveSmallIntegerField(_("current step"), default=0)
    activation = models.PositiveIntegerField(default=1)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requester"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="approval_requests")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["document_type", "object_id"])]
        constraints = [
            # The backstop for "one open approval per document" (submit checks first, politely).
            models.UniqueConstraint(fields=["document_type", "object_id"], condition=Q(status="pending"),
                                    name="approvalinstance_one_open_per_document"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}:{self.object_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == InstanceStatus.PENDING

    def step(self, position: int) -> dict | None:
        return next((s for s in self.flow_snapshot if s["position"] == position), None)

    def stage(self, start: int | None = None) -> list[dict]:
        """The matching steps open together from ``start`` (default: the current step): that step and
        the matching steps right after it marked ``parallel`` (parallel branches)."""
        return stage_of(self.flow_snapshot, self.current_step if start is None else start)


def stage_of(snapshot: list[dict], start: int) -> list[dict]:
    matched = [s for s in snapshot if s.get("matched")]
    index = next((i for i, s in enumerate(matched) if s["position"] == start), None)
    if index is None:
        return []
    stage = [matched[index]]
    for step in matched[index + 1:]:
        if not step.get("parallel"):
            break
        stage.append(step)
    return stage


def stage_start(snapshot: list[dict], position: int) -> int:
    """The first step of the stage ``position`` belongs to (itself unless it runs in parallel)."""
    start = position
    for step in [s for s in snapshot if s.get("matched") and s["position"] <= position][::-1]:
        start = step["position"]
        if not step.get("parallel"):
            break
    return start


class ApprovalTask(models.Model):
    """One approver's part in one activation of a step."""

    instance = models.ForeignKey(ApprovalInstance, verbose_name=_("approval"), on_delete=models.CASCADE,
                                 related_name="tasks")
    step = models.PositiveSmallIntegerField(_("step"))
    step_name = models.CharField(_("step name"), max_length=200)
    activation = models.PositiveIntegerField(default=1)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT,
                                 related_name="approval_tasks")
    delegated_from = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("on behalf of"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    reminder_hours = models.PositiveIntegerField(_("remind after hours"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    reminder_count = models.PositiveIntegerField(_("reminders sent"), default=0)

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["instance", "activation", "step", "id"]
        indexes = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["status", "next_reminder_at"]),
            models.Index(fields=["instance", "step", "activation"]),
        ]

    def __str__(self) -> str:
        return f"{self.instance} · {self.step_name} · {self.assignee_id} ({self.status})"


class Delegation(TimeStampedModel):
    """While ``from_user`` is away (``starts_on``–``ends_on``, inclusive), new approval tasks for the
    listed document types (empty: all) go to ``to_user``, who may also decide ``from_user``'s open ones."""

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.CASCADE,
                                  related_name="delegations_given")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to"), on_delete=models.CASCADE,
                                related_name="delegations_received")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    document_types = models.JSONField(_("document types"), default=list, blank=True,
                                      help_text=_("Empty: every document type."))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates_ordered"),
            models.CheckConstraint(condition=~Q(from_user=models.F("to_user")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_user_id} → {self.to_user_id} ({self.starts_on}–{self.ends_on})"

    def covers(self, document_type: str) -> bool:
        return not self.document_types or document_type in self.document_types
