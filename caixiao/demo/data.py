"""The demo company (``manage.py load_demo``; ``manage.py serve`` loads it on first start).

Every record goes through the domain services or ``core.masterdata``, so validation runs and the
field history (X10) exists as if a person had entered it. The content comes from ``tables``; where
it varies (prices, lead times, which supplier offers what, customers) a fixed random seed makes
every run produce the same company. Loading is idempotent: when the company already exists,
nothing is created."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F

from caixiao.accounts import services as account_services
from caixiao.accounts.models import Department, Position, User
from caixiao.approvals.defaults import ensure_default_flows
from caixiao.catalog import services as catalog_services
from caixiao.catalog.enums import Lifecycle
from caixiao.catalog.models import Category, Product, ProductUnit, Unit
from caixiao.core import masterdata
from caixiao.demo import tables
from caixiao.inventory import services as inventory_services
from caixiao.inventory.models import Location, StockBalance, Warehouse
from caixiao.partners import services as partner_services
from caixiao.partners.models import Customer, CustomerCategory, PaymentTerm, Region, Supplier, SupplierPrice
from caixiao.rules.services import ensure_builtin_rules
from caixiao.sales import services as sales_services
from caixiao.sales.models import SalesOrder

SEED = 20260101
TAX_RATE = Decimal("0.13")
PRICE_LIST_START = date(2026, 1, 1)
LIFECYCLE_WEIGHTS = {Lifecycle.MATURE: 70, Lifecycle.GROWTH: 12, Lifecycle.NEW: 8, Lifecycle.DECLINE: 7,
                     Lifecycle.END_OF_LIFE: 3}
RATING_SCORES = {"A": (90, 97), "B": (80, 89), "C": (70, 79), "D": (60, 69)}
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "186",
                   "187", "188", "189", "199"]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


TIGHT_CREDIT_LIMIT = Decimal(20_000)


def demo_loaded() -> bool:
    return Department.objects.filter(code=tables.COMPANY_CODE).exists()


def demo_logins() -> list[tables.DemoUser]:
    """The demo users that exist in this database, in the order of ``tables.USERS``."""
    present = set(User.objects.filter(username__in=[u.username for u in tables.USERS])
                  .values_list("username", flat=True))
    return [u for u in tables.USERS if u.username in present]


@transaction.atomic
def load_demo() -> dict[str, int] | None:
    """Create the demo company; return counts of what was created, or ``None`` if it exists already."""
    account_services.sync_roles()
    ensure_default_flows()  # idempotent: the seeded approval flows (docs/approvals.md)
    ensure_builtin_rules()  # idempotent: the built-in rules (docs/rules.md)
    if demo_loaded():
        return None
    return _DemoLoader(random.Random(SEED)).run()


# Small generators ------------------------------------------------------------------------------
def ean13(body: str) -> str:
    """Append the EAN-13 check digit to 12 digits."""
    if len(body) != 12 or not body.isdigit():
        raise ValueError(f"an EAN-13 body has 12 digits, not {body!r}")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def unified_credit_code(division: str, rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 (GB 32100) for an enterprise registered in ``division``."""
    org = "".join(rng.choice("0123456789") for _ in range(8))
    org_check = 11 - sum(int(c) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    body = "91" + division + org + {10: "X", 11: "0"}.get(org_check, str(org_check))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def price(value: Decimal) -> Decimal:
    """Round a computed price: to the fen from one yuan up, to a tenth of a fen below (per-piece parts)."""
    return value.quantize(Decimal("0.01") if value >= 1 else Decimal("0.001"), rounding=ROUND_HALF_UP)


@dataclass
class _Offer:
    supplier: Supplier
    unit_price: Decimal
    lead_time_days: int
    preferred: bool


class _DemoLoader:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.actor: User | None = None
        self.users: dict[str, User] = {}
        self.departments: dict[str, Department] = {}
        self.units: dict[str, Unit] = {}
        self.terms: dict[str, PaymentTerm] = {}
        self.regions: dict[str, Region] = {}
        self.customer_categories: dict[str, CustomerCategory] = {}
        self.suppliers: dict[str, Supplier] = {}
        self.names = self._person_names()
        self.password_hash = make_password(tables.DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose

    def run(self) -> dict[str, int]:
        self.organisation()
        self.partner_settings()
        self.suppliers_and_portal_user()
        self.catalog()
        self.customers()
        self.warehouses()
        self.opening_stock()
        self.sales_orders()
        return {
            "departments": Department.objects.count(),
            "users": User.objects.count(),
            "products": Product.objects.count(),
            "unit_conversions": ProductUnit.objects.count(),
            "suppliers": Supplier.objects.count(),
            "supplier_prices": SupplierPrice.objects.count(),
            "customers": Customer.objects.count(),
            "warehouses": Warehouse.objects.count(),
            "locations": Location.objects.count(),
            "stock_balances": StockBalance.objects.filter(on_hand__gt=0).count(),
            "sales_orders": SalesOrder.objects.count(),
        }

    # helpers
    def _create(self, model: Any, data: dict[str, Any]) -> Any:
        return masterdata.create_record(model, data=data, actor=self.actor)

    def _person_names(self) -> list[str]:
        names = [s + g for s in tables.SURNAMES for g in tables.GIVEN_NAMES]
        self.rng.shuffle(names)
        return names

    def person(self) -> str:
        return self.names.pop()

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"

    def landline(self, area_code: str) -> str:
        return f"{area_code}-{self.rng.randint(50_000_000, 89_999_999)}"

    # organisation
    def organisation(self) -> None:
        for code, name, parent in tables.DEPARTMENTS:
            parent_id = self.departments[parent].pk if parent else None
            self.departments[code] = self._create(Department, {"code": code, "name": name, "parent_id": parent_id})
        positions = {code: self._create(Position, {"code": code, "name": name,
                                                   "department_id": self.departments[dept].pk})
                     for code, name, dept in tables.POSITIONS}
        for demo in tables.USERS:
            if demo.role == "supplier":
                continue
            self.users[demo.username] = self._create_user(demo, data={
                "department_id": self.departments[demo.department].pk if demo.department else None,
                "position_id": positions[demo.position].pk if demo.position else None,
            })
            self.actor = self.actor or self.users[demo.username]
        for demo in tables.USERS:
            if demo.manager:
                masterdata.update_record(self.users[demo.username],
                                         data={"manager_id": self.users[demo.manager].pk}, actor=self.actor)
        for code, username in tables.DEPARTMENT_HEADS.items():
            masterdata.update_record(self.departments[code], data={"head_id": self.users[username].pk},
                                     actor=self.actor)

    def _create_user(self, demo: tables.DemoUser, data: dict[str, Any]) -> User:
        is_admin = demo.role == "administrator"
        user = account_services.create_user(data={
            "username": demo.username, "first_name": demo.first_name, "last_name": demo.last_name,
            "display_name": demo.display_name, "email": f"{demo.username}@{tables.EMAIL_DOMAIN}",
            "phone": self.mobile(), "is_staff": is_admin, "is_superuser": is_admin, **data,
        }, roles=[demo.role], password=None, actor=self.actor)
        user.password = self.password_hash
        user.save(update_fields=["password"])
        return user

    # partners
    def partner_settings(self) -> None:
        for code, name, basis, days in tables.PAYMENT_TERMS:
            self.terms[code] = partner_services.create_payment_term(
                data={"code": code, "name": name, "basis": basis, "days": days}, actor=self.actor)
        for code, name, parent in tables.REGIONS:
            self.regions[code] = partner_services.create_region(data={
                "code": code, "name": name, "parent_id": self.regions[parent].pk if parent else None,
            }, actor=self.actor)
        for kind in tables.CUSTOMER_CATEGORIES:
            self.customer_categories[kind.code] = partner_services.create_customer_category(
                data={"code": kind.code, "name": kind.name}, actor=self.actor)

    def suppliers_and_portal_user(self) -> None:
        for row in tables.SUPPLIERS:
            low, high = RATING_SCORES[row.rating]
            buys_equipment = bool({"POWER", "MEAS"} & set(row.categories))
            supplier = partner_services.create_supplier(data={
                "code": row.code, "name": row.name, "rating": row.rating,
                "score": Decimal(self.rng.randint(low * 10, high * 10)) / 10,
                "lead_time_days": row.lead_time_days, "payment_term_id": self.terms[row.payment_term].pk,
                "tax_id": unified_credit_code(row.division, self.rng), "phone": row.phone, "address": row.address,
                "bank_name": row.bank, "bank_account_name": row.name,
                "bank_account_number": "".join(self.rng.choice("0123456789") for _ in range(19)),
                "buyer_id": self.users["purchmgr" if buys_equipment else "buyer"].pk,
            }, actor=self.actor)
            domain = f"{row.code.lower()}.example.com"
            partner_services.create_contact(data={
                "supplier_id": supplier.pk, "name": row.contact, "title": "销售经理", "phone": self.mobile(),
                "email": f"sales@{domain}", "is_primary": True,
            }, actor=self.actor)
            partner_services.create_contact(data={
                "supplier_id": supplier.pk, "name": self.person(), "title": tables.SUPPLIER_SECOND_CONTACT_TITLE,
                "phone": row.phone, "email": f"finance@{domain}",
            }, actor=self.actor)
            self.suppliers[row.code] = supplier
        demo = next(u for u in tables.USERS if u.role == "supplier")
        supplier = self.suppliers[tables.SUPPLIER_USER_SUPPLIER]
        self.users[demo.username] = self._create_user(demo, data={
            "supplier_id": supplier.pk, "email": f"sales@{supplier.code.lower()}.example.com"})

    # catalog
    def catalog(self) -> None:
        for code, name, decimals in tables.UNITS:
            self.units[code] = self._create(Unit, {"code": code, "name": name, "decimals": decimals})
        suppliers_by_category: dict[str, list[Supplier]] = {}
        for row in tables.SUPPLIERS:
            for category_code in row.categories:
                suppliers_by_category.setdefault(category_code, []).append(self.suppliers[row.code])
        for code, name, markup, gs1_prefix in tables.CATEGORIES:
            category = catalog_services.create_category(data={"code": code, "name": name}, actor=self.actor)
            number = 0
            for family in tables.ITEMS[code]:
                for size, purchase_price in family.variants:
                    number += 1
                    self.product(category, family, number, size, Decimal(purchase_price), Decimal(markup),
                                 gs1_prefix, suppliers_by_category[code])

    def product(self, category: Category, family: tables.Item, number: int, size: str, cost: Decimal,
                markup: Decimal, gs1_prefix: str, candidates: list[Supplier]) -> Product:
        rng = self.rng
        pack = Decimal(family.packs[0][1]) if family.packs else Decimal(1)
        offers = self.offers(cost, candidates)
        preferred = next(o for o in offers if o.preferred)
        product = catalog_services.create_product(data={
            "code": f"{category.code}-{number:03d}", "name": f"{family.name} {size}",
            "specification": family.specification, "category_id": category.pk,
            "base_unit_id": self.units[family.unit].pk, "barcode": ean13(f"{gs1_prefix}{number:05d}"),
            "purchase_price": preferred.unit_price,
            "sale_price": price(cost * markup * rng.choice([Decimal("0.95"), Decimal("1"), Decimal("1.05")])),
            "tax_rate": TAX_RATE, "needs_qc": family.needs_qc,
            "safety_stock": pack * rng.choice([1, 2, 3, 4]), "min_order_qty": pack * rng.choice([1, 1, 2, 5]),
            "pack_size": pack, "lead_time_days": preferred.lead_time_days,
            "lifecycle": rng.choices(list(LIFECYCLE_WEIGHTS), weights=list(LIFECYCLE_WEIGHTS.values()))[0],
            "buyer_id": self.users["purchmgr" if category.code in {"POWER", "MEAS"} else "buyer"].pk,
        }, actor=self.actor)
        for index, (unit_code, factor) in enumerate(family.packs, start=1):
            catalog_services.create_product_unit(data={
                "product_id": product.pk, "unit_id": self.units[unit_code].pk, "factor": Decimal(factor),
                "barcode": ean13(f"{gs1_prefix}{index * 1000 + number:05d}"),
            }, actor=self.actor)
        for offer in offers:
            breaks = []
            if rng.random() < 0.3:
                breaks = [{"min_quantity": pack * 10, "unit_price": price(offer.unit_price * Decimal("0.97"))},
                          {"min_quantity": pack * 50, "unit_price": price(offer.unit_price * Decimal("0.94"))}]
            partner_services.create_supplier_price(data={
                "supplier_id": offer.supplier.pk, "product_id": product.pk,
                "supplier_product_code": f"{rng.choice('ABCDEFGHJK')}{rng.randint(1000, 9999)}",
                "unit_price": offer.unit_price, "min_quantity": product.min_order_qty,
                "lead_time_days": offer.lead_time_days, "valid_from": PRICE_LIST_START,
                "is_preferred": offer.preferred, "breaks": breaks,
            }, actor=self.actor)
        return product

    def offers(self, cost: Decimal, candidates: list[Supplier]) -> list[_Offer]:
        """1–3 suppliers offer a product at prices around ``cost``; the best-rated one is preferred."""
        rng = self.rng
        count = min(len(candidates), rng.choices([1, 2, 3], weights=[3, 4, 3])[0])
        chosen = sorted(rng.sample(candidates, count), key=lambda s: (s.rating, s.code))
        factors = ["0.94", "0.97", "1.00", "1.03", "1.06", "1.08"]
        return [_Offer(supplier=s, unit_price=price(cost * Decimal(rng.choice(factors))),
                       lead_time_days=max(2, s.lead_time_days + rng.choice([-2, -1, 0, 0, 1, 3])),
                       preferred=index == 0)
                for index, s in enumerate(chosen)]

    # customers
    def customers(self) -> None:
        rng = self.rng
        kinds = [kind for kind in tables.CUSTOMER_CATEGORIES for _ in range(kind.count)]
        rng.shuffle(kinds)
        areas = [area for area, count in tables.CUSTOMERS_PER_AREA.items() for _ in range(count)]
        trade_names = list(tables.TRADE_NAMES)
        rng.shuffle(trade_names)
        tight_credit = False
        for number, (area, kind) in enumerate(zip(areas, kinds, strict=True), start=1):
            city = rng.choice([c for c in tables.CITIES if c.region.startswith(area + "-")])
            place = (city.province if kind.code == "KEY" else city.city).removesuffix("市").removesuffix("省")
            term = rng.choice(kind.payment_terms)
            credit = Decimal(0) if term == "PREPAID" else Decimal(rng.randint(*kind.credit_limit) * 10_000)
            if kind.code == "END" and credit and not tight_credit:
                # One end customer with a tight limit (¥20,000): an ordinary order goes over it and through
                # the sales manager's and the finance director's approval (S2; docs/sales.md).
                credit, tight_credit = TIGHT_CREDIT_LIMIT, True
            manager = "salesmgr" if kind.code == "KEY" else tables.AREA_ACCOUNT_MANAGER[area]
            customer = partner_services.create_customer(data={
                "code": f"C{number:04d}", "name": place + trade_names.pop() + rng.choice(kind.name_suffixes),
                "category_id": self.customer_categories[kind.code].pk, "region_id": self.regions[city.region].pk,
                "credit_limit": credit, "payment_term_id": self.terms[term].pk,
                "account_manager_id": self.users[manager].pk,
                "tax_id": unified_credit_code(city.division, rng), "phone": self.landline(city.area_code),
            }, actor=self.actor)
            self.customer_people(customer, city)

    def customer_people(self, customer: Customer, city: tables.City) -> None:
        rng = self.rng
        domain = f"{customer.code.lower()}.example.com"
        buyer_name, buyer_phone = self.person(), self.mobile()
        partner_services.create_contact(data={
            "customer_id": customer.pk, "name": buyer_name, "title": rng.choice(tables.CUSTOMER_CONTACT_TITLES),
            "phone": buyer_phone, "email": f"purchasing@{domain}", "is_primary": True,
        }, actor=self.actor)
        if rng.random() < 0.5:
            partner_services.create_contact(data={
                "customer_id": customer.pk, "name": self.person(),
                "title": rng.choice(tables.CUSTOMER_SECOND_CONTACT_TITLES), "phone": self.mobile(),
            }, actor=self.actor)
        labels = ["仓库"] + ([rng.choice(tables.EXTRA_ADDRESS_LABELS)] if rng.random() < 0.3 else [])
        for index, label in enumerate(labels):
            partner_services.create_address(data={
                "customer_id": customer.pk, "label": label,
                "recipient": buyer_name if index == 0 else self.person(),
                "phone": buyer_phone if index == 0 else self.mobile(),
                "province": city.province, "city": city.city, "district": rng.choice(city.districts),
                "street": f"{rng.choice(tables.STREETS)}{rng.randint(1, 999)}号", "postcode": city.postcode,
                "is_default": index == 0,
            }, actor=self.actor)

    # warehouses
    def warehouses(self) -> None:
        for code, name, address, zones, rows, levels in tables.WAREHOUSES:
            warehouse = inventory_services.create_warehouse(data={
                "code": code, "name": name, "address": address, "manager_id": self.users["warehouse"].pk,
            }, actor=self.actor)
            for zone in zones:
                for row in range(1, rows + 1):
                    for level in range(1, levels + 1):
                        bin_code = f"{zone}-{row:02d}-{level:02d}"
                        inventory_services.create_location(data={
                            "warehouse_id": warehouse.pk, "code": bin_code, "name": f"{zone}区{row}排{level}层",
                            "barcode": f"{code}-{bin_code}",
                        }, actor=self.actor)

    # stock and orders
    def opening_stock(self) -> None:
        """Opening stock (期初库存) at the preferred supplier's price, in bins: every product in the main
        warehouse (one in ten below its safety stock, so the replenishment alert has work), four in ten
        in the branch too."""
        rng = self.rng
        for warehouse in Warehouse.objects.order_by("code"):
            bins = list(Location.objects.filter(warehouse=warehouse).order_by("code"))
            main = warehouse.code == tables.WAREHOUSES[0][0]
            requests = []
            for index, product in enumerate(Product.objects.select_related("base_unit").order_by("code")):
                if not main and rng.random() > 0.4:
                    continue
                step = product.pack_size or Decimal(1)
                quantity = (product.safety_stock or step) * (rng.choice([3, 4, 6, 8]) if main else rng.choice([1, 2, 3]))
                if main and rng.random() < 0.1:  # running low: under its safety stock, or out of stock
                    quantity = product.safety_stock - step if rng.random() < 0.7 else Decimal(0)
                if quantity <= 0:
                    continue
                requests.append(inventory_services.ReceiveRequest(
                    product_id=product.pk, warehouse_id=warehouse.pk, quantity=quantity,
                    unit_cost=product.purchase_price, location_id=bins[index % len(bins)].pk))
            inventory_services.receive_stock(requests=requests, reason=tables.OPENING_STOCK_REASON,
                                             actor=self.users["warehouse"])

    def sales_orders(self) -> None:
        """Orders in each state the sales and warehouse pages show: one shipped, one with its delivery
        notice being picked, two confirmed waiting for the warehouse, one draft; all by the East-China
        sales rep for her customers, in the main warehouse, under the customers' credit limits."""
        rng = self.rng
        rep, clerk = self.users["sales"], self.users["warehouse"]
        warehouse = Warehouse.objects.get(code=tables.WAREHOUSES[0][0])
        customers = list(Customer.objects.filter(account_manager=rep, credit_limit__gte=50_000).order_by("code"))
        stocked = list(Product.objects.filter(
            stock_balances__warehouse=warehouse, stock_balances__on_hand__gte=F("safety_stock") * 3,
            base_unit__decimals=0, sale_price__lte=500).order_by("code"))
        orders = []
        for customer in customers[:5]:
            lines = [sales_services.OrderLineInput(product_id=p.pk, quantity=Decimal(rng.randint(1, 3)) * (p.pack_size or 1))
                     for p in rng.sample(stocked, 3)]
            orders.append(sales_services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, lines=lines,
                                                      customer_reference=f"PO-{rng.randint(10000, 99999)}",
                                                      actor=rep))
        shipped, picking, *waiting, _draft = orders  # the last stays a draft
        for order in (shipped, picking, *waiting):
            sales_services.confirm_order(order_id=order.pk, actor=rep)
        for order in (shipped, picking):
            notice = sales_services.create_delivery_notice(order_id=order.pk, actor=clerk)
            sales_services.start_picking(notice_id=notice.pk, actor=clerk)
        sales_services.pack_delivery(notice_id=shipped.delivery_notices.get().pk, packages=2, actor=clerk)
        notice = shipped.delivery_notices.get()
        sales_services.check_delivery(notice_id=notice.pk, actor=clerk, lines=[
            sales_services.CheckedLine(line_id=line.pk, quantity=line.quantity) for line in notice.lines.all()])
        sales_services.ship_delivery(notice_id=notice.pk, actor=clerk, carrier="顺丰速运",
                                     tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}")
