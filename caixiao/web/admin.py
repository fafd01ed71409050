"""Branding of the Django admin, which administrators reach from the staff UI."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Caixiao administration")
admin.site.site_title = _("Caixiao")
admin.site.index_title = _("Administration")
