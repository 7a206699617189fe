"""Live pages go live however the scripts arrive: a slow network must not leave a phone or
the projector on a page that never changes."""

from __future__ import annotations

import time

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, Route, expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from tests.browser.conftest import People, log_in
from tests.browser.test_cafe_journey import join
from tests.factories import PASSWORD, make_cafe
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def slow_websocket_script(page: Page) -> None:
    """The websocket extension arrives late, as it may on venue Wi-Fi."""

    def late(route: Route) -> None:
        time.sleep(0.8)
        route.continue_()

    page.route("**/vendor/hx-ws.min.js*", late)


def test_pages_go_live_when_the_websocket_script_arrives_late(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator)
    phone = people.phone("phone")
    join(phone, f"/j/{cafe.code}", "Sam")

    projector = people.laptop("projector")
    log_in(projector, facilitator.email)
    for page, path in ((phone, f"/p/{cafe.code}"), (projector, f"/cafes/{cafe.id}/projector")):
        slow_websocket_script(page)
        page.goto(path)
    expect(phone.locator("#now")).to_contain_text("The first round has not started yet.")
    expect(projector.locator("#board")).to_contain_text("We will start soon. Join on your phone.")

    with httpx.Client(base_url=live.url, timeout=10) as api:
        token = api.post(
            "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
        ).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        started = api.post(f"/api/v1/cafes/{cafe.id}/rounds/next")
        assert started.status_code == 200, started.text
        (seat,) = api.get(f"/api/v1/cafes/{cafe.id}/seating").json()["seats"]

    expect(phone.locator("#now")).to_contain_text("Round 1")
    expect(phone.locator("#my-table")).to_have_attribute("data-table-id", str(seat["table_id"]))
    expect(projector.locator("#board .question")).to_have_text("What does a good day look like?")


def test_a_phone_is_live_again_within_seconds_of_a_server_restart(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    """The server is away for a quarter of a minute (a restart, a deployment): the phone
    keeps trying every few seconds, not ever more rarely, so once the server is back it
    shows the round started meanwhile within a few seconds, without a reload."""
    cafe = make_cafe(session, facilitator)
    phone = people.phone("phone")
    join(phone, f"/j/{cafe.code}", "Sam")  # and sees the first round has not started yet
    phone.evaluate("window.notReloaded = true")
    live.stop()
    try:
        phone.wait_for_timeout(15_000)
    finally:
        live.start()

    with httpx.Client(base_url=live.url, timeout=10) as api:
        token = api.post(
            "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
        ).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        back = time.monotonic()
        started = api.post(f"/api/v1/cafes/{cafe.id}/rounds/next")
        assert started.status_code == 200, started.text
    # Tries come at most 3 s (and 30% jitter) apart; htmx's own back-off would wait ~16 s.
    expect(phone.locator("#now")).to_contain_text("Round 1", timeout=6_000)
    assert time.monotonic() - back < 6
    assert phone.evaluate("window.notReloaded") is True
    # While the server was away the phone's tries were refused, as they should have been.
    people.problems[:] = [
        p for p in people.problems if "ERR_CONNECTION_REFUSED" not in p and "ws:error" not in p
    ]
