"""Trigger kinds, schedules and other choices of the rule engine (docs/rules.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TriggerKind(models.TextChoices):
    EVENT = "event", _("Event")
    SCHEDULE = "schedule", _("Schedule")
    HOOK = "hook", _("Document check")


class Schedule(models.TextChoices):
    HOURLY = "hourly", _("Hourly")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class RevertReason(models.TextChoices):
    MANUAL = "manual", _("Reverted by hand")
    RUN = "run", _("Whole run reverted")
    EXPIRED = "expired", _("Expired (reverted by the system)")
    SUPERSEDED = "superseded", _("Taken over by a later change of the same rule")


# When scheduled rules run (crontask expressions, server time zone); see caixiao/rules/tasks.py.
SCHEDULE_CRON = {
    Schedule.HOURLY: "7 * * * *",
    Schedule.DAILY: "30 2 * * *",
    Schedule.WEEKLY: "0 3 * * Mon",  # crontask accepts day names only
}
