"""Database-level fixtures shared by every test (STYLE.md B12). Each test builds its own data."""

import pytest
from django.test import Client


@pytest.fixture
def roles(db):
    from caixiao.accounts.services import sync_roles

    return {r.code: r for r in sync_roles()}


@pytest.fixture
def make_user(db, roles):
    """``make_user("buyer")`` → an active user holding that role (password ``pw``)."""
    from django.contrib.auth.models import Group

    from caixiao.accounts.models import User

    counter = {"n": 0}

    def make(*role_codes: str, **fields):
        counter["n"] += 1
        username = fields.pop("username", f"{'_'.join(role_codes) or 'user'}{counter['n']}")
        user = User.objects.create_user(username=username, password="pw", **fields)
        user.groups.set(Group.objects.filter(name__in=role_codes))
        return user

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("administrator", username="admin_u")


class ApiClient:
    """A JSON client authenticated with a real API token."""

    def __init__(self, user):
        from caixiao.accounts.services import create_api_token

        self.user = user
        _token, self.raw_token = create_api_token(user=user, name="test", actor=user)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.raw_token}")

    def _call(self, method, path, data=None, **kwargs):
        fn = getattr(self.client, method)
        if data is not None and method != "get":
            kwargs.setdefault("content_type", "application/json")
        return fn(f"/api/v1{path}", data, **kwargs) if data is not None else fn(f"/api/v1{path}", **kwargs)

    def get(self, path, params=None, **kw):
        return self.client.get(f"/api/v1{path}", params or {}, **kw)

    def post(self, path, data=None, **kw):
        return self._call("post", path, data if data is not None else {}, **kw)

    def patch(self, path, data=None, **kw):
        return self._call("patch", path, data, **kw)

    def delete(self, path, **kw):
        return self.client.delete(f"/api/v1{path}", **kw)


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


@pytest.fixture
def api_as(make_user):
    """``api_as("sales_rep")`` → an ApiClient for a fresh user with those roles."""

    def make(*role_codes, **fields):
        return ApiClient(make_user(*role_codes, **fields))

    return make
