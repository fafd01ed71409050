"""S2 / N3: approvers clicking at the same moment never double-advance an approval.

Eight threads (a barrier lines them up) decide at once: eight approvers of an any-mode (或签) step,
one approver clicking the same task eight times, eight approvers of an all-mode (会签) step, an
any-mode first step of a two-step flow, and two parallel or-sign branches of four approvers each. Exactly one click wins where one may (the others get 409
``task_decided``), every click counts where all must, the next step's tasks are created once, and the
document's ``on_approved`` runs exactly once. Runs on the configured database (SQLite: a file database
in WAL mode); under SQLite it re-runs itself on PostgreSQL in a subprocess and skips that part, with
the reason, when PostgreSQL is unreachable (helpers of test_reserve_stock_race.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from caixiao.accounts.models import User
from caixiao.approvals import services
from caixiao.approvals.enums import ApprovalMode, InstanceStatus, ResolverKind, TaskStatus
from caixiao.approvals.models import ApprovalInstance, ApprovalTask
from caixiao.approvals.tests import doctype
from caixiao.catalog.tests.factories import ProductFactory
from caixiao.core.errors import Conflict
from caixiao.core.models import OutboxEvent
from tests.concurrency.test_reserve_stock_race import (  # noqa: F401  (shared_database is a fixture)
    _postgres_unreachable,
    _postgres_url,
    run_threads,
    shared_database,
)

pytestmark = pytest.mark.concurrency

THREADS = 8
ROUNDS = 3  # documents per scenario


def _people(prefix: str, count: int, role: str | None = None) -> list[User]:
    users = [User.objects.create_user(username=f"{prefix}{i}", password="pw") for i in range(count)]
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        for user in users:
            user.groups.add(group)
    return users


def _flow(*steps) -> None:
    services.create_flow(document_type=doctype.KEY, name="Race", actor=None, steps=list(steps))


def _race(tasks_and_actors: list[tuple[int, User]]) -> tuple[Counter, list[BaseException]]:
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def click(index: int, barrier: threading.Barrier) -> None:
        task_id, actor = tasks_and_actors[index]
        barrier.wait()
        try:
            services.approve(task_id=task_id, actor=actor)
            result = "approved"
        except Conflict as exc:
            result = exc.code
        with lock:
            outcomes[result] += 1

    return outcomes, run_threads(click, len(tasks_and_actors))


def _approvals_of(memo) -> int:
    return sum(1 for call in doctype.calls if call[0] == "approved" and call[1] == memo.pk)


def _events(instance: ApprovalInstance, type_: str) -> int:
    return OutboxEvent.objects.filter(type=type_, payload__instance_id=instance.pk).count()


def _submit_memo(requester):
    memo = ProductFactory(purchase_price=Decimal("100"), buyer=requester)
    return memo, services.submit(doc_type=doctype.KEY, obj=memo, actor=requester)


def _assert_approved_once(instance, memo):
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED
    assert _approvals_of(memo) == 1 and _events(instance, "approvals.instance.approved") == 1


@pytest.mark.usefixtures("shared_database")
def test_eight_approvers_clicking_at_once_advance_each_approval_exactly_once():
    doctype.register()
    doctype.calls.clear()
    requester = _people("req", 1)[0]
    _people("pm", THREADS, role="purchasing_manager")
    directors = _people("fd", 2, role="finance_director")

    # 1. An any-mode step: eight approvers click at once; one wins.
    _flow(doctype.step("Any manager", params={"role": "purchasing_manager"}, mode=ApprovalMode.ANY))
    for _round in range(ROUNDS):
        memo, instance = _submit_memo(requester)
        tasks = list(instance.tasks.order_by("id"))
        assert len(tasks) == THREADS
        outcomes, errors = _race([(t.pk, t.assignee) for t in tasks])
        assert errors == []
        assert outcomes == Counter({"approved": 1, "task_decided": THREADS - 1})
        _assert_approved_once(instance, memo)
        assert Counter(instance.tasks.values_list("status", flat=True)) == \
            Counter({TaskStatus.APPROVED: 1, TaskStatus.SKIPPED: THREADS - 1})

    # 2. The same task clicked eight times by its approver.
    for _round in range(ROUNDS):
        memo, instance = _submit_memo(requester)
        task = instance.tasks.order_by("id").first()
        outcomes, errors = _race([(task.pk, task.assignee)] * THREADS)
        assert errors == []
        assert outcomes == Counter({"approved": 1, "task_decided": THREADS - 1})
        assert _approvals_of(memo) == 1

    # 3. An all-mode step: every click counts, the last one approves, on_approved runs once.
    services.update_flow(flow_id=instance.flow_id, actor=None, steps=[
        doctype.step("All managers", params={"role": "purchasing_manager"}, mode=ApprovalMode.ALL)])
    for _round in range(ROUNDS):
        memo, instance = _submit_memo(requester)
        outcomes, errors = _race([(t.pk, t.assignee) for t in instance.tasks.order_by("id")])
        assert errors == []
        assert outcomes == Counter({"approved": THREADS})
        _assert_approved_once(instance, memo)

    # 4. Two steps: the any-mode first step advances once, the second step's tasks are created once.
    services.update_flow(flow_id=instance.flow_id, actor=None, steps=[
        doctype.step("Any manager", params={"role": "purchasing_manager"}, mode=ApprovalMode.ANY),
        doctype.step("Directors", resolver=ResolverKind.USER, params={"user_ids": [d.pk for d in directors]},
                     mode=ApprovalMode.ALL)])
    for _round in range(ROUNDS):
        memo, instance = _submit_memo(requester)
        outcomes, errors = _race([(t.pk, t.assignee) for t in instance.tasks.order_by("id")])
        assert errors == [] and outcomes["approved"] == 1
        instance.refresh_from_db()
        assert (instance.status, instance.current_step) == (InstanceStatus.PENDING, 2)
        second = list(ApprovalTask.objects.filter(instance=instance, step=2))
        assert sorted(t.assignee_id for t in second) == sorted(d.pk for d in directors)
        assert _events(instance, "approvals.task.created") == THREADS + len(directors)
        assert _approvals_of(memo) == 0

    # 5. Two parallel branches of four or-sign approvers each: all eight click at once; one approval per
    #    branch counts, the approval completes once.
    managers = list(User.objects.filter(username__startswith="pm").order_by("pk"))
    services.update_flow(flow_id=instance.flow_id, actor=None, steps=[
        doctype.step("Branch A", resolver=ResolverKind.USER, params={"user_ids": [u.pk for u in managers[:4]]}),
        doctype.step("Branch B", resolver=ResolverKind.USER, params={"user_ids": [u.pk for u in managers[4:]]},
                     parallel=True)])
    for _round in range(ROUNDS):
        memo, instance = _submit_memo(requester)
        tasks = list(instance.tasks.order_by("id"))
        assert len(tasks) == THREADS
        outcomes, errors = _race([(t.pk, t.assignee) for t in tasks])
        assert errors == []
        assert outcomes == Counter({"approved": 2, "task_decided": THREADS - 2})
        _assert_approved_once(instance, memo)
        assert sorted(instance.tasks.filter(status=TaskStatus.APPROVED).values_list("step", flat=True)) == [1, 2]
    doctype.calls.clear()


@pytest.mark.skipif(not settings.SQLITE,
                    reason="already running on the configured server database")
def test_the_approval_race_on_postgresql():
    url = _postgres_url()
    if reason := _postgres_unreachable(url):
        pytest.skip(reason)
    env = {**os.environ, "DATABASE_URL": f"{url}_approvals_{os.getpid()}"}  # a test database of its own
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::"
         "test_eight_approvers_clicking_at_once_advance_each_approval_exactly_once"],
        cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
