"""A phone posting while storage is at fault (another writer holds the database's lock past
the lock timeout): its board stays as it was, it is told in words that the card was not
saved yet (on the card and through the live region), and once the fault has passed the post
goes by itself, stored exactly once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from tests.browser.conftest import People, check_accessibility
from tests.browser.test_board import add, rows
from tests.browser.test_cafe_journey import join
from tests.factories import PASSWORD, make_cafe
from tests.faults.test_storage import holding_a_lock
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def test_a_post_refused_for_a_held_lock_waits_on_the_phone_and_lands_once(
    browser: Browser,
    phone_device: dict[str, Any],
    database_url: str,
    settings: object,
    facilitator: Facilitator,
    session: Session,
    tmp_path: Path,
) -> None:
    env = {"TABLECLOTH_LOCK_TIMEOUT_MS": "300"}
    cafe = make_cafe(session, facilitator, table_count=1, table_capacity=4)
    with (
        LiveServer(database_url=database_url, log_dir=tmp_path, extra_env=env) as server,
        httpx.Client(base_url=server.url, timeout=10) as api,
    ):
        people = People(browser=browser, phone_device=phone_device, base_url=server.url)
        try:
            token = api.post(
                "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
            )
            api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            ann = people.phone("Ann")
            join(ann, f"/j/{cafe.code}", "Ann")
            assert api.post(f"/api/v1/cafes/{cafe.id}/rounds/next").status_code == 200
            expect(ann.locator("#now")).to_contain_text("Round 1")

            add(ann, "Written before the fault")
            expect(ann.locator("#board")).to_contain_text("Written before the fault")
            with holding_a_lock(database_url):
                add(ann, "Written while the database was stuck")
                waiting = ann.locator("#outbox li", has_text="Written while the database")
                expect(waiting).to_contain_text("Not saved yet. It will be sent again in a moment.")
                # Said aloud too, and the board stays as it was (not replaced by an error).
                expect(ann.locator("#board-news")).to_have_text(
                    re.compile("could not be saved just now")
                )
                expect(ann.locator("#board")).to_contain_text("Written before the fault")
                expect(ann.locator("#contribution-text")).to_have_value("")
                check_accessibility(ann, "a phone whose post was not saved")
                assert rows(session, "Written while the database was stuck") == []
            # The phone sends it again by itself (every 8 s), once.
            expect(ann.locator("#board")).to_contain_text(
                "Written while the database was stuck", timeout=20_000
            )
            expect(ann.locator("#outbox")).to_be_hidden()
            assert len(rows(session, "Written while the database was stuck")) == 1
            ann.reload()
            expect(ann.locator("#board")).to_contain_text("Written while the database")
            ann.wait_for_timeout(500)
            assert len(rows(session, "Written while the database was stuck")) == 1
        finally:
            people.close()
        log = server.log_path.read_text()
        assert "Traceback" not in log, log[-4000:]
        assert not people.problems, "\n".join(people.problems)
