"""My API tokens (X9), the workbench shortcuts by role, and the language switch."""

from django.urls import reverse

from caixiao.accounts.models import APIToken, hash_token


def test_token_is_shown_once_and_stored_hashed(login, make_user):
    user = make_user("buyer")
    client = login(user)
    response = client.post(reverse("web:api-tokens"), {"name": "ERP sync"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    token = APIToken.objects.get(user=user)
    assert token.token_hash == hash_token(raw) and raw.startswith(token.prefix)
    assert raw in response.text

    again = client.get(reverse("web:api-tokens"))
    assert raw not in again.text
    assert token.prefix in again.text


def test_token_needs_a_name_and_a_future_expiry(login, make_user):
    client = login(make_user("buyer"))
    response = client.post(reverse("web:api-tokens"), {"name": "old", "expires_on": "2001-01-01"})
    assert "expires_on" in response.context["form"].errors
    assert "name" in client.post(reverse("web:api-tokens"), {"name": ""}).context["form"].errors
    assert not APIToken.objects.exists()


def test_token_can_be_revoked_only_by_its_owner(login, make_user):
    from caixiao.accounts.services import create_api_token

    owner, other = make_user("buyer"), make_user("buyer")
    token, _raw = create_api_token(user=owner, name="mine", actor=owner)

    response = login(other).post(reverse("web:api-token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None

    login(owner).post(reverse("web:api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_workbench_shows_shortcuts_by_role(login, make_user):
    rep = login(make_user("sales_rep")).get(reverse("web:workbench"))
    urls = [s["url"] for s in rep.context["shortcuts"]]
    assert reverse("web:customer-create") in urls
    assert reverse("web:user-create") not in urls
    assert rep.context["todos"] == [] and 'id="todo-list"' in rep.text

    admin = login(make_user("administrator")).get(reverse("web:workbench"))
    assert reverse("web:user-create") in [s["url"] for s in admin.context["shortcuts"]]


def test_language_switch(admin_client):
    assert '<html lang="zh-hans">' in admin_client.get(reverse("web:workbench")).text
    response = admin_client.post(reverse("set_language"), {"language": "en", "next": reverse("web:product-list")})
    assert response.status_code == 302 and response.url == reverse("web:product-list")
    assert '<html lang="en">' in admin_client.get(response.url).text
    admin_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in admin_client.get(reverse("web:workbench")).text
