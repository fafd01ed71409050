"""X1/X2/X9/N4: partner API contract — regions, payment terms, customer categories, customers,
suppliers, contacts, addresses and supplier price lists; bad input, permissions and data scoping."""

from datetime import date
from decimal import Decimal

import pytest

from caixiao.accounts.tests.factories import DepartmentFactory
from caixiao.catalog.tests.factories import ProductFactory
from caixiao.partners.models import Address, Contact, Customer, PriceBreak, Supplier, SupplierPrice
from caixiao.partners.tests.factories import (
    AddressFactory,
    ContactFactory,
    CustomerCategoryFactory,
    CustomerFactory,
    PaymentTermFactory,
    PriceBreakFactory,
    RegionFactory,
    SupplierFactory,
    SupplierPriceFactory,
)

pytestmark = pytest.mark.django_db


def customer_payload(**overrides):
    data = {"code": "c-001", "name": "杭州五金商行", "category_id": CustomerCategoryFactory().pk,
            "region_id": RegionFactory().pk, "credit_limit": "50000.00"}
    data.update(overrides)
    return data


def price_payload(**overrides):
    data = {"supplier_id": SupplierFactory().pk, "product_id": ProductFactory().pk, "unit_price": "8.80",
            "min_quantity": "10", "valid_from": "2026-01-01", "valid_to": "2026-12-31",
            "breaks": [{"min_quantity": "100", "unit_price": "8.50"}, {"min_quantity": "500", "unit_price": "8.20"}]}
    data.update(overrides)
    return data


def contact_payload():
    return {"customer_id": CustomerFactory().pk, "name": "李经理", "email": "li@example.com"}


def address_payload():
    return {"customer_id": CustomerFactory().pk, "recipient": "王五", "province": "浙江省", "city": "宁波市",
            "street": "中山路1号"}


# One contract for every resource: create 201, read, patch, (de)activate, history, delete 204 ---------
CONTRACT = {
    "regions": (lambda: {"code": "east", "name": "华东"}, {"name": "华东区"}),
    "payment-terms": (lambda: {"code": "net60", "name": "月结60天", "days": 60, "basis": "month_end"},
                      {"days": 45}),
    "customer-categories": (lambda: {"code": "vip", "name": "重点客户"}, {"name": "战略客户"}),
    "customers": (customer_payload, {"credit_limit": "80000.00"}),
    "suppliers": (lambda: {"code": "s-001", "name": "宁波工具厂", "rating": "B", "score": "88.5"},
                  {"lead_time_days": 12}),
    "contacts": (contact_payload, {"phone": "0571-88888888"}),
    "addresses": (address_payload, {"postcode": "315000"}),
    "supplier-prices": (price_payload, {"unit_price": "8.60"}),
}


@pytest.mark.parametrize("path", list(CONTRACT))
def test_resource_contract(api, path):
    make_payload, patch = CONTRACT[path]
    created = api.post(f"/{path}", make_payload())
    assert created.status_code == 201, created.content
    pk = created.json()["id"]

    read = api.get(f"/{path}/{pk}")
    assert read.status_code == 200
    assert read.json() == created.json()

    changed = api.patch(f"/{path}/{pk}", patch)
    assert changed.status_code == 200, changed.content
    field, value = next(iter(patch.items()))
    assert str(changed.json()[field]) == str(value) or Decimal(changed.json()[field]) == Decimal(value)

    if "is_active" in created.json():
        assert api.post(f"/{path}/{pk}/deactivate").json()["is_active"] is False
        assert api.post(f"/{path}/{pk}/activate").json()["is_active"] is True

    history = api.get(f"/{path}/{pk}/history").json()
    assert history[-1]["action"] == "created"
    assert any(field in entry["changes"] for entry in history)
    assert all(entry["user"] == str(api.user) for entry in history)

    assert api.delete(f"/{path}/{pk}").status_code == 204
    assert api.get(f"/{path}/{pk}").status_code == 404


