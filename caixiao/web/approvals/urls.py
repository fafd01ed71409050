from django.urls import path
from django.utils.translation import gettext_lazy as _

from caixiao.web.approvals import views
from caixiao.web.navigation import NavItem, NavSection, register_section

urlpatterns = [
    path("approvals/", views.inbox, name="approvals"),
    path("approvals/tasks/<int:pk>/", views.task_detail, name="approval-task"),
    path("approvals/tasks/<int:pk>/<slug:decision>/", views.decide, name="approval-decide"),
    path("approvals/instances/<int:pk>/withdraw/", views.withdraw, name="approval-withdraw"),
    path("approvals/flows/", views.flow_list, name="approval-flows"),
    path("approvals/flows/<str:document_type>/edit/", views.flow_edit, name="approval-flow-edit"),
    path("approvals/delegations/", views.delegations, name="approval-delegations"),
    path("approvals/delegations/<int:pk>/end/", views.end_delegation, name="approval-delegation-end"),
]

register_section(NavSection(_("Approvals"), [
    NavItem(_("My approvals"), "web:approvals", None, "patch-check", when=views.is_staff_user),
    NavItem(_("My delegations"), "web:approval-delegations", None, "person-up", when=views.is_staff_user),
    NavItem(_("Approval flows"), "web:approval-flows", views.CHANGE_FLOWS, "diagram-3"),
]))
