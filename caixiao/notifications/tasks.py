"""Tasks of notifications: send e-mails and webhooks outside any transaction, and the scheduled
housekeeping. The schedule (``crontask``, DESIGN.md) runs the outbox sweeper too; ``manage.py
crontask`` loads this module (docs/deploy.md)."""

from importlib import import_module

from django.conf import settings

from caixiao.core import tasks as core_tasks

task = import_module(settings.TASKS_MODULE).task


@task()
def send_email_task(delivery_id: int) -> bool:
    from caixiao.notifications import services

    return services.send_email(delivery_id)


@task()
def send_webhook_task(delivery_id: int) -> bool:
    from caixiao.notifications import webhooks

    return webhooks.send_delivery(delivery_id)


@task()
def housekeeping() -> dict[str, int]:
    """Release rows a dead worker left in "sending", then send whatever e-mail and webhooks are due
    (retries whose task was lost, or rows written while no worker ran)."""
    from caixiao.notifications import services, webhooks

    return {"released": services.release_stale_claims(), "emails": services.send_due_emails(),
            "webhooks": webhooks.send_due()}


SCHEDULE = {
    # task: cron expression; registered with django-crontask when it is installed (not on the 3.11 fallback).
    core_tasks.sweep_outbox: "* * * * *",
    housekeeping: "* * * * *",
}

try:
    from crontask import cron
except ImportError:  # Django 5.2 fallback (docs/decisions.md D2): run these from cron instead
    cron = None
if cron is not None:
    for scheduled_task, expression in SCHEDULE.items():
        cron(expression, sentry_monitor_config=None)(scheduled_task)
