from django.urls import path

from .views import alerts, detail, imports, ops, summary

urlpatterns = [
    path("", summary.summary, name="home"),
    path("summary/", summary.summary, name="summary"),
    path("summary/chart.json", summary.chart_json, name="summary_chart_json"),
    path("detail/<int:customer_id>/", detail.detail, name="detail"),
    path("detail/<int:customer_id>/chart.json", detail.detail_chart_json, name="detail_chart_json"),
    path("alerts/", alerts.alerts, name="alerts"),
    path("imports/", imports.import_runs, name="import_runs"),
    path("imports/<int:run_id>/", imports.import_run, name="import_run"),
    path("imports/<int:run_id>/files/<int:file_id>/", imports.import_file, name="import_file"),
    path("healthz", ops.healthz, name="healthz"),
]
