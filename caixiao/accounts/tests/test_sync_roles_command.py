from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import call_command

from caixiao.accounts.roles import ROLES


def test_sync_roles_command_creates_every_seeded_role_with_its_permissions(db):
    out = StringIO()
    call_command("sync_roles", stdout=out)
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    buyer = Group.objects.get(name="buyer")
    assert {f"{p.content_type.app_label}.{p.codename}" for p in buyer.permissions.all()} == set(ROLES["buyer"][2])
    assert str(len(ROLES)) in out.getvalue()
