import hashlib

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from caixiao.core.models import MasterData, TimeStampedModel


class Department(MasterData):
    """A node of the organisation tree; its head approves and sees the department's data (X2)."""

    parent = models.ForeignKey("self", verbose_name=_("parent department"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    head = models.ForeignKey("accounts.User", verbose_name=_("head"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="headed_departments")
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class Position(MasterData):
    """A job position (岗位), e.g. 采购专员; approval steps may resolve approvers by position."""

    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="positions")
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("position")
        verbose_name_plural = _("positions")


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="members")
    position = models.ForeignKey(Position, verbose_name=_("position"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="holders")
    manager = models.ForeignKey("self", verbose_name=_("manager"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="reports")
    supplier = models.ForeignKey("partners.Supplier", verbose_name=_("supplier (portal user)"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="portal_users")
    language = models.CharField(_("language"), max_length=10, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def role_codes(self) -> set[str]:
        return set(self.groups.values_list("name", flat=True))


class Role(models.Model):
    """A role is a Django permission group with a stable code (the group's name) and a label."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="role")
    label = models.CharField(_("label"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    data_scope = models.CharField(
        _("data scope"), max_length=16,
        choices=[("own", _("Own records")), ("department", _("Own department")), ("all", _("All"))],
        default="all",
        help_text=_("Which customers' documents users with this role see."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["group__name"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def code(self) -> str:
        return self.group.name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class APIToken(TimeStampedModel):
    """A personal token for integrations; only its SHA-256 is stored (X9)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
