"""Fixtures shared by every test module: data folders on disk and the real smap data set."""
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent
SMAP_DIR = REPO_DIR.parent / "shared" / "smap-data"


@pytest.fixture(scope="session")
def smap_dir() -> Path:
    if not (SMAP_DIR / "user_data.csv").is_file():
        pytest.skip(f"the real data set is not at {SMAP_DIR}")
    return SMAP_DIR


@pytest.fixture
def data_dir(tmp_path: Path):
    """A data folder writer: data_dir(customers="id,area,tariff\\n...", files={"3000.csv": "..."})."""

    def write(customers: str | bytes = "id,area,tariff\n", files: dict[str, str | bytes] | None = None) -> Path:
        folder = tmp_path / "data"
        (folder / "consumption").mkdir(parents=True, exist_ok=True)
        write_bytes(folder / "user_data.csv", customers)
        for name, content in (files or {}).items():
            write_bytes(folder / "consumption" / name, content)
        return folder

    return write


def write_bytes(path: Path, content: str | bytes) -> None:
    path.write_bytes(content.encode() if isinstance(content, str) else content)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (`make test` installs it; Playwright never downloads one)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Run in every document before its own scripts: a violation the Content-Security-Policy blocks is
# reported to the test, with the directive and the place, whether or not the browser also logs it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.reportCspViolation(`${event.violatedDirective} at ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
}, true);
"""


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab that must end the test without an error: console errors, uncaught exceptions
    and Content-Security-Policy violations are collected over the whole test, through every navigation,
    and checked when it ends. Requests leaving the live server are kept in `external_requests`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors = []
    context.expose_function("reportCspViolation", lambda text: errors.append(f"CSP violation: {text}"))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    tab = context.new_page()
    tab.errors = errors
    tab.external_requests = []
    tab.on("console", lambda message: message.type == "error" and errors.append(f"console: {message.text}"))
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    tab.on(
        "request",
        lambda request: request.url.startswith((live_server.url, "data:", "blob:"))
        or tab.external_requests.append(request.url),
    )
    yield tab
    context.close()
    assert errors == [], "the page logged errors:\n" + "\n".join(errors)


AXE = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"
# What a test fails on: issues axe rates as blocking or badly hindering someone's use of the page.
AXE_FAILING_IMPACTS = ("serious", "critical")


def assert_accessible(tab) -> None:
    """axe-core's audit of the page as it is now finds nothing serious or critical. The script is run
    through the DevTools protocol, which the page's Content-Security-Policy does not govern."""
    if not tab.evaluate("() => Boolean(window.axe)"):
        tab.evaluate(AXE.read_text())
    found = tab.evaluate(
        """async (impacts) => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.filter((v) => impacts.includes(v.impact)).map(
                (v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
        }""",
        list(AXE_FAILING_IMPACTS),
    )
    assert found == [], f"axe-core found at {tab.url}:\n" + "\n".join(found)
