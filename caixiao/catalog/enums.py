from django.db import models
from django.utils.translation import gettext_lazy as _


class Lifecycle(models.TextChoices):
    NEW = "new", _("New")
    GROWTH = "growth", _("Growth")
    MATURE = "mature", _("Mature")
    DECLINE = "decline", _("Decline")
    END_OF_LIFE = "end_of_life", _("End of life")
