"""Choosing the language: the switch's cookie, Accept-Language as a first guess, the café's
default where the person has not chosen; the API's errors in the asker's language."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app import i18n
from app.models.accounts import Facilitator
from tests.conftest import csrf_of
from tests.factories import make_cafe


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', html)
    assert match, "no <html lang>"
    return match.group(1)


def test_english_unless_asked(client: TestClient) -> None:
    page = client.get("/")
    assert _lang(page.text) == "en"
    assert page.headers["content-language"] == "en"
    assert "Skip to content" in page.text


def test_accept_language_is_the_first_guess(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    assert _lang(page.text) == "cy"
    assert "Neidio i’r cynnwys" in page.text
    assert page.headers["content-language"] == "cy"
    # A language we do not have is passed over for the next one the browser accepts.
    page = client.get("/", headers={"Accept-Language": "fr-FR, cy;q=0.4"})
    assert _lang(page.text) == "cy"


def test_the_switch_is_remembered_without_an_account(client: TestClient) -> None:
    token = csrf_of(client, "/")
    answer = client.post(
        "/language",
        data={"lang": "cy", "back": "/login", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert f"{i18n.COOKIE}=cy" in answer.headers["set-cookie"]
    # The cookie beats the browser's own guess.
    page = client.get("/", headers={"Accept-Language": "en"})
    assert _lang(page.text) == "cy"
    # The switch shows both languages, each in its own language, the current one pressed.
    assert re.search(r'value="cy" lang="cy"[^>]*aria-pressed="true"', page.text)
    assert re.search(r'value="en" lang="en"[^>]*aria-pressed="false"', page.text)


def test_the_switch_refuses_a_language_we_do_not_have(client: TestClient) -> None:
    token = csrf_of(client, "/")
    answer = client.post("/language", data={"lang": "fr", "csrf_token": token})
    assert answer.status_code == 422
    assert "Choose Cymraeg or English." in answer.text
    assert i18n.COOKIE not in answer.headers.get("set-cookie", "")


def test_an_off_site_back_address_goes_home(client: TestClient) -> None:
    token = csrf_of(client, "/")
    answer = client.post(
        "/language",
        data={"lang": "en", "back": "//evil.example/", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_api_errors_follow_accept_language(client: TestClient) -> None:
    token = csrf_of(client, "/")
    answer = client.post(
        "/language",
        data={"lang": "xx", "csrf_token": token},
        headers={"Accept-Language": "cy", "Accept": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json() == {"detail": "Dewiswch Cymraeg neu English."}


def test_a_welsh_cafe_speaks_welsh_to_those_who_have_not_chosen(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    cafe.language = "cy"
    session.add(cafe)
    session.commit()
    page = client.get(f"/j/{cafe.code}", headers={"Accept-Language": "en-GB"})
    assert _lang(page.text) == "cy"
    # Someone who chose English keeps English, even in a Welsh café.
    client.cookies.set(i18n.COOKIE, "en")
    page = client.get(f"/j/{cafe.code}")
    assert _lang(page.text) == "en"


def test_welsh_plural_forms_and_formats() -> None:
    with i18n.speaking("cy"):
        assert i18n.format_money(1250) == "£12.50"
        assert i18n.format_day_pattern(_day(), "EEEE d MMMM") == "Dydd Mawrth 3 Mawrth"
    with i18n.speaking("en"):
        assert i18n.format_day_pattern(_day(), "EEEE d MMMM") == "Tuesday 3 March"
        assert i18n.ngettext("%(num)s card", "%(num)s cards", 2) == "2 cards"


def _day() -> date:
    return date(2026, 3, 3)
