"""Fixtures for the notifications tests: reuse the sales fixtures (rep, clerk, customer, products,
warehouse, stock) so every event comes from the real services."""

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