def referenced_payment_term():
    return CustomerFactory(payment_term=PaymentTermFactory()).payment_term


@pytest.mark.parametrize(("path", "make_referenced"), [
    ("regions", lambda: CustomerFactory().region),
    ("customer-categories", lambda: CustomerFactory().category),
    ("payment-terms", lambda: referenced_payment_term()),
    ("suppliers", lambda: SupplierPriceFactory().supplier),
])
def test_referenced_record_cannot_be_deleted(api, path, make_referenced):
    record = make_referenced()
    resp = api.delete(f"/{path}/{record.pk}")
    assert resp.status_code == 409
    assert resp.json()["code"] == "in_use"
    assert type(record).objects.filter(pk=record.pk).exists()


def test_supplier_with_portal_user_cannot_be_deleted(api, make_user):
    supplier = SupplierFactory()
    make_user("supplier", supplier=supplier)
    assert api.delete(f"/suppliers/{supplier.pk}").json()["code"] == "in_use"


def test_deleting_a_customer_removes_its_contacts_and_addresses(api):
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    AddressFactory(customer=customer)
    assert api.delete(f"/customers/{customer.pk}").status_code == 204
    assert not Contact.objects.exists()
    assert not Address.objects.exists()


# Bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("field", "value"), [
    ("code", "bad code!"),
    ("credit_limit", "-1"),
    ("credit_limit", "1.23456"),
    ("category_id", 999999),
    ("region_id", 999999),
    ("payment_term_id", 999999),
    ("account_manager_id", 999999),
    ("category_id", 2**70),
    ("name", ""),
])
def test_bad_customer_input_is_422_with_the_field_named(api, field, value):
    resp = api.post("/customers", customer_payload(**{field: value}))
    assert resp.status_code == 422, resp.content
    assert resp.json()["code"] == "validation_error"
    assert field in resp.json()["fields"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("field", ["category_id", "region_id", "name", "credit_limit"])
def test_clearing_a_required_field_is_422_under_the_name_sent(api, field):
    customer = CustomerFactory()
    resp = api.patch(f"/customers/{customer.pk}", {field: None})
    assert resp.status_code == 422
    assert list(resp.json()["fields"]) == [field]


def test_inactive_account_manager_is_refused(api, make_user):
    gone = make_user("sales_rep", is_active=False)
    resp = api.post("/customers", customer_payload(account_manager_id=gone.pk))
    assert resp.status_code == 422
    assert "account_manager_id" in resp.json()["fields"]


@pytest.mark.parametrize(("path", "factory"), [
    ("customers", CustomerFactory), ("suppliers", SupplierFactory), ("regions", RegionFactory),
    ("payment-terms", PaymentTermFactory), ("customer-categories", CustomerCategoryFactory),
])
def test_duplicate_code_is_409_and_changes_nothing(api, path, factory):
    factory(code="DUP-1")
    payload = CONTRACT[path][0]()
    payload["code"] = "dup-1"  # codes are upper-cased before the uniqueness check
    resp = api.post(f"/{path}", payload)
    assert resp.status_code == 409, resp.content
    assert resp.json()["code"] == "duplicate"
    assert factory._meta.model.objects.filter(code="DUP-1").count() == 1


def test_renaming_to_an_existing_code_is_409(api):
    SupplierFactory(code="TAKEN")
    supplier = SupplierFactory()
    resp = api.patch(f"/suppliers/{supplier.pk}", {"code": "taken"})
    assert resp.status_code == 409
    assert resp.json()["code"] == "duplicate"


@pytest.mark.parametrize("score", ["-1", "100.01", "1.234"])
def test_supplier_score_stays_between_0_and_100(api, score):
    resp = api.post("/suppliers", {"code": "S1", "name": "x", "score": score})
    assert resp.status_code == 422
    assert "score" in resp.json()["fields"]


def test_unknown_rating_is_422(api):
    resp = api.post("/suppliers", {"code": "S1", "name": "x", "rating": "Z"})
    assert resp.status_code == 422
    assert "rating" in resp.json()["fields"]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"unit_price": "-0.01"}, "unit_price"),
    ({"min_quantity": "-1"}, "min_quantity"),
    ({"product_id": 999999}, "product_id"),
    ({"supplier_id": 999999}, "supplier_id"),
    ({"valid_from": "2026-06-01", "valid_to": "2026-05-31"}, "valid_to"),
    ({"valid_from": "2026-02-30"}, "valid_from"),
    ({"breaks": [{"min_quantity": "100", "unit_price": "8"}, {"min_quantity": "100.0", "unit_price": "7"}]},
     "breaks"),
    ({"breaks": [{"min_quantity": "0", "unit_price": "8"}]}, "breaks.0.min_quantity"),
    ({"breaks": [{"min_quantity": "5", "unit_price": "-8"}]}, "breaks.0.unit_price"),
    ({"breaks": [{"min_quantity": "5"}]}, "breaks.0.unit_price"),
])
def test_bad_supplier_price_is_422_and_changes_nothing(api, overrides, field):
    resp = api.post("/supplier-prices", price_payload(**overrides))
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["fields"]
    assert not SupplierPrice.objects.exists()
    assert not PriceBreak.objects.exists()


