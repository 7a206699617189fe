"""Paying members for their time (issue 25 item 7): the network's hourly rate, members whose
time is already funded, expenses per meeting with a receipt photo (cleaned, shown to the lead
only), paid or still due, the finance CSV with totals (audited), the member's own payments
page, and what erasure, subject access and the retention sweep do with all of it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from app.models.audit import AuditAction, AuditEntry
from app.models.base import utcnow
from app.models.payments import Expense
from app.services.privacy import retention
from tests.board.test_media import GPS_IFD, photo_with_gps
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_facilitator


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content else None


@dataclass
class Paid:
    network_id: int
    group_id: int
    meeting_id: int
    ana: int  # came, paid by the hour
    ben: int  # came, time already funded
    cal: int  # did not come


@pytest.fixture
def paid(client: TestClient, api_headers: dict[str, str]) -> Paid:
    h = api_headers
    network = _api(client, h, "POST", "/api/v1/networks", json={"title": "Carers' voices"})
    group = _api(
        client, h, "POST", f"/api/v1/networks/{network['id']}/groups", json={"name": "Valleys"}
    )
    people = {}
    for name in ("Ana Price", "Ben Lloyd", "Cal Evans"):
        body = {"display_name": name, "role": "carer"}
        made = _api(client, h, "POST", f"/api/v1/networks/groups/{group['id']}/members", json=body)
        people[name] = made["id"]
    starts = utcnow() - timedelta(days=3)
    meeting = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/groups/{group['id']}/meetings",
        json={
            "title": "Autumn meeting",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
    )
    marks = [
        {"member_id": people["Ana Price"], "attended": True},
        {"member_id": people["Ben Lloyd"], "attended": True, "hours": 3},
        {"member_id": people["Cal Evans"], "attended": False},
    ]
    _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/meetings/{meeting['id']}/attendance",
        json={"marks": marks},
    )
    _api(
        client,
        h,
        "PATCH",
        f"/api/v1/networks/members/{people['Ben Lloyd']}",
        json={"already_funded": True},
    )
    return Paid(
        network["id"],
        group["id"],
        meeting["id"],
        people["Ana Price"],
        people["Ben Lloyd"],
        people["Cal Evans"],
    )


def _owed(client: TestClient, h: dict[str, str], p: Paid) -> dict[int, dict[str, Any]]:
    url = f"/api/v1/networks/meetings/{p.meeting_id}/payments"
    rows = _api(client, h, "GET", url, params={"limit": 200})["items"]
    return {r["member_id"]: r for r in rows}


def test_time_at_the_rate_and_expenses_make_what_each_member_is_owed(
    client: TestClient, api_headers: dict[str, str], paid: Paid
) -> None:
    h, p = api_headers, paid
    rate = _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/{p.network_id}/pay-rate",
        json={"hourly_rate_pence": 1500},
    )
    assert rate == {"hourly_rate_pence": 1500}
    for member, kind, pence in (
        (p.ana, "travel", 1250),
        (p.ana, "carer_cover", 3000),
        (p.ben, "travel", 480),
    ):
        body = {"member_id": member, "kind": kind, "amount_pence": pence, "note": "bus"}
        made = _api(
            client, h, "POST", f"/api/v1/networks/meetings/{p.meeting_id}/expenses", json=body
        )
        assert made["member_id"] == member and made["has_receipt"] is False
    owed = _owed(client, h, p)
    assert owed[p.ana]["time_pence"] == 3000  # 2 hours at £15
    assert owed[p.ana]["expenses_pence"] == 4250
    assert owed[p.ana]["total_pence"] == 7250 and owed[p.ana]["status"] == "due"
    # Ben's time is funded by his employer: his bus fare only.
    assert owed[p.ben]["time_pence"] == 0 and owed[p.ben]["total_pence"] == 480
    assert owed[p.cal]["status"] == "none" and owed[p.cal]["total_pence"] == 0

    marked = _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/meetings/{p.meeting_id}/payments/{p.ana}",
        json={"status": "paid"},
    )
    assert marked["status"] == "paid" and marked["paid_at"]
    # Nothing to pay Cal: refused with a reason.
    r = client.put(
        f"/api/v1/networks/meetings/{p.meeting_id}/payments/{p.cal}",
        headers=h,
        json={"status": "paid"},
    )
    assert r.status_code == 422 and "Nothing is owed" in r.json()["detail"]
    # A paid meeting's expenses stay as they were paid until it is marked due again.
    expenses = _api(client, h, "GET", f"/api/v1/networks/meetings/{p.meeting_id}/expenses")["items"]
    anas = [e for e in expenses if e["member_id"] == p.ana]
    r = client.delete(f"/api/v1/networks/expenses/{anas[0]['id']}", headers=h)
    assert r.status_code == 409
    _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/meetings/{p.meeting_id}/payments/{p.ana}",
        json={"status": "due"},
    )
    assert client.delete(f"/api/v1/networks/expenses/{anas[0]['id']}", headers=h).status_code == 204
    assert _owed(client, h, p)[p.ana]["total_pence"] == 6000


def test_the_finance_csv_totals_each_member_and_the_network_and_is_audited(
    client: TestClient, api_headers: dict[str, str], session: Session, paid: Paid
) -> None:
    h, p = api_headers, paid
    _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/{p.network_id}/pay-rate",
        json={"hourly_rate_pence": 1250},
    )
    body = {"member_id": p.ana, "kind": "travel", "amount_pence": 990, "note": "=HYPERLINK(x)"}
    _api(client, h, "POST", f"/api/v1/networks/meetings/{p.meeting_id}/expenses", json=body)
    _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/meetings/{p.meeting_id}/payments/{p.ana}",
        json={"status": "paid"},
    )
    r = client.get(f"/api/v1/networks/{p.network_id}/finance.csv", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    head = rows[1]
    table = {row[2]: dict(zip(head, row, strict=True)) for row in rows[2:]}
    ana = table["Ana Price"]
    assert ana["Hours"] == "2" and ana["For time (£)"] == "25.00" and ana["Travel (£)"] == "9.90"
    assert (
        ana["Total (£)"] == "34.90"
        and ana["Paid (£)"] == "34.90"
        and ana["Still due (£)"] == "0.00"
    )
    ben = table["Ben Lloyd"]
    assert ben["Already funded"] == "Yes" and ben["For time (£)"] == "0.00"
    assert table["Cal Evans"]["Meetings attended"] == "0"
    total = rows[-1]
    assert total[0] == "Total" and total[-3:] == ["34.90", "34.90", "0.00"]
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORTED_FINANCE)
    ).all()
    assert len(entries) == 1 and entries[0].subject_id == p.network_id


def test_bad_amounts_and_expenses_of_someone_who_did_not_come_are_refused(
    client: TestClient, api_headers: dict[str, str], paid: Paid
) -> None:
    h, p = api_headers, paid
    url = f"/api/v1/networks/meetings/{p.meeting_id}/expenses"
    for amount in (-500, 0, 10_000_001, "12"):
        r = client.post(
            url, headers=h, json={"member_id": p.ana, "kind": "travel", "amount_pence": amount}
        )
        assert r.status_code == 422, amount
    r = client.post(
        url, headers=h, json={"member_id": p.cal, "kind": "travel", "amount_pence": 100}
    )
    assert r.status_code == 422 and "Cal Evans" in r.json()["detail"]
    r = client.put(
        f"/api/v1/networks/{p.network_id}/pay-rate", headers=h, json={"hourly_rate_pence": -1}
    )
    assert r.status_code == 422
    assert _api(client, h, "GET", url)["items"] == []


def _form_post(client: TestClient, page: str, action: str, data: dict[str, str], **kw: Any) -> Any:
    data = {**data, "csrf_token": csrf_of(client, page)}
    return client.post(action, data=data, follow_redirects=False, **kw)


def test_the_lead_adds_an_expense_with_a_receipt_photo_cleaned_of_its_location(
    logged_in: TestClient,
    api_headers: dict[str, str],
    session: Session,
    settings: Settings,
    paid: Paid,
) -> None:
    client, p = logged_in, paid
    page = f"/networks/meetings/{p.meeting_id}/payments"
    r = _form_post(
        client,
        page,
        f"/networks/meetings/{p.meeting_id}/expenses",
        {"member_id": str(p.ana), "kind": "carer_cover", "amount": "£18.50", "note": "sitter"},
        files={"file": ("receipt.jpg", photo_with_gps(), "image/jpeg")},
    )
    assert r.status_code == 303, r.text
    html = client.get(page).text
    assert "Carer cover, £18.50 (sitter)" in html and "See the receipt" in html
    expense = session.exec(select(Expense)).one()
    assert expense.amount_pence == 1850 and expense.receipt_path
    shown = client.get(f"/networks/expenses/{expense.id}/receipt")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(shown.content)).getexif().get_ifd(GPS_IFD)
    # Another facilitator cannot see it, nor the page.
    other = TestClient(client.app, base_url=str(client.base_url))
    someone = make_facilitator(session, "someone@example.org")
    token = csrf_of(other)
    other.post("/login", data={"email": someone.email, "password": PASSWORD, "csrf_token": token})
    assert other.get(f"/networks/expenses/{expense.id}/receipt").status_code in {303, 404}
    assert other.get(page, follow_redirects=False).status_code in {303, 404}


def test_a_refused_expense_says_why_and_keeps_what_was_typed(
    logged_in: TestClient, session: Session, paid: Paid
) -> None:
    client, p = logged_in, paid
    page = f"/networks/meetings/{p.meeting_id}/payments"
    action = f"/networks/meetings/{p.meeting_id}/expenses"
    typed = {"member_id": str(p.ana), "kind": "other", "note": "taxi home late"}
    r = _form_post(client, page, action, {**typed, "amount": "-4"})
    assert r.status_code == 422 and "cannot be less than nothing" in r.text
    assert 'value="taxi home late"' in r.text and 'value="-4"' in r.text
    r = _form_post(client, page, action, {**typed, "amount": "lots"})
    assert r.status_code == 422 and "like 12.50" in r.text
    r = _form_post(
        client,
        page,
        action,
        {**typed, "amount": "3"},
        files={"file": ("receipt.txt", b"<html>not a photo</html>", "text/plain")},
    )
    assert r.status_code == 415 and "choose the receipt photo again" in r.text
    assert 'value="taxi home late"' in r.text
    r = _form_post(client, page, action, {**typed, "amount": "3", "note": "nul\x00byte"})
    assert r.status_code == 422 and "unusual characters" in r.text
    assert session.exec(select(Expense)).all() == []


def test_a_refused_amount_is_one_whole_sentence_in_welsh_too(
    logged_in: TestClient, session: Session, paid: Paid
) -> None:
    """Each refusal names its amount in a sentence of its own: Welsh words "the amount" and
    "the hourly rate" differently, so a sentence glued from a name and a phrase read wrong."""
    client, p = logged_in, paid
    page = f"/networks/meetings/{p.meeting_id}/payments"
    action = f"/networks/meetings/{p.meeting_id}/expenses"
    typed = {"member_id": str(p.ana), "kind": "other"}
    r = _form_post(client, page, action, {**typed, "amount": "-4"})
    assert "The amount cannot be less than nothing." in r.text
    client.cookies.set("tablecloth_lang", "cy")
    r = _form_post(client, page, action, {**typed, "amount": "-4"})
    assert r.status_code == 422 and "Ni all y swm fod yn llai na dim." in r.text
    r = _form_post(client, page, action, {**typed, "amount": "lots"})
    assert "Ysgrifennwch y swm mewn punnoedd, fel 12.50." in r.text
    assert session.exec(select(Expense)).all() == []


def test_the_member_sees_their_own_payments_and_nobody_elses(
    client: TestClient, api_headers: dict[str, str], paid: Paid
) -> None:
    h, p = api_headers, paid
    _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/{p.network_id}/pay-rate",
        json={"hourly_rate_pence": 1500},
    )
    body = {"member_id": p.ana, "kind": "travel", "amount_pence": 700, "note": "train"}
    _api(client, h, "POST", f"/api/v1/networks/meetings/{p.meeting_id}/expenses", json=body)
    body = {"member_id": p.ben, "kind": "travel", "amount_pence": 4321, "note": "bens fare"}
    _api(client, h, "POST", f"/api/v1/networks/meetings/{p.meeting_id}/expenses", json=body)
    link = _api(client, h, "POST", f"/api/v1/networks/members/{p.ana}/link")["url"]
    phone = TestClient(client.app, base_url=str(client.base_url))
    assert phone.get(urlsplit(link).path, follow_redirects=False).status_code == 303
    assert "/me/payments" in phone.get("/me").text
    html = phone.get("/me/payments").text
    assert "Autumn meeting" in html and "£30.00" in html and "£7.00" in html and "£37.00" in html
    assert "Not yet" in html
    assert "bens fare" not in html and "£43.21" not in html and "Ben Lloyd" not in html
    data = phone.get("/me/data.json").json()
    assert [e["amount_pence"] for e in data["expenses"]] == [700]
    # Without a member's cookie: the page for no access, nothing else.
    stranger = TestClient(client.app, base_url=str(client.base_url))
    r = stranger.get("/me/payments")
    assert r.status_code == 404 and "Autumn meeting" not in r.text


def test_erasing_a_member_removes_their_expenses_and_receipts_and_the_sweep_tidies_deletions(
    logged_in: TestClient,
    api_headers: dict[str, str],
    session: Session,
    settings: Settings,
    paid: Paid,
) -> None:
    client, h, p = logged_in, api_headers, paid
    page = f"/networks/meetings/{p.meeting_id}/payments"
    for member in (p.ana, p.ben):
        r = _form_post(
            client,
            page,
            f"/networks/meetings/{p.meeting_id}/expenses",
            {"member_id": str(member), "kind": "travel", "amount": "2"},
            files={"file": ("r.png", photo_with_gps(fmt="PNG"), "image/png")},
        )
        assert r.status_code == 303, r.text
    files = {
        e.receipt_path: settings.media_dir / str(e.receipt_path)
        for e in session.exec(select(Expense))
    }
    assert len(files) == 2 and all(f.is_file() for f in files.values())
    _api(client, h, "POST", f"/api/v1/networks/members/{p.ana}/erase", json={"confirm": True})
    left = session.exec(select(Expense)).all()
    assert len(left) == 1
    assert [f.is_file() for f in files.values()].count(True) == 1
    # Deleting the meeting takes Ben's expense with it; the sweep removes the photo.
    _api(client, h, "DELETE", f"/api/v1/networks/meetings/{p.meeting_id}")
    assert session.exec(select(Expense)).all() == []
    retention.purge_now(
        db=client.app.state.db,  # type: ignore[attr-defined]
        media_dir=settings.media_dir,
        default_days=settings.keep_days,
        audit_days=settings.audit_keep_days,
    )
    assert not any(f.is_file() for f in files.values())


def test_funded_flag_and_rate_from_the_leads_pages(
    logged_in: TestClient, session: Session, paid: Paid
) -> None:
    client, p = logged_in, paid
    r = _form_post(
        client, f"/networks/{p.network_id}/rate", f"/networks/{p.network_id}/rate", {"rate": "12,5"}
    )
    assert r.status_code == 303
    assert "£12.50 an hour" in client.get(f"/networks/{p.network_id}").text
    r = _form_post(
        client, f"/networks/{p.network_id}/rate", f"/networks/{p.network_id}/rate", {"rate": "£900"}
    )
    assert r.status_code == 422 and "at most £200.00" in r.text and 'value="£900"' in r.text
    member_page = f"/networks/members/{p.cal}"
    r = _form_post(client, member_page, f"/networks/members/{p.cal}/funded", {"funded": "true"})
    assert r.status_code == 303
    assert "checked" in client.get(member_page).text.split('name="funded"')[1][:40]
