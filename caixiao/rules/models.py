"""Rules (X4, X7, P4): a rule is a trigger, a subject (the typed context its condition sees), and
versions holding the CEL condition and the actions. Versions are immutable; every run and every change
an action makes is recorded, so a rule's effects can be explained and reverted (docs/rules.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caixiao.rules.enums import RevertReason, Schedule, TriggerKind

__all__ = ["RevertReason", "Rule", "RuleChange", "RuleRun", "RuleVersion", "TriggerKind"]


class VersionIsImmutable(RuntimeError):
    """A rule version was about to be changed; edits make a new version."""


class Rule(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    trigger_kind = models.CharField(_("trigger kind"), max_length=16, choices=TriggerKind.choices)
    trigger = models.CharField(_("trigger"), max_length=100,
                               help_text=_("Event type (patterns such as inventory.stock.* allowed), schedule "
                                           "(hourly, daily, weekly) or document check (sales.order.confirm)."))
    subject = models.CharField(pgettext_lazy("rule", "subject"), max_length=64)
    is_builtin = models.BooleanField(_("built-in"), default=False)
    enabled = models.BooleanField(_("enabled"), default=False, db_index=True)
    current_version = models.ForeignKey("RuleVersion", verbose_name=_("current version"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    disabled_reason = models.TextField(_("why it was disabled"), blank=True)
    failure_count = models.PositiveIntegerField(_("failures"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["code"]
        indexes = [models.Index(fields=["enabled", "trigger_kind", "trigger"], name="rule_enabled_trigger")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def trigger_label(self) -> str:
        """The trigger for people: a schedule's or hook's label ("Weekly"), else the event type."""
        if self.trigger_kind == TriggerKind.SCHEDULE and self.trigger in Schedule.values:
            return str(Schedule(self.trigger).label)
        if self.trigger_kind == TriggerKind.HOOK:
            from caixiao.rules.subjects import HOOKS

            hook = HOOKS.get(self.trigger)
            return str(hook.label) if hook is not None else self.trigger
        return self.trigger


class RuleVersion(models.Model):
    """One immutable version of a rule's condition and actions; runs and changes point at it."""

    rule = models.ForeignKey(Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    condition = models.TextField(_("condition"))
    condition_rows = models.JSONField(_("condition rows"), default=dict, blank=True,
                                      help_text=_("The form builder's rows; empty when the condition was typed."))
    actions = models.JSONField(_("actions"), default=list)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["rule_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["rule", "number"], name="ruleversion_rule_number_uniq")]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise VersionIsImmutable("rule versions are never changed; update the rule to make a new version")
        super().save(*args, **kwargs)


class RuleRun(models.Model):
    """One evaluation of a rule version: over an event's targets, a scheduled sweep, or a hook call."""

    rule = models.ForeignKey(Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="runs")
    rule_version = models.ForeignKey(RuleVersion, verbose_name=_("rule version"), on_delete=models.CASCADE,
                                     related_name="runs")
    trigger_kind = models.CharField(_("trigger kind"), max_length=16, choices=TriggerKind.choices)
    trigger_ref = models.CharField(_("triggered by"), max_length=100, blank=True,
                                   help_text=_("event:<id>, schedule:<name> or hook:<name>"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    evaluated = models.PositiveIntegerField(_("evaluated"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["rule", "started_at"], name="rulerun_rule_started"),
                   models.Index(fields=["trigger_ref"], name="rulerun_trigger_ref")]

    def __str__(self) -> str:
        return f"{self.rule_version} @ {self.started_at:%Y-%m-%d %H:%M}"


class RuleChange(models.Model):
    """One change an action made (the change log, P4): what, on which record, from what to what;
    reverted by hand, with its whole run, or by the system when it expires."""

    rule = models.ForeignKey(Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="changes")
    rule_version = models.ForeignKey(RuleVersion, verbose_name=_("rule version"), on_delete=models.CASCADE,
                                     related_name="changes")
    run = models.ForeignKey(RuleRun, verbose_name=_("run"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="changes")
    action_type = models.CharField(_("action"), max_length=64)
    document_type = models.CharField(_("document type"), max_length=100)
    object_id = models.CharField(_("document id"), max_length=64)
    label = models.CharField(_("record"), max_length=200, blank=True)
    field = models.CharField(_("field"), max_length=64, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    revertible = models.BooleanField(_("revertible"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    reverted_at = models.DateTimeField(_("reverted at"), null=True, blank=True)
    reverted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reverted by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    revert_reason = models.CharField(_("how it was reverted"), max_length=16, choices=RevertReason.choices,
                                     blank=True)

    class Meta:
        verbose_name = _("rule change")
        verbose_name_plural = _("rule changes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["document_type", "object_id"], name="rulechange_document"),
            models.Index(fields=["expires_at"], condition=Q(reverted_at__isnull=True, expires_at__isnull=False),
                         name="rulechange_pending_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.action_type} {self.document_type}:{self.object_id} {self.field}"

    @property
    def is_reverted(self) -> bool:
        return self.reverted_at is not None
