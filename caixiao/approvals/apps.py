from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "caixiao.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        # The placeholder purchase-order type and its seeded flow (the purchasing app replaces it).
        from caixiao.approvals import defaults  # noqa: F401
