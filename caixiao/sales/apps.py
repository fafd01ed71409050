from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "caixiao.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from caixiao.inventory.quantities import register_quantity_provider
        from caixiao.sales import approval, selectors
        from caixiao.sales.enums import ShortagePolicy

        if settings.SALES_SHORTAGE_POLICY not in ShortagePolicy.values:
            raise ImproperlyConfigured(f"SALES_SHORTAGE_POLICY must be one of {ShortagePolicy.values}, "
                                       f"not {settings.SALES_SHORTAGE_POLICY!r}")
        # Stock levels show the backlog (SPEC "Quantities"); inventory never imports sales.
        register_quantity_provider("backlog", selectors.backlog)
        # The sales_order rule subject's provider and the create_purchase_demand action (docs/rules.md).
        from caixiao.sales import rule_actions  # noqa: F401
        # Orders over the credit limit or with a big discount go through approval (S2).
        approval.register()
