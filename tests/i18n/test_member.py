"""Welsh for members, accounts, privacy and exports (issue 27): a member's pages speak their
network's language unless they chose their own; the sign-in, sessions and tokens pages, the
privacy pages and their errors in Welsh; exports take `lang=cy|en` for their fixed words; the
API's validation errors and refusals in the asker's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import i18n
from app.kit import forms
from app.models.accounts import Facilitator
from app.models.follow_up import FeedbackResponse
from app.models.network import Attendance, Meeting, MemberParticipant, Network
from app.models.payments import Expense
from app.services.errors import Invalid
from tests.conftest import csrf_of
from tests.factories import make_cafe, make_contribution, make_member, make_participant
from tests.network.test_member_page import Network as Scene
from tests.network.test_member_page import _api, _device, _link, _network

WELSH_MONTHS = (
    "Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr"
)


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', html)
    assert match, "no <html lang>"
    return match.group(1)


def _welsh_network(session: Session, network_id: int) -> None:
    network = session.get(Network, network_id)
    assert network is not None
    network.language = "cy"
    session.add(network)
    session.commit()


@pytest.fixture
def scene(client: TestClient, api_headers: dict[str, str]) -> Scene:
    return _network(client, api_headers)


def _phone(client: TestClient, api_headers: dict[str, str], member_id: int) -> TestClient:
    """A member's phone with no language cookie, signed in from their link."""
    phone = _device(client)
    page = phone.get(_link(client, api_headers, member_id))  # on to /me
    assert page.status_code == 200, page.text
    return phone


def test_members_pages_speak_their_networks_language_unless_they_chose(
    client: TestClient, api_headers: dict[str, str], session: Session, scene: Scene
) -> None:
    _welsh_network(session, scene.network_id)
    phone = _device(client)
    page = phone.get(_link(client, api_headers, scene.alex["id"]))
    assert page.url.path == "/me"
    assert _lang(page.text) == "cy"
    html = page.text
    assert "Helo, Alexandra Quill" in html
    assert "Eich cyfarfod nesaf" in html and "(amser y DU)" in html
    assert "Cyfarfodydd y daethoch chi iddyn nhw" in html
    assert "Gawn ni ddefnyddio’r hyn rydych chi’n ei ddweud fel tystiolaeth?" in html
    assert "Alexandra Quill" in html and "Summer meeting" in html  # their words stay
    # A form error in Welsh.
    refused = phone.post("/me/consent", data={"csrf_token": csrf_of(phone, "/me")})
    assert refused.status_code == 422
    assert "Dewiswch ie neu na, yna pwyswch Cadw." in refused.text
    # Someone who chose English keeps English, even in a Welsh network.
    phone.cookies.set(i18n.COOKIE, "en")
    page = phone.get("/me")
    assert _lang(page.text) == "en" and "Your next meeting" in page.text


def test_an_english_network_stays_english(
    client: TestClient, api_headers: dict[str, str], scene: Scene
) -> None:
    page = _phone(client, api_headers, scene.alex["id"]).get("/me")
    assert _lang(page.text) == "en" and "Hello, Alexandra Quill" in page.text


def test_payments_data_and_erase_pages_in_welsh(
    client: TestClient, api_headers: dict[str, str], session: Session, scene: Scene
) -> None:
    _welsh_network(session, scene.network_id)
    phone = _phone(client, api_headers, scene.alex["id"])
    payments = phone.get("/me/payments").text
    assert _lang(payments) == "cy" and "Taliadau am eich amser" in payments
    assert "Yn ôl i’ch tudalen" in payments
    data = phone.get("/me/data").text
    assert "Popeth sydd gennym amdanoch chi" in data
    assert "Presenoldeb" in data and "Caniatâd" in data and "daeth" in data
    # Days in words are Welsh too ("6 Rhagfyr 2026").
    assert re.search(f"<dt>Ychwanegwyd</dt><dd>\\d+ ({WELSH_MONTHS}) \\d{{4}}</dd>", data)
    erase = phone.get("/me/erase").text
    assert "Dileu popeth amdanoch chi" in erase and "Beth fydd yn mynd" in erase
    refused = phone.post("/me/erase", data={"csrf_token": csrf_of(phone, "/me/erase")})
    assert refused.status_code == 422
    assert "Ticiwch y blwch i ddweud eich bod eisiau dileu popeth" in refused.text


