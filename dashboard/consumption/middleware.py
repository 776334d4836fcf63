"""The Permissions-Policy header, which neither Django nor django-csp sets, and one structured log
line per request."""
import json
import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

request_log = logging.getLogger("consumption.request")

# The dashboard needs none of the browser's powerful features.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RequestLogMiddleware:
    """Log `request method=… path=… status=… ms=…` for every request, in logfmt.

    Paths and query strings are JSON-quoted, so a hostile URL cannot forge or split a log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        milliseconds = (time.perf_counter() - started) * 1000
        size = len(response.content) if not response.streaming else -1
        request_log.info(
            "request method=%s path=%s query=%s status=%s ms=%.1f bytes=%s htmx=%s",
            request.method,
            _quoted(request.path),
            _quoted(request.META.get("QUERY_STRING", "")[:500]),
            response.status_code,
            milliseconds,
            size,
            int(request.headers.get("HX-Request") == "true"),
        )
        return response


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)
