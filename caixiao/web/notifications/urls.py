from django.urls import path
from django.utils.translation import gettext_lazy as _

from caixiao.web.navigation import NavItem, NavSection, register_section
from caixiao.web.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="notification-bell"),
    path("notifications/<int:pk>/read/", views.mark_read, name="notification-read"),
    path("notifications/read-all/", views.mark_all_read, name="notifications-read-all"),
    path("notifications/preferences/", views.notification_preferences, name="notification-preferences"),
    path("todos/", views.todo_list, name="todos"),
    path("todos/<int:pk>/close/", views.close_todo, name="todo-close"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_form, name="webhook-create"),
    path("webhooks/<int:pk>/edit/", views.webhook_form, name="webhook-edit"),
    path("webhooks/<int:pk>/active/", views.webhook_set_active, name="webhook-active"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook-test"),
    path("webhooks/deliveries/", views.webhook_deliveries, name="webhook-deliveries"),
    path("webhooks/deliveries/<int:pk>/replay/", views.webhook_replay, name="webhook-replay"),
    path("monitor/events/", views.event_monitor, name="event-monitor"),
    path("monitor/deliveries/<int:pk>/retry/", views.retry_event_delivery, name="event-delivery-retry"),
    path("monitor/events/<int:pk>/replay/", views.replay_event, name="event-replay"),
]

register_section(NavSection(_("Notifications"), [
    NavItem(_("My to-dos"), "web:todos", None, "check2-square"),
    NavItem(_("Notifications"), "web:notifications", None, "bell"),
    NavItem(_("Notification settings"), "web:notification-preferences", None, "sliders"),
    NavItem(_("Webhooks"), "web:webhooks", views.VIEW_WEBHOOKS, "broadcast"),
    NavItem(_("Event monitor"), "web:event-monitor", views.VIEW_EVENTS, "activity"),
]))
