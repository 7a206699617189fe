"""Mistakes a person can make on a phone get a readable answer, never a blank or a 500."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from tests.browser.conftest import People, check_accessibility
from tests.factories import make_cafe

pytestmark = pytest.mark.browser


def test_join_with_an_empty_name_is_explained(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator)
    phone = people.phone("phone")
    phone.goto(f"/j/{cafe.code}")
    name = phone.locator("#display_name")

    # The browser stops an empty name before it is sent, and says why.
    phone.get_by_role("button", name="Join the café").click()
    assert phone.url.endswith(f"/j/{cafe.code}")
    assert name.evaluate("el => el.validity.valueMissing")
    assert name.evaluate("el => el.validationMessage")

    # Spaces pass the browser's check; the server explains, keeping the other answers.
    name.fill("   ")
    phone.locator("#role").select_option("carer")
    phone.get_by_role("button", name="Join the café").click()
    expect(phone.locator("#join-error")).to_have_text(
        "Choose a name to be known by today. A made-up name is fine."
    )
    expect(phone.locator("#role")).to_have_value("carer")
    check_accessibility(phone, "the join page with an error")

    # An older browser that ignores `required` sends an empty name: same readable answer.
    name.evaluate("el => el.removeAttribute('required')")
    name.fill("")
    with phone.expect_response(re.compile(rf"/j/{cafe.code}$")) as answer:
        phone.get_by_role("button", name="Join the café").click()
    assert answer.value.status == 422
    expect(phone.locator("#join-error")).to_contain_text("Choose a name")

    # Posted without any browser at all.
    csrf = phone.locator("input[name=csrf_token]").first.get_attribute("value")
    response = phone.request.post(
        f"/j/{cafe.code}",
        form={"csrf_token": csrf or "", "display_name": "", "role": "astronaut"},
        max_redirects=0,
    )
    assert response.status == 422
    assert "Choose a name to be known by today" in response.text()

    # Then a real name works and lands on the participant page.
    phone.goto(f"/j/{cafe.code}")
    name.fill("Robin")
    phone.get_by_role("button", name="Join the café").click()
    phone.wait_for_url(f"**/p/{cafe.code}")
    expect(phone.locator("#now")).to_contain_text("Welcome, Robin")

    # No yes or no was chosen on the join page: that is a no, which Robin can change.
    consent = phone.locator("#consent")
    expect(consent).to_contain_text("Now: no")
    phone.get_by_role("button", name="Change to yes").click()
    expect(consent).to_contain_text("Now: yes")
    # A changed form (neither yes nor no) is answered with a sentence, not a 500.
    phone.locator("#consent input[name=evidence_consent]").evaluate("el => el.value = 'maybe'")
    with phone.expect_response(re.compile(rf"/p/{cafe.code}/consent$")) as answer:
        phone.get_by_role("button", name="Change to no: take my words out").click()
    assert answer.value.status == 422
    expect(phone.get_by_role("alert")).to_have_text("Choose yes or no.")
    check_accessibility(phone, "the consent page with an error")
    phone.get_by_role("button", name="Change to no: take my words out").click()
    expect(phone.locator("#consent")).to_contain_text("Now: no")


def test_unknown_code_shows_a_readable_page(people: People) -> None:
    phone = people.phone("phone")
    phone.goto("/")
    phone.get_by_label("Café code").fill("zzz-999")
    with phone.expect_response(re.compile(r"/j/ZZZ999$")) as answer:
        phone.get_by_role("button", name="Join").click()
    assert answer.value.status == 404
    expect(phone.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(phone.get_by_role("alert")).to_contain_text(
        "We could not find a café with that code. Check the code on the big screen"
    )
    expect(phone.get_by_role("link", name="Back to the start")).to_be_visible()

    # An empty code never leaves the home page without a message.
    phone.goto("/")
    code = phone.get_by_label("Café code")
    code.evaluate("el => el.removeAttribute('required')")
    code.fill("  ")
    phone.get_by_role("button", name="Join").click()
    expect(phone.locator("#code-error")).to_have_text("Type the code shown on the big screen.")
    expect(code).to_have_attribute("aria-invalid", "true")
    check_accessibility(phone, "the home page with an error")
