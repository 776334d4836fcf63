"""WSGI entry point, used by gunicorn (`make serve`)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (configured by get_wsgi_application)
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if not settings.WEB_APPS:
    # Batch commands run without the pages' apps; a server started that way would fail on every page.
    raise ImproperlyConfigured("DASHBOARD_WEB_APPS=0 is for batch commands only; unset it to serve the dashboard")