def test_patching_valid_to_before_the_stored_valid_from_is_422(api):
    price = SupplierPriceFactory(valid_from=date(2026, 6, 1))
    resp = api.patch(f"/supplier-prices/{price.pk}", {"valid_to": "2026-01-01"})
    assert resp.status_code == 422
    assert "valid_to" in resp.json()["fields"]
    price.refresh_from_db()
    assert price.valid_to is None


@pytest.mark.parametrize("partners", [{}, "both"])
def test_contact_needs_exactly_one_partner(api, partners):
    data = {"name": "赵六"}
    if partners == "both":
        data.update(customer_id=CustomerFactory().pk, supplier_id=SupplierFactory().pk)
    resp = api.post("/contacts", data)
    assert resp.status_code == 422
    assert {"customer_id", "supplier_id"} <= set(resp.json()["fields"])
    assert not Contact.objects.exists()


def test_contact_email_is_validated(api):
    resp = api.post("/contacts", {"customer_id": CustomerFactory().pk, "name": "x", "email": "not-an-email"})
    assert resp.status_code == 422
    assert "email" in resp.json()["fields"]


def test_address_for_unknown_customer_is_422(api):
    resp = api.post("/addresses", {"customer_id": 999999, "recipient": "x", "province": "p", "city": "c",
                                   "street": "s"})
    assert resp.status_code == 422
    assert "customer_id" in resp.json()["fields"]


def test_region_cannot_sit_below_itself(api):
    top = RegionFactory()
    child = RegionFactory(parent=top)
    resp = api.patch(f"/regions/{top.pk}", {"parent_id": child.pk})
    assert resp.status_code == 422
    assert "parent_id" in resp.json()["fields"]


