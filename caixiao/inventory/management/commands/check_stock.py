"""``manage.py check_stock``: verify the stock ledger's invariants over the whole database.

Prints every drift and exits with status 1 when there is any; never repairs anything (a drift is a
bug to find, and the ledger says what the balances should be)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from caixiao.inventory.invariants import check_invariants


class Command(BaseCommand):
    help = "Verify that stock balances, bins and reservations agree with the stock ledger; repairs nothing."

    def handle(self, *args, **options):
        drifts = check_invariants()
        for drift in drifts:
            self.stdout.write(str(drift))
        if drifts:
            raise CommandError(ngettext("%(count)d stock drift found; nothing was changed.",
                                        "%(count)d stock drifts found; nothing was changed.",
                                        len(drifts)) % {"count": len(drifts)}, returncode=1)
        self.stdout.write(self.style.SUCCESS(_("The stock ledger is consistent: no drift.")))
