"""NUL characters anywhere in a request are a 422 naming the field, never a 500 (PostgreSQL cannot
store them) — for every endpoint, through one middleware (N4)."""

from caixiao.notifications.models import WebhookSubscription


def test_nul_in_a_json_body_is_refused_with_the_field(api):
    response = api.post("/webhook-subscriptions", {"name": "robot\x00", "url": "https://127.0.0.1/hook",
                                                   "secret": "s" * 20, "event_types": ["*"],
                                                   "nested": [{"a\x00": 1}]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"name", "nested.0.a\x00"}
    assert not WebhookSubscription.objects.exists()


def test_nul_in_a_query_string_is_refused(api):
    response = api.get("/customers", {"q": "恒\x00通"})
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["q"]


def test_nul_in_a_page_search_is_a_bad_request(admin_client):
    assert admin_client.get("/customers/", {"q": "a\x00"}).status_code == 400
