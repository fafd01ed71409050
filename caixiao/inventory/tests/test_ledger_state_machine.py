"""Random sequences of every stock operation against a pure-Python model of the ledger.

After each step: ``check_invariants()`` finds no drift, and the balances, bins, open reservations and
average costs in the database equal the model's. An operation the model says must fail (a shortage,
more than reserved) must raise and change nothing. Run more examples with
``LEDGER_MACHINE_EXAMPLES=500 pytest caixiao/inventory/tests/test_ledger_state_machine.py``."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory import services
from caixiao.inventory.enums import STATE_TRANSITIONS, ReservationStatus, StockState
from caixiao.inventory.errors import InsufficientStock, ReservationExceeded
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import BinBalance, Location, ProductCost, Reservation, StockBalance, Warehouse
from caixiao.inventory.references import Ref
from caixiao.inventory.valuation import moving_average

ZERO = Decimal("0")
STATES = StockState.values
ON_HAND, REJECTED = StockState.ON_HAND, StockState.REJECTED
UNIT_DECIMALS = (0, 3)  # product 0 in pieces, product 1 in kilograms
PURCHASE_PRICES = (Decimal("10"), Decimal("2.5"))
BINS_PER_WAREHOUSE = ((0, 1), (2,))  # bin indexes of warehouse 0 and warehouse 1

products = st.sampled_from([0, 1])
warehouses = st.sampled_from([0, 1])
amounts = st.integers(min_value=1, max_value=12_000)  # scaled to the unit: 1..12 pcs, 0.001..12 kg
costs = st.integers(min_value=0, max_value=2_000).map(lambda n: Decimal(n) / 100)
lines = st.sampled_from([1, 2, 3])  # sales order lines that reserve


fits = st.integers(min_value=0, max_value=4)  # 0: any amount; 1..4: that many quarters of what is there


def quantity(product: int, amount: int) -> Decimal:
    if UNIT_DECIMALS[product] == 0:
        return Decimal(amount % 12 + 1)
    return Decimal(amount).scaleb(-3)


def portion(product: int, amount: int, fit: int, holding: Decimal) -> Decimal:
    """A quantity that mostly fits what is there, so that taking stock succeeds as often as it fails."""
    share = (holding * fit / 4).quantize(Decimal(1).scaleb(-UNIT_DECIMALS[product]), rounding=ROUND_DOWN)
    return share if fit and share > 0 else quantity(product, amount)


class Model:
    """What the ledger should hold, computed without the database."""

    def __init__(self) -> None:
        self.balances: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(
            lambda: {**dict.fromkeys(STATES, ZERO), "allocated": ZERO})
        self.bins: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
        self.reserved: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)  # (line, product, warehouse)
        self.averages: dict[int, Decimal] = {}

    def copy(self) -> Model:
        other = Model()
        other.balances.update({k: dict(v) for k, v in self.balances.items()})
        other.bins.update(self.bins)
        other.reserved.update(self.reserved)
        other.averages.update(self.averages)
        return other

    def valued(self, product: int) -> Decimal:
        return sum((b[s] for (p, _w), b in self.balances.items() if p == product for s in STATES), ZERO)

    def post(self, moves: list[tuple], *, external: bool) -> bool:
        """Apply (product, warehouse, state, quantity, bin, from_allocation, unit_cost) moves if they
        leave nothing negative and allocated ≤ on_hand; return whether they did."""
        trial = self.copy()
        if external:
            receipts: dict[int, list] = defaultdict(list)
            for p, _w, _s, q, _b, _a, cost in moves:
                trial.averages.setdefault(p, PURCHASE_PRICES[p])
                if cost is not None:
                    receipts[p].append((q, cost))
            for p, received in receipts.items():
                trial.averages[p] = moving_average(quantity=self.valued(p), average=trial.averages[p],
                                                   receipts=received)
        for p, w, state, q, bin_, from_allocation, _cost in moves:
            trial.balances[(p, w)][state] += q
            if from_allocation:
                trial.balances[(p, w)]["allocated"] += q
            if state == ON_HAND:
                trial.bins[(p, w, bin_)] += q
        if not trial.consistent():
            return False
        self.__dict__.update(trial.__dict__)
        return True

    def consistent(self) -> bool:
        return (all(v >= 0 for b in self.balances.values() for v in b.values())
                and all(b["allocated"] <= b[ON_HAND] for b in self.balances.values())
                and all(v >= 0 for v in self.bins.values()))


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # every example starts from an empty ledger and is rolled back
        from django.contrib.auth import get_user_model
        from django.contrib.contenttypes.models import ContentType

        self.actor = get_user_model().objects.create_user(username="machine")
        units = [UnitFactory(code="M-PCS", decimals=0), UnitFactory(code="M-KG", decimals=3)]
        self.products = [ProductFactory(base_unit=units[i], purchase_price=PURCHASE_PRICES[i]) for i in (0, 1)]
        self.warehouses = [Warehouse.objects.create(code=f"M-WH{w}", name=f"仓库{w}") for w in (0, 1)]
        self.bins = [Location.objects.create(warehouse=self.warehouses[w], code=f"M-{b}")
                     for w, ids in enumerate(BINS_PER_WAREHOUSE) for b in ids]
        self.content_type = ContentType.objects.get_for_model(StockBalance)
        self.model = Model()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # Helpers ----------------------------------------------------------------------------------------
    def bin_of(self, warehouse: int, choice: int) -> int | None:
        """``choice`` 0 is no bin; otherwise one of the warehouse's bins."""
        ids = BINS_PER_WAREHOUSE[warehouse]
        return None if choice == 0 else ids[(choice - 1) % len(ids)]

    def bin_id(self, bin_: int | None) -> int | None:
        return None if bin_ is None else self.bins[bin_].pk

    def holding(self, p: int, w: int, state: str, bin_: int | None) -> Decimal:
        """What a move out of ``state`` (and bin) could take without a shortage."""
        balance = self.model.balances[(p, w)]
        if state != ON_HAND:
            return balance[state]
        return min(balance[ON_HAND] - balance["allocated"], self.model.bins[(p, w, bin_)])

    def reserved_key(self, line: int, p: int, w: int, fit: int, pick: int) -> tuple[int, int, int]:
        """Mostly a (line, product, warehouse) that holds a reservation; sometimes any."""
        held = sorted(k for k, v in self.model.reserved.items() if v)
        return held[pick % len(held)] if fit and held else (line, p, w)

    def ref(self, line: int) -> Ref:
        return Ref(self.content_type.pk, line, f"SO-MACHINE #{line}")

    def attempt(self, call, succeeds: bool, error: type[Exception] = InsufficientStock) -> None:
        """Run ``call``: it must succeed, or raise ``error`` (and the model stays as it was)."""
        event(f"{sys._getframe(1).f_code.co_name}: {'done' if succeeds else error.__name__}")
        if succeeds:
            call()
        else:
            with pytest.raises(error):
                call()

    # Rules ------------------------------------------------------------------------------------------
    @initialize(amounts=st.lists(amounts, min_size=6, max_size=6), cost=costs)
    def opening_stock(self, amounts, cost):
        """Every product in every bin and outside bins, so that taking stock can succeed from step one."""
        places = [(w, bin_) for w, ids in enumerate(BINS_PER_WAREHOUSE) for bin_ in (None, *ids)]
        for (w, bin_), amount, p in zip(places, amounts, [0, 1, 0, 1, 0, 1], strict=False):
            self.receive(p, w, amount, cost, ON_HAND, 0)
            if bin_ is not None:
                self.receive(p, w, amount, cost, ON_HAND, BINS_PER_WAREHOUSE[w].index(bin_) + 1)

    @rule(p=products, w=warehouses, amount=amounts, cost=costs, state=st.sampled_from(sorted(
        {StockState.IN_TRANSIT, StockState.PENDING_QC, ON_HAND})), bin_choice=st.integers(0, 2))
    def receive(self, p, w, amount, cost, state, bin_choice):
        q, bin_ = quantity(p, amount), self.bin_of(w, bin_choice) if state == ON_HAND else None
        assert self.model.post([(p, w, state, q, bin_, False, cost)], external=True)
        services.receive_stock(requests=[services.ReceiveRequest(
            product_id=self.products[p].pk, warehouse_id=self.warehouses[w].pk, quantity=q, unit_cost=cost,
            state=state, location_id=self.bin_id(bin_))], actor=self.actor)

    @rule(p=products, w=warehouses, amount=amounts, fit=fits, frm=st.sampled_from(STATES), pick=st.integers(0, 2),
          bin_choice=st.integers(0, 2))
    def change_state(self, p, w, amount, fit, frm, pick, bin_choice):
        to = sorted(STATE_TRANSITIONS[frm])[pick % len(STATE_TRANSITIONS[frm])]
        bin_ = self.bin_of(w, bin_choice) if ON_HAND in (frm, to) else None
        q = portion(p, amount, fit, self.holding(p, w, frm, bin_))
        ok = self.model.post([(p, w, frm, -q, bin_ if frm == ON_HAND else None, False, None),
                              (p, w, to, q, bin_ if to == ON_HAND else None, False, None)], external=False)
        self.attempt(lambda: services.change_state(requests=[services.StateChangeRequest(
            product_id=self.products[p].pk, warehouse_id=self.warehouses[w].pk, quantity=q, from_state=frm,
            to_state=to, location_id=self.bin_id(bin_))], actor=self.actor), ok)

    @rule(p=products, w=warehouses, amount=amounts, fit=fits, down=st.booleans(), state=st.sampled_from(STATES),
          bin_choice=st.integers(0, 2), cost=st.none() | costs)
    def adjust(self, p, w, amount, fit, down, state, bin_choice, cost):
        bin_ = self.bin_of(w, bin_choice) if state == ON_HAND else None
        q = -portion(p, amount, fit, self.holding(p, w, state, bin_)) if down else quantity(p, amount)
        cost = None if down else cost
        ok = self.model.post([(p, w, state, q, bin_, False, cost)], external=True)
        self.attempt(lambda: services.adjust_stock(
            product_id=self.products[p].pk, warehouse_id=self.warehouses[w].pk, quantity=q, state=state,
            location_id=self.bin_id(bin_), unit_cost=cost, reason="machine", actor=self.actor), ok)

    @rule(p=products, amount=amounts, fit=fits, source=warehouses, destination=warehouses,
          source_bin=st.integers(0, 2), destination_bin=st.integers(0, 2), rejected=st.booleans())
    def transfer(self, p, amount, fit, source, destination, source_bin, destination_bin, rejected):
        state = REJECTED if rejected else ON_HAND
        from_bin = None if rejected else self.bin_of(source, source_bin)
        q = portion(p, amount, fit, self.holding(p, source, state, from_bin))
        to_bin = None if rejected else self.bin_of(destination, destination_bin)
        if (source, from_bin) == (destination, to_bin):
            return
        ok = self.model.post([(p, source, state, -q, from_bin, False, None),
                              (p, destination, state, q, to_bin, False, None)], external=False)
        self.attempt(lambda: services.transfer_stock(requests=[services.TransferRequest(
            product_id=self.products[p].pk, quantity=q, from_warehouse_id=self.warehouses[source].pk,
            to_warehouse_id=self.warehouses[destination].pk, from_location_id=self.bin_id(from_bin),
            to_location_id=self.bin_id(to_bin), state=state)], actor=self.actor), ok)

    @rule(p=products, w=warehouses, amount=amounts, fit=fits, rejected=st.booleans(), bin_choice=st.integers(0, 2))
    def issue(self, p, w, amount, fit, rejected, bin_choice):
        state = REJECTED if rejected else ON_HAND
        bin_ = None if rejected else self.bin_of(w, bin_choice)
        q = portion(p, amount, fit, self.holding(p, w, state, bin_))
        ok = self.model.post([(p, w, state, -q, bin_, False, None)], external=True)
        self.attempt(lambda: services.issue_stock(requests=[services.IssueRequest(
            product_id=self.products[p].pk, warehouse_id=self.warehouses[w].pk, quantity=q, state=state,
            location_id=self.bin_id(bin_))], actor=self.actor), ok)

    @rule(wanted=st.lists(st.tuples(products, warehouses, amounts, fits, lines), min_size=1, max_size=3),
          allow_partial=st.booleans())
    def reserve(self, wanted, allow_partial):
        trial = self.model.copy()
        reserved, requested = [], []
        for p, w, amount, fit, line in wanted:
            balance = self.model.balances[(p, w)]
            q = portion(p, amount, fit, balance[ON_HAND] - balance["allocated"])
            requested.append((p, w, q, line))
            balance = trial.balances[(p, w)]
            take = min(q, balance[ON_HAND] - balance["allocated"]) if allow_partial else q
            if take > balance[ON_HAND] - balance["allocated"]:
                take = ZERO
            balance["allocated"] += take
            trial.reserved[(line, p, w)] += take
            reserved.append(take == q)
        ok = allow_partial or all(reserved)
        if ok:
            self.model = trial
        self.attempt(lambda: services.reserve_stock(requests=[services.ReserveRequest(
            product_id=self.products[p].pk, warehouse_id=self.warehouses[w].pk, quantity=q,
            reference=self.ref(line)) for p, w, q, line in requested], allow_partial=allow_partial,
            actor=self.actor), ok)

    @rule(line=lines, p=products, w=warehouses, amount=st.none() | amounts, fit=fits)
    def release(self, line, p, w, amount, fit):
        line, p, w = self.reserved_key(line, p, w, fit, amount or 0)
        held = self.model.reserved[(line, p, w)]
        others = sum((v for (li, pi, wi), v in self.model.reserved.items() if li == line and (pi, wi) != (p, w)),
                     ZERO)
        if others:  # release by line and warehouse only when the line holds just this product there
            return
        q = held if amount is None else portion(p, amount, fit, held)
        ok = q <= held
        if ok and q:
            self.model.reserved[(line, p, w)] -= q
            self.model.balances[(p, w)]["allocated"] -= q
        self.attempt(lambda: services.release_reservation(requests=[services.ReleaseRequest(
            reference=self.ref(line), warehouse_id=self.warehouses[w].pk,
            quantity=None if amount is None else q)], actor=self.actor), ok, ReservationExceeded)

    @rule(line=lines, p=products, w=warehouses, amount=amounts, fit=fits, bin_choice=st.integers(0, 2))
    def ship(self, line, p, w, amount, fit, bin_choice):
        line, p, w = self.reserved_key(line, p, w, fit, amount)
        bin_ = self.bin_of(w, bin_choice) if bin_choice else max(
            (None, *BINS_PER_WAREHOUSE[w]), key=lambda b: (self.model.bins[(p, w, b)], b is None))
        q = portion(p, amount, fit, self.model.reserved[(line, p, w)])
        call = lambda: services.issue_reserved_stock(requests=[services.IssueReservedRequest(  # noqa: E731
            reservation_reference=self.ref(line), product_id=self.products[p].pk,
            warehouse_id=self.warehouses[w].pk, quantity=q, location_id=self.bin_id(bin_))], actor=self.actor)
        if q > self.model.reserved[(line, p, w)]:
            self.attempt(call, False, ReservationExceeded)
            return
        ok = self.model.post([(p, w, ON_HAND, -q, bin_, True, None)], external=True)
        if ok:
            self.model.reserved[(line, p, w)] -= q
        self.attempt(call, ok)

    @rule(w=warehouses, counted=st.lists(st.tuples(products, st.integers(0, 2), st.integers(0, 12_000)),
                                         min_size=1, max_size=3, unique_by=lambda t: (t[0], t[1])))
    def count(self, w, counted):
        keys = [(p, self.bin_of(w, choice)) for p, choice, _ in counted]
        if len(set(keys)) < len(keys):
            return
        targets = {(p, bin_): quantity(p, amount) - (1 if UNIT_DECIMALS[p] == 0 and amount % 5 == 0 else 0)
                   for (p, bin_), (_p, _c, amount) in zip(keys, counted, strict=True)}
        moves = [(p, w, ON_HAND, target - self.model.bins[(p, w, bin_)], bin_, False, None)
                 for (p, bin_), target in targets.items() if target != self.model.bins[(p, w, bin_)]]
        ok = self.model.post(moves, external=True) if moves else True
        stock_count = services.create_stock_count(warehouse_id=self.warehouses[w].pk, lines=[
            services.CountLineRequest(product_id=self.products[p].pk, location_id=self.bin_id(bin_))
            for p, bin_ in targets], actor=self.actor)
        by_key = {(line.product_id, line.location_id): line.pk for line in stock_count.lines.all()}
        services.record_counted_quantities(count_id=stock_count.pk, counted={
            by_key[(self.products[p].pk, self.bin_id(bin_))]: target for (p, bin_), target in targets.items()},
            actor=self.actor)
        services.complete_stock_count(count_id=stock_count.pk, actor=self.actor)
        self.attempt(lambda: services.post_stock_count(count_id=stock_count.pk, actor=self.actor), ok)

    # Checks -----------------------------------------------------------------------------------------
    @invariant()
    def no_drift(self):
        assert check_invariants() == []

    @invariant()
    def balances_match_the_model(self):
        columns = (*STATES, "allocated")
        stored = {(b.product_id, b.warehouse_id): {c: getattr(b, c) for c in columns}
                  for b in StockBalance.objects.all()}
        expected = {(self.products[p].pk, self.warehouses[w].pk): values
                    for (p, w), values in self.model.balances.items() if any(values.values())}
        assert {k: v for k, v in stored.items() if any(v.values())} == expected

    @invariant()
    def bins_match_the_model(self):
        stored = {(b.product_id, b.warehouse_id, b.location_id): b.on_hand for b in BinBalance.objects.all()
                  if b.on_hand}
        expected = {(self.products[p].pk, self.warehouses[w].pk, self.bin_id(bin_)): q
                    for (p, w, bin_), q in self.model.bins.items() if q}
        assert stored == expected

    @invariant()
    def reservations_match_the_model(self):
        stored: dict[tuple, Decimal] = defaultdict(Decimal)
        for r in Reservation.objects.filter(status=ReservationStatus.OPEN):
            stored[(r.reference_id, r.product_id, r.warehouse_id)] += r.remaining
        expected = {(line, self.products[p].pk, self.warehouses[w].pk): q
                    for (line, p, w), q in self.model.reserved.items() if q}
        assert dict(stored) == expected

    @invariant()
    def average_costs_match_the_model(self):
        stored = dict(ProductCost.objects.values_list("product_id", "average_cost"))
        assert stored == {self.products[p].pk: average for p, average in self.model.averages.items()}


@pytest.mark.django_db
def test_random_stock_operations_keep_the_ledger_consistent():
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=int(os.environ.get("LEDGER_MACHINE_EXAMPLES", "25")), stateful_step_count=30,
        deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
