"""Chromium (through Playwright) against the real app served by uvicorn in a subprocess.

One browser and one server for this folder (package scope: neither outlives it); each test
starts from empty tables (the `settings` fixture of tests/conftest.py empties them) and gets
fresh browser contexts, one per simulated person, so cookies and websockets never mix.

Pages keep the app's strict CSP: axe-core is injected through the DevTools protocol, which
CSP does not govern, so a page that breaks its own policy still shows up as a console error
and fails the test.

After each test the server log must hold no traceback and no page may have logged a
JavaScript error or a CSP violation.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from app.config import ROOT
from tests.factories import PASSWORD
from tests.live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
# Generous for a loaded 2-core machine; a passing run waits far less.
TIMEOUT_MS = 10_000
# Expected: the browser reports every 4xx page it loads as a failed resource.
_HTTP_STATUS_NOISE = re.compile(r"^Failed to load resource: the server responded with a status")

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="package")
def phone_device(playwright: Playwright) -> dict[str, Any]:
    device = dict(playwright.devices["Pixel 7"])
    device.pop("default_browser_type", None)
    return device


@pytest.fixture(scope="package")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with LiveServer(database_url=database_url, log_dir=tmp_path_factory.mktemp("live")) as s:
        yield s


@pytest.fixture
def live(live_server: LiveServer, settings: object) -> Iterator[LiveServer]:
    """The shared server, over freshly emptied tables; fails the test if the server logged a
    traceback while it ran (a 500, or a websocket handler that crashed). The media folder is
    emptied too, as the tables are: café ids start again at 1, and an earlier test's photos
    in `media/1/` would be counted as this test's."""
    media = live_server.log_path.parent / "media"
    if media.is_dir():
        for entry in media.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    start = live_server.log_path.stat().st_size
    yield live_server
    time.sleep(0.3)  # let the server finish handling the sockets the closed pages dropped
    with live_server.log_path.open("rb") as log:
        log.seek(start)
        new = log.read().decode(errors="replace")
    assert "Traceback" not in new, f"the server logged an error:\n{new[-6000:]}"


