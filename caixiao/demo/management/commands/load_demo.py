import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caixiao.demo import data


class Command(BaseCommand):
    help = gettext_lazy("Load the demo company (departments, users, products, suppliers, customers, "
                        "warehouses). Does nothing when it is already loaded.")  # type: ignore[assignment]

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        counts = data.load_demo()
        if counts is None:
            self.stdout.write(_("The demo company is already loaded; nothing was created."))
            return
        self.stdout.write(self.style.SUCCESS(
            _("Demo company loaded in %(seconds).1f s: %(products)d products, %(suppliers)d suppliers, "
              "%(supplier_prices)d supplier prices, %(customers)d customers, %(warehouses)d warehouses "
              "with %(locations)d bin locations, %(users)d users.")
            % {"seconds": time.monotonic() - started, **counts}))
        self.stdout.write(_("Every demo user's password is “%(password)s”.") % {"password": data.tables.DEMO_PASSWORD})