def test_the_materials_list_and_a_material_in_welsh(
    client: TestClient, api_headers: dict[str, str], session: Session, scene: Scene
) -> None:
    nid = scene.network_id
    material = _api(
        client,
        api_headers,
        "POST",
        f"/api/v1/networks/{nid}/materials",
        json={
            "title": "Living well",
            "sections": [{"heading": "Choice", "body_markdown": "People want to choose."}],
        },
    )
    base = f"/api/v1/networks/{nid}/materials/{material['id']}/versions/1"
    _api(client, api_headers, "POST", f"{base}/publish")
    made = _api(client, api_headers, "POST", f"{base}/publications", json={})
    _welsh_network(session, nid)
    phone = _phone(client, api_headers, scene.alex["id"])
    home = phone.get("/me").text
    assert "Papurau i’w darllen cyn y cyfarfod" in home and "Living well" in home
    shown = phone.get(f"/me/materials/{made['id']}").text
    assert _lang(shown) == "cy" and "Yn ôl i’ch tudalen" in shown
    assert 'aria-label="Ffyrdd o ddarllen hwn"' in shown
    assert "People want to choose." in shown  # the lead's words stay as written
    listen = phone.get(f"/me/materials/{made['id']}?edition=audio").text
    assert "Darllen yn uchel" in listen and "Arafach" in listen


def test_login_security_and_tokens_pages_in_welsh(
    client: TestClient, logged_in: TestClient, facilitator: Facilitator
) -> None:
    browser = _device(client)  # nobody signed in on it
    browser.cookies.set(i18n.COOKIE, "cy")
    login = browser.get("/login").text
    assert _lang(login) == "cy" and "Mewngofnodi fel hwylusydd" in login
    wrong = browser.post(
        "/login",
        data={"email": facilitator.email, "password": "not it", "csrf_token": csrf_of(browser)},
    )
    assert wrong.status_code == 401
    assert "Nid yw’r e-bost a’r cyfrinair hynny’n cyfateb i gyfrif." in wrong.text
    empty = browser.post("/login", data={"email": "", "csrf_token": csrf_of(browser)})
    assert "Rhowch eich e-bost a’ch cyfrinair." in empty.text

    logged_in.cookies.set(i18n.COOKIE, "cy")
    security = logged_in.get("/account/security").text
    assert "Sesiynau a chyfrinair" in security and "Ble rydych chi wedi mewngofnodi" in security
    assert "y porwr hwn" in security
    token = csrf_of(logged_in, "/account/security")
    short = logged_in.post(
        "/account/password",
        data={
            "current_password": "wrong",
            "new_password": "x",
            "new_password_again": "x",
            "csrf_token": token,
        },
    )
    assert short.status_code == 422 and "Nid dyna’ch cyfrinair presennol." in short.text
    tokens = logged_in.get("/account/tokens").text
    assert "Tocynnau API" in tokens and "Darllen ac ysgrifennu" in tokens
    unnamed = logged_in.post(
        "/account/tokens",
        data={"name": " ", "scope": "read", "csrf_token": csrf_of(logged_in, "/account/tokens")},
    )
    assert unnamed.status_code == 422
    assert "Rhowch enw i’r tocyn er mwyn i chi ei adnabod yn nes ymlaen." in unnamed.text


def test_privacy_pages_in_welsh_with_plural_forms(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator, title="Caffi’r Gwanwyn")
    logged_in.cookies.set(i18n.COOKIE, "cy")
    erase = logged_in.get(f"/cafes/{cafe.id}/erase").text
    assert _lang(erase) == "cy" and "Dileu “Caffi’r Gwanwyn”" in erase
    # Welsh's zero form: "0 cardiau", not the "cerdyn" of one.
    assert "0 cardiau, 0 lluniau, 0 negeseuon llais a 0 pleidleisiau" in erase
    refused = logged_in.post(f"/cafes/{cafe.id}/erase", data={"csrf_token": csrf_of(logged_in)})
    assert refused.status_code == 422
    assert "Ticiwch y blwch i gadarnhau y dylid dileu’r caffi." in refused.text
    keep = logged_in.get(f"/cafes/{cafe.id}/privacy").text
    assert "Data personol yn “Caffi’r Gwanwyn”" in keep
    assert "Gadewch y blwch yn wag i gael y rhagosodiad: 365 diwrnod." in keep
    bad = logged_in.post(
        f"/cafes/{cafe.id}/privacy",
        data={"keep_days": "0", "csrf_token": csrf_of(logged_in, f"/cafes/{cafe.id}/privacy")},
    )
    assert bad.status_code == 422
    assert "Teipiwch nifer o ddyddiau rhwng 1 a 3650" in bad.text


def test_the_lead_reads_what_is_held_about_a_member_in_welsh(
    logged_in: TestClient, api_headers: dict[str, str], scene: Scene
) -> None:
    logged_in.cookies.set(i18n.COOKIE, "cy")
    page = logged_in.get(f"/networks/members/{scene.alex['id']}/data").text
    assert "Beth sydd gennym am Alexandra Quill" in page
    assert "Fel aelod o North (Choice)" in page and "Anghenion hygyrchedd" in page


