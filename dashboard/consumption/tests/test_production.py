"""Production settings: `check --deploy`, security headers, /healthz, error pages and request logs."""
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.template import loader
from django.urls import path

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
SECRET_MARKER = "internal-detail-that-must-never-reach-a-browser"


def production_env(**overrides: str) -> dict[str, str]:
    """The environment a deployment behind TLS runs with (see REPORT.md)."""
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (see conftest) is no part of a deployment.
    left_out = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in left_out}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="dashboard.example.com",
        CSRF_TRUSTED_ORIGINS="https://dashboard.example.com",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_PRELOAD="1",
        SECURE_COOKIES="1",
        SECURE_PROXY_SSL_HEADER="1",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(MANAGE), *args], env=env, capture_output=True, text=True, timeout=60)


def test_it_passes_check_deploy_without_a_warning_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_tls_settings_are_left_off():
    env = production_env(SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS='a year' is not an integer"),
        ({"SECURE_COOKIES": "maybe"}, "SECURE_COOKIES='maybe' is not a boolean"),
        ({"DATABASE_URL": "mysql://db/dashboard"}, "must point at SQLite or PostgreSQL"),
        ({"LOG_LEVEL": "loud"}, "is not a logging level"),
    ],
)
def test_it_refuses_to_start_on_a_missing_or_malformed_setting(overrides, message):
    result = manage("check", env=production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


@pytest.mark.django_db
def test_every_response_carries_the_security_headers(client):
    for url in ("/healthz", "/no-such-page/", "/summary/"):
        response = client.get(url)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        assert policy == {
            "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
            "connect-src": "'self'", "font-src": "'self'", "object-src": "'none'", "base-uri": "'none'",
            "form-action": "'self'", "frame-ancestors": "'none'",
        }
        # No inline code, no eval, no origin but this one.
        csp = response["Content-Security-Policy"]
        assert "unsafe" not in csp and "http" not in csp and "*" not in csp


@pytest.mark.django_db
def test_behind_tls_it_redirects_to_https_and_sends_hsts_but_lets_health_checks_through(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/summary/?area=a1")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/summary/?area=a1"
    assert client.get("/healthz").status_code == 200
    secure = client.get("/healthz", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT compilation and its planner costs are PostgreSQL's")
def test_postgresql_plans_the_pages_queries_without_jit_and_for_memory_or_ssd():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_and_names_no_cause_when_the_database_is_down(client, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError(f'connection to server at "10.0.0.5", port 5432 failed: {SECRET_MARKER}')

    monkeypatch.setattr(connection, "cursor", unreachable)
    with caplog.at_level(logging.ERROR, logger="consumption.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert SECRET_MARKER not in response.content.decode()
    assert "health check failed database=unavailable" in caplog.text  # the operator still learns why


@pytest.mark.django_db
def test_healthz_takes_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200  # what many load balancers and monitors send


def boom(request):
    raise RuntimeError(f"{SECRET_MARKER} in /srv/dashboard/consumption/views.py, password=hunter2")


urlpatterns = [path("boom/", boom)]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_500_page_is_friendly_and_reveals_nothing(client, settings, caplog):
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert 'href="/"' in page
    for leak in (SECRET_MARKER, "RuntimeError", "Traceback", "hunter2", "/srv/", settings.SECRET_KEY, "Django"):
        assert leak not in page
    assert SECRET_MARKER in caplog.text  # logged for the operator, with its traceback


def test_the_500_page_renders_with_no_request_no_context_and_no_database():
    # Without the django_db mark any query would raise: rendering proves the page needs none.
    page = loader.get_template("500.html").render()
    assert "Something went wrong" in page
    assert "<script" not in page and "style=" not in page  # nothing the Content-Security-Policy blocks


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/no-such-page/", "/static/no-such-file.js", "/healthz/extra"])
def test_the_404_page_reveals_nothing(client, url):
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    for leak in ("Traceback", "urlpatterns", "URLconf", "config.urls", "DEBUG", "Django"):
        assert leak not in page


@pytest.mark.django_db
def test_each_request_is_logged_as_one_structured_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="consumption.request"):
        client.get("/healthz", {"note": 'x"\nlevel=ERROR forged=1'})
    [record] = [r for r in caplog.records if r.name == "consumption.request"]
    line = record.getMessage()
    assert "\n" not in line
    assert line.startswith('request method=GET path="/healthz" query=')
    assert " status=200 " in line and " ms=" in line and line.endswith("htmx=0")
    fields = dict(part.split("=", 1) for part in line.split(" ")[1:3])
    assert json.loads(fields["path"]) == "/healthz"

