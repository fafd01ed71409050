from django.urls import path
from django.utils.translation import gettext_lazy as _

from caixiao.web.navigation import NavItem, NavSection, register_section
from caixiao.web.rules import views

urlpatterns = [
    path("settings/rules/", views.rule_list, name="rules"),
    path("settings/rules/new/", views.rule_create, name="rule-create"),
    path("settings/rules/preview/", views.rule_preview, name="rule-preview"),
    path("settings/rules/dry-run/", views.rule_draft_dry_run, name="rule-draft-dry-run"),
    path("settings/rules/changes/", views.change_list, name="rule-changes"),
    path("settings/rules/changes/<int:pk>/revert/", views.change_revert, name="rule-change-revert"),
    path("settings/rules/runs/", views.run_list, name="rule-runs"),
    path("settings/rules/runs/<int:pk>/revert/", views.run_revert, name="rule-run-revert"),
    path("settings/rules/<int:pk>/", views.rule_detail, name="rule"),
    path("settings/rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("settings/rules/<int:pk>/enabled/", views.rule_toggle, name="rule-toggle"),
    path("settings/rules/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("settings/rules/<int:pk>/dry-run/", views.rule_dry_run, name="rule-dry-run"),
]

register_section(NavSection(_("Rules"), [
    NavItem(_("Rules"), "web:rules", views.VIEW, "lightning-charge"),
    NavItem(_("Rule change log"), "web:rule-changes", views.VIEW_CHANGES, "clock-history"),
    NavItem(_("Rule runs"), "web:rule-runs", views.VIEW_RUNS, "play-circle"),
]))
