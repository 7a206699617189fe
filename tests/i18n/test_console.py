"""The facilitator's café in Welsh (issue 27): the console, the settings and the new-café form
in the facilitator's own language; the projector and the printed kit in the café's language,
Welsh then English in a bilingual café; the café's language and bilingual setting on the forms
and in the API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import i18n
from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from tests.conftest import csrf_of
from tests.factories import cafe_payload, make_cafe, make_participant

FORM = {
    "title": "Caffi’r Gwanwyn",
    "purpose": "",
    "table_count": "3",
    "table_capacity": "6",
    "rounds": "Beth sy’n helpu?\nBeth sy’n rhwystro?",
    "minutes": "20",
}


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', html)
    assert match, "no <html lang>"
    return match.group(1)


def _welsh(client: TestClient) -> TestClient:
    client.cookies.set(i18n.COOKIE, "cy")
    return client


def _set(session: Session, cafe: Cafe, **values: object) -> Cafe:
    for name, value in values.items():
        setattr(cafe, name, value)
    session.add(cafe)
    session.commit()
    session.refresh(cafe)
    return cafe


def test_the_console_in_welsh(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    for name in ("Ana", "Bryn"):
        make_participant(session, cafe, name)
    page = _welsh(logged_in).get(f"/cafes/{cafe.id}/console")
    assert page.status_code == 200
    assert _lang(page.text) == "cy"
    assert "Cod ymuno" in page.text
    assert "Golwg y taflunydd" in page.text
    assert "Dechrau rownd 1" in page.text
    assert "Newid yr ystafell" in page.text
    assert "Cau’r caffi" in page.text
    # A Welsh plural: two people have joined ("2 wedi ymuno"), and a table by its number.
    assert "2 wedi ymuno." in page.text
    assert "Start round 1" not in page.text
    dashboard = logged_in.get("/dashboard")
    assert "Eich caffis" in dashboard.text and "drafft" in dashboard.text


def test_a_running_round_and_a_welsh_plural(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    for name in ("Ana", "Bryn", "Cai"):
        make_participant(session, cafe, name)
    url = f"/cafes/{cafe.id}/console"
    token = csrf_of(_welsh(logged_in), url)
    page = logged_in.post(f"{url}/next", data={"from_round": "0", "csrf_token": token})
    assert "Rownd 1 o 3" in page.text
    assert "<strong>ar waith</strong>" in page.text
    # Welsh counts: three people is "3 pherson" (the few form), not "3 people".
    assert "3 pherson" in page.text


def test_the_console_stays_in_the_facilitators_language_in_a_welsh_cafe(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = _set(session, make_cafe(session, facilitator), language="cy")
    page = logged_in.get(f"/cafes/{cafe.id}/console", headers={"Accept-Language": "en"})
    assert _lang(page.text) == "en"
    assert "Join code" in page.text


def test_new_cafe_and_settings_in_welsh_with_the_language_fields(
    logged_in: TestClient, session: Session
) -> None:
    page = _welsh(logged_in).get("/cafes/new")
    assert _lang(page.text) == "cy"
    assert "Creu caffi" in page.text
    assert "Iaith y caffi" in page.text
    # Each language by its own name, marked with its language, the page's language chosen.
    assert re.search(r'value="cy"[^>]*checked> <span lang="cy">Cymraeg</span>', page.text)
    assert '<span lang="en">English</span>' in page.text
    token = csrf_of(logged_in, "/cafes/new")
    made = logged_in.post(
        "/cafes/new",
        data={**FORM, "language": "cy", "bilingual": "true", "csrf_token": token},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    cafe = session.exec(select(Cafe)).one()
    assert (cafe.language, cafe.bilingual) == ("cy", True)
    # A Welsh café's default privacy notice is the Welsh one.
    assert cafe.privacy_notice.startswith("Rydyn ni’n cadw’r enw")
    settings = logged_in.get(f"/cafes/{cafe.id}/settings")
    assert "Gosodiadau “Caffi’r Gwanwyn”" in settings.text
    assert re.search(r'name="bilingual" value="true" checked', settings.text)
    token = csrf_of(logged_in, f"/cafes/{cafe.id}/settings")
    saved = logged_in.post(
        f"/cafes/{cafe.id}/settings",
        data={
            "title": cafe.title,
            "purpose": "",
            "privacy_notice": cafe.privacy_notice,
            "reaction_budget": "3",
            "language": "en",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    session.refresh(cafe)
    assert (cafe.language, cafe.bilingual) == ("en", False)


def test_a_welsh_form_error(logged_in: TestClient, session: Session) -> None:
    token = csrf_of(_welsh(logged_in), "/cafes/new")
    bad = logged_in.post("/cafes/new", data={**FORM, "table_count": "lots", "csrf_token": token})
    assert bad.status_code == 422
    assert "Rhaid i Nifer y byrddau fod yn rhif cyfan." in bad.text
    french = logged_in.post("/cafes/new", data={**FORM, "language": "fr", "csrf_token": token})
    assert french.status_code == 422
    assert "Dewiswch iaith y caffi: English / Cymraeg." in french.text
    assert session.exec(select(Cafe)).all() == []


def test_a_settings_form_refuses_another_language(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    token = csrf_of(logged_in, f"/cafes/{cafe.id}/settings")
    refused = logged_in.post(
        f"/cafes/{cafe.id}/settings",
        data={"title": "T", "reaction_budget": "3", "language": "de", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "Choose the café&#39;s language: English / Cymraeg." in refused.text
    session.refresh(cafe)
    assert cafe.language == "en"


def test_the_projector_speaks_the_cafes_language(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    """The room's screen follows the café, not the facilitator's own choice of English."""
    cafe = _set(session, make_cafe(session, facilitator), language="cy")
    logged_in.cookies.set(i18n.COOKIE, "en")
    before = logged_in.get(f"/cafes/{cafe.id}/projector")
    assert _lang(before.text) == "cy"
    assert before.headers["content-language"] == "cy"
    assert "Byddwn ni’n dechrau cyn bo hir. Ymunwch ar eich ffôn." in before.text
    assert "Y cwestiwn cyntaf" in before.text
    assert "We will start soon" not in before.text
    url = f"/cafes/{cafe.id}/console"
    token = csrf_of(logged_in, url)
    logged_in.post(f"{url}/next", data={"from_round": "0", "csrf_token": token})
    during = logged_in.get(f"/cafes/{cafe.id}/projector")
    assert "Rownd 1 o 3" in during.text
    assert "Byrddau" in during.text
    # The console next to it stays in the facilitator's English.
    assert "Join code" in logged_in.get(url).text
    token = csrf_of(logged_in, url)
    logged_in.post(f"/cafes/{cafe.id}/projector/harvest", data={"on": "true", "csrf_token": token})
    harvest = logged_in.get(f"/cafes/{cafe.id}/projector")
    assert "Beth glywson ni: 0 cerdyn" in harvest.text
    assert "Y mwyaf o gytuno" in harvest.text


def _both(html: str, welsh: str, english: str) -> bool:
    return (
        f'<span class="bilingual"><span lang="cy">{welsh}</span> / '
        f'<span lang="en">{english}</span></span>'
    ) in html


def test_a_bilingual_projector_shows_welsh_then_english(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = _set(session, make_cafe(session, facilitator), language="en", bilingual=True)
    before = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert _lang(before) == "en"
    assert _both(
        before,
        "Byddwn ni’n dechrau cyn bo hir. Ymunwch ar eich ffôn.",
        "We will start soon. Join on your phone.",
    )
    assert _both(before, "Y cwestiwn cyntaf", "The first question")
    url = f"/cafes/{cafe.id}/console"
    token = csrf_of(logged_in, url)
    logged_in.post(f"{url}/next", data={"from_round": "0", "csrf_token": token})
    during = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert _both(during, "Rownd 1 o 3", "Round 1 of 3")
    assert _both(during, "Byrddau", "Tables")
    logged_in.post(f"{url}/pause", data={"csrf_token": token})
    assert _both(logged_in.get(f"/cafes/{cafe.id}/projector").text, "Wedi oedi", "Paused")
    logged_in.post(f"/cafes/{cafe.id}/projector/harvest", data={"on": "true", "csrf_token": token})
    harvest = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert _both(harvest, "Themâu", "Themes")
    assert _both(harvest, "Y mwyaf o gytuno", "Most agreed")
    assert _both(harvest, "Y geiriau a glywson ni fwyaf", "Words we heard most")
    logged_in.post(f"{url}/close", data={"csrf_token": token})
    logged_in.post(f"/cafes/{cafe.id}/projector/harvest", data={"on": "false", "csrf_token": token})
    closed = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert _both(closed, "Diolch. Mae’r caffi wedi cau.", "Thank you. The café has closed.")


def test_a_bilingual_room_kit(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = _set(session, make_cafe(session, facilitator), language="cy", bilingual=True)
    make_participant(session, cafe, "Ana")
    kit = logged_in.get(f"/cafes/{cafe.id}/kit")
    assert kit.status_code == 200
    assert _lang(kit.text) == "cy"
    assert _both(kit.text, "Pwy sy’n eistedd ble", "Who sits where")
    assert _both(kit.text, "Gwesteiwr y bwrdd:", "Table host:")
    assert _both(kit.text, "Rownd 1:", "Round 1:")
    assert _both(kit.text, "Rownd 1 (wedi’i chynllunio)", "Round 1 (planned)")
    assert _both(
        kit.text,
        f"Ymunwch yn testserver gyda’r cod {cafe.code}.",
        f"Join at testserver with the code {cafe.code}.",
    )
    # The names people gave stay as they wrote them.
    assert "Ana" in kit.text


def test_a_welsh_kit_without_english(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = _set(session, make_cafe(session, facilitator), language="cy")
    kit = logged_in.get(f"/cafes/{cafe.id}/kit", headers={"Accept-Language": "en"}).text
    assert _lang(kit) == "cy"
    assert "Pwy sy’n eistedd ble" in kit
    assert "Who sits where" not in kit
    assert '<strong class="code">' in kit


def test_the_api_takes_and_gives_the_language(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    made = client.post(
        "/api/v1/cafes",
        json=cafe_payload(language="cy", bilingual=True),
        headers=api_headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["language"], body["bilingual"]) == ("cy", True)
    plain = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    assert (plain["language"], plain["bilingual"]) == ("en", False)
    changed = client.patch(
        f"/api/v1/cafes/{body['id']}",
        json={"language": "en", "bilingual": False},
        headers=api_headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["language"], changed.json()["bilingual"]) == ("en", False)


def test_the_api_refuses_other_languages_and_loose_booleans(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"language": "fr"}, "Input should be 'en' or 'cy'"),
        ({"language": "CY"}, "Input should be 'en' or 'cy'"),
        ({"bilingual": "yes"}, "Input should be a valid boolean"),
        ({"bilingual": 1}, "Input should be a valid boolean"),
    ]
    for bad, message in cases:
        made = client.post("/api/v1/cafes", json=cafe_payload(**bad), headers=api_headers)
        assert made.status_code == 422, bad
        [problem] = made.json()["detail"]
        assert problem["loc"] == ["body", next(iter(bad))]
        assert problem["msg"] == message
    cafe = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    patched = client.patch(
        f"/api/v1/cafes/{cafe['id']}", json={"language": "de"}, headers=api_headers
    )
    assert patched.status_code == 422
    assert "language" in str(patched.json()["detail"])


def test_an_api_error_in_welsh(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    welsh = {**api_headers, "Accept-Language": "cy"}
    closed = client.post(f"/api/v1/cafes/{cafe['id']}/close", headers=welsh)
    assert closed.status_code == 200
    again = client.post(f"/api/v1/cafes/{cafe['id']}/close", headers=welsh)
    assert again.status_code == 409
    assert again.json() == {"detail": "Mae’r caffi wedi cau yn barod."}
    assert again.headers["content-language"] == "cy"
    english = client.post(f"/api/v1/cafes/{cafe['id']}/close", headers=api_headers)
    assert english.json() == {"detail": "The café is already closed."}
