"""The task backend (``core/task_backend.py``) writes the same task row as django-tasks-db's own."""

import pytest
from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from caixiao.core.task_backend import DatabaseBackend
from caixiao.core.tasks import dispatch_event

pytestmark = pytest.mark.django_db

SAME = ("status", "started_at", "finished_at", "args_kwargs", "priority", "task_path", "worker_ids", "queue_name",
        "backend_name", "run_after", "return_value", "exception_class_path", "traceback")


def stored(result_id: str) -> dict:
    row = DBTaskResult.objects.get(pk=result_id)
    return {name: getattr(row, name) for name in SAME}


@pytest.mark.parametrize("delayed", [False, True])
def test_the_row_is_the_one_the_library_writes(delayed):
    task = dispatch_event.using(run_after=get_date_max().replace(year=2030)) if delayed else dispatch_event
    ours = DatabaseBackend("default", {}).enqueue(task, (7,), {})
    theirs = LibraryBackend("default", {}).enqueue(task, (7,), {})
    assert stored(ours.id) == stored(theirs.id)
    assert stored(ours.id)["run_after"] == (task.run_after or get_date_max())
    assert ours.args == [7] and ours.status == theirs.status


def test_enqueue_announces_the_task_as_the_library_does():
    from django_tasks_db.compat import task_enqueued

    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append((sender, task_result.id))

    task_enqueued.connect(receiver)
    try:
        result = DatabaseBackend("default", {}).enqueue(dispatch_event, (3,), {})
    finally:
        task_enqueued.disconnect(receiver)
    assert seen == [(DatabaseBackend, result.id)]
    assert DBTaskResult.objects.get(pk=result.id).args_kwargs == {"args": [3], "kwargs": {}}
