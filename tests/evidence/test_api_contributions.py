"""The contributions API: filters, cursor sync, tombstones, themes, bad input, authorisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator, TokenScope
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.evidence import Contribution
from app.services import accounts, audit
from app.services.board.moderation import hide
from app.services.evidence import themes as theme_service
from tests.factories import make_cafe, make_contribution, make_facilitator, make_participant


@pytest.fixture
def cafe(session: Session, facilitator: Facilitator) -> Cafe:
    return make_cafe(session, facilitator)


def _url(cafe: Cafe, suffix: str = "contributions") -> str:
    return f"/api/v1/cafes/{cafe.id}/{suffix}"


def _texts(body: dict[str, object]) -> list[str]:
    return [item["text"] for item in body["items"]]  # type: ignore[attr-defined]


def test_filters(
    client: TestClient, session: Session, cafe: Cafe, api_headers: dict[str, str]
) -> None:
    make_contribution(session, cafe, "one", table=1, round=1, kind="idea", role="carer")
    make_contribution(
        session,
        cafe,
        "two",
        table=2,
        round=1,
        kind="barrier",
        evidence_type="practice",
        role="manager",
    )
    three = make_contribution(session, cafe, "three", table=2, round=2, kind="action", role=None)
    theme = theme_service.create_theme(
        session=session, cafe=cafe, name="Doing", contribution_ids=[three.id], now=utcnow()
    )

    def texts(query: str) -> list[str]:
        r = client.get(f"{_url(cafe)}?{query}", headers=api_headers)
        assert r.status_code == 200, r.text
        return _texts(r.json())

    assert texts("") == ["one", "two", "three"]
    assert texts("table=2") == ["two", "three"]
    assert texts("round=1") == ["one", "two"]
    assert texts("table=2&round=1") == ["two"]
    assert texts("kind=barrier") == ["two"]
    assert texts("evidence_type=practice") == ["two"]
    assert texts("role=carer") == ["one"]
    assert texts("role=none") == ["three"]
    assert texts(f"theme={theme.id}") == ["three"]
    assert texts("theme=0") == ["one", "two"]
    assert texts("table=9") == []
    item = client.get(f"{_url(cafe)}?theme={theme.id}", headers=api_headers).json()["items"][0]
    assert item["round"] == 2
    assert item["table"] == 2
    assert item["table_name"] == "Table 2"
    assert item["question"] == "What gets in the way?"
    assert item["themes"] == [{"id": theme.id, "name": "Doing"}]
    assert item["status"] == "visible"
    assert item["author"] is None
    assert {"created_at", "updated_at", "reactions", "for_table"} <= set(item)


def test_cursor_pages_then_sync_sees_new_and_changed_items(
    client: TestClient,
    session: Session,
    cafe: Cafe,
    facilitator: Facilitator,
    api_headers: dict[str, str],
) -> None:
    start = utcnow() - timedelta(minutes=10)
    for i in range(5):
        make_contribution(session, cafe, f"c{i}", created_at=start + timedelta(seconds=i))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["after"] = cursor
        body = client.get(_url(cafe), params=params, headers=api_headers).json()
        seen += _texts(body)
        cursor = body["next_cursor"]
        pages += 1
        if not body["has_more"]:
            break
    assert seen == ["c0", "c1", "c2", "c3", "c4"]
    assert pages == 3
    assert cursor is not None
    # Nothing new: an empty page that keeps the cursor.
    quiet = client.get(_url(cafe), params={"after": cursor}, headers=api_headers).json()
    assert quiet == {"items": [], "erased": [], "next_cursor": cursor, "has_more": False}
    # Something new, and something hidden after the client had it.
    make_contribution(session, cafe, "c5")
    first = session.exec(select(Contribution).where(Contribution.text == "c0")).one()
    hide(
        session=session,
        cafe=cafe,
        contribution_id=first.id,
        now=utcnow(),
        actor=audit.facilitator(facilitator),
    )
    body = client.get(_url(cafe), params={"after": cursor}, headers=api_headers).json()
    changed = {item["id"]: item for item in body["items"]}
    assert [item["text"] for item in body["items"]] == ["c5", None]
    tombstone = changed[first.id]
    assert tombstone["status"] == "hidden"
    assert tombstone["text"] is None
    assert tombstone["themes"] == []
    # A theme assignment is a change too.
    cursor = body["next_cursor"]
    c2 = next(
        i for i in client.get(_url(cafe), headers=api_headers).json()["items"] if i["text"] == "c2"
    )
    theme_service.create_theme(
        session=session, cafe=cafe, name="Later", contribution_ids=[c2["id"]], now=utcnow()
    )
    body = client.get(_url(cafe), params={"after": cursor}, headers=api_headers).json()
    assert [(i["text"], [t["name"] for t in i["themes"]]) for i in body["items"]] == [
        ("c2", ["Later"])
    ]


def test_status_filter_and_tombstones(
    client: TestClient, session: Session, cafe: Cafe, api_headers: dict[str, str]
) -> None:
    make_contribution(session, cafe, "seen")
    make_contribution(session, cafe, "gone", status="withdrawn")
    everything = client.get(_url(cafe), headers=api_headers).json()["items"]
    assert [(i["text"], i["status"]) for i in everything] == [
        ("seen", "visible"),
        (None, "withdrawn"),
    ]
    visible = client.get(_url(cafe), params={"status": "visible"}, headers=api_headers).json()
    assert _texts(visible) == ["seen"]


def test_names_only_when_the_cafe_shows_them(
    client: TestClient, session: Session, facilitator: Facilitator, api_headers: dict[str, str]
) -> None:
    named = make_cafe(session, facilitator, names_visible=True)
    person = make_participant(session, named, "Kim", role="carer")
    make_contribution(session, named, "mine", participant=person)
    item = client.get(_url(named), headers=api_headers).json()["items"][0]
    assert item["author"] == "Kim"
    anonymous = make_cafe(session, facilitator)
    make_contribution(session, anonymous, "also mine", participant=person)
    item = client.get(_url(anonymous), headers=api_headers).json()["items"][0]
    assert item["author"] is None


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "limit=many",
        "kind=rant",
        "evidence_type=gossip",
        "role=king",
        "status=lost",
        "table=0",
        "round=-1",
        "theme=-1",
        "after=not-a-cursor",
        "after=" + "x" * 201,
    ],
)
def test_bad_parameters_are_422_json(
    client: TestClient, cafe: Cafe, api_headers: dict[str, str], query: str
) -> None:
    r = client.get(f"{_url(cafe)}?{query}", headers=api_headers)
    assert r.status_code == 422, query
    assert r.headers["content-type"] == "application/json"
    assert r.json()["detail"]


def test_authorisation(
    client: TestClient, session: Session, cafe: Cafe, facilitator: Facilitator
) -> None:
    make_contribution(session, cafe, "ours")
    assert client.get(_url(cafe)).status_code == 401
    _, reader = accounts.create_api_token(
        session=session, facilitator=facilitator, name="sync", scope=TokenScope.READ
    )
    read = {"Authorization": f"Bearer {reader}"}
    assert _texts(client.get(_url(cafe), headers=read).json()) == ["ours"]
    assert client.get(_url(cafe, "themes"), headers=read).status_code == 200
    r = client.post(_url(cafe, "themes"), json={"name": "No"}, headers=read)
    assert r.status_code == 403
    stranger = make_facilitator(session)
    _, theirs = accounts.create_api_token(
        session=session, facilitator=stranger, name="nosy", scope=TokenScope.WRITE
    )
    other = {"Authorization": f"Bearer {theirs}"}
    for path in ("contributions", "themes", "notes"):
        r = client.get(_url(cafe, path), headers=other)
        assert r.status_code == 404, path
        assert r.json() == {"detail": "No such café."}
    assert client.post(_url(cafe, "themes"), json={"name": "x"}, headers=other).status_code == 404


def test_themes_api(
    client: TestClient, session: Session, cafe: Cafe, api_headers: dict[str, str]
) -> None:
    a = make_contribution(session, cafe, "a")
    b = make_contribution(session, cafe, "b")
    make_contribution(session, cafe, "hidden", status="hidden")
    r = client.post(
        _url(cafe, "themes"),
        json={"name": "Money", "description": "Costs", "contribution_ids": [a.id]},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text
    theme = r.json()
    assert (theme["name"], theme["description"], theme["contributions"]) == ("Money", "Costs", 1)
    tid = theme["id"]
    r = client.post(_url(cafe, f"themes/{tid}/contributions/{b.id}"), headers=api_headers)
    assert r.status_code == 200
    assert r.json()["themes"] == [{"id": tid, "name": "Money"}]
    again = client.post(_url(cafe, f"themes/{tid}/contributions/{b.id}"), headers=api_headers)
    assert again.status_code == 200  # idempotent
    listed = client.get(_url(cafe, "themes"), headers=api_headers).json()
    assert [(t["name"], t["contributions"]) for t in listed] == [("Money", 2)]
    r = client.delete(_url(cafe, f"themes/{tid}/contributions/{a.id}"), headers=api_headers)
    assert r.status_code == 200
    assert r.json()["themes"] == []
    r = client.patch(_url(cafe, f"themes/{tid}"), json={"name": "Cost"}, headers=api_headers)
    assert r.status_code == 200
    assert r.json()["name"] == "Cost"
    assert r.json()["description"] == "Costs"
    # Mistakes.
    dup = client.post(_url(cafe, "themes"), json={"name": "cost"}, headers=api_headers)
    assert dup.status_code == 409
    assert dup.json() == {"detail": "There is already a theme called “cost”."}
    assert (
        client.post(_url(cafe, "themes"), json={"name": ""}, headers=api_headers).status_code == 422
    )
    assert (
        client.post(_url(cafe, "themes"), json={"name": "x" * 81}, headers=api_headers).status_code
        == 422
    )
    missing = client.post(_url(cafe, f"themes/{tid}/contributions/999999"), headers=api_headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No such contribution in this café."}
    other_cafe = make_cafe(session, session.get(Facilitator, cafe.facilitator_id))  # type: ignore[arg-type]
    foreign = make_contribution(session, other_cafe, "elsewhere")
    r = client.post(_url(cafe, f"themes/{tid}/contributions/{foreign.id}"), headers=api_headers)
    assert r.status_code == 404
    foreign_theme = client.post(
        _url(other_cafe, "themes"), json={"name": "Theirs"}, headers=api_headers
    ).json()
    r = client.post(
        _url(cafe, f"themes/{foreign_theme['id']}/contributions/{b.id}"), headers=api_headers
    )
    assert r.status_code == 404
    assert r.json() == {"detail": "No such theme in this café."}
    # Deleting a theme keeps its contributions.
    assert client.delete(_url(cafe, f"themes/{tid}"), headers=api_headers).status_code == 204
    assert client.get(_url(cafe, "themes"), headers=api_headers).json() == []
    assert _texts(
        client.get(_url(cafe), params={"status": "visible"}, headers=api_headers).json()
    ) == [
        "a",
        "b",
    ]
    assert client.delete(_url(cafe, f"themes/{tid}"), headers=api_headers).status_code == 404


def test_openapi_documents_the_evidence_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/cafes/{cafe_id}/contributions",
        "/api/v1/cafes/{cafe_id}/notes",
        "/api/v1/cafes/{cafe_id}/themes",
        "/api/v1/cafes/{cafe_id}/themes/{theme_id}/contributions/{contribution_id}",
    ):
        assert path in paths
        for operation in paths[path].values():
            assert operation.get("description"), path
    assert "ContributionPage" in spec["components"]["schemas"]


def test_change_numbers_are_committed_in_their_order(
    database_url: str, session: Session, cafe: Cafe
) -> None:
    """A write that takes the café's next change number holds the number back from every
    other write until it commits: a later number can never be seen while an earlier one is
    still to come (a clock stamp can, and a syncing client then skips that change)."""
    import threading

    from app.db import make_engine
    from app.services import changes

    engine = make_engine(database_url)
    try:
        with engine.connect() as first:
            first.begin()
            mine = changes.take(connection=first, cafe_id=cafe.id)
            taken: list[int] = []

            def second_writer() -> None:
                with engine.begin() as other:
                    taken.append(changes.take(connection=other, cafe_id=cafe.id))

            later = threading.Thread(target=second_writer)
            later.start()
            later.join(0.5)
            assert later.is_alive() and taken == []  # waiting for the first to end
            first.commit()
            later.join(10)
        assert taken == [mine + 1]
    finally:
        engine.dispose()


def test_a_theme_name_differing_only_by_a_non_ascii_capital_is_taken(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    """SQLite's lower() leaves "Ä" alone: "Ärger" a second time answered 500 there."""
    cafe = make_cafe(session, facilitator)
    first = client.post(_url(cafe, "themes"), json={"name": "Ärger"}, headers=api_headers)
    assert first.status_code == 201
    for name in ("Ärger", "ärger", "ÄRGER"):
        r = client.post(_url(cafe, "themes"), json={"name": name}, headers=api_headers)
        assert r.status_code == 409, name
        assert r.json() == {"detail": f"There is already a theme called “{name}”."}
    other = client.post(_url(cafe, "themes"), json={"name": "Straße"}, headers=api_headers)
    renamed = client.patch(
        _url(cafe, f"themes/{other.json()['id']}"), json={"name": "ärger"}, headers=api_headers
    )
    assert renamed.status_code == 409
