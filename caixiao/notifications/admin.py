from django.contrib import admin

from caixiao.notifications.models import (
    EmailDelivery,
    Notification,
    NotificationPreference,
    Todo,
    WebhookDelivery,
    WebhookSubscription,
)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "verb", "created_at", "read_at"]
    list_filter = ["verb"]
    raw_id_fields = ["recipient", "event"]


@admin.register(Todo)
class TodoAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "assignee", "role", "status", "due_on", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["assignee", "event", "closed_by"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "event_type", "in_app", "email"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["to_address", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    raw_id_fields = ["notification"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "format", "is_active"]
    exclude = ["secret"]  # create and change subscriptions on the Caixiao pages or the API, which validate them
    readonly_fields = ["url", "event_types", "format", "owner"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "subscription", "event", "status", "attempts", "last_status_code", "response_ms"]
    list_filter = ["status"]
    raw_id_fields = ["subscription", "event", "replay_of"]
