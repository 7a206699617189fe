"""Welsh on the phone (issue 27): the phone's pages, its refusals and its scripts' words in
Welsh, each phone's live pushes in its own language (the fixed words, never the cards), a
bilingual café's join page in Welsh then English, and the latest message kept in app/live."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app import i18n
from app.live.reshape import latest_broadcasts
from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from tests.board.test_board import (
    ORIGIN,
    join,
    new_cafe,
    phone,
    post,
    seat,
    setup_two_tables,
    start,
    token,
)
from tests.conftest import csrf_of
from tests.factories import make_cafe


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([a-z]+)"', html)
    assert found, "no <html lang>"
    return found.group(1)


def _welsh(p: TestClient) -> TestClient:
    p.cookies.set(i18n.COOKIE, "cy")
    return p


def _join(client: TestClient, code: str, name: str, lang: str | None = None) -> TestClient:
    """A phone that has chosen `lang` (the switch's cookie) before joining."""
    p = phone(client)
    if lang:
        p.cookies.set(i18n.COOKIE, lang)
    answer = p.post(
        f"/j/{code}",
        data={"display_name": name, "csrf_token": csrf_of(p, f"/j/{code}")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return p


def test_the_start_page_and_the_phone_page_in_welsh(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    home = _welsh(phone(client)).get("/")
    assert _lang(home.text) == "cy"
    assert "Ymuno â chaffi" in home.text
    assert "Teipiwch y cod sydd ar y sgrin fawr." in home.text
    cafe = new_cafe(client, api_headers)
    ann = _join(client, cafe["code"], "Ann", "cy")
    page = ann.get(f"/p/{cafe['code']}").text
    assert _lang(page) == "cy"
    assert "Rydych chi wedi ymuno fel <strong>Ann</strong>" in page
    assert "Croeso, Ann" in page
    assert "Ychwanegu at y bwrdd" in page
    assert "Gadael y caffi" in page
    start(client, api_headers, cafe)
    page = ann.get(f"/p/{cafe['code']}").text
    assert "Rownd 1" in page and "Beth hoffech chi ei ychwanegu?" in page
    # The English phone's page is as it was.
    bo = _join(client, cafe["code"], "Bo")
    english = bo.get(f"/p/{cafe['code']}").text
    assert _lang(english) == "en"
    assert "What do you want to add?" in english and "Ychwanegu" not in english


def test_a_post_refused_is_refused_in_welsh(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = new_cafe(client, api_headers)
    ann = _join(client, cafe["code"], "Ann", "cy")
    early = post(ann, cafe["code"], "Too soon", htmx=True)
    assert early.status_code == 409
    assert "Gallwch ychwanegu at fwrdd eich bwrdd pan fydd y rownd gyntaf yn dechrau." in early.text
    start(client, api_headers, cafe)
    empty = post(ann, cafe["code"], "   ", htmx=True)
    assert empty.status_code == 422
    assert "Ysgrifennwch rywbeth cyn ei anfon." in empty.text
    odd = post(ann, cafe["code"], "Something", htmx=True, kind="nonsense")
    assert odd.status_code == 422
    assert "Dewiswch pa fath o gyfraniad yw hwn: " in odd.text
    # An unknown code, in Welsh too.
    lost = _welsh(phone(client)).get("/j/ZZZZZZ")
    assert lost.status_code == 404
    assert "Doedden ni ddim yn gallu dod o hyd i gaffi" in lost.text


def test_an_api_refusal_in_welsh(client: TestClient, api_headers: dict[str, str]) -> None:
    cafe = new_cafe(client, api_headers)
    answer = client.post(
        f"/api/v1/cafes/{cafe['id']}/contributions/999999/hide",
        headers={**api_headers, "Accept-Language": "cy"},
    )
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Does dim cyfraniad o’r fath yn y caffi hwn."}


def test_welsh_plurals_on_the_phone(client: TestClient, api_headers: dict[str, str]) -> None:
    with i18n.speaking("cy"):
        assert (
            i18n.ngettext("Round %(number)s: %(num)s card", "x", 2, number=1) == "Rownd 1: 2 gerdyn"
        )
        assert i18n.ngettext("%(num)s person at your table.", "x", 3) == (
            "3 pherson wrth eich bwrdd."
        )
    cafe = new_cafe(client, api_headers, names_visible=False)
    ann = _join(client, cafe["code"], "Ann", "cy")
    _join(client, cafe["code"], "Bo")
    start(client, api_headers, cafe)
    seat(client, api_headers, cafe, {"Ann": 1, "Bo": 1})
    page = ann.get(f"/p/{cafe['code']}").text
    assert "2 berson wrth eich bwrdd." in page


def test_the_scripts_words_come_in_the_pages_language(client: TestClient) -> None:
    def words(p: TestClient) -> dict[str, str]:
        found = re.search(
            r'<script type="application/json" id="tc-strings">(.*?)</script>', p.get("/").text
        )
        assert found
        loaded: dict[str, str] = json.loads(found.group(1))
        return loaded

    welsh = words(_welsh(phone(client)))
    assert welsh["time_up"] == "Mae’r amser ar ben"
    assert welsh["voice_ready"].count("%(time)s") == 1
    assert welsh["sent"] == "Wedi’i anfon: mae eich cerdyn ar y bwrdd."
    english = words(phone(client))
    assert english["time_up"] == "Time is up"
    # Every key the scripts ask for is served, and each script keeps its English fallback.
    assert set(welsh) == set(english)
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "app" / "static"
    for name in ("tablecloth.js", "compose.js", "read_aloud.js"):
        script = (static / name).read_text()
        for key in re.findall(r'\bt\("([a-z_]+)", "', script):
            assert key in english, (name, key)


def test_the_phone_page_loads_the_words_before_the_scripts_that_show_them(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """shared.js reads the page's words for every script (`Tablecloth.t`). Deferred scripts
    run in the order they appear, so it must come before them, deferred too; it is served
    from this site, as the CSP (script-src 'self') wants."""
    cafe = new_cafe(client, api_headers)
    ann = _join(client, cafe["code"], "Ann", "cy")
    page = ann.get(f"/p/{cafe['code']}").text
    tags = re.findall(r'<script src="(/static/[a-z_]+\.js\?v=[0-9a-f]+)"( defer)?>', page)
    names = [src.split("?")[0].removeprefix("/static/") for src, _ in tags]
    assert names[:3] == ["shared.js", "tablecloth.js", "compose.js"], names
    assert all(deferred for _, deferred in tags), tags
    for src, _ in tags:
        served = ann.get(src)
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]
    assert "window.Tablecloth = " in ann.get(tags[0][0]).text


def _until(ws: Any, needle: str, tries: int = 6) -> str:
    """The next push that holds `needle` (a push may come in two parts)."""
    seen = []
    for _ in range(tries):
        text: str = ws.receive_text()
        seen.append(text)
        if needle in text:
            return text
    raise AssertionError(f"{needle!r} not pushed; got {seen!r}")


def test_two_phones_at_one_table_each_hear_the_room_in_their_own_language(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """One phone Welsh (the cookie), one English, at the same table: a new card and a round
    change reach both, each with its own fixed words; the card's words are the same."""
    cafe = new_cafe(client, api_headers)
    code = cafe["code"]
    ann = _join(client, code, "Ann", "cy")
    bo = _join(client, code, "Bo")
    di = _join(client, code, "Di")
    start(client, api_headers, cafe)
    seat(client, api_headers, cafe, {"Ann": 1, "Bo": 1, "Di": 1})
    with (
        ann.websocket_connect(f"/ws/p/{cafe['id']}", headers=ORIGIN) as ann_ws,
        bo.websocket_connect(f"/ws/p/{cafe['id']}", headers=ORIGIN) as bo_ws,
    ):
        first_cy = _until(ann_ws, 'id="board"')
        first_en = _until(bo_ws, 'id="board"')
        assert "Bwrdd eich bwrdd" in first_cy or ": y bwrdd" in first_cy
        assert ": the board" in first_en
        card = "Mwy o fysiau i’r pentref / More buses to the village"
        assert post(di, code, card, htmx=True).status_code == 200
        pushed_cy = _until(ann_ws, "c-")
        pushed_en = _until(bo_ws, "c-")
        assert card in pushed_cy and card in pushed_en
        assert "Newydd ar fwrdd eich bwrdd: " + card in pushed_cy
        assert "New on your table&#39;s board: " + card in pushed_en
        assert ">Cytuno<" in pushed_cy and ">Agree<" in pushed_en
        assert "Agree" not in pushed_cy and "Cytuno" not in pushed_en
        # The card's own words are drawn identically for both.
        text_cy = re.search(r'<p class="card-text">(.*?)</p>', pushed_cy)
        text_en = re.search(r'<p class="card-text">(.*?)</p>', pushed_en)
        assert text_cy and text_en and text_cy.group(1) == text_en.group(1)
        # A round change: each phone's table, clock and board in its own language.
        start(client, api_headers, cafe)
        round_cy = _until(ann_ws, 'id="now"')
        round_en = _until(bo_ws, 'id="now"')
        assert "Rownd 2" in round_cy and "Amser ar ôl" in round_cy
        assert "Round 2" in round_en and "Time left" in round_en
        assert "Rownd" not in round_en and "Round 2" not in round_cy


def test_a_welsh_cafe_pushes_in_welsh_to_a_phone_that_has_not_chosen(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe = new_cafe(client, api_headers)
    row = session.get(Cafe, cafe["id"])
    assert row is not None
    row.language = "cy"
    session.add(row)
    session.commit()
    guest = _join(client, cafe["code"], "Ann")  # no cookie: the café's default applies
    chose = _join(client, cafe["code"], "Bo", "en")  # chose English: keeps it
    headers = {**ORIGIN, "accept-language": "en-GB"}
    with (
        guest.websocket_connect(f"/ws/p/{cafe['id']}", headers=headers) as guest_ws,
        chose.websocket_connect(f"/ws/p/{cafe['id']}", headers=headers) as chose_ws,
    ):
        assert "Dydy’r rownd gyntaf ddim wedi dechrau eto" in _until(guest_ws, 'id="now"')
        assert "The first round has not started yet" in _until(chose_ws, 'id="now"')


def test_a_bilingual_cafe_joins_in_welsh_then_english(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    cafe.bilingual = True
    session.add(cafe)
    session.commit()
    page = phone(client).get(f"/j/{cafe.code}").text
    both = (
        '<span class="bilingual"><span lang="cy">Eich enw ar gyfer heddiw</span> / '
        '<span lang="en">Your name for today</span></span>'
    )
    assert both in page
    assert '<span lang="cy">Ymuno â’r caffi</span> / <span lang="en">Join the café</span>' in page
    # Both languages offered at the top of the form, each in its own language.
    offer = page[page.index('class="row join-language"') :]
    assert re.search(r'value="cy" lang="cy"[^>]*>Cymraeg<', offer)
    assert re.search(r'value="en" lang="en"[^>]*>English<', offer)
    # A café that is not bilingual shows one language only.
    cafe.bilingual = False
    session.add(cafe)
    session.commit()
    single = phone(client).get(f"/j/{cafe.code}").text
    assert "Your name for today" in single and "Eich enw ar gyfer heddiw" not in single
    assert "join-language" not in single


def test_the_latest_message_is_kept_for_the_phone_pages(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = new_cafe(client, api_headers)
    ann = join(client, cafe["code"], "Ann")
    assert "From the facilitator" not in ann.get(f"/p/{cafe['code']}").text
    sent = client.post(
        f"/api/v1/cafes/{cafe['id']}/broadcast",
        json={"text": "Tea is ready"},
        headers=api_headers,
    )
    assert sent.status_code == 201, sent.text
    # The page shows it without reading it: the message sent here replaced the kept one.
    assert "Tea is ready" in ann.get(f"/p/{cafe['code']}").text

    class NoReads:
        def exec(self, *_args: object, **_kwargs: object) -> object:
            raise AssertionError("read again")

    kept = latest_broadcasts.latest(NoReads(), cafe["id"])  # type: ignore[arg-type]
    assert kept is not None and kept.text == "Tea is ready"
    latest_broadcasts.forget(cafe["id"])
    assert "Tea is ready" in ann.get(f"/p/{cafe['code']}").text  # read again, and kept
    assert token(ann, cafe["code"])


def test_someone_who_left_is_named_in_the_readers_language(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """A café that shows names: Ann writes a card, then leaves, and her name goes with her.
    Her tablemate reads "Someone who left" under the card in their own language, and so do
    the API and the notes in Welsh (the placeholder is stored once, in English)."""
    cafe, ann, bo, _cy = setup_two_tables(client, api_headers, names_visible=True)
    code = cafe["code"]
    assert post(ann, code, "A lift to the shops").status_code in {200, 303}
    left = ann.post(f"/p/{code}/leave", data={"csrf_token": csrf_of(ann, f"/p/{code}")})
    assert left.status_code == 200, left.text
    with i18n.speaking("cy"):
        gone_cy = i18n.gettext("Someone who left")
    assert gone_cy != "Someone who left"

    english = bo.get(f"/p/{code}").text
    assert '<p class="byline">Someone who left</p>' in english
    welsh = _welsh(bo).get(f"/p/{code}").text
    assert f'<p class="byline">{gone_cy}</p>' in welsh and "Someone who left" not in welsh

    items = client.get(
        f"/api/v1/cafes/{cafe['id']}/contributions",
        headers={**api_headers, "Accept-Language": "cy"},
    ).json()["items"]
    assert [i["author"] for i in items] == [gone_cy]
    notes = client.get(
        f"/api/v1/cafes/{cafe['id']}/notes",
        params={"format": "md", "lang": "cy"},
        headers=api_headers,
    ).text
    assert gone_cy in notes and "Someone who left" not in notes
    sheet = client.get(
        f"/api/v1/cafes/{cafe['id']}/notes",
        params={"format": "csv", "lang": "cy"},
        headers=api_headers,
    ).text
    assert gone_cy in sheet
