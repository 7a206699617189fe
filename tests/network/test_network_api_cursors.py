"""The network API on change-number cursors (issue 25 item 9): each of a network's lists is
read as a café's contributions are, in the order its rows changed after an opaque cursor
(`app.services.network.sync`), so a client that pages with the cursor while writes happen
sees every change exactly once, deletes as `deleted` ids; each filter narrows; bad cursors
and filters answer 422 with a detail. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.db import make_engine
from app.models.base import utcnow
from app.models.network import Member


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (method, url, r.status_code, r.text)
    return r.json() if r.content else None


@dataclass
class Mirror:
    """What a syncing client holds of one list: rows by id, and every delivery it had."""

    url: str
    key: str = "id"
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    cursor: str | None = None
    delivered: list[int] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # each delivery, as it came
    dropped: list[int] = field(default_factory=list)

    def page(self, client: TestClient, h: dict[str, str], limit: int = 2, **params: Any) -> bool:
        """Read one page after the cursor; whether more are waiting."""
        if self.cursor is not None:
            params["after"] = self.cursor
        got = _api(client, h, "GET", self.url, params={"limit": limit, **params})
        assert isinstance(got["next_cursor"], str)
        for item in got["items"]:
            self.rows[item[self.key]] = item
            self.delivered.append(item[self.key])
            self.items.append(item)
        for gone in got["deleted"]:
            self.rows.pop(gone, None)
            self.dropped.append(gone)
        self.cursor = got["next_cursor"]
        return bool(got["has_more"])

    def sync(self, client: TestClient, h: dict[str, str], limit: int = 2) -> list[int]:
        """Read to the end; the ids delivered on the way."""
        before = len(self.delivered)
        while self.page(client, h, limit):
            pass
        return self.delivered[before:]

    def since(self, client: TestClient, h: dict[str, str]) -> tuple[list[int], list[int]]:
        """What one sync brings: (ids delivered, ids dropped)."""
        delivered, dropped = len(self.delivered), len(self.dropped)
        self.sync(client, h)
        return self.delivered[delivered:], self.dropped[dropped:]


def _everything(
    client: TestClient, h: dict[str, str], url: str, key: str = "id"
) -> dict[int, dict[str, Any]]:
    """The list as it is now, read from scratch."""
    fresh = Mirror(url, key=key)
    fresh.sync(client, h, limit=200)
    return fresh.rows


@dataclass
class World:
    network: int
    north: int
    south: int
    members: list[int]  # North's
    south_member: int
    meeting: int  # North's, yesterday
    later: int  # North's, in a month


def _member(client: TestClient, h: dict[str, str], group: int, name: str, **kw: Any) -> int:
    body = {"display_name": name, "role": "lived_experience", "consent_given": True, **kw}
    return int(_api(client, h, "POST", f"/api/v1/networks/groups/{group}/members", json=body)["id"])


def _meeting(client: TestClient, h: dict[str, str], group: int, title: str, days: int) -> int:
    starts = utcnow() + timedelta(days=days)
    body = {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }
    return int(
        _api(client, h, "POST", f"/api/v1/networks/groups/{group}/meetings", json=body)["id"]
    )


@pytest.fixture
def world(client: TestClient, api_headers: dict[str, str]) -> World:
    h = api_headers
    network = _api(client, h, "POST", "/api/v1/networks", json={"title": "Getting about"})["id"]
    north = _api(client, h, "POST", f"/api/v1/networks/{network}/groups", json={"name": "North"})[
        "id"
    ]
    south = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/{network}/groups",
        json={"name": "South", "area": "Wales"},
    )["id"]
    members = [
        _member(client, h, north, "Aled"),
        _member(client, h, north, "Bethan", role="carer"),
        _member(client, h, north, "Cerys", consent_given=False),
    ]
    south_member = _member(client, h, south, "Dai")
    meeting = _meeting(client, h, north, "Yesterday", -1)
    later = _meeting(client, h, north, "Next month", 30)
    return World(network, north, south, members, south_member, meeting, later)


# --- every change exactly once ---------------------------------------------------------------


def test_members_sync_sees_each_change_once_and_deletes(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    members = Mirror(f"/api/v1/networks/groups/{w.north}/members")
    assert sorted(members.sync(client, h)) == sorted(w.members)
    assert members.since(client, h) == ([], [])  # nothing new: nothing again

    _api(
        client,
        h,
        "PATCH",
        f"/api/v1/networks/members/{w.members[0]}",
        json={"phone": "01234 567890"},
    )
    assert members.since(client, h) == ([w.members[0]], [])
    assert members.rows[w.members[0]]["phone"] == "01234 567890"

    new = _member(client, h, w.north, "Eirlys")
    _api(client, h, "DELETE", f"/api/v1/networks/members/{w.members[1]}")
    assert members.since(client, h) == ([new], [w.members[1]])
    assert members.rows == _everything(client, h, members.url)
    # Another group's member never shows in this list, nor its deletes.
    _api(client, h, "DELETE", f"/api/v1/networks/members/{w.south_member}")
    assert members.since(client, h) == ([], [])


def test_paging_while_writes_happen_sees_every_change_exactly_once(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    for n in range(4):
        w.members.append(_member(client, h, w.north, f"Member {n}"))
    members = Mirror(f"/api/v1/networks/groups/{w.north}/members")
    assert members.page(client, h, limit=2)
    seen_first = list(members.delivered)
    unseen = [m for m in w.members if m not in seen_first]
    # Between pages: change a row already read, one not read yet, delete one of each, add one.
    _api(
        client,
        h,
        "PATCH",
        f"/api/v1/networks/members/{seen_first[0]}",
        json={"display_name": "One"},
    )
    _api(client, h, "PATCH", f"/api/v1/networks/members/{unseen[0]}", json={"display_name": "Two"})
    _api(client, h, "DELETE", f"/api/v1/networks/members/{seen_first[1]}")
    _api(client, h, "DELETE", f"/api/v1/networks/members/{unseen[1]}")
    added = _member(client, h, w.north, "Added while paging")
    members.sync(client, h, limit=2)

    assert members.rows == _everything(client, h, members.url)
    counts = {m: members.delivered.count(m) for m in [*w.members, added]}
    assert counts[seen_first[0]] == 2  # as it was, then as changed
    assert counts[unseen[0]] == 1  # only as changed: its change moved it after the cursor
    assert counts[added] == 1
    assert counts[unseen[1]] == 0 and counts[seen_first[1]] == 1
    assert sorted(members.dropped) == sorted([seen_first[1], unseen[1]])
    assert all(n == 1 for m, n in counts.items() if m not in (seen_first[0], unseen[1]))


def test_every_list_brings_writes_and_deletes_after_the_cursor(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    base = f"/api/v1/networks/{w.network}"
    groups = Mirror(f"{base}/groups")
    meetings = Mirror(f"/api/v1/networks/groups/{w.north}/meetings")
    sheet = Mirror(f"/api/v1/networks/meetings/{w.meeting}/attendance", key="member_id")
    updates = Mirror(f"{base}/updates")
    actions = Mirror(f"{base}/actions")
    expenses = Mirror(f"{base}/expenses")
    lists = (groups, meetings, sheet, updates, actions, expenses)
    for each in lists:
        each.sync(client, h)
    assert sorted(groups.rows) == sorted([w.north, w.south])
    assert sorted(sheet.rows) == sorted(w.members)

    # Groups: renaming one, and a member added to another (its count).
    _api(client, h, "PATCH", f"/api/v1/networks/groups/{w.north}", json={"name": "Gogledd"})
    assert groups.since(client, h) == ([w.north], [])
    _member(client, h, w.south, "Ffion")
    assert groups.since(client, h) == ([w.south], [])
    assert groups.rows[w.south]["member_count"] == 2

    # Meetings: a move; a new one takes its place in the numbering, renumbering the later.
    _api(client, h, "PATCH", f"/api/v1/networks/meetings/{w.later}", json={"location": "Hall"})
    assert meetings.since(client, h) == ([w.later], [])
    between = _meeting(client, h, w.north, "Next week", 7)
    delivered, _ = meetings.since(client, h)
    assert sorted(delivered) == sorted([between, w.later])
    assert meetings.rows[w.later]["number"] == 3
    _api(client, h, "DELETE", f"/api/v1/networks/meetings/{between}")
    delivered, dropped = meetings.since(client, h)
    assert delivered == [w.later] and dropped == [between]
    assert meetings.rows == _everything(client, h, meetings.url)

    # The sheet: a mark, a member renamed, a member deleted.
    marks = {"marks": [{"member_id": w.members[0], "attended": True}]}
    _api(client, h, "PUT", f"/api/v1/networks/meetings/{w.meeting}/attendance", json=marks)
    assert sheet.since(client, h) == ([w.members[0]], [])
    assert sheet.rows[w.members[0]]["attended"] is True
    _api(client, h, "PATCH", f"/api/v1/networks/members/{w.members[1]}", json={"role": "manager"})
    assert sheet.since(client, h) == ([w.members[1]], [])

    # Expenses of a member who came, across the network.
    body = {"member_id": w.members[0], "kind": "travel", "amount_pence": 1250}
    spent = _api(client, h, "POST", f"/api/v1/networks/meetings/{w.meeting}/expenses", json=body)
    assert expenses.since(client, h) == ([spent["id"]], [])
    assert expenses.rows[spent["id"]]["meeting_id"] == w.meeting
    _api(client, h, "DELETE", f"/api/v1/networks/expenses/{spent['id']}")
    assert expenses.since(client, h) == ([], [spent["id"]])

    # Updates: written, changed, deleted.
    said = {"you_said": "The bus was late", "we_did": "We pay for taxis", "group_id": w.north}
    update = _api(client, h, "POST", f"{base}/updates", json=said)
    assert updates.since(client, h) == ([update["id"]], [])
    _api(client, h, "PATCH", f"/api/v1/networks/updates/{update['id']}", json={"we_did": "Taxis"})
    assert updates.since(client, h) == ([update["id"]], [])
    assert updates.rows[update["id"]]["we_did"] == "Taxis"
    _api(client, h, "DELETE", f"/api/v1/networks/updates/{update['id']}")
    assert updates.since(client, h) == ([], [update["id"]])

    # Actions: made, its status changed; its owner erased hands it to the lead.
    made = {"group_id": w.north, "title": "Ask about ramps", "owner_member_id": w.members[2]}
    action = _api(client, h, "POST", f"{base}/actions", json=made)
    assert actions.since(client, h) == ([action["id"]], [])
    _api(client, h, "PATCH", f"/api/v1/networks/actions/{action['id']}", json={"status": "doing"})
    assert actions.since(client, h) == ([action["id"]], [])
    _api(client, h, "DELETE", f"/api/v1/networks/members/{w.members[2]}")
    assert actions.since(client, h) == ([action["id"]], [])
    assert actions.rows[action["id"]]["owner_member_id"] is None
    assert sheet.since(client, h) == ([], [w.members[2]])
    assert groups.since(client, h) == ([w.north], [])  # its member count
    assert groups.rows[w.north]["member_count"] == 2

    # A group deleted: it and everything listed of it go as tombstones.
    south_update = _api(
        client,
        h,
        "POST",
        f"{base}/updates",
        json={"you_said": "Cold hall", "we_did": "Heating", "group_id": w.south},
    )
    updates.sync(client, h)
    _api(client, h, "DELETE", f"/api/v1/networks/groups/{w.south}")
    assert groups.since(client, h) == ([], [w.south])
    assert updates.since(client, h) == ([], [south_update["id"]])
    for each in lists:
        assert each.rows == _everything(client, h, each.url, each.key), each.url


def test_a_meeting_changes_with_its_cafe_attached_and_erased(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    """The database sets a meeting's `cafe_id` to null when its café goes: the meeting is
    sent again all the same."""
    h, w = api_headers, world
    meetings = Mirror(f"/api/v1/networks/groups/{w.north}/meetings")
    meetings.sync(client, h)
    cafe = _api(client, h, "POST", f"/api/v1/networks/meetings/{w.meeting}/cafe")
    assert meetings.since(client, h) == ([w.meeting], [])
    assert meetings.rows[w.meeting]["cafe_id"] == cafe["id"]
    _api(client, h, "DELETE", f"/api/v1/cafes/{cafe['id']}")
    assert meetings.since(client, h) == ([w.meeting], [])
    assert meetings.rows[w.meeting]["cafe_id"] is None


def test_materials_sync_new_versions_publishing_and_deletes(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    url = f"/api/v1/networks/{w.network}/materials"
    materials = Mirror(url)
    materials.sync(client, h)
    body = {"title": "What we heard", "sections": [{"heading": "Travel"}]}
    first = _api(client, h, "POST", url, json=body)["id"]
    other = _api(client, h, "POST", url, json={**body, "title": "Other"})["id"]
    assert materials.since(client, h) == ([first, other], [])
    _api(client, h, "POST", f"{url}/{first}/versions/1/publish", json={"note": "First"})
    assert materials.since(client, h) == ([first], [])
    assert materials.rows[first]["published_version"] == 1
    assert _ids(client, h, url, published="true") == {first}
    assert _ids(client, h, url, published="false") == {other}
    _api(client, h, "POST", f"{url}/{first}/versions")  # a new draft
    assert materials.since(client, h) == ([first], [])
    assert materials.rows[first]["draft_version"] == 2
    _api(client, h, "PATCH", f"{url}/{other}", json={"title": "Renamed"})
    assert materials.since(client, h) == ([other], [])
    _api(client, h, "DELETE", f"{url}/{other}")
    assert materials.since(client, h) == ([], [other])
    assert materials.rows == _everything(client, h, url)


def test_concurrent_writer_each_version_seen_once_in_order(
    client: TestClient, api_headers: dict[str, str], world: World, database_url: str
) -> None:
    """A writer renames members in its own transactions while the client pages one row at a
    time: every version the client sees is newer than the last it saw of that member (none
    twice, none out of order) and it ends with the last one."""
    h, w = api_headers, world
    engine = make_engine(database_url)
    rounds = 12
    done = threading.Event()
    failure: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(1, rounds + 1):
                with Session(engine) as s:
                    for member in s.exec(select(Member).where(Member.group_id == w.north)):
                        member.display_name = f"{member.id}-v{n:02d}"
                        s.add(member)
                    s.commit()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            failure.append(e)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    members = Mirror(f"/api/v1/networks/groups/{w.north}/members")
    versions: dict[int, list[str]] = {m: [] for m in w.members}
    writer.start()
    try:
        while True:
            finished = done.is_set()
            before = len(members.items)
            while members.page(client, h, limit=1):
                pass
            for item in members.items[before:]:
                versions[item["id"]].append(item["display_name"])
            if finished:
                break
    finally:
        writer.join()
        engine.dispose()
    assert not failure, failure
    final = f"v{rounds:02d}"
    for member, seen in versions.items():
        assert seen, member
        assert seen[-1] == f"{member}-{final}"
        renamed = [v for v in seen if "-v" in v]  # after the name it was made with, if seen
        assert seen[: len(seen) - len(renamed)] in ([], [seen[0]]), seen
        assert len(renamed) == len(set(renamed)) and renamed == sorted(renamed), seen


# --- filters ---------------------------------------------------------------------------------


def _ids(
    client: TestClient, h: dict[str, str], url: str, key: str = "id", **params: Any
) -> set[int]:
    got = _api(client, h, "GET", url, params={"limit": 200, **params})
    return {item[key] for item in got["items"]}


def test_each_filter_narrows(client: TestClient, api_headers: dict[str, str], world: World) -> None:
    h, w = api_headers, world
    base = f"/api/v1/networks/{w.network}"
    aled, bethan, cerys = w.members

    assert _ids(client, h, f"{base}/groups", area="Wales") == {w.south}

    members = f"/api/v1/networks/groups/{w.north}/members"
    assert _ids(client, h, members, role="carer") == {bethan}
    assert _ids(client, h, members, consent_given="false") == {cerys}
    assert _ids(client, h, members, consent_given="true") == {aled, bethan}
    funded = {"already_funded": True}
    _api(client, h, "PATCH", f"/api/v1/networks/members/{aled}", json=funded)
    assert _ids(client, h, members, already_funded="true") == {aled}
    assert _ids(client, h, members, already_funded="false") == {bethan, cerys}

    meetings = f"/api/v1/networks/groups/{w.north}/meetings"
    now = utcnow()
    assert _ids(client, h, meetings, starts_from=now.isoformat()) == {w.later}
    assert _ids(client, h, meetings, starts_before=now.isoformat()) == {w.meeting}
    assert _ids(client, h, meetings, has_cafe="false") == {w.meeting, w.later}
    assert _ids(client, h, meetings, has_cafe="true") == set()

    marks = {
        "marks": [{"member_id": aled, "attended": True}, {"member_id": bethan, "attended": False}]
    }
    _api(client, h, "PUT", f"/api/v1/networks/meetings/{w.meeting}/attendance", json=marks)
    sheet = f"/api/v1/networks/meetings/{w.meeting}/attendance"
    assert _ids(client, h, sheet, "member_id", attended="true") == {aled}
    assert _ids(client, h, sheet, "member_id", marked="false") == {cerys}
    assert _ids(client, h, sheet, "member_id", marked="true") == {aled, bethan}

    updates = f"{base}/updates"
    north_update = _api(
        client, h, "POST", updates, json={"you_said": "a", "we_did": "b", "group_id": w.north}
    )["id"]
    everyone = _api(client, h, "POST", updates, json={"you_said": "c", "we_did": "d"})["id"]
    assert _ids(client, h, updates, group_id=w.north) == {north_update}
    assert _ids(client, h, updates, group_id=0) == {everyone}
    soon = (utcnow() + timedelta(minutes=5)).isoformat()
    assert _ids(client, h, updates, created_before=soon) == {north_update, everyone}
    assert _ids(client, h, updates, created_from=soon) == set()

    actions = f"{base}/actions"
    due = (now + timedelta(days=10)).date()

    def action(title: str, **kw: Any) -> int:
        return int(_api(client, h, "POST", actions, json={"title": title, **kw})["id"])

    mine = action("Book the hall", group_id=w.north)
    theirs = action("Ask about ramps", group_id=w.north, owner_member_id=aled, due_on=str(due))
    south = action("Find a hall", group_id=w.south)
    _api(client, h, "PATCH", f"/api/v1/networks/actions/{mine}", json={"status": "done"})
    assert _ids(client, h, actions, group_id=w.south) == {south}
    assert _ids(client, h, actions, owner="lead") == {mine, south}
    assert _ids(client, h, actions, owner=str(aled)) == {theirs}
    assert _ids(client, h, actions, status="done") == {mine}
    assert _ids(client, h, actions, due_from=str(due)) == {theirs}
    assert _ids(client, h, actions, due_before=str(due)) == set()

    spend = f"/api/v1/networks/meetings/{w.meeting}/expenses"
    travel = _api(
        client, h, "POST", spend, json={"member_id": aled, "kind": "travel", "amount_pence": 500}
    )["id"]
    cover = _api(
        client,
        h,
        "POST",
        spend,
        json={"member_id": aled, "kind": "carer_cover", "amount_pence": 900},
    )["id"]
    expenses = f"{base}/expenses"
    assert _ids(client, h, expenses) == {travel, cover}
    assert _ids(client, h, expenses, kind="travel") == {travel}
    assert _ids(client, h, expenses, meeting_id=w.later) == set()
    assert _ids(client, h, expenses, member_id=aled, group_id=w.north) == {travel, cover}
    assert _ids(client, h, expenses, group_id=w.south) == set()
    assert _ids(client, h, expenses, created_from=soon) == set()


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/{network}/updates", {"after": "bm90IG91cnM"}, "not one we handed out"),
        ("/{network}/actions", {"after": "not a cursor!"}, "after"),
        ("/{network}/actions", {"after": "x" * 201}, "after"),
        ("/{network}/groups", {"after": "99999999999"}, "at most"),
        ("/groups/{north}/members", {"limit": 0}, "limit"),
        ("/groups/{north}/members", {"role": "boss"}, "role"),
        ("/groups/{north}/meetings", {"starts_from": "2026-01-01T10:00:00"}, "starts_from"),
        (
            "/groups/{north}/meetings",
            {"starts_from": "2026-02-01T00:00:00Z", "starts_before": "2026-01-01T00:00:00Z"},
            "`starts_from` must come before `starts_before`",
        ),
        ("/{network}/actions", {"owner": "someone"}, "owner"),
        ("/{network}/actions", {"due_from": "2026-02-30"}, "due_from"),
        (
            "/{network}/actions",
            {"due_from": "2026-03-01", "due_before": "2026-03-01"},
            "`due_from` must come before `due_before`",
        ),
        ("/{network}/updates", {"group_id": -1}, "group_id"),
        ("/{network}/expenses", {"kind": "lunch"}, "kind"),
        ("/{network}/expenses", {"meeting_id": 2**31}, "meeting_id"),
        ("/meetings/{meeting}/attendance", {"attended": "perhaps"}, "attended"),
    ],
)
def test_bad_cursor_or_filter_answers_422_with_a_detail(
    client: TestClient,
    api_headers: dict[str, str],
    world: World,
    path: str,
    params: dict[str, Any],
    says: str,
) -> None:
    url = "/api/v1/networks" + path.format(
        network=world.network, north=world.north, meeting=world.meeting
    )
    r = client.get(url, params=params, headers=api_headers)
    assert r.status_code == 422, r.text
    assert says in r.text, r.text


def test_the_deprecated_id_cursor_still_pages_in_id_order(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    url = f"/api/v1/networks/groups/{w.north}/members"
    first = _api(client, h, "GET", url, params={"limit": 2, "after": 0})
    assert [m["id"] for m in first["items"]] == sorted(w.members)[:2]
    assert first["next_cursor"] == first["items"][-1]["id"]
    rest = _api(client, h, "GET", url, params={"limit": 2, "after": first["next_cursor"]})
    assert [m["id"] for m in rest["items"]] == sorted(w.members)[2:]
    assert rest["next_cursor"] is None and rest["deleted"] == []
