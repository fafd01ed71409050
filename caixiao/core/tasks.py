"""Background tasks of the core: the outbox dispatcher and its sweeper. Thin: the logic is in
``caixiao.core.outbox``. The task API is Django's ``django.tasks`` (or the django-tasks backport on
the Django 5.2 fallback, docs/decisions.md D2)."""

from importlib import import_module

from django.conf import settings

task = import_module(settings.TASKS_MODULE).task


@task()
def dispatch_event(event_id: int) -> int:
    from caixiao.core import outbox

    return outbox.process_event(event_id)


@task()
def sweep_outbox() -> int:
    from caixiao.core import outbox

    return outbox.process_due()
