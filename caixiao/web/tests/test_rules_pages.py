"""Issue 5 items 3–5: the rule pages — list, rule, editor with condition rows (htmx refresh, live CEL
preview, typed CEL with its error position), actions from their parameter schema, dry-run, change
log and run log with reverts; administrators only."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from caixiao.catalog import services as catalog_services
from caixiao.catalog.tests.factories import ProductFactory
from caixiao.rules import services
from caixiao.rules.models import Rule, RuleChange, RuleRun

pytestmark = pytest.mark.django_db

BASE = {"code": "low-stock", "name": "Low stock", "description": "", "subject": "product",
        "trigger": "schedule:weekly", "comment": "", "mode": "rows", "join": "all",
        "row": ["0", "1"],
        "row-0-field": "product.available", "row-0-op": "lt", "row-0-value_field": "product.safety_stock",
        "row-1-field": "product.lifecycle", "row-1-op": "in", "row-1-value": ["growth", "mature"],
        "action": ["0"], "action-0-type": "adjust_safety_stock", "action-0-param-percent": "15",
        "action-0-param-cap_percent": "50", "action-0-param-cap_qty": "", "action-0-param-expires_days": "28"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin(admin_client):
    admin_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return admin_client


@pytest.fixture
def rule(admin_user):
    return services.create_rule(data={
        "code": "growth", "name": "Growth", "trigger_kind": "schedule", "trigger": "weekly", "subject": "product",
        "condition": "wow_growth_streak(product.weekly_sales, 0.2) >= 3",
        "condition_rows": {"join": "all", "rows": [{"field": "product.weekly_sales", "function": "wow_growth_streak",
                                                    "args": ["0.2"], "op": "ge", "value": "3"}]},
        "actions": [{"type": "adjust_safety_stock", "params": {"percent": "15", "cap_percent": "50"}}]},
        actor=admin_user)


@pytest.fixture
def change(rule):
    product = ProductFactory(safety_stock=Decimal("10"))
    run = RuleRun.objects.create(rule=rule, rule_version=rule.current_version, trigger_kind="schedule",
                                 trigger_ref="schedule:weekly", started_at=timezone.now(), evaluated=3, matched=1)
    catalog_services.update_product(instance=product, data={"safety_stock": Decimal("12")}, actor=None)
    return RuleChange.objects.create(rule=rule, rule_version=rule.current_version, run=run,
                                     action_type="adjust_safety_stock", document_type="catalog.product",
                                     object_id=str(product.pk), field="safety_stock", old_value="10", new_value="12",
                                     label=f"{product.code} {product.name}", description="Safety stock 10 → 12")


def test_pages_render_for_an_administrator(admin, rule, change):
    pages = {
        reverse("web:rules"): ["Growth", "Built-in" if rule.is_builtin else "growth", "v1"],
        reverse("web:rule", args=[rule.pk]): ["Version history", "Safety stock 10 → 12", "wow_growth_streak"],
        reverse("web:rule-create"): ["condition-rows", "Add condition", "Generated CEL"],
        reverse("web:rule-edit", args=[rule.pk]): ["Save as a new version", 'value="product.weekly_sales" selected'],
        reverse("web:rule-dry-run", args=[rule.pk]): ["Run against history"],
        reverse("web:rule-changes"): ["Safety stock 10 → 12", "revert-change"],
        reverse("web:rule-runs"): ["schedule:weekly", "revert-run"],
    }
    for url, fragments in pages.items():
        response = admin.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for fragment in fragments:
            assert fragment in text, (url, fragment)
    assert reverse("web:rules") in admin.get(reverse("web:workbench")).content.decode()


def test_others_get_403(login, make_user, rule, change):
    client = login(make_user("sales_rep"))
    for url in (reverse("web:rules"), reverse("web:rule", args=[rule.pk]), reverse("web:rule-create"),
                reverse("web:rule-edit", args=[rule.pk]), reverse("web:rule-dry-run", args=[rule.pk]),
                reverse("web:rule-changes"), reverse("web:rule-runs")):
        assert client.get(url).status_code == 403, url
    for url in (reverse("web:rule-toggle", args=[rule.pk]), reverse("web:rule-change-revert", args=[change.pk]),
                reverse("web:rule-run-revert", args=[change.run_id]), reverse("web:rule-preview"),
                reverse("web:rule-draft-dry-run"), reverse("web:rule-delete", args=[rule.pk])):
        assert client.post(url, {"enabled": "1"}).status_code == 403, url
    assert client.post(reverse("web:rule-create"), BASE).status_code == 403
    assert Rule.objects.count() == 1 and Rule.objects.get().enabled is False
    assert RuleChange.objects.get().reverted_at is None
    assert reverse("web:rules") not in client.get(reverse("web:workbench")).content.decode()


def test_the_rows_form_creates_a_rule_and_saves_new_versions(admin):
    response = admin.post(reverse("web:rule-create"), BASE)
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = Rule.objects.get(code="low-stock")
    version = rule.current_version
    assert (rule.trigger_kind, rule.trigger) == ("schedule", "weekly")
    assert version.condition == 'product.available < product.safety_stock && product.lifecycle in ["growth", "mature"]'
    assert version.condition_rows["rows"][1] == {"field": "product.lifecycle", "op": "in", "value": ["growth", "mature"]}
    assert version.actions[0]["params"]["expires_days"] == 28
    edit = reverse("web:rule-edit", args=[rule.pk])
    page = admin.get(edit).content.decode()
    assert 'value="product.safety_stock" selected' in page and 'value="growth" selected' in page
    response = admin.post(edit, {**BASE, "join": "any", "comment": "either", "name": "Low stock v2"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.current_version.number == 2 and " || " in rule.current_version.condition
    assert rule.current_version.comment == "either" and rule.name == "Low stock v2"
    assert rule.versions.count() == 2


def test_bad_rows_show_their_errors_on_the_row(admin):
    response = admin.post(reverse("web:rule-create"), {**BASE, "row-0-value_field": "", "row-0-value": "lots"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Please correct the errors below." in text and "Enter a number." in text
    assert not Rule.objects.exists()


def test_an_invalid_expression_shows_its_position(admin):
    response = admin.post(reverse("web:rule-create"), {
        **BASE, "mode": "cel", "cel": "product.available <\n  product.safety_stok"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Line 2, column 11:" in text and "condition-error" in text
    assert not Rule.objects.exists()


def test_bad_action_params_show_on_the_action(admin):
    response = admin.post(reverse("web:rule-create"), {**BASE, "action-0-param-percent": "much"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Enter a number." in text and 'id="action-0"' in text
    assert not Rule.objects.exists()


def test_typed_cel_saves_without_rows(admin):
    response = admin.post(reverse("web:rule-create"), {**BASE, "mode": "cel", "cel": "product.available < 5.0"})
    assert response.status_code == 302
    version = Rule.objects.get().current_version
    assert version.condition == "product.available < 5.0" and version.condition_rows == {}


def test_refresh_commands_add_and_remove_rows_and_switch_modes(admin):
    url = reverse("web:rule-create")
    added = admin.post(url, {**BASE, "add_row": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="row-2"' in added
    removed = admin.post(url, {**BASE, "remove_row": "0"}).content.decode()
    assert 'id="row-0"' not in removed and 'id="row-1"' in removed
    to_cel = admin.post(url, {**BASE, "switch": "cel"}).content.decode()
    assert "product.available &lt; product.safety_stock &amp;&amp;" in to_cel and 'name="mode" value="cel"' in to_cel
    back = admin.post(url, {**BASE, "mode": "cel", "cel": "product.available >= 3.0 || product.needs_qc",
                            "switch": "rows"}).content.decode()
    assert 'name="mode" value="rows"' in back and 'value="product.needs_qc" selected' in back
    assert 'value="any" selected' in back
    stuck = admin.post(url, {**BASE, "mode": "cel", "cel": "product.available + 1.0 > 3.0",
                             "switch": "rows"}).content.decode()
    assert "cannot be shown as rows" in stuck
    list_field = admin.post(url, {**BASE, "row-0-field": "product.weekly_sales", "refresh": "1"}).content.decode()
    assert 'name="row-0-function"' in list_field and "wow_growth_streak" in list_field
    with_action = admin.post(url, {**BASE, "add_action": "1"}).content.decode()
    assert 'id="action-1"' in with_action
    assert not Rule.objects.exists()


def test_preview_shows_the_generated_cel_or_the_error(admin):
    url = reverse("web:rule-preview")
    ok = admin.post(url, BASE).content.decode()
    assert "generated-cel" in ok and "product.available &lt; product.safety_stock" in ok
    bad_rows = admin.post(url, {**BASE, "row-1-value": "zombie"}).content.decode()
    assert "Row 2" in bad_rows
    bad_cel = admin.post(url, {**BASE, "mode": "cel", "cel": "product.available >"}).content.decode()
    assert "Line 1, column" in bad_cel and "cel-caret" in bad_cel


def test_toggle_dry_run_and_reverts(admin, rule, change):
    admin.post(reverse("web:rule-toggle", args=[rule.pk]), {"enabled": "1"})
    rule.refresh_from_db()
    assert rule.enabled
    page = admin.get(reverse("web:rule-dry-run", args=[rule.pk]), {"start": "2026-01-01", "end": "2026-03-01"})
    assert page.status_code == 200 and "dry-run-result" in page.content.decode()
    backwards = admin.get(reverse("web:rule-dry-run", args=[rule.pk]), {"start": "2026-03-01", "end": "2026-01-01"})
    assert "dry-run-result" not in backwards.content.decode()
    ancient = admin.get(reverse("web:rule-dry-run", args=[rule.pk]), {"start": "0001-01-01", "end": "9999-12-31"})
    assert ancient.status_code == 200 and "dry-run-result" not in ancient.content.decode()
    response = admin.post(reverse("web:rule-change-revert", args=[change.pk]))
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.reverted_at is not None
    again = admin.post(reverse("web:rule-change-revert", args=[change.pk]), follow=True)
    assert "already reverted" in again.content.decode()


def test_revert_a_whole_run(admin, change):
    response = admin.post(reverse("web:rule-run-revert", args=[change.run_id]), follow=True)
    assert response.status_code == 200 and "Reverted 1 changes" in response.content.decode()
    change.refresh_from_db()
    assert change.reverted_at is not None and change.revert_reason == "run"


def test_a_draft_is_dry_run_from_the_editor_without_saving(admin, rule):
    url = reverse("web:rule-draft-dry-run")
    body = {**BASE, "code": "", "name": "", "draft-start": "2026-01-01", "draft-end": "2026-03-01"}
    response = admin.post(url, body)
    assert response.status_code == 200 and "dry-run-result" in response.content.decode()
    assert not Rule.objects.filter(code="draft").exists() and Rule.objects.count() == 1
    editing = admin.post(url, {**body, "rule_id": str(rule.pk)})
    assert "dry-run-result" in editing.content.decode()
    rule.refresh_from_db()
    assert rule.versions.count() == 1
    bad = admin.post(url, {**body, "mode": "cel", "cel": "product.available <"}).content.decode()
    assert "draft-dry-run-errors" in bad and "Line 1, column" in bad
    backwards = admin.post(url, {**body, "draft-start": "2026-03-01", "draft-end": "2026-01-01"}).content.decode()
    assert "draft-dry-run-errors" in backwards
    assert "Dry-run this draft" in admin.get(reverse("web:rule-create")).content.decode()


def test_nul_characters_are_dropped_from_the_editor(admin):
    response = admin.post(reverse("web:rule-create"), {**BASE, "row-1-field": "product.code", "row-1-op": "eq",
                                                       "row-1-value": "P\x00-1", "action-0-param-percent": "1\x005"})
    assert response.status_code == 302
    version = Rule.objects.get().current_version
    assert version.condition.endswith('product.code == "P-1"') and version.actions[0]["params"]["percent"] == "15"


def test_purchasing_managers_read_but_do_not_change(login, make_user, rule, change):
    client = login(make_user("purchasing_manager"))
    page = client.get(reverse("web:rules")).content.decode()
    assert "Growth" in page or "growth" in page
    assert f'action="{reverse("web:rule-toggle", args=[rule.pk])}"' not in page
    detail = client.get(reverse("web:rule", args=[rule.pk])).content.decode()
    assert reverse("web:rule-edit", args=[rule.pk]) not in detail and "revert-change" not in detail
    assert client.get(reverse("web:rule-dry-run", args=[rule.pk])).status_code == 200
    assert client.get(reverse("web:rule-changes")).status_code == 200
    assert client.get(reverse("web:rule-edit", args=[rule.pk])).status_code == 403
    assert client.post(reverse("web:rule-change-revert", args=[change.pk])).status_code == 403


def test_pages_render_in_chinese(admin_client, rule, change):
    for url in (reverse("web:rules"), reverse("web:rule", args=[rule.pk]), reverse("web:rule-edit", args=[rule.pk]),
                reverse("web:rule-changes"), reverse("web:rule-runs")):
        response = admin_client.get(url)
        assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode(), url
    assert "商品" in admin_client.get(reverse("web:rule-edit", args=[rule.pk])).content.decode()


def test_delete_from_the_rule_page(admin, rule, change):
    assert "delete-rule" in admin.get(reverse("web:rule", args=[rule.pk])).content.decode()
    refused = admin.post(reverse("web:rule-delete", args=[rule.pk]), follow=True)
    assert "changed records" in refused.content.decode() and Rule.objects.filter(pk=rule.pk).exists()
    RuleChange.objects.all().delete()
    assert admin.post(reverse("web:rule-delete", args=[rule.pk])).status_code == 302
    assert not Rule.objects.filter(pk=rule.pk).exists()
