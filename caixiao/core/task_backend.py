"""The database task backend of django-tasks-db, writing its task rows with a prepared INSERT.

Every outbox event with a handler enqueues a dispatch task in the emitting transaction, so the task
row is on the hot path of every use case (issue 3 item 8). ``DBTaskResult.objects.create`` builds and
compiles the INSERT each time; ``rows.insert`` writes the same row, with the same signals (the
library's ``pre_save`` receiver sets ``run_after``), from SQL prepared once; and ``enqueue`` builds
the task's result once instead of twice (about 100 µs → 60 µs an enqueue). Everything else is the
library's: validation, the ``task_enqueued`` signal, the worker, results."""

from __future__ import annotations

from typing import Any

from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.compat import normalize_json, task_enqueued

from caixiao.core import rows


class DatabaseBackend(LibraryBackend):
    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result
        task_enqueued.send(type(self), task_result=result)
        return result

    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        from django_tasks_db.models import DBTaskResult

        result: Any = DBTaskResult(id=self._get_id(), args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
                              priority=task.priority, task_path=task.module_path, queue_name=task.queue_name,
                              run_after=task.run_after, backend_name=self.alias)
        rows.insert(result)
        return result
