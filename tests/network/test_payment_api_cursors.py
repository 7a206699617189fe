"""A meeting's payments and expenses on the network's change-number cursors (issue 25 item 9),
as its other lists (tests/network/test_network_api_cursors.py): a row changed comes again
after the cursor, deletes come as `deleted`, filters narrow, a bad cursor is a 422 with a
detail. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.network import test_network_api_cursors as cursors
from tests.network.test_network_api_cursors import Mirror, World, _api, _everything, _ids

world = cursors.world


def _spend(client: TestClient, h: dict[str, str], w: World, member: int, **kw: Any) -> int:
    body = {"member_id": member, "kind": "travel", "amount_pence": 500, **kw}
    url = f"/api/v1/networks/meetings/{w.meeting}/expenses"
    return int(_api(client, h, "POST", url, json=body)["id"])


def test_payments_come_again_as_what_is_owed_changes(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    aled, bethan, cerys = w.members
    pay = Mirror(f"/api/v1/networks/meetings/{w.meeting}/payments", key="member_id")
    assert sorted(pay.sync(client, h)) == sorted(w.members)
    assert pay.since(client, h) == ([], [])

    marks = {"marks": [{"member_id": aled, "attended": True, "hours": 2}]}
    _api(client, h, "PUT", f"/api/v1/networks/meetings/{w.meeting}/attendance", json=marks)
    assert pay.since(client, h) == ([aled], [])
    assert pay.rows[aled]["attended"] is True

    spent = _spend(client, h, w, aled, amount_pence=1250)
    assert pay.since(client, h) == ([aled], [])
    assert pay.rows[aled]["expenses_pence"] == 1250
    _api(client, h, "DELETE", f"/api/v1/networks/expenses/{spent}")
    assert pay.since(client, h) == ([aled], [])
    assert pay.rows[aled]["expenses_pence"] == 0

    # The network's hourly rate is in every row.
    _api(
        client, h, "PUT", f"/api/v1/networks/{w.network}/pay-rate", json={"hourly_rate_pence": 1000}
    )
    assert sorted(pay.since(client, h)[0]) == sorted(w.members)
    assert pay.rows[aled]["time_pence"] == 2000

    paid = {"status": "paid"}
    _api(client, h, "PUT", f"/api/v1/networks/meetings/{w.meeting}/payments/{aled}", json=paid)
    assert pay.since(client, h) == ([aled], [])
    assert pay.rows[aled]["status"] == "paid"

    _api(client, h, "PATCH", f"/api/v1/networks/members/{bethan}", json={"display_name": "Beth"})
    assert pay.since(client, h) == ([bethan], [])
    _api(client, h, "DELETE", f"/api/v1/networks/members/{cerys}")
    assert pay.since(client, h) == ([], [cerys])
    assert pay.rows == _everything(client, h, pay.url, "member_id")

    # Another meeting's payments do not move.
    other = Mirror(f"/api/v1/networks/meetings/{w.later}/payments", key="member_id")
    other.sync(client, h)
    _spend(client, h, w, aled)
    assert other.since(client, h) == ([], [])


def test_payments_filter_by_status_and_attendance(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    aled, bethan, cerys = w.members
    _api(
        client, h, "PUT", f"/api/v1/networks/{w.network}/pay-rate", json={"hourly_rate_pence": 900}
    )
    marks = {
        "marks": [{"member_id": aled, "attended": True}, {"member_id": bethan, "attended": True}]
    }
    _api(client, h, "PUT", f"/api/v1/networks/meetings/{w.meeting}/attendance", json=marks)
    paid = {"status": "paid"}
    _api(client, h, "PUT", f"/api/v1/networks/meetings/{w.meeting}/payments/{aled}", json=paid)
    url = f"/api/v1/networks/meetings/{w.meeting}/payments"
    assert _ids(client, h, url, "member_id", status="paid") == {aled}
    assert _ids(client, h, url, "member_id", status="due") == {bethan}
    assert _ids(client, h, url, "member_id", status="none") == {cerys}
    assert _ids(client, h, url, "member_id", attended="true") == {aled, bethan}
    assert _ids(client, h, url, "member_id", attended="false") == {cerys}


def test_a_meetings_expenses_sync_with_its_own_deletes_and_filters(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    aled, bethan, _ = w.members
    marks = {
        "marks": [{"member_id": aled, "attended": True}, {"member_id": bethan, "attended": True}]
    }
    for meeting in (w.meeting, w.later):
        _api(client, h, "PUT", f"/api/v1/networks/meetings/{meeting}/attendance", json=marks)
    url = f"/api/v1/networks/meetings/{w.meeting}/expenses"
    spent = Mirror(url)
    assert spent.since(client, h) == ([], [])

    travel = _spend(client, h, w, aled)
    cover = _spend(client, h, w, bethan, kind="carer_cover", amount_pence=900)
    assert spent.since(client, h) == ([travel, cover], [])
    assert spent.rows[cover]["member_id"] == bethan

    later = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/meetings/{w.later}/expenses",
        json={"member_id": aled, "kind": "other", "amount_pence": 300},
    )["id"]
    _api(client, h, "DELETE", f"/api/v1/networks/expenses/{later}")
    assert spent.since(client, h) == ([], [])  # another meeting's: not here, nor its delete

    _api(client, h, "DELETE", f"/api/v1/networks/expenses/{travel}")
    assert spent.since(client, h) == ([], [travel])
    assert spent.rows == _everything(client, h, url)

    again = _spend(client, h, w, aled)
    assert _ids(client, h, url, member_id=aled) == {again}
    assert _ids(client, h, url, kind="carer_cover") == {cover}
    # The member erased: their expenses go as tombstones of this meeting's list.
    _api(client, h, "DELETE", f"/api/v1/networks/members/{aled}")
    assert spent.since(client, h) == ([], [again])


def test_a_meetings_expenses_keep_the_deprecated_id_cursor(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    aled = w.members[0]
    marks = {"marks": [{"member_id": aled, "attended": True}]}
    _api(client, h, "PUT", f"/api/v1/networks/meetings/{w.meeting}/attendance", json=marks)
    made = [_spend(client, h, w, aled, amount_pence=100 + n) for n in range(3)]
    url = f"/api/v1/networks/meetings/{w.meeting}/expenses"
    first = _api(client, h, "GET", url, params={"limit": 2, "after": 0})
    assert [e["id"] for e in first["items"]] == made[:2]
    assert first["next_cursor"] == made[1]
    rest = _api(client, h, "GET", url, params={"limit": 2, "after": made[1]})
    assert [e["id"] for e in rest["items"]] == made[2:] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("payments", {"after": "bm90IG91cnM"}, "not one we handed out"),
        ("payments", {"after": "not a cursor!"}, "after"),
        ("payments", {"status": "owing"}, "status"),
        ("payments", {"attended": "perhaps"}, "attended"),
        ("expenses", {"after": "bm90IG91cnM"}, "not one we handed out"),
        ("expenses", {"after": "99999999999"}, "at most"),
        ("expenses", {"kind": "lunch"}, "kind"),
        ("expenses", {"member_id": 0}, "member_id"),
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
    url = f"/api/v1/networks/meetings/{world.meeting}/{path}"
    r = client.get(url, params=params, headers=api_headers)
    assert r.status_code == 422, r.text
    assert "detail" in r.json() and says in r.text, r.text
