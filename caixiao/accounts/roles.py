"""The seeded roles and their permissions (X2). ``sync_roles`` makes the database match this table;
administrators can add their own roles on top, which sync leaves alone."""

from django.utils.translation import gettext_lazy as _

VIEW_MASTER = [
    "catalog.view_category", "catalog.view_unit", "catalog.view_product", "catalog.view_productunit",
    "partners.view_region", "partners.view_paymentterm", "partners.view_customercategory",
    "partners.view_customer", "partners.view_supplier", "partners.view_contact", "partners.view_address",
    "partners.view_supplierprice", "inventory.view_warehouse", "inventory.view_location",
]


def _crud(app: str, *models: str) -> list[str]:
    return [f"{app}.{verb}_{m}" for m in models for verb in ("view", "add", "change", "delete")]


CUSTOMER_EDIT = _crud("partners", "customer", "contact", "address")
PRODUCT_EDIT = _crud("catalog", "category", "unit", "product", "productunit")
SUPPLIER_EDIT = _crud("partners", "supplier", "contact", "supplierprice")
WAREHOUSE_EDIT = _crud("inventory", "warehouse", "location")
# Sales (docs/sales.md): orders and their transitions are "change"; delivery notices and their steps
# (pick, pack, check, ship) are "change" on the notice.
SALES_VIEW = ["sales.view_salesorder", "sales.view_deliverynotice", "sales.view_purchasedemand"]
SALES_ORDER_EDIT = [*_crud("sales", "salesorder"), "sales.view_deliverynotice", "sales.view_purchasedemand"]
DELIVERY_EDIT = ["sales.view_salesorder", "sales.view_deliverynotice", "sales.add_deliverynotice",
                 "sales.change_deliverynotice", "sales.allocate_backorders"]
# Stock (issue 3): levels and history for everyone who plans, buys or sells; clerks move and count it
# and run the invariant check (balances against reservations); stock value for finance.
STOCK_VIEW = ["inventory.view_stockbalance", "inventory.view_stockmove"]
STOCK_WORK = [*STOCK_VIEW, "inventory.add_stockmove", "inventory.view_reservation",
              *_crud("inventory", "stockcount")]
STOCK_VALUE = ["inventory.view_productcost"]
ORG_EDIT = [*_crud("accounts", "user", "department", "position", "role"), "auth.view_group", "auth.change_group"]

# Webhooks (X9) and the event/job monitor (docs/notifications.md): administrators only.
INTEGRATION_ADMIN = [*_crud("notifications", "webhooksubscription"), "notifications.view_webhookdelivery",
                     "notifications.change_webhookdelivery", "core.view_outboxevent", "core.view_eventdelivery",
                     "core.change_eventdelivery"]

# Rules (X7, P4; docs/rules.md): administrators write and run them; purchasing managers read rules and changes.
RULES_ADMIN = [*_crud("rules", "rule", "ruleversion", "rulerun", "rulechange")]
RULES_VIEW = ["rules.view_rule", "rules.view_ruleversion", "rules.view_rulerun", "rules.view_rulechange"]

# code: (label, data scope, permissions)
ROLES: dict[str, tuple[object, str, list[str]]] = {
    "sales_rep": (_("Sales rep"), "own", VIEW_MASTER + CUSTOMER_EDIT + SALES_ORDER_EDIT + STOCK_VIEW),
    "sales_manager": (_("Sales manager"), "department",
                      VIEW_MASTER + CUSTOMER_EDIT + _crud("partners", "customercategory", "region")
                      + SALES_ORDER_EDIT + ["sales.allocate_backorders"] + STOCK_VIEW),
    "buyer": (_("Buyer"), "all", VIEW_MASTER + SUPPLIER_EDIT + ["catalog.change_product", "sales.view_purchasedemand"]
              + STOCK_VIEW),
    "purchasing_manager": (_("Purchasing manager"), "all", VIEW_MASTER + SUPPLIER_EDIT + PRODUCT_EDIT
                           + ["sales.view_purchasedemand"] + STOCK_VIEW + RULES_VIEW),
    "warehouse_clerk": (_("Warehouse clerk"), "all", VIEW_MASTER + WAREHOUSE_EDIT + DELIVERY_EDIT + STOCK_WORK),
    "qc_inspector": (_("QC inspector"), "all", VIEW_MASTER + STOCK_VIEW),
    "finance": (_("Finance"), "all", VIEW_MASTER + _crud("partners", "paymentterm")
                + ["partners.change_customer", "partners.change_supplier"] + SALES_VIEW
                + STOCK_VIEW + STOCK_VALUE),
    "finance_director": (_("Finance director"), "all", VIEW_MASTER + _crud("partners", "paymentterm")
                         + ["partners.change_customer", "partners.change_supplier"] + SALES_VIEW
                         + STOCK_VIEW + STOCK_VALUE),
    "executive": (_("Executive"), "all", [*VIEW_MASTER, "accounts.view_user", "accounts.view_department",
                                          "core.view_strategic_figures", *SALES_VIEW, *STOCK_VIEW, *STOCK_VALUE]),
    "administrator": (_("Administrator"), "all", VIEW_MASTER + CUSTOMER_EDIT + PRODUCT_EDIT + SUPPLIER_EDIT
                      + WAREHOUSE_EDIT + ORG_EDIT
                      + _crud("partners", "customercategory", "region", "paymentterm")
                      + ["accounts.add_apitoken", "accounts.view_apitoken", "accounts.delete_apitoken",
                         "core.view_auditentry"]
                      + SALES_ORDER_EDIT + DELIVERY_EDIT + _crud("sales", "deliverynotice", "purchasedemand")
                      + STOCK_WORK + STOCK_VALUE + INTEGRATION_ADMIN + RULES_ADMIN),
    # A portal user sees only its own supplier and price list (partners.selectors scope by user.supplier).
    "supplier": (_("Supplier (portal)"), "own", ["partners.view_supplier", "partners.view_supplierprice"]),
}

# Approvals (docs/approvals.md): administrators edit flows and anybody's delegations; every role that
# sees documents sees their approvals. Deciding needs no permission: only a task's assignee (or their
# delegate) may, and everybody sees their own tasks and sets their own delegations.
APPROVALS_VIEW = ["approvals.view_approvalinstance"]
APPROVALS_ADMIN = [*_crud("approvals", "approvalflow", "delegation"), *APPROVALS_VIEW, "approvals.view_approvaltask"]
for _code in ("sales_rep", "sales_manager", "buyer", "purchasing_manager", "warehouse_clerk", "finance",
              "finance_director", "executive"):
    ROLES[_code][2].extend(APPROVALS_VIEW)
ROLES["administrator"][2].extend(APPROVALS_ADMIN)
