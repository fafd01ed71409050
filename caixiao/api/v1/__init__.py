"""REST API v1 (X9): one router per domain, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI

from caixiao.api import errors
from caixiao.api.auth import AUTH
from caixiao.api.version import API_VERSION

api = NinjaAPI(
    title="Caixiao API",
    version=API_VERSION,
    description="Purchase–sales integration (采销一体化). Errors: {code, message, fields} with 4xx.",
    auth=AUTH,
    urls_namespace="api-v1",
)
errors.install(api)

from caixiao.api.v1 import (  # noqa: E402
    accounts,
    approvals,
    catalog,
    inventory,
    notifications,
    partners,
    rules,
    sales,
    stock,
)

api.add_router("", accounts.router)
api.add_router("", catalog.router)
api.add_router("", partners.router)
api.add_router("", inventory.router)
api.add_router("", stock.router)
api.add_router("", notifications.router)
api.add_router("", sales.router)
api.add_router("", rules.router)
api.add_router("", approvals.router)
