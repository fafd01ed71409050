from caixiao.inventory.enums import (
    RECEIVABLE_STATES,
    STATE_COLUMNS,
    STATE_TRANSITIONS,
    STOCK_COUNT_TRANSITIONS,
    StockCountStatus,
    StockState,
)
from caixiao.inventory.models import StockBalance


def test_every_stock_count_status_has_a_transition_entry():
    assert set(STOCK_COUNT_TRANSITIONS) == set(StockCountStatus.values)
    assert all(set(targets) <= set(StockCountStatus.values) for targets in STOCK_COUNT_TRANSITIONS.values())


def test_every_stock_state_has_transitions_and_a_balance_column():
    assert set(STATE_TRANSITIONS) == set(StockState.values)
    assert all(state not in targets for state, targets in STATE_TRANSITIONS.items())
    assert set(StockState.values) >= RECEIVABLE_STATES
    columns = {f.name for f in StockBalance._meta.get_fields()}
    assert set(STATE_COLUMNS) <= columns
