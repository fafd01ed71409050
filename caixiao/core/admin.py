"""Admin pages for what changes only through the services (ledger, documents, engines): shown, never
edited there (STYLE.md B5: state changes go through a service function)."""

from django.contrib import admin


class ReadOnly:
    """No add, change or delete in the admin site."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