def _notes(client: TestClient, headers: dict[str, str], cafe_id: int, **params: str) -> Any:
    return client.get(f"/api/v1/cafes/{cafe_id}/notes", params=params, headers=headers)


def test_an_export_in_the_language_asked_for(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator, title="Spring café")
    welsh = _notes(client, api_headers, cafe.id, format="md", lang="cy")
    assert welsh.status_code == 200 and welsh.headers["content-language"] == "cy"
    assert welsh.text.startswith("# Spring café: nodiadau’r sesiwn")
    assert "## Pwy ddywedodd beth" in welsh.text and "0 cyfraniad." in welsh.text
    english = _notes(client, api_headers, cafe.id, format="md", lang="en")
    assert english.text.startswith("# Spring café: session notes")
    assert "## Who said what" in english.text
    # Without `lang=`, the request's language.
    asked = client.get(
        f"/api/v1/cafes/{cafe.id}/notes?format=md",
        headers={**api_headers, "Accept-Language": "cy"},
    )
    assert "nodiadau’r sesiwn" in asked.text
    # The JSON's fixed words and labels too; its keys stay.
    data = _notes(client, api_headers, cafe.id, format="json", lang="cy").json()
    assert data["labels"]["evidence_type"]["other"] != "" and "contributions" in data
    assert data["note"].startswith("Mae cyfraniadau cudd")
    refused = _notes(client, api_headers, cafe.id, format="md", lang="fr")
    assert refused.status_code == 422
    assert refused.json() == {"detail": "The language must be one of: en, cy."}
    refused = client.get(
        f"/api/v1/cafes/{cafe.id}/notes?lang=de",
        headers={**api_headers, "Accept-Language": "cy"},
    )
    assert refused.json() == {"detail": "Rhaid i’r iaith fod yn un o’r rhain: en, cy."}


def test_the_calendar_in_welsh(
    client: TestClient, api_headers: dict[str, str], session: Session, scene: Scene
) -> None:
    _welsh_network(session, scene.network_id)
    phone = _phone(client, api_headers, scene.alex["id"])
    welsh = phone.get("/me/calendar.ics").text.replace("\r\n ", "")
    assert "SUMMARY;LANGUAGE=cy:Summer meeting: Choice (North)" in welsh
    assert "DESCRIPTION;LANGUAGE=cy:Choice\\, grŵp lleol North." in welsh
    english = phone.get("/me/calendar.ics?lang=en").text.replace("\r\n ", "")
    assert "SUMMARY:Summer meeting: Choice (North)" in english
    assert "DESCRIPTION:Choice\\, local group North." in english
    # The lead's own download, asked for in Welsh.
    lead = client.get(
        f"/api/v1/networks/groups/{scene.group_id}/calendar.ics?lang=cy", headers=api_headers
    )
    assert "grŵp lleol North" in lead.text.replace("\r\n ", "")


def test_api_errors_in_welsh(client: TestClient, api_headers: dict[str, str]) -> None:
    welsh = {"Accept-Language": "cy"}
    invalid = client.post("/api/v1/networks", json={}, headers={**api_headers, **welsh})
    assert invalid.status_code == 422
    [error] = invalid.json()["detail"]
    assert error["loc"] == ["body", "title"] and error["type"] == "missing"
    assert error["msg"] == "Mae angen y maes hwn"
    english = client.post("/api/v1/networks", json={}, headers=api_headers)
    assert english.json()["detail"][0]["msg"] == "Field required"
    long = client.post(
        "/api/v1/networks", json={"title": "x" * 500}, headers={**api_headers, **welsh}
    )
    assert "nod ar y mwyaf" in long.json()["detail"][0]["msg"]
    unsigned = client.get("/api/v1/networks", headers=welsh)
    assert unsigned.status_code == 401
    assert unsigned.json() == {"detail": "Heb ddilysu: anfonwch docyn cludwr (bearer token)."}
    nowhere = client.get("/api/v1/nowhere", headers=welsh)
    assert nowhere.status_code == 404
    assert nowhere.json() == {"detail": "Does dim byd yn y cyfeiriad hwn."}
    wrong_method = client.put("/api/v1/networks", headers=welsh)
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": "Does dim modd gwneud hynny yn y cyfeiriad hwn."}
    page = client.post("/login", data={"email": "a"}, headers=welsh)
    assert page.status_code == 403 and "Mae’r dudalen hon wedi dod i ben" in page.text