def test_malformed_json_is_400(api):
    resp = api.client.post("/api/v1/customers", "{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "malformed_json"


@pytest.mark.parametrize("params", [{"page_size": 10_000}, {"page": 0}, {"page": 5}, {"ordering": "secret"},
                                    {"region_id": "abc"}, {"region_id": 2**70}])
def test_bad_list_parameters_are_422(api, params):
    CustomerFactory()
    resp = api.get("/customers", params)
    assert resp.status_code == 422, resp.content
    assert resp.json()["code"] == "validation_error"


def test_empty_patch_is_422(api):
    region = RegionFactory()
    assert api.patch(f"/regions/{region.pk}", {}).status_code == 422


# Price lists ------------------------------------------------------------------------------------
def test_price_breaks_are_created_sorted_and_replaced_on_patch(api):
    body = api.post("/supplier-prices", price_payload(breaks=[
        {"min_quantity": "500", "unit_price": "8.20"}, {"min_quantity": "100", "unit_price": "8.50"}])).json()
    assert [(Decimal(b["min_quantity"]), Decimal(b["unit_price"])) for b in body["breaks"]] == [
        (Decimal("100"), Decimal("8.50")), (Decimal("500"), Decimal("8.20"))]

    patched = api.patch(f"/supplier-prices/{body['id']}", {"breaks": [{"min_quantity": "50", "unit_price": "8.7"}]})
    assert [Decimal(b["min_quantity"]) for b in patched.json()["breaks"]] == [Decimal("50")]

    untouched = api.patch(f"/supplier-prices/{body['id']}", {"is_preferred": True}).json()
    assert untouched["is_preferred"] is True
    assert len(untouched["breaks"]) == 1


def test_supplier_prices_filter_by_product_supplier_preference_and_date(api):
    product = ProductFactory()
    current = SupplierPriceFactory(product=product, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31),
                                   is_preferred=True)
    expired = SupplierPriceFactory(product=product, valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))
    open_ended = SupplierPriceFactory(product=product)
    SupplierPriceFactory()  # another product

    def ids(**params):
        return {item["id"] for item in api.get("/supplier-prices", params).json()["items"]}

    assert ids(product_id=product.pk, valid_on="2026-03-01") == {current.pk, open_ended.pk}
    assert ids(product_id=product.pk, is_preferred=True) == {current.pk}
    assert ids(supplier_id=current.supplier_id) == {current.pk}
    assert ids(q=product.code) == {current.pk, expired.pk, open_ended.pk}


def test_customers_filter_and_search(api, make_user):
    rep = make_user("sales_rep")
    category = CustomerCategoryFactory()
    mine = CustomerFactory(category=category, account_manager=rep, name="义乌小商品城")
    CustomerFactory(category=category)
    CustomerFactory(is_active=False)

    def ids(**params):
        return {item["id"] for item in api.get("/customers", params).json()["items"]}

    assert ids(account_manager_id=rep.pk) == {mine.pk}
    assert len(ids(category_id=category.pk)) == 2
    assert len(ids(is_active=False)) == 1
    assert ids(q="义乌") == {mine.pk}
    body = api.get("/customers", {"ordering": "-code"}).json()
    assert [item["code"] for item in body["items"]] == sorted((item["code"] for item in body["items"]), reverse=True)
    assert api.get(f"/customers/{mine.pk}").json()["account_manager_name"] == str(rep)


# Permissions and scoping ------------------------------------------------------------------------
@pytest.mark.parametrize("path", list(CONTRACT))
def test_anonymous_is_401(client, path):
    resp = client.get(f"/api/v1/{path}")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("role", "path"), [
    ("qc_inspector", "customers"),
    ("warehouse_clerk", "suppliers"),
    ("sales_rep", "regions"),
    ("sales_rep", "supplier-prices"),
    ("buyer", "customers"),
    ("buyer", "payment-terms"),
    ("finance", "customer-categories"),
])
def test_role_without_the_add_permission_is_403(api_as, role, path):
    resp = api_as(role).post(f"/{path}", CONTRACT[path][0]())
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"


@pytest.mark.parametrize("path", ["customers", "contacts", "addresses", "regions", "payment-terms"])
def test_supplier_portal_user_cannot_read_other_master_data(api_as, path):
    resp = api_as("supplier", supplier=SupplierFactory()).get(f"/{path}")
    assert resp.status_code == 403


def test_role_without_delete_permission_cannot_delete(api_as):
    term = PaymentTermFactory()
    resp = api_as("sales_manager").delete(f"/payment-terms/{term.pk}")
    assert resp.status_code == 403


