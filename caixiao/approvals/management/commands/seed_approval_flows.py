"""``manage.py seed_approval_flows``: create the default approval flow of every registered document
type that has none yet (idempotent; ``serve`` and ``load_demo`` run it too)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caixiao.approvals.defaults import ensure_default_flows


class Command(BaseCommand):
    help = gettext_lazy("Create the default approval flows that do not exist yet.")  # type: ignore[assignment]

    def handle(self, *args: Any, **options: Any) -> None:
        created = ensure_default_flows()
        for flow in created:
            self.stdout.write(_("Created approval flow “%(name)s” for %(type)s.") % {
                "name": flow.name, "type": flow.document_type})
        if not created:
            self.stdout.write(_("Every default approval flow exists already."))
