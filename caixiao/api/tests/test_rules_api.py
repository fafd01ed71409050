"""Issue 5 items 2–6 (X4, X7, P4, N4): the rules API — create with CEL or with form rows, edit → a new
version, enable/disable, invalid CEL → 422 with line and column, unknown fields, bad action params,
dry-runs of saved rules and drafts, subjects and action types, the change log and its reverts,
runs, and permissions."""

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from caixiao.catalog.tests.factories import ProductFactory
from caixiao.rules.models import Rule, RuleChange, RuleRun, RuleVersion

pytestmark = pytest.mark.django_db

STOCK_RULE = {
    "code": "low-stock-raise", "name": "Low stock: raise safety stock", "trigger_kind": "schedule",
    "trigger": "weekly", "subject": "product",
    "condition": "product.available < product.safety_stock",
    "actions": [{"type": "adjust_safety_stock", "params": {"percent": "15", "cap_percent": "50"}}],
}
ROWS_RULE = {
    **{k: v for k, v in STOCK_RULE.items() if k != "condition"}, "code": "growth-rows",
    "condition_rows": [
        {"field": "product.weekly_sales", "function": "wow_growth_streak", "args": ["0.20"], "op": "ge",
         "value": "3"},
        {"field": "product.lifecycle", "op": "in", "value": ["mature", "growth"]},
    ],
    "join": "all",
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def api(api):
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api


def create(api, body=None, status=201):
    response = api.post("/rules", body or STOCK_RULE)
    assert response.status_code == status, response.content
    return response.json()


def test_create_with_cel_gives_a_disabled_rule_with_version_1(api):
    rule = create(api)
    assert rule["code"] == "low-stock-raise" and rule["enabled"] is False and rule["is_builtin"] is False
    version = rule["current_version"]
    assert version["number"] == 1 and version["condition"] == STOCK_RULE["condition"]
    assert version["condition_rows"] == [] and version["condition_text"] == STOCK_RULE["condition"]
    assert version["actions"][0]["type"] == "adjust_safety_stock"
    assert [v["number"] for v in rule["versions"]] == [1]
    assert api.get(f"/rules/{rule['id']}").json()["current_version"]["id"] == version["id"]


def test_create_with_rows_generates_cel_and_keeps_the_rows(api):
    rule = create(api, ROWS_RULE)
    version = rule["current_version"]
    assert version["condition"] == ('wow_growth_streak(product.weekly_sales, 0.2) >= 3 && '
                                    'product.lifecycle in ["mature", "growth"]')
    assert version["condition_rows"][0]["function"] == "wow_growth_streak"
    assert version["join"] == "all"
    stored = RuleVersion.objects.get(pk=version["id"]).condition_rows
    assert stored["join"] == "all" and len(stored["rows"]) == 2


def test_put_and_patch_make_new_versions_and_keep_the_old(api):
    rule = create(api, ROWS_RULE)
    body = {k: v for k, v in STOCK_RULE.items() if k != "code"} | {"comment": "typed by hand"}
    replaced = api.client.put(f"/api/v1/rules/{rule['id']}", body, content_type="application/json")
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["current_version"]["number"] == 2
    assert replaced.json()["current_version"]["condition_rows"] == []
    patched = api.patch(f"/rules/{rule['id']}", {"join": "any", "condition_rows": ROWS_RULE["condition_rows"]})
    assert patched.status_code == 200, patched.content
    current = patched.json()["current_version"]
    assert current["number"] == 3 and " || " in current["condition"] and current["join"] == "any"
    renamed = api.patch(f"/rules/{rule['id']}", {"name": "Renamed"}).json()
    assert renamed["name"] == "Renamed" and renamed["current_version"]["number"] == 4
    assert renamed["current_version"]["condition"] == current["condition"]
    assert renamed["current_version"]["join"] == "any"
    assert [v["number"] for v in renamed["versions"]] == [4, 3, 2, 1]
    assert RuleVersion.objects.get(rule_id=rule["id"], number=1).condition_rows["rows"]


def test_invalid_cel_is_a_422_with_line_and_column(api):
    response = api.post("/rules", {**STOCK_RULE, "condition": "product.available <\n  product.safety_stok"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_expression"
    assert body["details"]["line"] == 2 and body["details"]["column"] == 11
    assert body["message"].startswith("Line 2, column 11:")
    assert "product.safety_stok" in body["fields"]["condition"][0]
    assert not Rule.objects.exists()


def test_invalid_cel_is_answered_in_the_clients_language(api):
    response = api.post("/rules", {**STOCK_RULE, "condition": "product.available >= "},
                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.json()
    assert response.status_code == 422 and response["Content-Language"] == "zh-hans"
    assert body["details"]["line"] == 1 and body["details"]["column"] == 22
    assert body["fields"]["condition"] == [body["message"]]


@pytest.mark.parametrize(("rows", "key"), [
    ([{"field": "product.nope", "op": "lt", "value": "1"}], "condition_rows.0.field"),
    ([{"field": "product.available", "op": "lt", "value": "many"}], "condition_rows.0.value"),
    ([{"field": "product.available", "op": "lt", "value": "1"},
      {"field": "product.lifecycle", "op": "eq", "value": "zombie"}], "condition_rows.1.value"),
    ([], "condition_rows"),
])
def test_bad_rows_are_a_422_per_row(api, rows, key):
    response = api.post("/rules", {**ROWS_RULE, "condition_rows": rows})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_condition" and key in response.json()["fields"]


def test_unknown_field_in_cel_is_a_422(api):
    response = api.post("/rules", {**STOCK_RULE, "condition": "product.colour == 'red'"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_expression"
    assert response.json()["details"] == {"source": "product.colour == 'red'", "line": 1, "column": 9}


def test_condition_and_rows_together_are_refused(api):
    response = api.post("/rules", {**ROWS_RULE, "condition": "product.available < 1.0"})
    assert response.status_code == 422 and "condition" in response.json()["fields"]


@pytest.mark.parametrize(("actions", "key", "code"), [
    ([{"type": "adjust_safety_stock", "params": {"percent": "lots", "cap_percent": "50"}}],
     "actions.0.params.percent", "invalid_action_params"),
    ([{"type": "adjust_safety_stock", "params": {"percent": "10"}}], "actions.0.params.cap_percent",
     "invalid_action_params"),
    ([{"type": "teleport", "params": {}}], "actions.0.type", "unknown_action"),
    ([{"type": "block", "params": {"message": "no"}}], "actions.0.type", "invalid_action_params"),
])
def test_bad_actions_are_a_422(api, actions, key, code):
    response = api.post("/rules", {**STOCK_RULE, "actions": actions})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code and key in response.json()["fields"]


def test_unknown_subject_and_trigger_are_422(api):
    assert "subject" in api.post("/rules", {**STOCK_RULE, "subject": "weather"}).json()["fields"]
    assert "trigger" in api.post("/rules", {**STOCK_RULE, "trigger": "yearly"}).json()["fields"]
    assert "trigger_kind" in api.post("/rules", {**STOCK_RULE, "trigger_kind": "whenever"}).json()["fields"]


def test_enable_disable_and_filters(api):
    rule = create(api)
    create(api, {**STOCK_RULE, "code": "other"})
    enabled = api.post(f"/rules/{rule['id']}/enable")
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    codes = [r["code"] for r in api.get("/rules", {"enabled": "true"}).json()["items"]]
    assert codes == ["low-stock-raise"]
    assert [r["code"] for r in api.get("/rules", {"q": "oth"}).json()["items"]] == ["other"]
    assert api.get("/rules", {"builtin": "true"}).json()["count"] == 0
    assert api.get("/rules", {"trigger_kind": "event"}).json()["count"] == 0
    disabled = api.post(f"/rules/{rule['id']}/disable", {"reason": "too eager"}).json()
    assert disabled["enabled"] is False and disabled["disabled_reason"] == "too eager"


def test_list_has_a_query_ceiling(api, django_assert_max_num_queries):
    for n in range(5):
        create(api, {**STOCK_RULE, "code": f"r{n}"})
    with django_assert_max_num_queries(8):
        assert api.get("/rules").json()["count"] == 5


def test_subjects_describe_fields_labels_operators_and_triggers(api):
    body = api.get("/rules/subjects").json()
    product = next(s for s in body["subjects"] if s["name"] == "product")
    fields = {f["path"]: f for f in product["fields"]}
    assert fields["product.available"]["label"] == "Product · Available"
    assert fields["product.available"]["operators"] == ["eq", "ne", "lt", "le", "gt", "ge"]
    assert "wow_growth_streak" in fields["product.weekly_sales"]["functions"]
    assert {t["value"] for t in product["triggers"]["schedule"]} == {"hourly", "daily", "weekly"}
    assert {o["code"] for o in body["operators"]} >= {"eq", "in", "is_true"}
    zh = api.get("/rules/subjects", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    zh_fields = {f["path"]: f for s in zh["subjects"] for f in s["fields"] if s["name"] == "product"}
    assert zh_fields["product.available"]["label"] != "Product · Available"


def test_actions_describe_their_params(api):
    actions = {a["type"]: a for a in api.get("/rules/actions").json()}
    adjust = actions["adjust_safety_stock"]
    assert adjust["revertible"] is True and adjust["subjects"] == ["product"]
    assert {p["name"]: p["required"] for p in adjust["params"]}["percent"] is True


def test_dry_run_saved_rule_and_draft(api):
    rule = create(api)
    today = timezone.localdate().isoformat()
    saved = api.post(f"/rules/{rule['id']}/dry-run", {"start": "2026-01-01", "end": today})
    assert saved.status_code == 200, saved.content
    assert set(saved.json()) >= {"evaluated", "matched_count", "matched", "truncated"}
    draft = api.post("/rules/dry-run", {**ROWS_RULE, "start": "2026-01-01", "end": today})
    assert draft.status_code == 200, draft.content
    assert not Rule.objects.filter(code="growth-rows").exists()
    bad = api.post("/rules/dry-run", {**STOCK_RULE, "condition": "product.available <", "start": "2026-01-01",
                                      "end": today})
    assert bad.status_code == 422 and bad.json()["details"]["column"] == 21
    backwards = api.post(f"/rules/{rule['id']}/dry-run", {"start": today, "end": "2026-01-01"})
    assert backwards.status_code == 422 and "end" in backwards.json()["fields"]
    for start, end, key in (("0001-01-01", "0001-01-02", "start"), ("2026-01-01", "9999-12-31", "end")):
        response = api.post(f"/rules/{rule['id']}/dry-run", {"start": start, "end": end})
        assert response.status_code == 422 and key in response.json()["fields"]


def _changed_product(api, rule_id):
    """A product whose safety stock a run of the rule raised from 10 to 12 (as the action records it)."""
    from caixiao.catalog import services as catalog_services

    product = ProductFactory(safety_stock=Decimal("10"))
    rule = Rule.objects.get(pk=rule_id)
    run = RuleRun.objects.create(rule=rule, rule_version=rule.current_version, trigger_kind="schedule",
                                 trigger_ref="schedule:weekly", started_at=timezone.now(), evaluated=1, matched=1)
    catalog_services.update_product(instance=product, data={"safety_stock": Decimal("12")}, actor=None)
    change = RuleChange.objects.create(rule=rule, rule_version=rule.current_version, run=run,
                                       action_type="adjust_safety_stock", document_type="catalog.product",
                                       object_id=str(product.pk), field="safety_stock", old_value="10",
                                       new_value="12", label=product.code)
    return product, run, change


def test_change_log_and_revert_one_change(api):
    rule = create(api)
    product, _run, change = _changed_product(api, rule["id"])
    listed = api.get("/rule-changes", {"rule_id": rule["id"], "reverted": "false"}).json()
    assert [c["id"] for c in listed["items"]] == [change.pk]
    assert listed["items"][0]["rule_version"] == 1 and listed["items"][0]["new_value"] == "12"
    reverted = api.post(f"/rule-changes/{change.pk}/revert")
    assert reverted.status_code == 200, reverted.content
    assert reverted.json()["reverted_at"] and reverted.json()["revert_reason"] == "manual"
    product.refresh_from_db()
    assert product.safety_stock == Decimal("10")
    again = api.post(f"/rule-changes/{change.pk}/revert")
    assert again.status_code == 409 and again.json()["code"] == "already_reverted"
    assert api.post("/rule-changes/999999/revert").status_code == 404


def test_revert_a_run_and_list_runs(api):
    rule = create(api)
    product, run, _change = _changed_product(api, rule["id"])
    runs = api.get("/rule-runs", {"rule_id": rule["id"]}).json()
    assert [r["id"] for r in runs["items"]] == [run.pk] and runs["items"][0]["rule_code"] == "low-stock-raise"
    reverted = api.post(f"/rule-runs/{run.pk}/revert")
    assert reverted.status_code == 200, reverted.content
    assert reverted.json()["reverted"] == 1
    product.refresh_from_db()
    assert product.safety_stock == Decimal("10")


def test_revert_refused_when_the_record_changed_since(api):
    from caixiao.catalog import services as catalog_services

    rule = create(api)
    product, _run, change = _changed_product(api, rule["id"])
    catalog_services.update_product(instance=product, data={"safety_stock": Decimal("30")}, actor=None)
    response = api.post(f"/rule-changes/{change.pk}/revert")
    assert response.status_code == 409 and response.json()["code"] == "changed_since"
    product.refresh_from_db()
    assert product.safety_stock == Decimal("30")


def test_sales_rep_gets_403_everywhere(api, api_as):
    rule = create(api)
    rep = api_as("sales_rep")
    for path in ("/rules", f"/rules/{rule['id']}", "/rules/subjects", "/rules/actions", "/rule-changes",
                 "/rule-runs"):
        assert rep.get(path).status_code == 403, path
    assert rep.post("/rules", STOCK_RULE).status_code == 403
    assert rep.patch(f"/rules/{rule['id']}", {"name": "x"}).status_code == 403
    assert rep.post(f"/rules/{rule['id']}/enable").status_code == 403
    assert rep.post(f"/rules/{rule['id']}/dry-run", {"start": "2026-01-01", "end": "2026-02-01"}).status_code == 403
    assert Rule.objects.get(pk=rule["id"]).enabled is False


def test_missing_rule_is_404(api):
    assert api.get("/rules/424242").status_code == 404
    assert api.patch("/rules/424242", {"name": "x"}).status_code == 404
    assert api.post("/rules/424242/enable").status_code == 404


def test_nul_characters_are_a_422_not_a_database_error(api):
    for body in ({**STOCK_RULE, "name": "a\x00b"}, {**ROWS_RULE, "condition_rows": [
            {"field": "product.code", "op": "eq", "value": "P\x00"}]},
            {**STOCK_RULE, "actions": [{"type": "adjust_safety_stock", "params": {"percent": "1\x00"}}]}):
        response = api.post("/rules", body)
        assert response.status_code == 422, response.content
    assert not Rule.objects.exists()


def test_change_and_run_lists_have_query_ceilings(api, django_assert_max_num_queries):
    rule = create(api)
    for _n in range(4):
        _changed_product(api, rule["id"])
    with django_assert_max_num_queries(8):
        assert api.get("/rule-changes").json()["count"] == 4
    with django_assert_max_num_queries(8):
        assert api.get("/rule-runs").json()["count"] == 4
    with django_assert_max_num_queries(10):
        assert len(api.get(f"/rules/{rule['id']}").json()["versions"]) == 1


def test_delete_a_rule_that_changed_nothing(api, api_as):
    rule = create(api)
    other = create(api, {**STOCK_RULE, "code": "with-changes"})
    _changed_product(api, other["id"])
    assert api_as("sales_rep").delete(f"/rules/{rule['id']}").status_code == 403
    assert api.delete(f"/rules/{other['id']}").status_code == 409
    assert api.delete(f"/rules/{rule['id']}").status_code == 204
    assert api.get(f"/rules/{rule['id']}").status_code == 404
    assert list(Rule.objects.values_list("code", flat=True)) == ["with-changes"]


def test_hook_and_event_rules_from_rows(api):
    hook = create(api, {"code": "big-discount", "name": "Big discount needs approval", "trigger_kind": "hook",
                        "trigger": "sales.order.confirm", "subject": "sales_order", "join": "any",
                        "condition_rows": [{"field": "order.max_discount_percent", "op": "gt", "value": "20"},
                                           {"field": "order.amount", "op": "gt", "value_field": "customer.credit_limit"}],
                        "actions": [{"type": "require_approval", "params": {"message": "折扣过大或超信用额度"}}]})
    assert hook["current_version"]["condition"] == ("order.max_discount_percent > 20.0 || "
                                                    "order.amount > customer.credit_limit")
    subjects = {s["name"]: s for s in api.get("/rules/subjects").json()["subjects"]}
    events = [t["value"] for t in subjects["product"]["triggers"]["event"]]
    assert "inventory.stock.*" in events
    event = create(api, {**STOCK_RULE, "code": "on-stock", "trigger_kind": "event", "trigger": events[0]})
    assert event["trigger"] == events[0]
    wrong = api.post("/rules", {**STOCK_RULE, "code": "bad", "trigger_kind": "event", "trigger": "sales.order.confirmed"})
    assert wrong.status_code == 422 and "trigger" in wrong.json()["fields"]