def test_sales_rep_sees_only_the_customers_they_manage(api_as, make_user):
    rep = api_as("sales_rep")
    mine = CustomerFactory(account_manager=rep.user)
    other = CustomerFactory(account_manager=make_user("sales_rep"))
    unassigned = CustomerFactory()

    items = rep.get("/customers").json()["items"]
    assert [c["id"] for c in items] == [mine.pk]
    assert rep.get(f"/customers/{other.pk}").status_code == 404
    assert rep.get(f"/customers/{unassigned.pk}").status_code == 404
    assert rep.patch(f"/customers/{other.pk}", {"name": "x"}).status_code == 404
    assert rep.delete(f"/customers/{other.pk}").status_code == 404


def test_sales_rep_sees_only_contacts_and_addresses_of_their_customers(api_as, make_user):
    rep = api_as("sales_rep")
    mine = CustomerFactory(account_manager=rep.user)
    other = CustomerFactory(account_manager=make_user("sales_rep"))
    my_contact, _ = ContactFactory(customer=mine), ContactFactory(customer=other)
    supplier_contact = ContactFactory(customer=None, supplier=SupplierFactory())
    my_address, other_address = AddressFactory(customer=mine), AddressFactory(customer=other)

    assert {c["id"] for c in rep.get("/contacts").json()["items"]} == {my_contact.pk, supplier_contact.pk}
    assert [a["id"] for a in rep.get("/addresses").json()["items"]] == [my_address.pk]
    assert rep.get(f"/addresses/{other_address.pk}").status_code == 404


def test_customer_created_by_a_sales_rep_is_theirs(api_as):
    rep = api_as("sales_rep")
    resp = rep.post("/customers", customer_payload())
    assert resp.status_code == 201, resp.content
    assert resp.json()["account_manager_id"] == rep.user.pk


def test_sales_rep_cannot_hand_a_customer_to_someone_else(api_as, make_user):
    rep = api_as("sales_rep")
    colleague = make_user("sales_rep")
    resp = rep.post("/customers", customer_payload(account_manager_id=colleague.pk))
    assert resp.status_code == 422
    assert "account_manager_id" in resp.json()["fields"]

    mine = CustomerFactory(account_manager=rep.user)
    resp = rep.patch(f"/customers/{mine.pk}", {"account_manager_id": colleague.pk})
    assert resp.status_code == 422
    mine.refresh_from_db()
    assert mine.account_manager_id == rep.user.pk


def test_sales_rep_cannot_attach_contacts_or_addresses_to_customers_they_do_not_see(api_as, make_user):
    rep = api_as("sales_rep")
    other = CustomerFactory(account_manager=make_user("sales_rep"))
    resp = rep.post("/contacts", {"customer_id": other.pk, "name": "x"})
    assert resp.status_code == 422
    assert "customer_id" in resp.json()["fields"]
    resp = rep.post("/addresses", {"customer_id": other.pk, "recipient": "x", "province": "p", "city": "c",
                                   "street": "s"})
    assert resp.status_code == 422
    assert not Contact.objects.exists()
    assert not Address.objects.exists()


def test_sales_manager_sees_customers_of_their_department_subtree(api_as, make_user):
    sales = DepartmentFactory(code="SALES")
    east = DepartmentFactory(code="SALES-EAST", parent=sales)
    other_dept = DepartmentFactory(code="OPS")
    manager = api_as("sales_manager", department=sales)
    in_dept = CustomerFactory(account_manager=make_user("sales_rep", department=sales))
    in_subdept = CustomerFactory(account_manager=make_user("sales_rep", department=east))
    own = CustomerFactory(account_manager=manager.user)
    CustomerFactory(account_manager=make_user("sales_rep", department=other_dept))
    CustomerFactory()

    ids = {c["id"] for c in manager.get("/customers").json()["items"]}
    assert ids == {in_dept.pk, in_subdept.pk, own.pk}


def test_sales_manager_may_hand_customers_within_the_department(api_as, make_user):
    sales = DepartmentFactory()
    manager = api_as("sales_manager", department=sales)
    rep = make_user("sales_rep", department=sales)
    outsider = make_user("sales_rep")
    assert manager.post("/customers", customer_payload(account_manager_id=rep.pk)).status_code == 201
    resp = manager.post("/customers", customer_payload(code="C-002", account_manager_id=outsider.pk))
    assert resp.status_code == 422


