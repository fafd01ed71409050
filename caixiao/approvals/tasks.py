"""Scheduled job of the approval engine: reminders for tasks that wait too long, hourly
(``manage.py crontask`` loads each app's ``tasks.py``; docs/deploy.md "Scheduled jobs")."""

from importlib import import_module

from django.conf import settings

task = import_module(settings.TASKS_MODULE).task


@task()
def remind_overdue_approvals() -> int:
    from caixiao.approvals import services

    return services.remind_overdue()


SCHEDULE = {
    remind_overdue_approvals: "0 * * * *",  # hourly; reminders are at most once per step period anyway
}

try:
    from crontask import cron
except ImportError:  # Django 5.2 fallback (docs/decisions.md D2): run it from cron instead
    cron = None
if cron is not None:
    for scheduled_task, expression in SCHEDULE.items():
        cron(expression, sentry_monitor_config=None)(scheduled_task)
