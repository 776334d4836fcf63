"""The alerts page: every alert the import found, filtered by kind, area, tariff, customer and
period, sorted and paged in SQL; each links to its customer's page over the alert's days."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..alerts import Thresholds
from ..csv_export import streamed_csv
from ..filters import AlertFilter
from ..forms import AlertParamsForm
from ..models import Alert, Customer
from ..tables import AlertTable
from .paging import paginate_table, sort_table

ALERTS_PER_PAGE = 50
DEFAULT_SORT = ("-first_day",)


@require_safe
def alerts(request: HttpRequest) -> HttpResponse:
    areas, tariffs = Customer.objects.areas_and_tariffs()
    filters = AlertFilter(request.GET, Alert.objects.all(), areas=areas, tariffs=tariffs)
    params = AlertParamsForm(request.GET)
    params.is_valid()
    rows = filters.qs.for_period(params.cleaned_data.get("from"), params.cleaned_data.get("to"))
    table = AlertTable(rows, order_by=DEFAULT_SORT)
    notices = filters.form.notices() + params.notices() + sort_table(request, table, "alerts", "newest first instead")
    if request.GET.get("_export") == "csv":
        return streamed_csv(table.as_values(), "alerts.csv")
    notices += paginate_table(table, params.cleaned_data.get("page") or 1, request.GET, per_page=ALERTS_PER_PAGE)
    ctx = {"filter": filters, "params": params, "table": table, "notices": notices,
           "history_weeks": Thresholds.configured().history_weeks}
    htmx = request.htmx
    template = "consumption/alerts.html"
    if htmx and not htmx.history_restore_request and htmx.target == "alert-results":
        template += "#results"
    response = render(request, template, ctx)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
