"""The lists inside a network's materials on its change-number cursors (issue 25 item 9):
versions, sections, a section's evidence, the network's evidence and publications for
members come again after the cursor when they change, deletes come as `deleted`, filters
narrow, a bad cursor is a 422 with a detail, and each list's deprecated number cursor still
pages as before. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.material import test_materials as materials_tests
from tests.material.test_materials import _materials
from tests.network.test_network_api_cursors import Mirror, _api, _everything, _ids

world = materials_tests.world


def _material(client: TestClient, h: dict[str, str], network_id: int, *headings: str) -> str:
    body = {"title": "What we heard", "sections": [{"heading": x} for x in headings]}
    made = _api(client, h, "POST", _materials(network_id), json=body)
    return f"{_materials(network_id)}/{made['id']}"


def test_versions_come_again_when_published_and_filter_by_status(
    client: TestClient, api_headers: dict[str, str], world: dict[str, Any]
) -> None:
    h = api_headers
    url = _material(client, h, world["network"].id, "Travel")
    versions = Mirror(f"{url}/versions")
    versions.sync(client, h)
    assert [v["number"] for v in versions.items] == [1]
    first = versions.items[0]["id"]
    _api(client, h, "POST", f"{url}/versions/1/publish", json={"note": "First"})
    assert versions.since(client, h) == ([first], [])
    assert versions.rows[first]["status"] == "published"
    second = _api(client, h, "POST", f"{url}/versions")["id"]
    assert versions.since(client, h) == ([second], [])
    assert versions.rows == _everything(client, h, versions.url)
    assert _ids(client, h, versions.url, status="draft") == {second}
    assert _ids(client, h, versions.url, status="published") == {first}
    # The deprecated cursor is a version number.
    old = _api(client, h, "GET", versions.url, params={"after": 0, "limit": 1})
    assert [v["number"] for v in old["items"]] == [1] and old["next_cursor"] == 1
    rest = _api(client, h, "GET", versions.url, params={"after": 1, "limit": 1})
    assert [v["number"] for v in rest["items"]] == [2] and rest["next_cursor"] is None


def test_sections_come_again_when_written_moved_or_given_evidence(
    client: TestClient, api_headers: dict[str, str], world: dict[str, Any]
) -> None:
    h = api_headers
    url = _material(client, h, world["network"].id, "One", "Two", "Three")
    sections = Mirror(f"{url}/versions/1/sections")
    sections.sync(client, h)
    one, two, three = sorted(sections.rows, key=lambda s: sections.rows[s]["position"])

    _api(client, h, "PATCH", f"{sections.url}/{two}", json={"heading": "Deux"})
    assert sections.since(client, h) == ([two], [])
    evidence = {"contribution_ids": [world["said"]["bus"].id]}
    _api(client, h, "POST", f"{sections.url}/{three}/evidence", json=evidence)
    assert sections.since(client, h) == ([three], [])
    assert len(sections.rows[three]["evidence"]) == 1

    # Deleting the first moves the others up: they come again with their new positions.
    _api(client, h, "DELETE", f"{sections.url}/{one}")
    delivered, dropped = sections.since(client, h)
    assert sorted(delivered) == sorted([two, three]) and dropped == [one]
    assert sections.rows == _everything(client, h, sections.url)
    assert sections.rows[two]["position"] == 1

    # The deprecated cursor is a position, read in position order.
    old = _api(client, h, "GET", sections.url, params={"after": 0, "limit": 1})
    assert [s["id"] for s in old["items"]] == [two] and old["next_cursor"] == 1
    rest = _api(client, h, "GET", sections.url, params={"after": 1, "limit": 1})
    assert [s["id"] for s in rest["items"]] == [three] and rest["next_cursor"] is None


def test_evidence_of_a_section_and_of_the_network_sync_changes_and_deletes(
    client: TestClient, api_headers: dict[str, str], world: dict[str, Any]
) -> None:
    h, said = api_headers, world["said"]
    network = world["network"].id
    url = _material(client, h, network, "Told", "Other")
    listed = _api(client, h, "GET", f"{url}/versions/1/sections")["items"]
    told, other = sorted((s["id"] for s in listed), key=lambda i: i)
    section = f"{url}/versions/1/sections/{told}/evidence"
    mine = Mirror(section)
    everywhere = Mirror(f"{_materials(network)}/evidence")
    mine.sync(client, h)
    everywhere.sync(client, h)

    added = _api(
        client,
        h,
        "POST",
        section,
        json={"contribution_ids": [said["bus"].id, said["rota"].id]},
    )["added"]
    bus, rota = (a["id"] for a in added)
    elsewhere = _api(
        client,
        h,
        "POST",
        f"{url}/versions/1/sections/{other}/evidence",
        json={"contribution_ids": [said["taxi"].id]},
    )["added"][0]["id"]
    assert mine.since(client, h) == ([bus, rota], [])
    assert everywhere.since(client, h) == ([bus, rota, elsewhere], [])

    _api(client, h, "PATCH", f"{section}/{bus}", json={"paraphrase": "Buses stop early."})
    assert mine.since(client, h) == ([bus], [])
    assert everywhere.since(client, h) == ([bus], [])
    assert mine.rows[bus]["paraphrase"] == "Buses stop early."

    _api(client, h, "DELETE", f"{section}/{rota}")
    assert mine.since(client, h) == ([], [rota])
    assert everywhere.since(client, h) == ([], [rota])
    # A section deleted takes its evidence with it.
    _api(client, h, "DELETE", f"{url}/versions/1/sections/{other}")
    assert everywhere.since(client, h) == ([], [elsewhere])
    assert mine.rows == _everything(client, h, section)
    assert everywhere.rows == _everything(client, h, everywhere.url)

    assert _ids(client, h, everywhere.url, contribution_id=said["bus"].id) == {bus}
    assert _ids(client, h, everywhere.url, contribution_id=said["taxi"].id) == set()
    assert _ids(client, h, everywhere.url, material_id=int(url.rsplit("/", 1)[1])) == {bus}


def test_evidence_comes_again_when_its_source_is_withdrawn(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    world: dict[str, Any],
) -> None:
    """A draft's evidence is marked around the ORM when its contribution is withdrawn in the
    café: it is sent again all the same, with its section."""
    h, said = api_headers, world["said"]
    url = _material(client, h, world["network"].id, "Told")
    told = _api(client, h, "GET", f"{url}/versions/1/sections")["items"][0]["id"]
    sections = Mirror(f"{url}/versions/1/sections")
    section = f"{sections.url}/{told}/evidence"
    item = _api(client, h, "POST", section, json={"contribution_ids": [said["bus"].id]})
    item_id = item["added"][0]["id"]
    mine = Mirror(section)
    mine.sync(client, h)
    sections.sync(client, h)

    bus = said["bus"]
    bus.status = "withdrawn"
    session.add(bus)
    session.commit()
    assert mine.since(client, h) == ([item_id], [])
    assert mine.rows[item_id]["source_status"] == "withdrawn"
    assert sections.since(client, h) == ([told], [])


def test_publications_made_replaced_and_withdrawn(
    client: TestClient, api_headers: dict[str, str], world: dict[str, Any]
) -> None:
    h = api_headers
    north = world["north"].group.id
    url = _material(client, h, world["network"].id, "Travel")
    _api(client, h, "POST", f"{url}/versions/1/publish")
    given = Mirror(f"{url}/publications")
    assert given.since(client, h) == ([], [])

    everyone = _api(client, h, "POST", f"{url}/versions/1/publications")["id"]
    theirs = _api(client, h, "POST", f"{url}/versions/1/publications", json={"group_id": north})[
        "id"
    ]
    assert given.since(client, h) == ([everyone, theirs], [])
    assert _ids(client, h, given.url, group_id=north) == {theirs}
    assert _ids(client, h, given.url, group_id=0) == {everyone}

    _api(client, h, "POST", f"{url}/versions")
    _api(client, h, "POST", f"{url}/versions/2/publish")
    replaced = _api(client, h, "POST", f"{url}/versions/2/publications")["id"]
    assert given.since(client, h) == ([replaced], [everyone])
    assert given.rows[replaced]["version_number"] == 2

    _api(client, h, "DELETE", f"{url}/publications/{theirs}")
    assert given.since(client, h) == ([], [theirs])
    assert given.rows == _everything(client, h, given.url)


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/versions", {"after": "bm90IG91cnM"}, "not one we handed out"),
        ("/versions", {"status": "old"}, "status"),
        ("/versions/1/sections", {"after": "not a cursor!"}, "after"),
        ("/publications", {"after": "99999999999"}, "at most"),
        ("/publications", {"group_id": -1}, "group_id"),
        ("/../evidence", {"after": "bm90IG91cnM"}, "not one we handed out"),
    ],
)
def test_bad_cursor_or_filter_answers_422_with_a_detail(
    client: TestClient,
    api_headers: dict[str, str],
    world: dict[str, Any],
    path: str,
    params: dict[str, Any],
    says: str,
) -> None:
    url = _material(client, api_headers, world["network"].id, "Travel")
    if path.startswith("/.."):
        url, path = _materials(world["network"].id), path[3:]
    r = client.get(url + path, params=params, headers=api_headers)
    assert r.status_code == 422, r.text
    assert "detail" in r.json() and says in r.text, r.text
