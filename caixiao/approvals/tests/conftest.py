"""Fixtures of the approval engine's tests: the test document type, a requester, a memo to approve."""

from __future__ import annotations

from decimal import Decimal

import pytest

from caixiao.approvals.tests import doctype
from caixiao.catalog.tests.factories import ProductFactory


@pytest.fixture(autouse=True)
def memo_type():
    doctype.register()
    doctype.calls.clear()
    doctype.FAIL["on_approved"] = False
    yield doctype.DOC
    doctype.calls.clear()
    doctype.FAIL["on_approved"] = False


@pytest.fixture
def requester(make_user):
    return make_user("buyer", username="requester")


@pytest.fixture
def make_memo(requester):
    def make(amount="1000", *, buyer=None, name="memo"):
        return ProductFactory(purchase_price=Decimal(amount), buyer=buyer or requester, name=name)

    return make
