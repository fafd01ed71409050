"""A sales rep sees only their own customers, in lists, detail pages and child records (X2)."""

from django.urls import reverse

from caixiao.partners import services as partner_services
from caixiao.partners.models import Contact


def make_customer(code, manager, partners):
    return partner_services.create_customer(data={
        "code": code, "name": f"客户{code}", "category_id": partners["ccat"].pk, "region_id": partners["region"].pk,
        "account_manager_id": manager.pk}, actor=manager)


def test_sales_rep_lists_only_their_customers(login, make_user, partners):
    alice, bob = make_user("sales_rep"), make_user("sales_rep")
    mine = make_customer("C-ALICE", alice, partners)
    theirs = make_customer("C-BOB", bob, partners)

    response = login(alice).get(reverse("web:customer-list"))
    assert response.status_code == 200
    assert [row["obj"] for row in response.context["rows"]] == [mine]
    assert theirs.code not in response.text


def test_sales_rep_cannot_open_or_change_another_reps_customer(login, make_user, partners):
    alice, bob = make_user("sales_rep"), make_user("sales_rep")
    theirs = make_customer("C-BOB", bob, partners)
    client = login(alice)
    assert client.get(reverse("web:customer-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("web:customer-edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("web:customer-child-add", args=[theirs.pk, "contacts"]), {"name": "张三"})
    assert response.status_code == 404
    assert not Contact.objects.exists()


def test_new_customer_defaults_to_the_rep_as_account_manager(login, make_user, partners):
    alice = make_user("sales_rep")
    form = login(alice).get(reverse("web:customer-create")).context["form"]
    assert form.initial["account_manager"] == alice.pk


def test_administrator_sees_every_customer(admin_client, make_user, partners):
    make_customer("C-ALICE", make_user("sales_rep"), partners)
    response = admin_client.get(reverse("web:customer-list"))
    assert {row["obj"].code for row in response.context["rows"]} == {"C001", "C-ALICE"}
