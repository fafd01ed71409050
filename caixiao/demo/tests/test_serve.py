"""``manage.py serve``: preparing the database, the child command lines and supervising children,
without starting a web server or a worker."""

import signal
import socket
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from caixiao.accounts.models import Role
from caixiao.accounts.roles import ROLES
from caixiao.demo import data, tables
from caixiao.demo.management.commands import serve


@pytest.fixture
def demo_loads(monkeypatch):
    """Replace the (slow, separately tested) demo load with a recorder."""
    calls = []
    monkeypatch.setattr(data, "load_demo", lambda: calls.append(True))
    return calls


def test_prepare_database_loads_the_demo_on_first_start_only(db, demo_loads, make_user):
    messages: list[str] = []
    assert serve.prepare_database(verbosity=0, report=messages.append) is True
    assert demo_loads == [True]
    assert len(messages) == 2
    assert set(Role.objects.values_list("group__name", flat=True)) == set(ROLES)

    make_user("administrator")  # the database now has users: no longer a first start
    assert serve.prepare_database(verbosity=0) is False
    assert demo_loads == [True]


def test_prepare_database_skips_the_demo_when_asked(db, demo_loads):
    assert serve.prepare_database(load_demo_data=False, verbosity=0) is False
    assert demo_loads == []


def test_child_commands_run_the_worker_the_scheduler_and_the_web_server_without_reloaders():
    commands = serve.child_commands(host="127.0.0.1", port=8000)
    assert set(commands) == {"worker", "scheduler", "web"}
    for command in commands.values():
        assert command[0] == sys.executable
        assert Path(command[1]).name == "manage.py" and Path(command[1]).exists()
    assert commands["worker"][2:] == ["db_worker", "--queue-name", "*", "--no-reload", "--skip-checks"]
    assert commands["scheduler"][2:] == ["crontask", "--no-heartbeat", "--skip-checks"]
    assert commands["web"][2:] == ["runserver", "--noreload", "--skip-checks", "127.0.0.1:8000"]


def test_the_schedule_sweeps_the_outbox_and_sends_due_mail_and_webhooks_every_minute():
    from crontask import scheduler

    from caixiao.notifications import tasks

    jobs = {job.name: str(job.trigger) for job in scheduler.get_jobs()}
    for task in tasks.SCHEDULE:
        assert task.name in jobs and "minute='*'" in jobs[task.name]


def test_every_apps_schedule_loads_into_the_scheduler():
    """What ``manage.py crontask`` does when ``make run`` starts it: import each app's ``tasks.py``
    (crontask refuses some cron expressions, e.g. day-of-week numbers, at import) and register every
    job of its ``SCHEDULE``."""
    import importlib

    from crontask import scheduler
    from django.apps import apps

    scheduled = 0
    for app in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{app.name}.tasks")
        except ModuleNotFoundError as missing:
            if missing.name == f"{app.name}.tasks":
                continue
            raise
        jobs = {job.name for job in scheduler.get_jobs()}
        for task in getattr(module, "SCHEDULE", {}):
            assert task.name in jobs, (app.name, task.name)
            scheduled += 1
    assert scheduled >= 7  # outbox sweep, housekeeping, approval reminders, rules hourly/daily/weekly/expiry


def test_child_commands_bracket_an_ipv6_host():
    assert serve.child_commands(host="::1", port=9000)["web"][-1] == "[::1]:9000"


def test_supervisor_reports_the_child_that_exits_and_stops_the_others():
    supervisor = serve.Supervisor({
        "sleeper": [sys.executable, "-c", "import time; time.sleep(60)"],
        "crasher": [sys.executable, "-c", "raise SystemExit(3)"],
    })
    supervisor.start()
    try:
        assert supervisor.wait(poll_seconds=0.05) == ("crasher", 3)
    finally:
        supervisor.stop(timeout=5)
    assert supervisor.children["sleeper"].returncode == -signal.SIGTERM


def test_supervisor_stops_its_children_when_asked():
    supervisor = serve.Supervisor({"sleeper": [sys.executable, "-c", "import time; time.sleep(60)"]})
    supervisor.start()
    supervisor.request_stop(signal.SIGTERM, None)
    try:
        assert supervisor.wait(poll_seconds=0.05) is None
    finally:
        supervisor.stop(timeout=5)
    assert supervisor.children["sleeper"].returncode == -signal.SIGTERM


def test_serve_refuses_a_port_that_is_in_use(db):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(CommandError, match=str(port)):
            call_command("serve", port=port)


def test_login_table_lists_the_demo_users_present(db, make_user):
    make_user("sales_rep", username="sales", display_name="李娜")
    table = serve.login_table().splitlines()
    assert len(table) == 2
    assert table[1].split()[:2] == ["sales", tables.DEMO_PASSWORD]
    assert table[1].endswith("李娜")


def test_format_table_aligns_chinese_text_by_display_width():
    lines = serve.format_table([["角色", "x"], ["Sales rep", "y"]]).splitlines()
    assert [serve.display_width(line[:-1]) for line in lines] == [11, 11]
