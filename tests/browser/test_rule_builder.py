"""An administrator builds a rule with the condition form in a real browser (Debian chromium through
Playwright): fields and operators with Chinese labels, a row compared with another field, rows added
with htmx, the live generated CEL, an action's parameters, save; then types CEL with a mistake and
sees its line and column (issue 5 item 4)."""

import os

import pytest

from caixiao.rules.models import Rule
from tests.browser import test_product_journey as journey
from tests.browser.test_product_journey import CHROMIUM, log_in

allow_orm_next_to_playwright = journey.allow_orm_next_to_playwright
browser = journey.browser
page = journey.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture
def administrator(transactional_db, make_user):
    return make_user("administrator", username="admin_zhou")


def settle(page):
    """Wait until htmx has no request in flight and has finished swapping and settling (the editor
    re-renders after each select; a select changed before htmx has processed the swapped-in form has
    no listener yet — a person is never that fast, a test is)."""
    page.wait_for_timeout(50)
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")


def test_build_a_rule_with_rows_then_fix_typed_cel(page, live_server, administrator):
    log_in(page, "admin_zhou")
    page.goto("/settings/rules/new/")
    page.fill("#id_code", "low-stock-growth")
    page.fill("#id_name", "缺货且需质检")
    page.select_option("#id_trigger", "schedule:weekly")
    settle(page)

    page.select_option("#id_row-0-field", "product.available")
    settle(page)
    page.select_option("select[name='row-0-op']", "lt")
    settle(page)
    page.select_option("select[name='row-0-value_field']", "product.safety_stock")
    settle(page)

    page.click("#add-row")
    page.locator("#row-1").wait_for()
    settle(page)
    page.select_option("#id_row-1-field", "product.needs_qc")
    settle(page)
    page.locator("select[name='row-1-op'] option[value='is_true']").wait_for(state="attached")

    preview = page.locator("#cel-preview .generated-cel")
    preview.filter(has_text="product.needs_qc").wait_for()
    assert preview.inner_text() == "product.available < product.safety_stock && product.needs_qc"

    page.select_option("#id_action-0-type", "adjust_safety_stock")
    settle(page)
    page.locator("#id_action-0-param-percent").wait_for()
    page.fill("#id_action-0-param-percent", "15")
    page.fill("#id_action-0-param-cap_percent", "50")
    page.click("#save-rule")
    page.wait_for_url("**/settings/rules/*/")
    assert "v1" in page.locator("#rule-versions").inner_text()
    rule = Rule.objects.get(code="low-stock-growth")
    assert rule.current_version.condition == "product.available < product.safety_stock && product.needs_qc"

    page.goto(f"/settings/rules/{rule.pk}/edit/")
    page.click("#mode-cel")
    page.locator("#id_cel").wait_for()
    settle(page)
    assert "product.safety_stock" in page.input_value("#id_cel")
    page.fill("#id_cel", "product.available <\n  product.safety_stok")
    page.locator("#preview-error").wait_for()
    assert "2" in page.locator("#preview-error").inner_text()
    page.click("#save-rule")
    page.locator(".condition-error").wait_for()
    assert rule.versions.count() == 1
    page.fill("#id_cel", "product.available < product.safety_stock * 0.5")
    page.click("#save-rule")
    page.wait_for_url(f"**/settings/rules/{rule.pk}/")
    assert rule.versions.count() == 2