@pytest.mark.parametrize("role", ["finance", "executive", "administrator"])
def test_back_office_roles_see_every_customer(api_as, make_user, role):
    CustomerFactory(account_manager=make_user("sales_rep"))
    CustomerFactory()
    assert api_as(role).get("/customers").json()["count"] == 2


def test_finance_may_change_credit_limits_but_not_create_customers(api_as):
    finance = api_as("finance")
    customer = CustomerFactory()
    resp = finance.patch(f"/customers/{customer.pk}", {"credit_limit": "250000"})
    assert resp.status_code == 200
    assert Decimal(resp.json()["credit_limit"]) == Decimal("250000")
    assert finance.post("/customers", customer_payload()).status_code == 403


def test_supplier_portal_user_sees_only_its_own_supplier_and_prices(api_as):
    own, other = SupplierFactory(), SupplierFactory()
    own_price = SupplierPriceFactory(supplier=own)
    other_price = SupplierPriceFactory(supplier=other)
    portal = api_as("supplier", supplier=own)

    assert [s["id"] for s in portal.get("/suppliers").json()["items"]] == [own.pk]
    assert portal.get(f"/suppliers/{other.pk}").status_code == 404
    assert [p["id"] for p in portal.get("/supplier-prices").json()["items"]] == [own_price.pk]
    assert portal.get(f"/supplier-prices/{other_price.pk}").status_code == 404
    assert portal.patch(f"/supplier-prices/{own_price.pk}", {"unit_price": "1"}).status_code == 403
    assert portal.post("/supplier-prices", price_payload(supplier_id=own.pk)).status_code == 403


# Query-count ceilings: one page costs the same however many rows it holds -------------------------
# token + the user's permissions (2) + count + page; scoped lists add the role's data scope, price
# lists their breaks (one prefetch).
LIST_CEILINGS = {
    "regions": (lambda: RegionFactory(parent=RegionFactory()), 5),
    "payment-terms": (PaymentTermFactory, 5),
    "customer-categories": (CustomerCategoryFactory, 5),
    "customers": (lambda: CustomerFactory(payment_term=PaymentTermFactory()), 6),
    "suppliers": (SupplierFactory, 5),
    "contacts": (ContactFactory, 6),
    "addresses": (AddressFactory, 6),
    "supplier-prices": (lambda: PriceBreakFactory().supplier_price, 6),
}


@pytest.mark.parametrize("path", list(LIST_CEILINGS))
def test_list_query_count_does_not_grow_with_rows(api, path, django_assert_max_num_queries):
    make, ceiling = LIST_CEILINGS[path]
    for _ in range(25):
        make()
    api.get(f"/{path}")  # the first request also records the token's last use
    with django_assert_max_num_queries(ceiling):
        resp = api.get(f"/{path}", {"page_size": 20})
    assert resp.status_code == 200
    assert len(resp.json()["items"]) == 20


def test_scoped_list_query_count_for_a_sales_manager(api_as, make_user, django_assert_max_num_queries):
    sales = DepartmentFactory()
    DepartmentFactory(parent=sales)
    manager = api_as("sales_manager", department=sales)
    for _ in range(25):
        CustomerFactory(account_manager=make_user("sales_rep", department=sales))
    manager.get("/customers")
    # the base 5, plus data scope, headed departments, one per tree level and the department's users
    with django_assert_max_num_queries(10):
        resp = manager.get("/customers", {"page_size": 20})
    assert len(resp.json()["items"]) == 20


def test_supplier_model_is_untouched_by_a_failed_update(api):
    supplier = SupplierFactory(name="原名")
    resp = api.patch(f"/suppliers/{supplier.pk}", {"name": "新名", "payment_term_id": 999999})
    assert resp.status_code == 422
    assert Supplier.objects.get(pk=supplier.pk).name == "原名"
