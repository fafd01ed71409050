"""X2/X9/N4: the organisation API — me, users, departments, positions, roles — and API tokens."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from caixiao.accounts.models import APIToken, User
from caixiao.accounts.tests.factories import DepartmentFactory, PositionFactory
from caixiao.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# Me ---------------------------------------------------------------------------------------------
def test_me_shows_roles_scope_and_permissions(api_as):
    dept = DepartmentFactory(name="华东销售部")
    rep = api_as("sales_rep", department=dept, display_name="小王")
    body = rep.get("/me").json()
    assert body["username"] == rep.user.username
    assert body["display_name"] == "小王"
    assert body["department_name"] == str(dept)
    assert body["data_scope"] == "own"
    assert [r["code"] for r in body["roles"]] == ["sales_rep"]
    assert body["roles"][0]["label"]
    assert "partners.view_customer" in body["permissions"]
    assert "accounts.add_user" not in body["permissions"]
    assert "password" not in body


def test_me_works_for_a_user_without_permissions_and_not_for_anonymous(client, api_as):
    assert api_as().get("/me").json()["permissions"] == []
    assert client.get("/api/v1/me").status_code == 401


# Users ------------------------------------------------------------------------------------------
def user_payload(**overrides):
    data = {"username": "li.lei", "display_name": "李雷", "email": "li@example.com",
            "roles": ["buyer"], "password": "Purchasing-2026!"}
    data.update(overrides)
    return data


def test_create_user_with_roles_and_password(api):
    dept = DepartmentFactory()
    resp = api.post("/users", user_payload(department_id=dept.pk))
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["roles"] == ["buyer"]
    assert body["department_name"] == str(dept)
    assert not {"password", "password_hash"} & set(body)
    user = User.objects.get(username="li.lei")
    assert user.check_password("Purchasing-2026!")
    assert Client().login(username="li.lei", password="Purchasing-2026!")


def test_user_without_password_cannot_log_in_with_one(api):
    assert api.post("/users", user_payload(password=None)).status_code == 201
    assert not User.objects.get(username="li.lei").has_usable_password()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"roles": ["wizard"]}, "roles"),
    ({"password": "123"}, "password"),
    ({"email": "nope"}, "email"),
    ({"username": "has space"}, "username"),
    ({"department_id": 999999}, "department_id"),
    ({"manager_id": 999999}, "manager_id"),
    ({"supplier_id": 999999}, "supplier_id"),
    ({"language": "fr"}, "language"),
    ({"username": ""}, "username"),
])
def test_bad_user_input_is_422_and_creates_nothing(api, overrides, field):
    before = User.objects.count()
    resp = api.post("/users", user_payload(**overrides))
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["fields"]
    assert User.objects.count() == before


def test_duplicate_username_is_409(api, make_user):
    make_user("buyer", username="li.lei")
    resp = api.post("/users", user_payload())
    assert resp.status_code == 409
    assert resp.json()["code"] == "duplicate"


def test_patch_user_replaces_roles_and_audits_it(api, make_user):
    user = make_user("buyer")
    resp = api.patch(f"/users/{user.pk}", {"roles": ["purchasing_manager", "buyer"], "phone": "138"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["roles"] == ["buyer", "purchasing_manager"]
    entry = AuditEntry.objects.get(verb="roles", object_id=str(user.pk))
    assert entry.changes == {"roles": [["buyer"], ["buyer", "purchasing_manager"]]}
    history = api.get(f"/users/{user.pk}/history").json()
    assert history[0]["changes"]["phone"] == ["", "138"]
    assert all("password" not in h["changes"] for h in history)


def test_user_cannot_be_their_own_manager(api, make_user):
    user = make_user("buyer")
    resp = api.patch(f"/users/{user.pk}", {"manager_id": user.pk})
    assert resp.status_code == 422
    assert "manager_id" in resp.json()["fields"]


def test_deactivated_user_loses_api_access(api, api_as):
    buyer = api_as("buyer")
    assert buyer.get("/me").status_code == 200
    resp = api.post(f"/users/{buyer.user.pk}/deactivate")
    assert resp.status_code == 200
    assert resp.json()["is_active"] is False
    assert buyer.get("/me").status_code == 401
    assert api.post(f"/users/{buyer.user.pk}/activate").json()["is_active"] is True
    assert buyer.get("/me").status_code == 200


def test_administrator_cannot_deactivate_themselves(api):
    resp = api.post(f"/users/{api.user.pk}/deactivate")
    assert resp.status_code == 422
    api.user.refresh_from_db()
    assert api.user.is_active


def test_only_a_superuser_changes_a_superuser(api):
    owner = User.objects.create_superuser(username="owner", password="pw")
    assert api.patch(f"/users/{owner.pk}", {"display_name": "x"}).status_code == 403
    assert api.post(f"/users/{owner.pk}/deactivate").status_code == 403
    assert api.post(f"/users/{owner.pk}/password", {"password": "Another-Secret-99"}).status_code == 403
    owner.refresh_from_db()
    assert owner.is_active


def test_set_password(api, make_user):
    user = make_user("buyer")
    assert api.post(f"/users/{user.pk}/password", {"password": "short"}).status_code == 422
    resp = api.post(f"/users/{user.pk}/password", {"password": "Correct-Horse-42"})
    assert resp.status_code == 200
    user.refresh_from_db()
    assert user.check_password("Correct-Horse-42")
    assert AuditEntry.objects.filter(verb="password_set", object_id=str(user.pk)).exists()


def test_users_are_never_deleted(api, make_user):
    user = make_user("buyer")
    assert api.delete(f"/users/{user.pk}").status_code == 405
    assert User.objects.filter(pk=user.pk).exists()


def test_users_filter_by_role_department_and_search(api, make_user):
    dept = DepartmentFactory()
    buyer = make_user("buyer", department=dept, display_name="韩梅梅")
    make_user("sales_rep", department=dept)
    make_user("buyer")

    def ids(**params):
        return {u["id"] for u in api.get("/users", params).json()["items"]}

    assert len(ids(role="buyer")) == 2
    assert len(ids(department_id=dept.pk)) == 2
    assert ids(role="buyer", department_id=dept.pk) == {buyer.pk}
    assert ids(q="韩梅") == {buyer.pk}


@pytest.mark.parametrize(("role", "method", "path", "status"), [
    ("sales_rep", "get", "/users", 403),
    ("executive", "get", "/users", 200),
    ("executive", "post", "/users", 403),
    ("buyer", "get", "/departments", 403),
    ("executive", "get", "/departments/tree", 200),
    ("buyer", "get", "/roles", 403),
    ("sales_manager", "post", "/departments", 403),
])
def test_only_administrators_manage_the_organisation(api_as, role, method, path, status):
    payloads = {"/users": user_payload(), "/departments": {"code": "D1", "name": "x"}}
    client = api_as(role)
    resp = client.get(path) if method == "get" else client.post(path, payloads[path])
    assert resp.status_code == status


# Departments and positions ----------------------------------------------------------------------
def test_department_contract_with_head(api, make_user):
    head = make_user("sales_manager", display_name="张总")
    resp = api.post("/departments", {"code": "sales", "name": "销售部", "head_id": head.pk})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["code"], body["head_name"]) == ("SALES", "张总")
    pk = body["id"]
    assert api.patch(f"/departments/{pk}", {"name": "销售中心"}).json()["name"] == "销售中心"
    assert api.post(f"/departments/{pk}/deactivate").json()["is_active"] is False
    assert api.get(f"/departments/{pk}/history").json()[-1]["action"] == "created"
    assert api.delete(f"/departments/{pk}").status_code == 204


def test_department_head_must_be_an_active_user(api, make_user):
    gone = make_user("sales_manager", is_active=False)
    resp = api.post("/departments", {"code": "D1", "name": "x", "head_id": gone.pk})
    assert resp.status_code == 422
    assert "head_id" in resp.json()["fields"]
    resp = api.post("/departments", {"code": "D1", "name": "x", "head_id": 999999})
    assert resp.status_code == 422
    assert "head_id" in resp.json()["fields"]


def test_department_cannot_sit_below_itself(api):
    top = DepartmentFactory()
    middle = DepartmentFactory(parent=top)
    bottom = DepartmentFactory(parent=middle)
    for parent in (top, bottom):
        resp = api.patch(f"/departments/{top.pk}", {"parent_id": parent.pk})
        assert resp.status_code == 422
        assert "parent_id" in resp.json()["fields"]
    top.refresh_from_db()
    assert top.parent_id is None


def test_department_with_members_or_children_cannot_be_deleted(api, make_user):
    dept = DepartmentFactory()
    make_user("buyer", department=dept)
    assert api.delete(f"/departments/{dept.pk}").json()["code"] == "in_use"
    parent = DepartmentFactory()
    DepartmentFactory(parent=parent)
    assert api.delete(f"/departments/{parent.pk}").status_code == 409


def test_department_tree_nests_children_under_parents(api, make_user):
    head = make_user("sales_manager")
    company = DepartmentFactory(code="A", name="总公司")
    sales = DepartmentFactory(code="B", parent=company, head=head)
    DepartmentFactory(code="C", parent=sales)
    DepartmentFactory(code="D")
    tree = api.get("/departments/tree").json()
    assert [n["code"] for n in tree] == ["A", "D"]
    assert tree[0]["children"][0]["code"] == "B"
    assert tree[0]["children"][0]["head_name"] == str(head)
    assert tree[0]["children"][0]["children"][0]["code"] == "C"
    assert tree[1]["children"] == []


def test_position_contract(api, make_user):
    dept = DepartmentFactory()
    resp = api.post("/positions", {"code": "buyer-1", "name": "采购专员", "department_id": dept.pk})
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    assert resp.json()["department_name"] == str(dept)
    assert api.patch(f"/positions/{pk}", {"name": "高级采购"}).status_code == 200
    assert api.get("/positions", {"department_id": dept.pk}).json()["count"] == 1
    make_user("buyer", position_id=pk)
    assert api.delete(f"/positions/{pk}").json()["code"] == "in_use"
    assert api.post("/positions", {"code": "X", "name": "x", "department_id": 999999}).status_code == 422


# Roles ------------------------------------------------------------------------------------------
def test_roles_list_codes_scopes_and_permissions(api):
    roles = {r["code"]: r for r in api.get("/roles").json()}
    assert roles["sales_rep"]["data_scope"] == "own"
    assert roles["sales_manager"]["data_scope"] == "department"
    assert "partners.add_customer" in roles["sales_rep"]["permissions"]
    assert roles["supplier"]["permissions"] == ["partners.view_supplier", "partners.view_supplierprice"]


# API tokens -------------------------------------------------------------------------------------
def test_create_token_returns_the_secret_once_and_stores_only_its_sha256(api):
    resp = api.post("/tokens", {"name": "ERP sync"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    raw = body["token"]
    assert raw.startswith("cx_")
    assert body["prefix"] == raw[:10]
    stored = APIToken.objects.get(pk=body["id"])
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(v) for v in APIToken.objects.values_list(
        "name", "prefix", "token_hash").get(pk=stored.pk)}

    listed = api.get("/tokens").json()["items"]
    assert {t["name"] for t in listed} == {"test", "ERP sync"}
    assert all("token" not in t and "token_hash" not in t for t in listed)

    assert bearer(raw).get("/api/v1/me").json()["username"] == api.user.username


def test_tokens_list_only_my_own(api, api_as):
    other = api_as("buyer")
    other.post("/tokens", {"name": "theirs"})
    assert {t["name"] for t in api.get("/tokens").json()["items"]} == {"test"}


def test_revoked_token_is_401(api_as):
    buyer = api_as("buyer")
    token = APIToken.objects.get(user=buyer.user)
    resp = buyer.post(f"/tokens/{token.pk}/revoke")
    assert resp.status_code == 200
    assert resp.json()["revoked_at"] is not None
    assert resp.json()["is_valid"] is False
    resp = buyer.get("/me")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_cannot_revoke_someone_elses_token(api_as):
    buyer, rep = api_as("buyer"), api_as("sales_rep")
    theirs = APIToken.objects.get(user=rep.user)
    assert buyer.post(f"/tokens/{theirs.pk}/revoke").status_code == 404
    assert rep.get("/me").status_code == 200


def test_expired_token_is_401(api_as):
    buyer = api_as("buyer")
    APIToken.objects.filter(user=buyer.user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert buyer.get("/me").status_code == 401


def test_unknown_token_is_401(client):
    assert bearer("cx_not-a-real-token").get("/api/v1/me").status_code == 401


def test_token_with_expiry(api):
    in_a_week = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    resp = api.post("/tokens", {"name": "temp", "expires_at": in_a_week.isoformat()})
    assert resp.status_code == 201
    assert APIToken.objects.get(pk=resp.json()["id"]).expires_at == in_a_week
    naive = (timezone.localtime() + timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert api.post("/tokens", {"name": "naive", "expires_at": naive}).status_code == 201


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "old", "expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at"),
    ({"name": "bad", "expires_at": "tomorrow"}, "expires_at"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({}, "name"),
])
def test_bad_token_input_is_422(api, payload, field):
    resp = api.post("/tokens", payload)
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["fields"]


def test_last_used_at_is_recorded(api_as):
    buyer = api_as("buyer")
    token = APIToken.objects.get(user=buyer.user)
    assert token.last_used_at is None
    buyer.get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None
    first = token.last_used_at
    APIToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=5))
    buyer.get("/me")
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=5)


def test_anyone_manages_their_own_tokens(api_as):
    portal = api_as("supplier")
    assert portal.post("/tokens", {"name": "portal"}).status_code == 201
    assert portal.get("/tokens").json()["count"] == 2


def test_session_user_can_create_a_token(client, make_user):
    user = make_user("buyer")
    client.force_login(user)
    resp = client.post("/api/v1/tokens", {"name": "from the UI"}, content_type="application/json")
    assert resp.status_code == 201
    assert client.get("/api/v1/tokens").json()["count"] == 1


def test_anonymous_is_401(client):
    for path in ("/users", "/departments", "/positions", "/roles", "/tokens"):
        assert client.get(f"/api/v1{path}").status_code == 401
    assert client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json").status_code == 401


# Query-count ceilings ---------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "make", "ceiling"), [
    ("/users", lambda make_user: make_user("buyer", department=DepartmentFactory(),
                                           position=PositionFactory()), 6),
    ("/departments", lambda make_user: DepartmentFactory(parent=DepartmentFactory(), head=make_user("buyer")), 5),
    ("/positions", lambda make_user: PositionFactory(department=DepartmentFactory()), 5),
])
def test_list_query_count_does_not_grow_with_rows(api, make_user, path, make, ceiling,
                                                  django_assert_max_num_queries):
    for _ in range(25):
        make(make_user)
    api.get(path)
    with django_assert_max_num_queries(ceiling):
        resp = api.get(path, {"page_size": 20})
    assert len(resp.json()["items"]) == 20


def test_roles_tree_tokens_and_me_query_counts(api, django_assert_max_num_queries):
    for i in range(25):
        DepartmentFactory(parent=DepartmentFactory(code=f"TOP{i}"))
        api.post("/tokens", {"name": f"t{i}"})
    with django_assert_max_num_queries(6):
        assert len(api.get("/roles").json()) >= 10
    with django_assert_max_num_queries(4):
        assert len(api.get("/departments/tree").json()) == 25
    with django_assert_max_num_queries(3):
        assert api.get("/tokens", {"page_size": 20}).json()["count"] == 26
    with django_assert_max_num_queries(7):
        assert api.get("/me").status_code == 200
