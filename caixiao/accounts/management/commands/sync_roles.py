from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caixiao.accounts.services import sync_roles


class Command(BaseCommand):
    help = gettext_lazy(  # type: ignore[assignment]
        "Create or update the seeded roles so their permissions match caixiao/accounts/roles.py. "
        "Run it after every migrate; roles that administrators added are left alone.")

    def handle(self, *args, **options) -> None:
        roles = sync_roles()
        self.stdout.write(_("%(count)d roles are up to date.") % {"count": len(roles)})