@dataclass
class People:
    """Browser contexts for the people in a test: one context (cookie jar) per person."""

    browser: Browser
    phone_device: dict[str, Any]
    base_url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def _page(self, options: dict[str, Any], who: str) -> Page:
        context = self.browser.new_context(base_url=self.base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()

        def on_console(message: Any) -> None:
            if message.type == "error" and not _HTTP_STATUS_NOISE.match(message.text):
                self.problems.append(f"{who} console: {message.text} ({page.url})")

        page.on("console", on_console)
        page.on("pageerror", lambda err: self.problems.append(f"{who} script error: {err}"))
        return page

    def laptop(self, who: str = "facilitator", storage_state: Any = None) -> Page:
        options = dict(LAPTOP)
        if storage_state is not None:
            options["storage_state"] = storage_state
        return self._page(options, who)

    def phone(self, who: str, *, javascript: bool = True) -> Page:
        """A phone (a Pixel 7's screen and browser); `javascript=False`: one whose browser
        runs no scripts (switched off, or too old for ours)."""
        return self._page(dict(self.phone_device, java_script_enabled=javascript), who)

    def small_screen(self, who: str, storage_state: Any = None) -> Page:
        """A window 320 CSS pixels wide: a small phone, or a laptop's browser zoomed to 400%."""
        options: dict[str, Any] = {"viewport": {"width": 320, "height": 640}}
        if storage_state is not None:
            options["storage_state"] = storage_state
        return self._page(options, who)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def people(browser: Browser, phone_device: dict[str, Any], live: LiveServer) -> Iterator[People]:
    crowd = People(browser=browser, phone_device=phone_device, base_url=live.url)
    yield crowd
    crowd.close()
    assert not crowd.problems, "pages reported errors:\n" + "\n".join(crowd.problems)


# What sticks out past the right edge of the window (the page then scrolls sideways): the
# innermost such elements, so a failure names the culprit rather than its ancestors.
_STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    if ([...el.children].some((c) => c.getBoundingClientRect().right > width + 1)) continue;
    out.push(`${el.tagName.toLowerCase()}.${el.className} (to ${Math.round(box.right)} px): `
      + (el.textContent || "").trim().slice(0, 60));
  }
  return out.length ? out.slice(0, 5) : ["(no one element: the page is wider than the window)"];
}"""


def check_fits_the_window(
    page: Page, label: str, text_sizes: tuple[str, ...] = ("", "200%")
) -> None:
    """The page never scrolls sideways, at the window's own size and with the text at 200%
    (as a phone's text-size setting or a browser's default font size makes it): reading a
    line by scrolling back and forth fails people who need large text (WCAG 1.4.4, 1.4.10)."""
    for size in text_sizes:
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", size)
        culprits = page.evaluate(_STICKING_OUT)
        if culprits:
            page.evaluate("() => { document.documentElement.style.fontSize = ''; }")
            zoom = " with the text at 200%" if size else ""
            pytest.fail(
                f"{label} scrolls sideways{zoom} ({page.url}), past the window's "
                f"{page.viewport_size}:\n" + "\n".join(f"- {c}" for c in culprits),
                pytrace=False,
            )
    page.evaluate("() => { document.documentElement.style.fontSize = ''; }")


# Controls smaller than 44 x 44 CSS px. A link inside running text (its parent has words of
# its own) is exempt, as WCAG 2.5.5 exempts it; a checkbox or radio counts with its label.
_SMALL_TARGETS = """() => {
  const small = [];
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(controls)) {
    if (el.closest(".visually-hidden")) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    let width = box.width, height = box.height;
    if ((el.type === "checkbox" || el.type === "radio") && el.labels && el.labels.length) {
      const label = el.labels[0].getBoundingClientRect();
      width = Math.max(width, label.width);
      height = Math.max(height, label.height);
    }
    if (width >= 43.5 && height >= 43.5) continue;
    const words = [...(el.parentElement ? el.parentElement.childNodes : [])]
      .filter((node) => node.nodeType === Node.TEXT_NODE)
      .map((node) => node.textContent).join("").replace(/[\\s·|]/g, "");
    if (el.tagName === "A" && words) continue;
    const text = (el.textContent || el.value || el.name || "").trim().slice(0, 50);
    const size = `${Math.round(width)} x ${Math.round(height)} px`;
    small.push(`${el.tagName.toLowerCase()} ${size}: ${text}`);
  }
  return small;
}"""


def check_touch_targets(page: Page, label: str) -> None:
    """Every control is at least 44 x 44 CSS px: a finger on a cheap phone, or a shaky hand,
    must not hit its neighbour."""
    small = page.evaluate(_SMALL_TARGETS)
    if small:
        pytest.fail(
            f"{label} has controls under 44 x 44 px ({page.url}):\n"
            + "\n".join(f"- {s}" for s in small[:10]),
            pytrace=False,
        )


def check_accessibility(page: Page, label: str) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation, on a
    control too small to touch (`check_touch_targets`), or if the page scrolls sideways
    (`check_fits_the_window`)."""
    check_touch_targets(page, label)
    check_fits_the_window(page, label)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text())
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    bad = [v for v in violations if v.get("impact") in {"serious", "critical"}]
    if not bad:
        return
    lines = [f"axe found {len(bad)} serious or critical problem(s) on {label} ({page.url}):"]
    for v in bad:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    pytest.fail("\n".join(lines), pytrace=False)


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a facilitator would."""
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


def mark_page(page: Page) -> None:
    """Leave a mark in the page's JavaScript world; a reload or navigation wipes it."""
    page.evaluate("window.tcStillHere = true")


def assert_not_reloaded(page: Page, who: str) -> None:
    assert page.evaluate("window.tcStillHere === true"), f"{who}'s page was reloaded"
