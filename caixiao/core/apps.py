from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "caixiao.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Each app's events.py declares its event types and handlers.py subscribes its consumers.
        autodiscover_modules("events", "handlers")
