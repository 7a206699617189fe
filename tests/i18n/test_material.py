"""Discussion materials and helpers' roles in Welsh (issue 27): the lead's pages and their
errors in Welsh, the API's errors in the asker's language, and a section's own Welsh text,
written beside the English, shown to members who read in Welsh while everyone else keeps the
English. What people said stays as they said it."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session

from app import i18n
from app.config import Settings
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.material import WITHDRAWN_TEXT
from app.services.privacy.erasure import REQUESTED
from tests.board.test_media import CHROMIUM
from tests.conftest import csrf_of
from tests.material_setup import make_group_cafe, make_network, say
from tests.privacy.scene import WORDS, build
from tests.roles.scene import a_cafe, csrf

ENGLISH = "People want to choose who supports them."
WELSH = "Mae pobl eisiau dewis pwy sy’n eu cefnogi."
EASY = "You choose your support."
EASY_CY = "Chi sy’n dewis eich cymorth."
SAID = "I want to pick my own carer"


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', html)
    assert match, "no <html lang>"
    return match.group(1)


def _welsh(client: TestClient) -> TestClient:
    client.cookies.set(i18n.COOKIE, "cy")
    return client


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content else None


def _material(client: TestClient, headers: dict[str, str], network_id: int) -> tuple[str, int]:
    """A material with one section (no Welsh yet): the API's version 1 and the section."""
    made = _api(
        client,
        headers,
        "POST",
        f"/api/v1/networks/{network_id}/materials",
        json={
            "title": "Living well",
            "sections": [
                {"heading": "Choice", "body_markdown": f"**{ENGLISH}**", "easy_read_text": EASY}
            ],
        },
    )
    base = f"/api/v1/networks/{network_id}/materials/{made['id']}/versions/1"
    (section,) = _api(client, headers, "GET", f"{base}/sections")["items"]
    return base, int(section["id"])


def _network_with_material(
    client: TestClient, headers: dict[str, str]
) -> tuple[int, int, str, int, int]:
    """A network "Choice" with one local group and a material of one section: the network's
    id, the group's, the material's API address, the material's id and the section's id."""
    network = _api(client, headers, "POST", "/api/v1/networks", json={"title": "Choice"})
    nid = network["id"]
    group = _api(client, headers, "POST", f"/api/v1/networks/{nid}/groups", json={"name": "North"})
    base, section_id = _material(client, headers, nid)
    material_id = int(base.split("/materials/")[1].split("/")[0])
    return nid, group["id"], base, material_id, section_id


