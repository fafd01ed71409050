"""The demo company shows the approval of sales orders (S2): one end customer's credit limit is tight
enough that an ordinary order goes over it, and the sales manager (salesmgr) and the finance director
(cfo) who approve it exist."""

from decimal import Decimal

import pytest
from django.db import transaction

from caixiao.accounts.models import User
from caixiao.demo import data
from caixiao.partners.models import Customer


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield data.load_demo()
        transaction.set_rollback(True)


def test_one_customer_has_a_tight_credit_limit_and_the_approvers_exist(demo, db):
    tight = Customer.objects.filter(credit_limit=data.TIGHT_CREDIT_LIMIT)
    assert tight.count() == 1
    customer = tight.get()
    assert customer.category.code == "END" and customer.account_manager is not None
    assert customer.credit_limit < Decimal("62000")  # the ordinary order of the approval walk-through
    assert User.objects.get(username="salesmgr").groups.filter(name="sales_manager").exists()
    assert User.objects.get(username="cfo").groups.filter(name="finance_director").exists()
