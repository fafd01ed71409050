"""X2/X9: organisation and token services — departments, users, passwords, API tokens."""

import hashlib
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from caixiao.accounts import services
from caixiao.accounts.models import APIToken, User
from caixiao.accounts.tests.factories import DepartmentFactory, UserFactory
from caixiao.core.errors import NotFound, PermissionDenied, ValidationFailed
from caixiao.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_department_head_must_be_active():
    head = UserFactory(is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        services.create_department(data={"code": "D1", "name": "x", "head_id": head.pk}, actor=None)
    assert "head_id" in exc.value.fields
    head.is_active = True
    head.save()
    assert services.create_department(data={"code": "D1", "name": "x", "head_id": head.pk}, actor=None).head == head


def test_department_tree_has_no_cycles():
    top = DepartmentFactory()
    child = DepartmentFactory(parent=top)
    with pytest.raises(ValidationFailed):
        services.update_department(instance=top, data={"parent_id": child.pk}, actor=None)
    with pytest.raises(ValidationFailed):
        services.update_department(instance=top, data={"parent_id": top.pk}, actor=None)
    other = DepartmentFactory()
    assert services.update_department(instance=child, data={"parent_id": other.pk}, actor=None).parent == other


def test_position_belongs_to_an_existing_department():
    dept = DepartmentFactory()
    position = services.create_position(data={"code": "P1", "name": "采购员", "department_id": dept.pk}, actor=None)
    assert position.department == dept
    with pytest.raises(ValidationFailed) as exc:
        services.update_position(instance=position, data={"department_id": 999999}, actor=None)
    assert "department_id" in exc.value.fields


def test_create_user_validates_the_password_and_rolls_back(roles):
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(data={"username": "weak"}, roles=["buyer"], password="123", actor=None)
    assert "password" in exc.value.fields
    assert not User.objects.filter(username="weak").exists()


def test_create_user_sets_roles_and_audits_them(roles):
    admin = UserFactory()
    user = services.create_user(data={"username": "han"}, roles=["buyer", "qc_inspector"],
                                password="Good-Password-2026", actor=admin)
    assert user.role_codes == {"buyer", "qc_inspector"}
    assert AuditEntry.objects.get(verb="roles", object_id=str(user.pk)).actor == admin


def test_update_user_rejects_self_management_and_unknown_language():
    user = UserFactory()
    with pytest.raises(ValidationFailed) as exc:
        services.update_user(instance=user, data={"manager_id": user.pk, "language": "xx"}, actor=None)
    assert set(exc.value.fields) == {"manager_id", "language"}


def test_user_cannot_deactivate_themselves_but_can_others():
    admin, other = UserFactory(), UserFactory()
    with pytest.raises(ValidationFailed):
        services.set_user_active(user=admin, active=False, actor=admin)
    assert services.set_user_active(user=other, active=False, actor=admin).is_active is False


def test_only_a_superuser_changes_a_superuser():
    owner = User.objects.create_superuser(username="owner", password="pw")
    admin = UserFactory()
    with pytest.raises(PermissionDenied):
        services.set_user_active(user=owner, active=False, actor=admin)
    with pytest.raises(PermissionDenied):
        services.update_user(instance=owner, data={"display_name": "x"}, actor=admin)
    other_owner = User.objects.create_superuser(username="owner2", password="pw")
    assert services.set_user_active(user=owner, active=False, actor=other_owner).is_active is False


def test_set_user_password_validates_and_audits():
    user, admin = UserFactory(), UserFactory()
    with pytest.raises(ValidationFailed):
        services.set_user_password(user=user, password=user.username, actor=admin)
    services.set_user_password(user=user, password="Another-Good-One-7", actor=admin)
    user.refresh_from_db()
    assert user.check_password("Another-Good-One-7")
    assert AuditEntry.objects.filter(verb="password_set", actor=admin).count() == 1


def test_api_token_is_stored_as_sha256_only():
    user = UserFactory()
    token, raw = services.create_api_token(user=user, name=" ERP ", actor=user)
    assert token.name == "ERP"
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert len(raw) > 40
    assert raw not in (token.name, token.prefix, token.token_hash)
    assert AuditEntry.objects.filter(verb="api_token:created", object_id=str(user.pk)).exists()


def test_api_token_expiry_must_be_in_the_future_and_naive_times_are_local():
    user = UserFactory()
    with pytest.raises(ValidationFailed):
        services.create_api_token(user=user, name="t", actor=user, expires_at=timezone.now() - timedelta(minutes=1))
    local = datetime.now() + timedelta(days=2)  # a client sending a naive local time
    token, _raw = services.create_api_token(user=user, name="t", actor=user, expires_at=local)
    assert token.expires_at == timezone.make_aware(local)


def test_tokens_for_someone_else_need_the_permission(make_user):
    user, other = UserFactory(), UserFactory()
    with pytest.raises(PermissionDenied):
        services.create_api_token(user=other, name="t", actor=user)
    admin = make_user("administrator")
    token, _raw = services.create_api_token(user=other, name="t", actor=admin)
    with pytest.raises(NotFound):
        services.revoke_api_token(token_id=token.pk, actor=user)
    assert services.revoke_api_token(token_id=token.pk, actor=admin).revoked_at is not None


def test_revoking_twice_keeps_the_first_time():
    user = UserFactory()
    token, _raw = services.create_api_token(user=user, name="t", actor=user)
    first = services.revoke_api_token(token_id=token.pk, actor=user).revoked_at
    assert services.revoke_api_token(token_id=token.pk, actor=user).revoked_at == first
    assert not APIToken.objects.get(pk=token.pk).is_valid
