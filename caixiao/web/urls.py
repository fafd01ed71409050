from django.urls import path

from caixiao.web import views
from caixiao.web.approvals import urls as approval_urls
from caixiao.web.crud import urls as resource_urls
from caixiao.web.notifications import urls as notification_urls
from caixiao.web.resources import RESOURCES
from caixiao.web.rules import urls as rule_urls
from caixiao.web.sales import urls as sales_urls
from caixiao.web.stock import urls as stock_urls

app_name = "web"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("api-tokens/", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/revoke/", views.revoke_api_token, name="api-token-revoke"),
    *notification_urls.urlpatterns,
    *stock_urls.urlpatterns,
    *sales_urls.urlpatterns,
    *approval_urls.urlpatterns,
    *rule_urls.urlpatterns,
]
for resource in RESOURCES:
    urlpatterns += resource_urls(resource)
