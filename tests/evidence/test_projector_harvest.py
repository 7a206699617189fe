"""The harvest on the projector: themes with counts, the most-agreed cards and a word cloud
(SVG drawn on the server), toggled from the console and redrawn live."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.evidence import Reaction
from app.services.evidence import projector, wordcloud
from app.services.evidence import themes as theme_service
from tests.conftest import BASE_URL, csrf_of
from tests.factories import make_cafe, make_contribution, make_participant


@pytest.fixture
def cafe(session: Session, facilitator: Facilitator) -> Cafe:
    return make_cafe(session, facilitator)


def cloud_words(html: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r'data-count="(\d+)">([^<]+)</text>', html)}


def test_words_leave_out_stop_words_short_words_numbers_and_hidden_names() -> None:
    words = wordcloud.words_of(
        [
            "The bus is late and the bus is full",
            "Transport: the BUS, again! 42 buses",
            "Priya said the bus helps",
            "It’s about transport",
        ],
        hidden=wordcloud.name_words(["Priya S."]),
    )
    counted = dict(words)
    assert counted["bus"] == 4
    assert counted["transport"] == 2
    for gone in ("the", "and", "is", "it's", "about", "42", "priya"):
        assert gone not in counted
    assert words[0] == ("bus", 4)  # most frequent first


def test_the_cloud_is_an_svg_image_with_its_words_said_and_escaped() -> None:
    svg = wordcloud.svg([("carers", 5), ("o'brien", 2), ("transport", 1)])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and "<title" in svg
    assert "carers (5)" in svg  # the description lists words and counts
    assert cloud_words(svg) == {"carers": 5, "o'brien": 2, "transport": 1}
    sizes = [int(s) for s in re.findall(r'font-size="(\d+)"', svg)]
    assert sizes[0] > sizes[-1]  # the more frequent, the larger
    assert "<script" not in wordcloud.svg([("<script>", 1)])
    assert wordcloud.svg([]).count("<text") == 0
    # Deterministic, and no two words drawn over each other.
    many = [(f"word{chr(97 + i)}x", 40 - i) for i in range(26)]
    assert wordcloud.layout(many) == wordcloud.layout(many)
    placed = wordcloud.layout(many)
    assert len(placed) > 10
    boxes = [
        (
            p.x - (0.6 * p.size * len(p.word) + 8) / 2,
            p.y - 0.575 * p.size,
            p.x + (0.6 * p.size * len(p.word) + 8) / 2,
            p.y + 0.575 * p.size,
        )
        for p in placed
    ]
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= wordcloud.WIDTH and a[3] <= wordcloud.HEIGHT
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_the_harvest_counts_what_we_heard_counts(session: Session, cafe: Cafe) -> None:
    ann = make_participant(session, cafe, "Ann")
    bus = make_contribution(session, cafe, "The bus to the day centre is late", participant=ann)
    make_contribution(session, cafe, "Another bus problem: the bus never comes")
    make_contribution(session, cafe, "Secret hidden words xylophone", status="hidden")
    make_contribution(session, cafe, "Withdrawn words zeppelin", status="withdrawn")
    make_contribution(session, cafe, "Waiting words quagmire", status="pending")
    make_contribution(session, cafe, "Ann thinks carers need breaks")
    theme_service.create_theme(
        session=session, cafe=cafe, name="Getting about", contribution_ids=[bus.id], now=utcnow()
    )
    session.add(Reaction(contribution_id=bus.id, participant_id=ann.id))
    session.commit()
    shown = projector.projector_harvest(session=session, cafe=cafe)
    assert shown.total == 3
    assert shown.themes == [("Getting about", 1)]
    assert shown.agreed[0].text == "The bus to the day centre is late"
    assert shown.agreed[0].reactions == 1
    counted = dict(shown.words)
    assert counted["bus"] == 3
    for gone in ("xylophone", "zeppelin", "quagmire", "ann"):
        assert gone not in counted
    # A café that shows names keeps a name said in a card.
    cafe.names_visible = True
    session.add(cafe)
    session.commit()
    assert "ann" in dict(projector.projector_harvest(session=session, cafe=cafe).words)


def test_the_console_toggles_the_projector_into_harvest_mode(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    bus = make_contribution(session, cafe, "The bus to the day centre is late")
    theme_service.create_theme(
        session=session, cafe=cafe, name="Getting about", contribution_ids=[bus.id], now=utcnow()
    )
    before = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert "word-cloud" not in before
    console = logged_in.get(f"/cafes/{cafe.id}/console")
    assert "Show the harvest on the projector" in console.text
    token = csrf_of(logged_in, f"/cafes/{cafe.id}/console")
    origin = {"origin": BASE_URL}
    with logged_in.websocket_connect(f"/ws/projector/{cafe.id}", headers=origin) as ws:
        assert "word-cloud" not in ws.receive_text()
        r = logged_in.post(
            f"/cafes/{cafe.id}/projector/harvest",
            data={"csrf_token": token, "on": "true"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        pushed = ws.receive_text()
        assert "word-cloud" in pushed
        assert "Getting about" in pushed
        assert cloud_words(pushed)["bus"] == 1
    page = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert "Getting about" in page and 'class="word-cloud"' in page
    assert "The projector shows the harvest." in logged_in.get(f"/cafes/{cafe.id}/console").text
    r = logged_in.post(
        f"/cafes/{cafe.id}/projector/harvest",
        data={"csrf_token": token, "on": "false"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "word-cloud" not in logged_in.get(f"/cafes/{cafe.id}/projector").text
    refused = logged_in.post(f"/cafes/{cafe.id}/projector/harvest", data={"on": "true"})
    assert refused.status_code == 403


def test_the_harvest_on_the_projector_follows_new_cards(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, session: Session
) -> None:
    from tests.board.test_board import post, setup_two_tables

    found, ann, _, _ = setup_two_tables(client, api_headers)
    cafe = session.get(Cafe, found["id"])
    assert cafe is not None
    cafe.projector_harvest = True
    session.add(cafe)
    session.commit()
    origin = {"origin": BASE_URL}
    with logged_in.websocket_connect(f"/ws/projector/{cafe.id}", headers=origin) as ws:
        assert "flamingo" not in cloud_words(ws.receive_text())
        assert post(ann, cafe.code, "A flamingo would cheer us up").status_code == 303
        for _ in range(5):
            pushed = ws.receive_text()
            if "flamingo" in cloud_words(pushed):
                break
        assert cloud_words(pushed)["flamingo"] == 1