def test_the_leads_material_pages_in_welsh(
    logged_in: TestClient, session: Session, facilitator: Facilitator, api_headers: dict[str, str]
) -> None:
    network = make_network(session, facilitator)
    assert network.id is not None
    _base, section_id = _material(logged_in, api_headers, network.id)
    pages = f"/networks/{network.id}/materials"
    _welsh(logged_in)

    listing = logged_in.get(pages)
    assert listing.status_code == 200 and _lang(listing.text) == "cy"
    assert "<h1>Deunyddiau trafod</h1>" in listing.text
    assert "Dechrau deunydd" in listing.text and "Creu fersiwn 1" in listing.text
    # The status badge is a word people read: in Welsh too.
    assert ">drafft</span>" in listing.text

    material_id = _id(listing.text)
    version = logged_in.get(f"{pages}/{material_id}/versions/1")
    assert version.status_code == 200 and _lang(version.text) == "cy"
    assert "Darllen, rhannu a chymharu" in version.text and "Ychwanegu adran" in version.text
    assert ENGLISH in version.text  # the lead's own words stay as written

    edit_url = f"{pages}/{material_id}/versions/1/sections/{section_id}/edit"
    edit = logged_in.get(edit_url)
    assert edit.status_code == 200 and _lang(edit.text) == "cy"
    assert "Golygu “Choice”" in edit.text and "Cadw’r adran" in edit.text
    # The Welsh text has its own labelled field, marked as Welsh.
    assert '<label for="body-cy">Testun Cymraeg (dewisol)</label>' in edit.text
    assert re.search(r'<textarea id="body-cy" name="body_markdown_cy"[^>]* lang="cy"', edit.text)
    assert re.search(r'<textarea id="easy-cy" name="easy_read_text_cy"[^>]* lang="cy"', edit.text)

    # A refused form says why in Welsh, and keeps what was typed.
    refused = logged_in.post(
        edit_url,
        data={
            "csrf_token": csrf_of(logged_in, edit_url),
            "heading": "   ",
            "body_markdown": ENGLISH,
            "body_markdown_cy": WELSH,
        },
    )
    assert refused.status_code == 422
    assert "Mae angen pennawd ar bob adran." in refused.text
    assert f"{WELSH}</textarea>" in refused.text

    cross = logged_in.get(f"{pages}/cross-group")
    assert "<h1>Themâu ar draws grwpiau lleol</h1>" in cross.text

    # Dates are written the Welsh way.
    _api(logged_in, api_headers, "POST", f"{_base}/publish", json={})
    published = logged_in.get(f"{pages}/{material_id}/versions/1").text
    with i18n.speaking("cy"):
        today = i18n.format_day_pattern(utcnow(), "d MMMM y")
    assert f"Cyhoeddwyd {today}</span>" in published
    assert "Dechrau fersiwn 2 o’r un hon" in published


def _id(listing: str) -> int:
    match = re.search(r"/materials/(\d+)/versions/", listing)
    assert match
    return int(match.group(1))


def test_a_welsh_plural_on_the_version_page(
    logged_in: TestClient, session: Session, facilitator: Facilitator, api_headers: dict[str, str]
) -> None:
    """Merging evidence says how many came in, in the Welsh form for the number."""
    network = make_network(session, facilitator)
    assert network.id is not None
    place = make_group_cafe(session, facilitator, network, "North")
    one = say(session, place.cafe, SAID)
    two = say(session, place.cafe, "The bus never comes")
    _base, section_id = _material(logged_in, api_headers, network.id)
    pages = f"/networks/{network.id}/materials"
    material_id = _id(logged_in.get(pages).text)
    _welsh(logged_in)
    merge = f"{pages}/{material_id}/versions/1/sections/{section_id}/merge"
    done = logged_in.post(
        merge,
        data={"csrf_token": csrf_of(logged_in, merge), "contribution": [str(one.id), str(two.id)]},
    )
    assert done.status_code == 200, done.text
    assert "Ychwanegwyd 2 eitem o dystiolaeth at “Choice”." in done.text
    # What people said stays as they said it.
    assert f"“{SAID}”" in done.text


def test_the_api_answers_errors_in_welsh(
    client: TestClient, session: Session, facilitator: Facilitator, api_headers: dict[str, str]
) -> None:
    network = make_network(session, facilitator)
    assert network.id is not None
    base, section_id = _material(client, api_headers, network.id)
    welsh = {**api_headers, "Accept-Language": "cy"}
    r = client.patch(f"{base}/sections/{section_id}", json={"heading": " "}, headers=welsh)
    assert r.status_code == 422
    assert r.json()["detail"] == "Mae angen pennawd ar bob adran."
    r = client.patch(
        f"{base}/sections/{section_id}", json={"body_markdown_cy": "a" * 60_001}, headers=welsh
    )
    assert r.status_code == 422  # past the schema's limit
    r = client.post(
        f"/api/v1/networks/{network.id}/materials",
        json={"title": "   ", "sections": [{"heading": "A"}]},
        headers=welsh,
    )
    assert r.status_code == 422
    assert r.json()["detail"] == "Rhowch deitl i’r deunydd."
    r = client.get(f"/api/v1/networks/{network.id}/materials/999999/versions/1", headers=welsh)
    assert r.status_code == 404
    assert r.json()["detail"] == "Does dim deunydd o’r fath yn y rhwydwaith hwn."
    english = client.post(
        f"/api/v1/networks/{network.id}/materials",
        json={"title": "   ", "sections": [{"heading": "A"}]},
        headers=api_headers,
    )
    assert english.json()["detail"] == "Give the material a title."


