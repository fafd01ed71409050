from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "caixiao.rules"
    label = "rules"
    verbose_name = _("Rules")

    def ready(self) -> None:
        # The domain functions, the subjects (and the product provider) and the engine's own actions.
        from caixiao.rules import actions, functions, subjects  # noqa: F401
