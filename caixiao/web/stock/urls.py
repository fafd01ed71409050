from django.urls import path

from caixiao.web.stock import views

urlpatterns = [
    path("stock/levels/", views.stock_levels, name="stock-levels"),
    path("stock/levels/<int:pk>/", views.product_stock, name="stock-product"),
    path("stock/moves/", views.stock_moves, name="stock-moves"),
    path("stock/adjustments/new/", views.adjust_stock, name="stock-adjust"),
    path("stock/transfers/new/", views.transfer_stock, name="stock-transfer"),
    path("stock/counts/", views.stock_counts, name="stock-counts"),
    path("stock/counts/new/", views.create_stock_count, name="stock-count-create"),
    path("stock/counts/<int:pk>/", views.stock_count, name="stock-count"),
    path("stock/counts/<int:pk>/counted/", views.record_counted, name="stock-count-counted"),
    path("stock/counts/<int:pk>/<slug:action>/", views.stock_count_action, name="stock-count-action"),
    path("stock/value/", views.stock_value, name="stock-value"),
    path("stock/bins/", views.bin_options, name="stock-bins"),
    path("stock/check/", views.stock_check, name="stock-check"),
]
