"""``manage.py serve``: the embedded default in one command (DESIGN.md "Two deployments", SPEC N1).

It prepares the database (migrate, roles, demo company on first start), then runs the task worker
(``db_worker``), the scheduler (``crontask``) and the web server (``runserver``) as child processes
until Ctrl-C or SIGTERM, and stops them all. The scale layout runs the same pieces as separate processes (docs/deploy.md)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caixiao.accounts import services as account_services
from caixiao.accounts.roles import ROLES
from caixiao.approvals.defaults import ensure_default_flows
from caixiao.demo import data, tables
from caixiao.rules.services import ensure_builtin_rules

STOP_TIMEOUT_SECONDS = 10
STARTUP_TIMEOUT_SECONDS = 60


def prepare_database(*, load_demo_data: bool = True, verbosity: int = 1,
                     report: Callable[[str], object] = lambda message: None) -> bool:
    """Bring the database up to date and seed it: migrate, sync the roles, and load the demo company
    when nobody has an account yet (the first start). Return whether the demo company was loaded."""
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)  # SQLite's file lives there
    report(_("Applying database migrations…"))
    call_command("migrate", interactive=False, verbosity=verbosity)
    account_services.sync_roles()
    ensure_default_flows()  # idempotent: the seeded approval flows (docs/approvals.md)
    ensure_builtin_rules()  # idempotent: the built-in rules, never overwriting an admin's edits (docs/rules.md)
    if load_demo_data and not get_user_model().objects.exists():
        report(_("First start: loading the demo company…"))
        data.load_demo()
        return True
    return False


def prepare_static() -> None:
    """Under DEBUG, WhiteNoise serves static files straight from the finders; otherwise collect them."""
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)


def child_commands(*, host: str, port: int) -> dict[str, list[str]]:
    """The processes ``serve`` runs, by name: the task worker, the scheduler (django-crontask; absent
    on the Django 5.2 fallback, docs/decisions.md D2) and the web server."""
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    commands = {"worker": [sys.executable, manage, "db_worker", "--queue-name", "*", "--no-reload", "--skip-checks"]}
    if apps.is_installed("crontask"):
        commands["scheduler"] = [sys.executable, manage, "crontask", "--no-heartbeat", "--skip-checks"]
    commands["web"] = [sys.executable, manage, "runserver", "--noreload", "--skip-checks", address]
    return commands


def port_in_use(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Supervisor:
    """Runs named child processes until one of them exits or a stop is requested, then stops them all.

    Each child gets its own process group, so a Ctrl-C in the terminal reaches only this process,
    which then asks every child once (SIGTERM) to finish: the worker completes its current task."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_requested = threading.Event()

    def start(self) -> None:
        for name, command in self.commands.items():
            self.children[name] = subprocess.Popen(command, process_group=0)  # noqa: S603 - our own argv

    def request_stop(self, *_args: Any) -> None:
        self.stop_requested.set()

    def exited(self) -> tuple[str, int] | None:
        """The first child that has exited, with its exit code."""
        for name, child in self.children.items():
            code = child.poll()
            if code is not None:
                return name, code
        return None

    def wait(self, poll_seconds: float = 0.5) -> tuple[str, int] | None:
        """Block until a stop is requested (return ``None``) or a child exits (return it)."""
        while not self.stop_requested.wait(poll_seconds):
            exited = self.exited()
            if exited:
                return exited
        return None

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(rows: list[list[str]]) -> str:
    """Left-aligned columns that stay aligned with Chinese text (wide characters count twice)."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows)


def login_table() -> str:
    rows = [[_("Username"), _("Password"), _("Role"), _("Name")]]
    rows += [[u.username, tables.DEMO_PASSWORD, str(ROLES[u.role][0]), u.display_name] for u in data.demo_logins()]
    return format_table(rows)


class Command(BaseCommand):
    help = gettext_lazy(  # type: ignore[assignment]
        "Run Caixiao on the embedded default: migrate, load the demo company on first start, then run "
        "the task worker, the scheduler and the web server until Ctrl-C.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help=gettext_lazy("Address to listen on."))
        parser.add_argument("--port", type=int, default=8000, help=gettext_lazy("Port to listen on."))
        parser.add_argument("--no-demo", action="store_true",
                            help=gettext_lazy("Do not load the demo company on the first start."))

    def handle(self, *args: Any, host: str, port: int, no_demo: bool, verbosity: int, **options: Any) -> None:
        if port_in_use(host, port):
            raise CommandError(_("Port %(port)s on %(host)s is already in use; choose another with --port.")
                               % {"port": port, "host": host})
        prepare_database(load_demo_data=not no_demo, verbosity=max(0, verbosity - 1), report=self.stdout.write)
        prepare_static()

        supervisor = Supervisor(child_commands(host=host, port=port))
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, supervisor.request_stop)
        try:
            supervisor.start()
            exited = self.wait_until_listening(supervisor, host, port)
            if exited is None and not supervisor.stop_requested.is_set():
                self.stdout.write(self.banner(host, port))
                exited = supervisor.wait()
        finally:
            self.stdout.write(_("Stopping the web server, the task worker and the scheduler…"))
            supervisor.stop()
        if exited is not None:
            name, code = exited
            raise CommandError(_("The %(process)s process stopped unexpectedly (exit code %(code)s).")
                               % {"process": name, "code": code})
        self.stdout.write(_("Stopped."))

    def wait_until_listening(self, supervisor: Supervisor, host: str, port: int) -> tuple[str, int] | None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not supervisor.stop_requested.is_set():
            exited = supervisor.exited()
            if exited or port_in_use(host, port):
                return exited
            time.sleep(0.2)
        return None

    def banner(self, host: str, port: int) -> str:
        shown_host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)  # noqa: S104
        base = f"http://{shown_host}:{port}"
        links = format_table([[_("Web"), f"{base}/"], [_("API docs"), f"{base}/api/v1/docs"],
                              [_("Admin"), f"{base}/admin/"]])
        lines = ["", self.style.SUCCESS(_("Caixiao is running.")), *("  " + line for line in links.splitlines())]
        if data.demo_loaded():
            lines += ["", _("Demo logins:"), *("  " + line for line in login_table().splitlines())]
        lines += ["", _("Press Ctrl-C to stop."), ""]
        return "\n".join(lines)
