from django.contrib import admin
from django.urls import include, path

from caixiao.api.v1 import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("caixiao.web.urls")),
]
