"""Fixtures for the rule engine's cross-app stories: the sales fixtures (rep, customer, product,
warehouse, stock), so every event comes from the real services."""

from caixiao.sales.tests.conftest import (  # noqa: F401 - fixtures
    bin_a,
    customer,
    english,
    pcs,
    product,
    rep,
    stock,
    warehouse,
)
