"""Opening a page as a user would: Debian's headless Chromium through Playwright, with the network off.

`offline_page(url, tmp_path, allowed=...)` yields a page and a log. Every request is routed: a `file:` URL or one
under an `allowed` origin (a server the test started on loopback) goes on, anything else is aborted and logged as
`blocked`, so a page that needs the network shows it both in the log and on screen. Console errors, uncaught page
errors and failed requests are logged too. Where Chromium or Playwright cannot be had the test skips and says
why, and fails instead when CI_REQUIRE_BROWSER=1 (CI sets it).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def browser_unavailable(reason: str) -> None:
    """Skip where Chromium cannot be had, but fail where the run requires it (CI sets CI_REQUIRE_BROWSER=1)."""
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; CI_REQUIRE_BROWSER=1 requires the browser test to run")
    pytest.skip(reason)


def require_browser() -> None:
    if not CHROMIUM.exists():
        browser_unavailable(f"{CHROMIUM} is not installed (`make browser` installs Debian's chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        browser_unavailable(f"playwright is not installed ({error})")


@dataclass
class BrowserLog:
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"the page asked the network for {self.blocked}"
        assert self.failed == [], f"requests failed: {self.failed}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@contextlib.contextmanager
def offline_page(tmp_path: Path, allowed: Sequence[str] = (), viewport=(1280, 900)) -> Iterator[tuple[object, BrowserLog]]:
    """A Chromium page with the network off but for `file:` URLs and the `allowed` origins."""
    require_browser()
    from playwright.sync_api import sync_playwright

    log = BrowserLog()
    origins = tuple(o.rstrip("/") + "/" for o in allowed)

    def route(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")) or url.startswith(origins) or url.rstrip("/") + "/" in origins:
            route.continue_()
        else:
            log.blocked.append(url)
            route.abort("internetdisconnected")

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": viewport[0], "height": viewport[1]}, service_workers="block",
        )
        try:
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: log.console_errors.append(str(error)))
            page.on("request", lambda request: log.requested.append(request.url))
            page.on("requestfailed", lambda request: log.failed.append(request.url)
                    if request.url not in log.blocked else None)
            yield page, log
        finally:
            context.close()


def screenshot(page, name: str) -> Path:
    """A full-page screenshot kept as a test artefact (tests/artifacts/), its path returned."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path
