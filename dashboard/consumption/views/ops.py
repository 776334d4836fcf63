"""Operational endpoints: the health check load balancers and orchestrators poll."""
import logging

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger("consumption.health")


# Outside ATOMIC_REQUESTS: opening the request's transaction would fail with a 500 before the
# view could answer 503 when the database is down.
@transaction.non_atomic_requests
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 otherwise; the body never names the cause."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as problem:
        log.error("health check failed database=unavailable error=%r", str(problem)[:200])
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
