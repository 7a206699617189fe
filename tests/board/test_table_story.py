"""The host's story of their table tells the question that table was asked in each earlier
round: its own, where the café gave it one."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.board.test_board import post, setup_two_tables, start
from tests.board.test_media_compose import make_host


def test_the_story_tells_the_tables_own_question(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    rounds = [
        {
            "question": "What does a good day look like?",
            "minutes": 10,
            "table_questions": [{"table": 1, "question": "What helps you get out?"}],
        },
        {"question": "What gets in the way?", "minutes": 10},
    ]
    cafe, ann, bo, _ = setup_two_tables(client, api_headers, rounds=rounds)
    code = cafe["code"]
    make_host(client, api_headers, cafe, "Bo", 1)
    assert post(ann, code, "A lift to the shops").status_code in {200, 303}
    start(client, api_headers, cafe)  # round 2
    page = bo.get(f"/p/{code}").text
    story = page[page.index('id="table-story"') :]
    story = story[: story.index("</section>")]
    assert "A lift to the shops" in story
    assert "The question was: What helps you get out?" in story
    assert "What does a good day look like?" not in story


def test_a_refused_post_without_javascript_keeps_the_story_and_the_rooms_message(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """A phone without JavaScript whose card was refused is drawn the whole page again, to
    read why: it is the same page it left, with the facilitator's message and the host's
    story of the table, not a page short of them."""
    cafe, ann, bo, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    make_host(client, api_headers, cafe, "Bo", 1)
    assert post(ann, code, "A lift to the shops").status_code in {200, 303}
    start(client, api_headers, cafe)  # round 2
    sent = client.post(
        f"/api/v1/cafes/{cafe['id']}/broadcast",
        json={"text": "Tea is in the hall"},
        headers=api_headers,
    )
    assert sent.status_code in {200, 201}, sent.text
    first = bo.get(f"/p/{code}").text
    assert "Tea is in the hall" in first and 'id="table-story"' in first

    refused = post(bo, code, "x" * 501)
    assert refused.status_code == 422
    page = refused.text
    assert 'class="alert' in page  # why it was refused
    assert "Tea is in the hall" in page
    story = page[page.index('id="table-story"') :]
    assert "A lift to the shops" in story[: story.index("</section>")]
    assert 'id="room-help"' in page  # the call for help stays within reach
