"""Networks in Welsh (issue 27): the lead's network, group, meeting, payments, actions and
feedback pages, their form errors and the network API's errors in the reader's language; money
and dates as Welsh writes them; the network's own language for members' letters."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import i18n
from app.models.base import utcnow
from tests.conftest import csrf_of

WELSH = {"Accept-Language": "cy"}


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', html)
    assert match, "no <html lang>"
    return match.group(1)


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content else None


@dataclass
class Net:
    network_id: int
    group_id: int
    meeting_id: int
    members: list[int]


@pytest.fixture
def net(client: TestClient, api_headers: dict[str, str]) -> Net:
    """A network with a group of three members, a meeting two of them came to, an hourly
    rate, an expense and an action."""
    h = api_headers
    network = _api(client, h, "POST", "/api/v1/networks", json={"title": "Lleisiau gofalwyr"})
    nid = network["id"]
    group = _api(client, h, "POST", f"/api/v1/networks/{nid}/groups", json={"name": "Cymoedd"})
    members = [
        _api(
            client,
            h,
            "POST",
            f"/api/v1/networks/groups/{group['id']}/members",
            json={"display_name": name, "role": "carer"},
        )["id"]
        for name in ("Ana Price", "Ben Lloyd", "Cal Evans")
    ]
    # Three days ago at 10:00 UTC: a meeting that runs past midnight is written in another
    # form ("Iau 3 Rhag 2026, 22:04 – Gwen 4 Rhag 2026, 00:04"), whatever the time the test runs.
    starts = (utcnow() - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    meeting = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/groups/{group['id']}/meetings",
        json={
            "title": "Cyfarfod yr hydref",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
    )
    marks = [
        {"member_id": members[0], "attended": True},
        {"member_id": members[1], "attended": True},
        {"member_id": members[2], "attended": False},
    ]
    _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/meetings/{meeting['id']}/attendance",
        json={"marks": marks},
    )
    _api(client, h, "PUT", f"/api/v1/networks/{nid}/pay-rate", json={"hourly_rate_pence": 1500})
    body = {"member_id": members[0], "kind": "travel", "amount_pence": 1250, "note": "bws"}
    _api(client, h, "POST", f"/api/v1/networks/meetings/{meeting['id']}/expenses", json=body)
    action = {"group_id": group["id"], "title": "Siarad â’r cyngor"}
    _api(client, h, "POST", f"/api/v1/networks/{nid}/actions", json=action)
    return Net(nid, group["id"], meeting["id"], members)


@pytest.fixture
def welsh(logged_in: TestClient) -> TestClient:
    """The lead, who chose Welsh with the language switch."""
    logged_in.cookies.set(i18n.COOKIE, "cy")
    return logged_in


def test_the_network_and_group_pages_in_welsh(welsh: TestClient, net: Net) -> None:
    page = welsh.get(f"/networks/{net.network_id}")
    assert page.status_code == 200
    assert _lang(page.text) == "cy"
    assert "Grwpiau lleol" in page.text
    assert "Camau gweithredu sy’n parhau" in page.text
    # Money through Babel, in a whole Welsh sentence.
    assert "Mae aelodau’n cael £15.00 yr awr." in page.text
    # The network's language on its form, each language named in its own words.
    assert "Iaith tudalennau a llythyrau’r aelodau" in page.text
    assert re.search(r'<option value="cy" lang="cy"[^>]*>Cymraeg</option>', page.text)
    # What people wrote stays as written.
    assert "Lleisiau gofalwyr" in page.text and "Cymoedd" in page.text

    group = welsh.get(f"/networks/groups/{net.group_id}")
    assert _lang(group.text) == "cy"
    assert "Ychwanegu aelod" in group.text
    # Welsh counts with a numeral and the singular noun, in every plural form.
    assert "3 aelod." in group.text
    assert "Cyfarfodydd Cymoedd, yn nhrefn dyddiad (amser y DU)" in group.text


def test_a_meeting_its_payments_and_the_finance_csv_in_welsh(welsh: TestClient, net: Net) -> None:
    page = welsh.get(f"/networks/meetings/{net.meeting_id}")
    assert _lang(page.text) == "cy"
    assert "Rhedeg y cyfarfod fel caffi" in page.text
    assert "Cadw presenoldeb" in page.text
    assert "Daeth Ana Price" in page.text
    # The usual questions offered for the café, in Welsh.
    assert "Beth sy’n gweithio’n dda i bobl yma nawr?" in page.text
    # The day in Welsh (Babel's abbreviated day and month), the times as they are.
    when = re.search(r"<p>(\S+ \d+ \S+ \d{4}), \d\d:\d\d–\d\d:\d\d \(amser y DU\)", page.text)
    assert when, page.text[:3000]
    with i18n.speaking("en"):
        week = [utcnow() + timedelta(days=d) for d in range(7)]
        english_days = {i18n.format_day_pattern(day, "EEE") for day in week}
    assert when.group(1).split()[0] not in english_days

    payments = welsh.get(f"/networks/meetings/{net.meeting_id}/payments")
    assert _lang(payments.text) == "cy"
    assert "Taliadau ar gyfer Cyfarfod yr hydref" in payments.text
    assert "Teithio, £12.50" in payments.text
    assert "Marcio bod Ana Price wedi cael eu talu" in payments.text
    assert "£42.50" in payments.text  # two hours at £15 and the bus fare

    finance = welsh.get(f"/networks/{net.network_id}/finance.csv")
    assert finance.status_code == 200
    rows = list(csv.reader(io.StringIO(finance.text.lstrip("\ufeff"))))
    assert rows[0] == ["Taliadau ar gyfer Lleisiau gofalwyr"]
    assert rows[1][:2] == ["Grŵp", "Rhif adnabod yr aelod"]
    assert "Cyfradd fesul awr (£)" in rows[1] and "Yn dal yn ddyledus (£)" in rows[1]
    assert rows[-1][0] == "Cyfanswm"
    ana = next(r for r in rows if len(r) > 2 and r[2] == "Ana Price")
    assert ana[4] == "Na"  # not already funded

    attendance = welsh.get(f"/networks/{net.network_id}/attendance.csv")
    heading = next(csv.reader(io.StringIO(attendance.text.lstrip("\ufeff"))))
    assert heading[:3] == ["Rhwydwaith", "Grŵp", "Rhif adnabod yr aelod"]
    assert "Oriau cyfarfod 1" in heading


def test_actions_and_feedback_in_welsh(welsh: TestClient, net: Net) -> None:
    actions = welsh.get(f"/networks/{net.network_id}/actions")
    assert _lang(actions.text) == "cy"
    assert "Ychwanegu cam gweithredu" in actions.text
    assert "Siarad â’r cyngor" in actions.text
    assert "<strong>Heb ddechrau</strong> · yr arweinydd" in actions.text
    # The history names what changed and who, in Welsh.
    assert re.search(r"UTC · yr arweinydd · wedi’i greu", actions.text)

    feedback = welsh.get(f"/networks/{net.network_id}/feedback")
    assert _lang(feedback.text) == "cy"
    assert "Adborth yr aelodau" in feedback.text
    assert "Dewiswch rhwng tri a phum cwestiwn" in feedback.text
    assert "Oeddech chi’n teimlo bod pobl yn gwrando arnoch chi?" in feedback.text


def test_a_form_error_comes_back_in_welsh(welsh: TestClient, net: Net) -> None:
    token = csrf_of(welsh, f"/networks/{net.network_id}/rate")
    page = welsh.post(
        f"/networks/{net.network_id}/rate", data={"rate": "lots", "csrf_token": token}
    )
    assert "Ysgrifennwch y gyfradd fesul awr mewn punnoedd, fel 12.50." in page.text

    token = csrf_of(welsh, f"/networks/{net.network_id}")
    page = welsh.post(
        f"/networks/{net.network_id}/groups",
        data={"name": "Arfordir", "first_date": "yfory", "csrf_token": token},
    )
    assert "Methu darllen dyddiad ac amser y cyfarfod cyntaf" in page.text

    page = welsh.post(
        f"/networks/{net.network_id}",
        data={
            "title": "Lleisiau gofalwyr",
            "privacy_notice": "Rydyn ni’n cadw eich geiriau.",
            "language": "fr",
            "csrf_token": token,
        },
    )
    assert "Dewiswch English neu Cymraeg ar gyfer tudalennau a llythyrau’r aelodau." in page.text


def test_api_errors_in_the_askers_language(
    client: TestClient, api_headers: dict[str, str], net: Net
) -> None:
    headers = {**api_headers, **WELSH}
    missing = client.get("/api/v1/networks/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Does dim rhwydwaith o’r fath."}
    assert missing.headers["content-language"] == "cy"

    # A service's refusal, with a name in it: Cal did not come, so has no expenses.
    refused = client.post(
        f"/api/v1/networks/meetings/{net.meeting_id}/expenses",
        headers=headers,
        json={"member_id": net.members[2], "kind": "travel", "amount_pence": 500},
    )
    assert refused.status_code == 422
    assert refused.json() == {"detail": "Marciwch fod Cal Evans wedi dod (Presenoldeb) yn gyntaf."}

    wrong = client.post(
        "/api/v1/networks", headers=headers, json={"title": "Arall", "language": "fr"}
    )
    assert wrong.status_code == 422
    assert "Dewiswch English (en) neu Cymraeg (cy) ar gyfer iaith y rhwydwaith." in wrong.text
    # The same refusal in English for someone reading English.
    wrong = client.post(
        "/api/v1/networks", headers=api_headers, json={"title": "Arall", "language": "fr"}
    )
    assert "Choose English (en) or Cymraeg (cy) for the network's language." in wrong.text


def test_the_network_language_in_the_api_and_the_form(
    logged_in: TestClient, api_headers: dict[str, str], net: Net
) -> None:
    h = api_headers
    made = _api(logged_in, h, "POST", "/api/v1/networks", json={"title": "Y Fro"})
    assert made["language"] == "en"  # the default
    made = _api(logged_in, h, "POST", "/api/v1/networks", json={"title": "Môn", "language": "cy"})
    assert made["language"] == "cy"
    read = _api(logged_in, h, "GET", f"/api/v1/networks/{made['id']}")
    assert read["language"] == "cy"
    changed = _api(logged_in, h, "PATCH", f"/api/v1/networks/{made['id']}", json={"language": "en"})
    assert changed["language"] == "en"
    untouched = _api(
        logged_in, h, "PATCH", f"/api/v1/networks/{made['id']}", json={"title": "Ynys Môn"}
    )
    assert untouched["language"] == "en"

    # The lead sets it on the network's form (reading their pages in English).
    token = csrf_of(logged_in, f"/networks/{net.network_id}")
    answer = logged_in.post(
        f"/networks/{net.network_id}",
        data={
            "title": "Lleisiau gofalwyr",
            "privacy_notice": "Rydyn ni’n cadw eich geiriau.",
            "language": "cy",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    read = _api(logged_in, h, "GET", f"/api/v1/networks/{net.network_id}")
    assert read["language"] == "cy"
    page = logged_in.get(f"/networks/{net.network_id}")
    assert _lang(page.text) == "en"
    assert re.search(r'<option value="cy" lang="cy" selected>', page.text)


def test_the_member_letter_is_in_the_networks_language(
    logged_in: TestClient, api_headers: dict[str, str], net: Net
) -> None:
    member = net.members[0]
    token = csrf_of(logged_in, f"/networks/members/{member}")
    letter = logged_in.post(f"/networks/members/{member}/link", data={"csrf_token": token})
    assert letter.status_code == 200
    assert "Dear Ana Price," in letter.text and "Keep this letter safe" in letter.text

    _api(
        logged_in,
        api_headers,
        "PATCH",
        f"/api/v1/networks/{net.network_id}",
        json={"language": "cy"},
    )
    letter = logged_in.post(f"/networks/members/{member}/link", data={"csrf_token": token})
    # The lead's own words on the page stay English; the letter to print is Welsh.
    assert _lang(letter.text) == "en"
    assert "Back to Ana Price" in letter.text
    assert '<article class="letter" aria-labelledby="letter-heading" lang="cy">' in letter.text
    assert "Annwyl Ana Price," in letter.text
    assert "Cadwch y llythyr hwn yn ddiogel" in letter.text
    assert "Dear Ana Price," not in letter.text
