"""Scheduled jobs of the rule engine: the hourly, daily and weekly rules, and the hourly job that
reverts expired changes, and the daily one that deletes old runs that changed nothing (``manage.py
crontask`` loads this module; docs/rules.md)."""

from importlib import import_module

from django.conf import settings

from caixiao.rules.enums import SCHEDULE_CRON, Schedule

task = import_module(settings.TASKS_MODULE).task


def _run(schedule: str) -> int:
    from caixiao.rules import services

    return len(services.run_schedule(schedule=schedule))


@task()
def run_hourly_rules() -> int:
    return _run(Schedule.HOURLY)


@task()
def run_daily_rules() -> int:
    return _run(Schedule.DAILY)


@task()
def run_weekly_rules() -> int:
    return _run(Schedule.WEEKLY)


@task()
def revert_expired_rule_changes() -> int:
    from caixiao.rules import services

    return services.revert_expired_changes()


@task()
def prune_rule_runs() -> int:
    from caixiao.rules import services

    return services.prune_runs()


SCHEDULE = {
    run_hourly_rules: SCHEDULE_CRON[Schedule.HOURLY],
    run_daily_rules: SCHEDULE_CRON[Schedule.DAILY],
    run_weekly_rules: SCHEDULE_CRON[Schedule.WEEKLY],
    revert_expired_rule_changes: "17 * * * *",
    prune_rule_runs: "40 4 * * *",
}

try:
    from crontask import cron
except ImportError:  # Django 5.2 fallback (docs/decisions.md D2): run these from cron instead
    cron = None
if cron is not None:
    for scheduled_task, expression in SCHEDULE.items():
        cron(expression, sentry_monitor_config=None)(scheduled_task)
