"""zh-Hans is the UI default whatever the browser asks; the switch and the profile win; the API
follows Accept-Language for its messages."""

import pytest

pytestmark = pytest.mark.django_db


def test_ui_defaults_to_chinese_even_for_an_english_browser(client):
    resp = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert resp["Content-Language"] == "zh-hans"


def test_language_switch_cookie_wins(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert client.get("/login/")["Content-Language"] == "en"


def test_profile_language_applies_after_login(client, make_user):
    user = make_user("sales_rep", language="en")
    client.force_login(user)
    assert client.get("/")["Content-Language"] == "en"


def test_api_errors_follow_accept_language(client):
    resp = client.get("/api/v1/products", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 401 and resp["Content-Language"] == "en"
    resp = client.get("/api/v1/products", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert resp["Content-Language"] == "zh-hans"