def test_a_forms_validation_sentence_in_welsh() -> None:
    error = {
        "loc": ("body", "title"),
        "msg": "String should have at most 80 characters",
        "type": "string_too_long",
        "ctx": {"max_length": 80},
    }
    assert forms.sentence(error) == "Title: String should have at most 80 characters."
    with i18n.speaking("cy"):
        assert forms.sentence(error) == "Teitl: Dylai’r testun fod 80 nod ar y mwyaf."
        assert forms.sentence({"loc": ("body", "shoe_size"), "msg": "Field required"}) == (
            "shoe size: Field required."  # a type it does not know stays as pydantic said it
        )
        with pytest.raises(Invalid) as refused:
            forms.ticked(False, refusal="Tick the box to confirm that the group should be deleted.")
        assert refused.value.detail == "Ticiwch y blwch i gadarnhau y dylid dileu’r grŵp."


def test_a_confirmation_refusal_is_one_whole_welsh_sentence() -> None:
    """Each delete's refusal is translated as a whole sentence, not glued from a frame and a
    phrase (Welsh word order is not English's); the catalogue has no such frame."""
    for refusal, welsh in (
        (
            "Tick the box to confirm that the café should be erased.",
            "Ticiwch y blwch i gadarnhau y dylid dileu’r caffi.",
        ),
        (
            "Tick the box to confirm that the person should be erased.",
            "Ticiwch y blwch i gadarnhau y dylid dileu’r person.",
        ),
    ):
        assert i18n.translations("cy").gettext(refusal) == welsh
    catalogue = (i18n.TRANSLATIONS_DIR / "messages.pot").read_text(encoding="utf-8")
    assert 'msgid "Tick the box to confirm that %(' not in catalogue


def test_the_busy_and_fault_answers_have_welsh() -> None:
    """The 503s the error handlers translate: the admission gate's words (written in
    app/live) and a storage fault's."""
    from app.live.admission import BUSY
    from app.services.faults import SAVE_FAILED

    with i18n.speaking("cy"):
        assert i18n.gettext(BUSY).startswith("Mae llawer o bobl yn ymuno")
        assert i18n.gettext(SAVE_FAILED).startswith("Doedd dim modd cadw hynny")


def _member_with_something_of_everything(session: Session, lead: Facilitator) -> int:
    """A member (of an English network) who came to a meeting, claimed carer cover, gave
    feedback and wrote a card (waiting for the facilitator) in a café they joined as member."""
    member = make_member(session, lead)
    meeting = session.exec(select(Meeting).where(Meeting.group_id == member.group_id)).one()
    attendance = Attendance(meeting_id=meeting.id, member_id=member.id, attended=True, hours=2)
    session.add(attendance)
    session.commit()
    session.add(Expense(attendance_id=attendance.id, kind="carer_cover", amount_pence=1200))
    session.add(
        FeedbackResponse(
            meeting_id=meeting.id, member_id=member.id, scores='{"listened": 4, "how_was_it": 5}'
        )
    )
    cafe = make_cafe(session, lead)
    person = make_participant(session, cafe, member.display_name)
    session.add(MemberParticipant(member_id=member.id, participant_id=person.id))
    session.commit()
    make_contribution(
        session, cafe, kind="barrier", status="pending", participant=person, table=None, round=None
    )
    assert member.id is not None
    return member.id


def test_subject_access_shows_peoples_words_not_stored_keys_in_either_language(
    logged_in: TestClient, session: Session, facilitator: Facilitator, api_headers: dict[str, str]
) -> None:
    """The page of what is held about someone says "Carer cover" and "Did you feel listened
    to?", in the reader's language, never `carer_cover` or `listened`; the JSON keeps them."""
    member_id = _member_with_something_of_everything(session, facilitator)
    page = f"/networks/members/{member_id}/data"
    english = logged_in.get(page).text
    for words in (
        "Carer cover",
        "Did you feel listened to? 4 of 5",
        "How was the meeting? 5 of 5",
        "(What gets in the way, waiting",
    ):
        assert words in english
    logged_in.cookies.set(i18n.COOKIE, "cy")
    welsh = logged_in.get(page).text
    with i18n.speaking("cy"):
        expected = (
            i18n.gettext("Carer cover"),
            i18n.gettext("Did you feel listened to?"),
            f"({i18n.gettext('What gets in the way')}, {i18n.gettext('waiting')}",
        )
    assert expected[0] == "Gofal cyflenwi"
    for words in expected:
        assert words in welsh
    for html in (english, welsh):
        for key in ("carer cover", "carer_cover", "listened 4", "how was it", "barrier", "pending"):
            assert key not in html
    # The JSON is for machines: it keeps the keys.
    held = logged_in.get(f"/api/v1/networks/members/{member_id}/data", headers=api_headers)
    assert held.json()["expenses"][0]["kind"] == "carer_cover"
    assert held.json()["feedback"][0]["scores"] == {"listened": 4, "how_was_it": 5}