def _member_phone(
    client: TestClient, headers: dict[str, str], group_id: int, name: str
) -> TestClient:
    member = _api(
        client,
        headers,
        "POST",
        f"/api/v1/networks/groups/{group_id}/members",
        json={"display_name": name, "role": "carer", "email": f"{name.lower()}@example.org"},
    )
    link = _api(client, headers, "POST", f"/api/v1/networks/members/{member['id']}/link")
    phone = TestClient(client.app, base_url=str(client.base_url))
    assert phone.get(urlsplit(link["url"]).path, follow_redirects=False).status_code == 303
    return phone


def test_welsh_text_through_the_form_and_the_api_reaches_welsh_readers_only(
    logged_in: TestClient, api_headers: dict[str, str]
) -> None:
    client = logged_in
    nid, group_id, base, material_id, section_id = _network_with_material(client, api_headers)

    # The lead writes the Welsh text in the section's form (the page in English).
    edit_url = f"/networks/{nid}/materials/{material_id}/versions/1/sections/{section_id}/edit"
    edit = client.get(edit_url)
    assert '<label for="body-cy">Welsh text (optional)</label>' in edit.text
    saved = client.post(
        edit_url,
        data={
            "csrf_token": csrf_of(client, edit_url),
            "heading": "Choice",
            "body_markdown": f"**{ENGLISH}**",
            "easy_read_text": EASY,
            "body_markdown_cy": f"**{WELSH}**",
            "easy_read_text_cy": "",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    section = _api(client, api_headers, "GET", f"{base}/sections/{section_id}")
    assert section["body_markdown_cy"] == f"**{WELSH}**" and section["easy_read_text_cy"] == ""
    version_page = client.get(f"/networks/{nid}/materials/{material_id}/versions/1").text
    assert f'<div lang="cy"><p><strong>{WELSH}</strong></p>' in version_page

    # The API sets the Welsh easy-read text, leaving the Welsh text as it was.
    section = _api(
        client,
        api_headers,
        "PATCH",
        f"{base}/sections/{section_id}",
        json={"easy_read_text_cy": EASY_CY},
    )
    assert section["easy_read_text_cy"] == EASY_CY
    assert section["body_markdown_cy"] == f"**{WELSH}**"
    # A section added through the API can carry its Welsh from the start.
    added = _api(
        client,
        api_headers,
        "POST",
        f"{base}/sections",
        json={"heading": "Money", "body_markdown": "Budgets", "body_markdown_cy": "Cyllidebau"},
    )
    assert added["body_markdown_cy"] == "Cyllidebau" and added["easy_read_text_cy"] == ""

    _api(client, api_headers, "POST", f"{base}/publish", json={})
    made = _api(client, api_headers, "POST", f"{base}/publications", json={})
    cymraeg = _welsh(_member_phone(client, api_headers, group_id, "Alaw"))
    english = _member_phone(client, api_headers, group_id, "Bob")
    page = f"/me/materials/{made['id']}"

    welsh_standard = cymraeg.get(page).text
    assert _lang(welsh_standard) == "cy"
    assert f'<div lang="cy"><p><strong>{WELSH}</strong></p>' in welsh_standard
    assert ENGLISH not in welsh_standard
    welsh_easy = cymraeg.get(page, params={"edition": "easy_read"}).text
    assert f'<div lang="cy"><p>{EASY_CY}</p></div>' in welsh_easy
    welsh_listen = cymraeg.get(page, params={"edition": "audio"}).text
    assert 'data-lang="cy"' in welsh_listen and WELSH in welsh_listen

    english_standard = english.get(page).text
    assert _lang(english_standard) == "en"
    assert f'<div lang="en"><p><strong>{ENGLISH}</strong></p>' in english_standard
    assert WELSH not in english_standard
    english_easy = english.get(page, params={"edition": "easy_read"}).text
    assert f'<div lang="en"><p>{EASY}</p></div>' in english_easy and EASY_CY not in english_easy

    # The next version keeps the Welsh.
    nxt = _api(
        client, api_headers, "POST", f"/api/v1/networks/{nid}/materials/{material_id}/versions"
    )
    copied = _api(
        client,
        api_headers,
        "GET",
        f"/api/v1/networks/{nid}/materials/{material_id}/versions/{nxt['number']}/sections",
    )["items"]
    assert [s["body_markdown_cy"] for s in copied] == [f"**{WELSH}**", "Cyllidebau"]

    # A change to the Welsh alone is a change: the comparison shows it, marked as Welsh.
    _api(
        client,
        api_headers,
        "PATCH",
        f"/api/v1/networks/{nid}/materials/{material_id}/versions/2/sections/{copied[1]['id']}",
        json={"body_markdown_cy": "Cyllidebau teg"},
    )
    diff = _api(
        client,
        api_headers,
        "GET",
        f"/api/v1/networks/{nid}/materials/{material_id}/diff",
        params={"from": 1, "to": 2},
    )
    money = diff["sections"][1]
    assert money["status"] == "changed" and money["body_cy"]["changed"]
    assert not money["body"]["changed"] and not diff["sections"][0]["body_cy"]["changed"]
    page = client.get(f"/networks/{nid}/materials/{material_id}/diff?from=1&to=2").text
    assert "<h3>Welsh text</h3>" in page
    assert re.search(r'<span lang="cy">Cyllidebau<ins> teg</ins></span>', page)


def test_a_welsh_reader_without_welsh_text_sees_the_english_marked_as_english(
    logged_in: TestClient, api_headers: dict[str, str]
) -> None:
    client = logged_in
    _nid, group_id, base, _material_id, _section_id = _network_with_material(client, api_headers)
    _api(client, api_headers, "POST", f"{base}/publish", json={})
    made = _api(client, api_headers, "POST", f"{base}/publications", json={})
    cymraeg = _welsh(_member_phone(client, api_headers, group_id, "Alaw"))
    page = cymraeg.get(f"/me/materials/{made['id']}").text
    assert _lang(page) == "cy"
    assert f'<div lang="en"><p><strong>{ENGLISH}</strong></p>' in page


def test_roles_pages_in_welsh(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = a_cafe(session, facilitator)
    settings = f"/cafes/{cafe.id}/settings"
    _welsh(logged_in)
    page = logged_in.get(settings).text
    assert "Pobl sy’n helpu i redeg y caffi hwn" in page
    assert "Gwneud dolen wahoddiad" in page
    made = logged_in.post(
        f"/cafes/{cafe.id}/co-facilitators",
        data={"email": "helper@example.org", "csrf_token": csrf(logged_in, settings)},
    )
    assert made.status_code == 200 and _lang(made.text) == "cy"
    assert "Gwahodd rhywun i helpu yn y caffi" in made.text
    assert "Dolen wahoddiad" in made.text
    refused = logged_in.post(
        f"/cafes/{cafe.id}/co-facilitators",
        data={"email": facilitator.email, "csrf_token": csrf(logged_in, settings)},
    )
    assert refused.status_code in (409, 422)
    assert "Eich e-bost chi yw hwnnw" in refused.text


def test_withdrawn_words_quoted_in_a_sections_welsh_text_are_replaced(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    """A quote kept as said inside the Welsh text goes when its author withdraws consent, as
    it does from the English."""
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    (section,) = _api(client, api_headers, "GET", f"{scene.material}/versions/2/sections")["items"]
    welsh = f"Dywedodd rhywun wrthon ni: “{WORDS}”."
    _api(
        client,
        api_headers,
        "PATCH",
        f"{scene.material}/versions/2/sections/{section['id']}",
        json={"body_markdown_cy": welsh, "easy_read_text_cy": WORDS},
    )
    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/consent",
        json={"evidence_consent": False},
        headers=api_headers,
    )
    assert r.status_code == 200
    (after,) = _api(client, api_headers, "GET", f"{scene.material}/versions/2/sections")["items"]
    assert WORDS not in after["body_markdown_cy"] and WORDS not in after["easy_read_text_cy"]
    # In Welsh, as the rest of the Welsh text is; the English text gets the English.
    assert i18n.in_language("cy", WITHDRAWN_TEXT) in after["body_markdown_cy"]
    assert WITHDRAWN_TEXT not in after["body_markdown_cy"]


def test_a_welsh_heading_through_the_form_and_the_api_reaches_welsh_readers_only(
    logged_in: TestClient, api_headers: dict[str, str]
) -> None:
    client = logged_in
    nid, group_id, base, material_id, section_id = _network_with_material(client, api_headers)
    section = _api(client, api_headers, "GET", f"{base}/sections/{section_id}")
    assert section["heading_cy"] is None  # not written yet

    # The lead writes it in the section's form, in a field marked as Welsh.
    edit_url = f"/networks/{nid}/materials/{material_id}/versions/1/sections/{section_id}/edit"
    edit = client.get(edit_url).text
    assert '<label for="heading-cy">Welsh heading (optional)</label>' in edit
    assert re.search(r'<input id="heading-cy" name="heading_cy"[^>]* lang="cy"', edit)
    saved = client.post(
        edit_url,
        data={
            "csrf_token": csrf_of(client, edit_url),
            "heading": "Choice",
            "heading_cy": "  Dewis  ",
            "body_markdown": ENGLISH,
            "body_markdown_cy": WELSH,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    section = _api(client, api_headers, "GET", f"{base}/sections/{section_id}")
    assert section["heading_cy"] == "Dewis" and section["heading"] == "Choice"
    assert 'value="Dewis"' in client.get(edit_url).text
    version_page = client.get(f"/networks/{nid}/materials/{material_id}/versions/1").text
    assert '<span lang="cy">Dewis</span>' in version_page

    # The API: a PATCH without it keeps it; a new section can carry one; "" takes it away.
    kept = _api(
        client, api_headers, "PATCH", f"{base}/sections/{section_id}", json={"heading": "Choices"}
    )
    assert kept["heading_cy"] == "Dewis"
    added = _api(
        client,
        api_headers,
        "POST",
        f"{base}/sections",
        json={"heading": "Money", "heading_cy": "Arian", "body_markdown": "Budgets"},
    )
    assert added["heading_cy"] == "Arian"
    third = _api(
        client, api_headers, "POST", f"{base}/sections", json={"heading": "Time", "heading_cy": ""}
    )
    assert third["heading_cy"] is None
    cleared = _api(
        client, api_headers, "PATCH", f"{base}/sections/{third['id']}", json={"heading_cy": "Amser"}
    )
    assert cleared["heading_cy"] == "Amser"
    cleared = _api(
        client, api_headers, "PATCH", f"{base}/sections/{third['id']}", json={"heading_cy": None}
    )
    assert cleared["heading_cy"] is None
    too_long = client.patch(
        f"{base}/sections/{section_id}", json={"heading_cy": "a" * 201}, headers=api_headers
    )
    assert too_long.status_code == 422

    _api(client, api_headers, "POST", f"{base}/publish", json={})
    made = _api(client, api_headers, "POST", f"{base}/publications", json={})
    cymraeg = _welsh(_member_phone(client, api_headers, group_id, "Alaw"))
    english = _member_phone(client, api_headers, group_id, "Bob")
    page = f"/me/materials/{made['id']}"
    for edition in ("standard", "easy_read", "audio"):
        welsh = cymraeg.get(page, params={"edition": edition}).text
        assert '<h2 id="part-1-heading" lang="cy">Dewis</h2>' in welsh
        assert '<h2 id="part-2-heading" lang="cy">Arian</h2>' in welsh
        # No Welsh heading: the English one, marked as English.
        assert '<h2 id="part-3-heading" lang="en">Time</h2>' in welsh
        plain = english.get(page, params={"edition": edition}).text
        assert '<h2 id="part-1-heading" lang="en">Choices</h2>' in plain
        assert "Dewis" not in plain and "Arian" not in plain

    # The next version keeps the Welsh headings.
    nxt = _api(
        client, api_headers, "POST", f"/api/v1/networks/{nid}/materials/{material_id}/versions"
    )
    copied = _api(
        client,
        api_headers,
        "GET",
        f"/api/v1/networks/{nid}/materials/{material_id}/versions/{nxt['number']}/sections",
    )["items"]
    assert [s["heading_cy"] for s in copied] == ["Dewis", "Arian", None]

    # A change to a Welsh heading alone is a change, and the comparison says what it was.
    materials = f"/api/v1/networks/{nid}/materials/{material_id}"
    for section, welsh in ((copied[0], "Dewisiadau"), (copied[2], "Amser")):
        _api(
            client,
            api_headers,
            "PATCH",
            f"{materials}/versions/2/sections/{section['id']}",
            json={"heading_cy": welsh},
        )
    diff = _api(client, api_headers, "GET", f"{materials}/diff", params={"from": 1, "to": 2})
    choices, money, time = diff["sections"]
    assert choices["status"] == "changed" and choices["heading_cy"]["changed"]
    assert not choices["heading"]["changed"] and not money["heading_cy"]["changed"]
    assert money["status"] == "unchanged" and time["status"] == "changed"
    page = client.get(f"/networks/{nid}/materials/{material_id}/diff?from=1&to=2").text
    assert "Welsh heading was “Dewis”, now “Dewisiadau”." in page
    assert "Welsh heading added: “Amser”." in page


def _export(client: TestClient, headers: dict[str, str], url: str, **params: str) -> bytes:
    r = client.get(f"{url}/export", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.content


def _docx_parts(data: bytes) -> tuple[str, str]:
    """A DOCX's document.xml and styles.xml."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return (
            package.read("word/document.xml").decode(),
            package.read("word/styles.xml").decode(),
        )


def _run_lang(document: str, text: str) -> str | None:
    """The `w:lang` of the run whose text starts with `text` (None: the document's)."""
    found = re.search(
        r"<w:r>(<w:rPr>(?:(?!</w:rPr>).)*</w:rPr>)?<w:t xml:space=\"preserve\">" + re.escape(text),
        document,
    )
    assert found, text
    lang = re.search(r'<w:lang w:val="([^"]+)"/>', found.group(1) or "")
    return lang.group(1) if lang else None


def test_exports_in_welsh_carry_the_welsh_text_marked_and_withdrawn_words_redacted(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    """With `lang=cy` the Markdown, DOCX and easy-read exports write each section's Welsh
    heading, text and easy read where the lead wrote them (the English where not), the DOCX
    marks each part's language, and words withdrawn since are gone from the Welsh too."""
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    draft = f"{scene.material}/versions/2"
    (section,) = _api(client, api_headers, "GET", f"{draft}/sections")["items"]
    quoted = f"Dywedodd rhywun wrthon ni: “{WORDS}”."
    _api(
        client,
        api_headers,
        "PATCH",
        f"{draft}/sections/{section['id']}",
        json={
            "heading_cy": "Canfyddiadau",
            "body_markdown_cy": quoted,
            "easy_read_text": EASY,
            "easy_read_text_cy": EASY_CY,
        },
    )
    _api(
        client,
        api_headers,
        "POST",
        f"{draft}/sections",
        json={"heading": "Money", "body_markdown": "Budgets are tight."},
    )
    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/consent",
        json={"evidence_consent": False},
        headers=api_headers,
    )
    assert r.status_code == 200
    with i18n.speaking("cy"):
        withdrawn = i18n.gettext(WITHDRAWN_TEXT)
        easy_read = i18n.gettext("Easy read")

    welsh = _export(client, api_headers, draft, format="md", lang="cy").decode()
    assert "## Canfyddiadau" in welsh and "Dywedodd rhywun wrthon ni" in welsh
    assert f"### {easy_read}\n\n{EASY_CY}" in welsh
    assert "## Money" in welsh and "Budgets are tight." in welsh  # no Welsh: the English
    assert WORDS not in welsh and "Findings" not in welsh and EASY not in welsh
    # Withdrawn, in Welsh, in the Welsh text and in the evidence listed under it.
    assert welsh.count(withdrawn) == 2 and WITHDRAWN_TEXT not in welsh
    english = _export(client, api_headers, draft, format="md", lang="en").decode()
    assert "## Findings" in english and "Canfyddiadau" not in english
    assert "Dywedodd" not in english and WORDS not in english

    document, styles = _docx_parts(_export(client, api_headers, draft, format="docx", lang="cy"))
    assert re.search(r'<w:docDefaults>.*<w:lang w:val="cy-GB"', styles, re.S)
    assert _run_lang(document, "Canfyddiadau") == "cy-GB"
    assert _run_lang(document, "Dywedodd rhywun") == "cy-GB"
    assert _run_lang(document, EASY_CY) == "cy-GB"
    assert _run_lang(document, "Money") == "en-GB"
    assert _run_lang(document, "Budgets are tight.") == "en-GB"
    assert WORDS not in document and withdrawn in document

    easy_docx, _styles = _docx_parts(
        _export(client, api_headers, draft, format="docx", edition="easy_read", lang="cy")
    )
    assert _run_lang(easy_docx, "Canfyddiadau") == "cy-GB"
    assert _run_lang(easy_docx, EASY_CY) == "cy-GB"
    assert _run_lang(easy_docx, "Money") == "en-GB" and WORDS not in easy_docx

    edition = json.loads(
        _export(client, api_headers, draft, format="json", edition="easy_read", lang="cy")
    )
    first, second = edition["sections"]
    assert (first["heading"], first["heading_language"]) == ("Canfyddiadau", "cy")
    assert (first["lines"], first["lines_language"]) == ([EASY_CY], "cy")
    assert any(withdrawn in said for said in first["said"])
    assert (second["heading"], second["heading_language"]) == ("Money", "en")
    assert (second["lines"], second["lines_language"]) == (["Budgets are tight."], "en")
    assert WORDS not in json.dumps(edition, ensure_ascii=False)


def test_erased_words_read_in_the_readers_language_and_are_not_quoted(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    """Erased words are stored as a fixed English phrase; a Welsh export lists that phrase
    in Welsh among the evidence, and no export puts it in quotation marks as though someone
    had said it. (The section's English text, shown where the lead wrote no Welsh, keeps
    the phrase in English, marked as English.)"""
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/erase", headers=api_headers
    )
    assert r.status_code == 200, r.text
    draft = f"{scene.material}/versions/2"
    with i18n.speaking("cy"):
        removed_cy = i18n.gettext(REQUESTED)
    assert removed_cy != REQUESTED

    welsh = _export(client, api_headers, draft, format="md", lang="cy").decode()
    assert f"- {removed_cy} — " in welsh and f"- “{REQUESTED}" not in welsh
    english = _export(client, api_headers, draft, format="md", lang="en").decode()
    assert f"- {REQUESTED} — " in english and f"“{REQUESTED}" not in english
    document, _styles = _docx_parts(_export(client, api_headers, draft, format="docx", lang="cy"))
    assert removed_cy in document
    edition = json.loads(
        _export(client, api_headers, draft, format="json", edition="easy_read", lang="cy")
    )
    said = [line for section in edition["sections"] for line in section["said"]]
    assert any(line.endswith(removed_cy) for line in said), said
    assert not any(REQUESTED in line for line in said), said


def test_the_leads_print_view_and_audio_words_in_welsh_where_the_lead_wrote_them(
    logged_in: TestClient, api_headers: dict[str, str], settings: Settings
) -> None:
    """A lead reading in Welsh prints the version, and takes the audio edition's words, with
    each section's heading and text in Welsh where they wrote it, marked as Welsh; the
    English otherwise. A lead reading in English gets the English."""
    client = logged_in
    nid, _group_id, base, material_id, section_id = _network_with_material(client, api_headers)
    _api(
        client,
        api_headers,
        "PATCH",
        f"{base}/sections/{section_id}",
        json={"heading_cy": "Dewis", "body_markdown_cy": f"**{WELSH}**"},
    )
    added = _api(
        client,
        api_headers,
        "POST",
        f"{base}/sections",
        json={"heading": "Money", "body_markdown": "Budgets"},
    )
    printed = f"/networks/{nid}/materials/{material_id}/versions/1/print"
    english = client.get(printed).text
    assert f'<h2 id="p-section-{section_id}">Choice</h2>' in english
    assert f"<strong>{ENGLISH}</strong>" in english and WELSH not in english

    welsh = _welsh(client).get(printed).text
    assert _lang(welsh) == "cy"
    assert f'<h2 id="p-section-{section_id}">Dewis</h2>' in welsh
    assert f"<strong>{WELSH}</strong>" in welsh and ENGLISH not in welsh
    # Nothing written in Welsh for the second section: its English, marked as English.
    assert f'<h2 id="p-section-{added["id"]}" lang="en">Money</h2>' in welsh
    assert '<div lang="en"><p>Budgets</p>' in welsh

    # The audio edition's words follow the same reading (a recording for the first section).
    recording = client.put(
        f"{base}/sections/{section_id}/recording",
        files={"file": ("r.webm", CHROMIUM, "audio/webm")},
        headers=api_headers,
    )
    assert recording.status_code == 200, recording.text
    for lang, heading, words in (("cy", "Dewis", WELSH), ("en", "Choice", ENGLISH)):
        r = client.get(f"{base}/audio", params={"lang": lang}, headers=api_headers)
        assert r.status_code == 200, r.text
        text = zipfile.ZipFile(io.BytesIO(r.content)).read("words.txt").decode()
        assert f"1. {heading}\n\n{words}" in text, text
        assert "2. Money\n\nBudgets" in text


def test_the_leads_pages_show_erased_words_in_the_readers_language_not_quoted(
    logged_in: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    """The lead's version page and print view list erased evidence by the fixed phrase, in
    the lead's language and in italics, never in quotation marks as if someone had said it."""
    client = logged_in
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/erase", headers=api_headers
    )
    assert r.status_code == 200, r.text
    with i18n.speaking("cy"):
        removed_cy = i18n.gettext(REQUESTED)
    draft = scene.material.removeprefix("/api/v1") + "/versions/2"
    for path in (draft, f"{draft}/print"):
        english = client.get(path).text
        assert f"<em>{escape(REQUESTED)}</em>" in english, path
        assert f"“{escape(REQUESTED)}" not in english, path
    for path in (draft, f"{draft}/print"):
        welsh = _welsh(client).get(path).text
        assert f"<em>{escape(removed_cy)}</em>" in welsh, path
        # (The section's English text keeps the phrase where the lead quoted the words.)
        assert f"<em>{escape(REQUESTED)}</em>" not in welsh, path
        assert f"“{escape(REQUESTED)}" not in welsh, path
