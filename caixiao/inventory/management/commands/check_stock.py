"""``manage.py check_stock``: verify the stock ledger's invariants over the whole database.

Prints every drift and exits with status 1 when there is any; never repairs anything (a drift is a
bug to find, and the ledger says what the balances should be)."""

from django.core.management.base import BaseCommand, CommandError

from caixiao.inventory.invariants import check_invariants


class Command(BaseCommand):
    help = "Verify that stock balances, bins and reservations agree with the stock ledger; repairs nothing."

    def handle(self, *args, **options):
        drifts = check_invariants()
        for drift in drifts:
            self.stdout.write(str(drift))
        if drifts:
            raise CommandError(f"{len(drifts)} stock drift(s) found; nothing was changed.", returncode=1)
        self.stdout.write(self.style.SUCCESS("Stock ledger consistent: no drift."))
