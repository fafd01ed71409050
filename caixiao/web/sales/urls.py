from django.urls import path

from caixiao.web.sales import views

urlpatterns = [
    path("sales/orders/", views.order_list, name="sales-orders"),
    path("sales/orders/new/", views.order_create, name="sales-order-create"),
    path("sales/orders/availability/", views.order_availability, name="sales-order-availability"),
    path("sales/orders/<int:pk>/", views.order_detail, name="sales-order"),
    path("sales/orders/<int:pk>/edit/", views.order_edit, name="sales-order-edit"),
    path("sales/orders/<int:pk>/delivery-notice/", views.order_create_notice, name="sales-order-notice"),
    path("sales/orders/<int:pk>/<slug:action>/", views.order_action, name="sales-order-action"),
    path("warehouse/", views.warehouse_todo, name="warehouse-todo"),
    path("warehouse/notices/<int:pk>/", views.notice_detail, name="delivery-notice"),
    path("warehouse/notices/<int:pk>/<slug:step>/", views.notice_step, name="delivery-notice-step"),
]
