"""Consent for evidence use, as issue 24 found it missing: a member recorded as not consenting
joins a meeting's café from their invite and posts; their card is never a candidate, cannot be
merged and is not published; a consenting person's card is; when that person withdraws, the
draft loses the words and the published version, its easy-read edition and every export say
"Withdrawn by the person who said it", the evidence counts staying the same."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.base import utcnow
from app.models.cafe import DEFAULT_PRIVACY_NOTICE, Cafe, Participant
from app.models.evidence import Contribution
from app.models.material import WITHDRAWN_TEXT
from app.services.cafe import rounds as round_service
from tests.conftest import csrf_of

NOT_CONSENTING = "Nobody asks me what I want for tea."
CONSENTING = "The day centre closing cut me off from my friends."
WITHDRAWN = WITHDRAWN_TEXT


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content and "json" in r.headers.get("content-type", "") else r


def _join(
    client: TestClient, path: str, name: str, consent: str, *, invite: str | None = None
) -> TestClient:
    """A phone with its own cookie jar, joined through the join page's form."""
    phone = TestClient(client.app, base_url=str(client.base_url))
    page = phone.get(path)
    assert page.status_code == 200, page.text
    code = urlsplit(path).path.rsplit("/", 1)[1]
    data = {"display_name": name, "csrf_token": csrf_of(phone, path), "evidence_consent": consent}
    if invite:
        data["invite"] = invite
    r = phone.post(f"/j/{code}", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return phone


def _join_invited(client: TestClient, invite_url: str, name: str, consent: str) -> TestClient:
    """Join from a member's personal invite link, as its page's form sends it."""
    url = urlsplit(invite_url)
    token = unquote(url.query.removeprefix("invite="))
    return _join(client, f"{url.path}?{url.query}", name, consent, invite=token)


def _post(phone: TestClient, cafe: Cafe, text: str) -> None:
    r = phone.post(
        f"/p/{cafe.code}/contributions",
        data={
            "csrf_token": csrf_of(phone, f"/p/{cafe.code}"),
            "client_id": uuid.uuid4().hex,
            "text": text,
            "kind": "barrier",
            "evidence_type": "lived_experience",
        },
    )
    assert r.status_code == 200, r.text


def _docx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return z.read("word/document.xml").decode()


def _exports(client: TestClient, headers: dict[str, str], version_url: str) -> dict[str, str]:
    """The version in every format and edition the API gives."""
    out = {}
    for fmt in ("json", "md", "docx"):
        for edition in ("standard", "easy_read"):
            r = client.get(
                f"{version_url}/export", params={"format": fmt, "edition": edition}, headers=headers
            )
            assert r.status_code == 200, r.text
            out[f"{fmt}/{edition}"] = _docx_text(r.content) if fmt == "docx" else r.text
    return out


def _evidence_count(detail: dict[str, Any]) -> int:
    return sum(len(s["evidence"]) for s in detail["sections"])


def _setup(client: TestClient, h: dict[str, str]) -> dict[str, Any]:
    """A network whose group's meeting runs as a café; Sam is recorded as not consenting."""
    network = _api(client, h, "POST", "/api/v1/networks", json={"title": "Day services"})
    group = _api(
        client, h, "POST", f"/api/v1/networks/{network['id']}/groups", json={"name": "North"}
    )
    sam = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/groups/{group['id']}/members",
        json={"display_name": "Sam", "role": "lived_experience", "consent_given": False},
    )
    meeting = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/groups/{group['id']}/meetings",
        json={
            "starts_at": "2027-03-10T10:00:00+00:00",
            "ends_at": "2027-03-10T12:00:00+00:00",
        },
    )
    cafe = _api(client, h, "POST", f"/api/v1/networks/meetings/{meeting['id']}/cafe", json={})
    invites = _api(client, h, "GET", f"/api/v1/networks/meetings/{meeting['id']}/invites")
    (invite,) = [i["url"] for i in invites["items"] if i["member_id"] == sam["id"]]
    return {"network": network, "cafe": cafe, "sam": sam, "invite": invite}


def test_consent_is_enforced_and_withdrawal_redacts_every_edition_and_export(
    client: TestClient, session: Session, api_headers: dict[str, str], logged_in: TestClient
) -> None:
    h = api_headers
    world = _setup(client, h)
    cafe = session.get(Cafe, world["cafe"]["id"])
    assert cafe is not None
    # The network's notice became the café's; the join page shows it and asks, unticked.
    assert world["cafe"]["privacy_notice"] == DEFAULT_PRIVACY_NOTICE
    join_page = client.get(f"/j/{cafe.code}").text
    assert "What happens to what you say" in join_page
    assert "Can we use what you say after today?" in join_page
    assert 'value="yes" >' in join_page and 'value="no" >' in join_page  # neither checked

    # Sam says yes on the phone, but the network records no: the stricter answer wins.
    sam_phone = _join_invited(client, world["invite"], "Sam", "yes")
    ali_phone = _join(client, f"/j/{cafe.code}", "Ali", "yes")
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    _post(sam_phone, cafe, NOT_CONSENTING)
    _post(ali_phone, cafe, CONSENTING)
    people = {p.display_name: p for p in session.exec(select(Participant))}
    assert people["Sam"].evidence_consent is False and people["Ali"].evidence_consent is True
    said = {c.text: c.id for c in session.exec(select(Contribution))}

    # Sam's own page says no, and turning it to yes is refused in a sentence.
    assert "Now: <strong>no</strong>" in sam_phone.get(f"/p/{cafe.code}").text
    r = sam_phone.post(
        f"/p/{cafe.code}/consent",
        data={"csrf_token": csrf_of(sam_phone, f"/p/{cafe.code}"), "evidence_consent": "yes"},
    )
    assert r.status_code == 409 and "ask the organiser" in r.text

    # --- the lead's material: version 1 published, version 2 the draft ---
    base = f"/api/v1/networks/{world['network']['id']}/materials"
    material = _api(client, h, "POST", base, json={"title": "What members told us", "sections": []})
    murl = f"{base}/{material['id']}"
    _api(client, h, "POST", f"{murl}/versions/1/sections", json={"heading": "Being heard"})
    _api(client, h, "POST", f"{murl}/versions/1/publish", json={})
    _api(client, h, "POST", f"{murl}/versions")
    section = _api(client, h, "GET", f"{murl}/versions/2/sections")["items"][0]
    evidence_url = f"{murl}/versions/2/sections/{section['id']}/evidence"

    # Sam's card is not a candidate; Ali's is.
    candidates = _api(client, h, "GET", f"{base}/candidates")["items"]
    assert [c["text"] for c in candidates] == [CONSENTING]
    # Merging Sam's card is refused with a sentence; Ali's merges.
    r = client.post(evidence_url, json={"contribution_ids": [said[NOT_CONSENTING]]}, headers=h)
    assert r.status_code == 409
    assert "has not agreed to their words being used as evidence" in r.json()["detail"]
    added = _api(client, h, "POST", evidence_url, json={"contribution_ids": [said[CONSENTING]]})
    assert [e["original_text"] for e in added["added"]] == [CONSENTING]
    _api(client, h, "POST", f"{murl}/versions/2/publish", json={})

    v2 = f"{murl}/versions/2"
    before = _exports(client, h, v2)
    for name, text in before.items():
        assert CONSENTING in text, name
        assert NOT_CONSENTING not in text, name
    count = _evidence_count(_api(client, h, "GET", v2))
    assert count == 1
    _api(client, h, "POST", f"{murl}/versions")  # version 3: a draft copied from 2

    # --- Ali withdraws on their own page ---
    r = ali_phone.post(
        f"/p/{cafe.code}/consent",
        data={"csrf_token": csrf_of(ali_phone, f"/p/{cafe.code}"), "evidence_consent": "no"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Now: <strong>no</strong>" in ali_phone.get(f"/p/{cafe.code}").text

    # The draft loses the words at once; its item (and so the counts) stays.
    draft = _api(client, h, "GET", f"{murl}/versions/3")
    (item,) = [e for s in draft["sections"] for e in s["evidence"]]
    assert item["original_text"] == WITHDRAWN and item["withdrawn_at"] is not None
    assert item["paraphrase"] == "" and item["cafe_id"] == cafe.id  # provenance stays
    # Version 2, published, and every edition and export say it was withdrawn.
    assert _evidence_count(_api(client, h, "GET", v2)) == count
    after = _exports(client, h, v2)
    for name, text in after.items():
        assert CONSENTING not in text, name
        assert WITHDRAWN in text, name
    # The lead's pages too: the version page and the easy-read edition.
    page = f"/networks/{world['network']['id']}/materials/{material['id']}/versions/2"
    for path in (page, f"{page}/easy-read", f"{page}/print"):
        html = logged_in.get(path).text
        assert WITHDRAWN in html and CONSENTING not in html, path
    # Nor is the card a candidate any more; the café's own wall keeps it (the room heard it).
    assert _api(client, h, "GET", f"{base}/candidates")["items"] == []
    assert session.get(Contribution, said[CONSENTING]) is not None


def test_owner_withdraws_for_a_member_through_the_api(
    client: TestClient, session: Session, api_headers: dict[str, str]
) -> None:
    h = api_headers
    world = _setup(client, h)
    cafe = session.get(Cafe, world["cafe"]["id"])
    assert cafe is not None
    # Sam's consent is now recorded; they join from their invite and say yes.
    sam = world["sam"]
    _api(client, h, "PATCH", f"/api/v1/networks/members/{sam['id']}", json={"consent_given": True})
    phone = _join_invited(client, world["invite"], "Sam", "yes")
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    _post(phone, cafe, CONSENTING)
    base = f"/api/v1/networks/{world['network']['id']}/materials"
    material = _api(client, h, "POST", base, json={"title": "Findings", "sections": []})
    murl = f"{base}/{material['id']}"
    section = _api(client, h, "POST", f"{murl}/versions/1/sections", json={"heading": "Heard"})
    cid = session.exec(select(Contribution.id)).one()
    _api(
        client,
        h,
        "POST",
        f"{murl}/versions/1/sections/{section['id']}/evidence",
        json={"contribution_ids": [cid], "paraphrase": "Closing the centre isolated people."},
    )
    _api(client, h, "POST", f"{murl}/versions/1/publish", json={})

    # The lead unticks the member's consent: their words leave version 1 too.
    _api(client, h, "PATCH", f"/api/v1/networks/members/{sam['id']}", json={"consent_given": False})
    for name, text in _exports(client, h, f"{murl}/versions/1").items():
        assert CONSENTING not in text and "isolated people" not in text, name
        assert WITHDRAWN in text, name
    people = _api(client, h, "GET", f"/api/v1/cafes/{cafe.id}/participants")
    assert [p["evidence_consent"] for p in people] == [False]


def test_owner_records_a_participants_choice_through_the_api(
    client: TestClient, session: Session, api_headers: dict[str, str]
) -> None:
    h = api_headers
    world = _setup(client, h)
    cafe_id = world["cafe"]["id"]
    cafe = session.get(Cafe, cafe_id)
    assert cafe is not None
    _join(client, f"/j/{cafe.code}", "Jo", "")  # no choice made: a no
    (jo,) = _api(client, h, "GET", f"/api/v1/cafes/{cafe_id}/participants")
    assert jo["evidence_consent"] is False
    url = f"/api/v1/cafes/{cafe_id}/participants/{jo['id']}/consent"
    assert _api(client, h, "POST", url, json={"evidence_consent": True})["evidence_consent"]
    r = client.post(
        f"/api/v1/cafes/{cafe_id}/participants/999999/consent",
        json={"evidence_consent": False},
        headers=h,
    )
    assert r.status_code == 404 and r.json()["detail"]


def test_privacy_notice_is_the_facilitators_to_edit(
    client: TestClient, session: Session, api_headers: dict[str, str], logged_in: TestClient
) -> None:
    h = api_headers
    world = _setup(client, h)
    cafe_id, network_id = world["cafe"]["id"], world["network"]["id"]
    notice = "We keep your words for one year.\nAsk Priya to delete them."
    r = _api(client, h, "PATCH", f"/api/v1/cafes/{cafe_id}", json={"privacy_notice": notice})
    assert r["privacy_notice"] == notice
    r = client.patch(f"/api/v1/cafes/{cafe_id}", json={"privacy_notice": "  "}, headers=h)
    assert r.status_code == 422 and "privacy notice" in r.json()["detail"]
    code = world["cafe"]["code"]
    page = TestClient(client.app, base_url=str(client.base_url)).get(f"/j/{code}").text
    assert "<p>We keep your words for one year.</p>" in page
    assert page.index("What happens to what you say") < page.index('id="display_name"')
    # The settings form keeps it; the network's too.
    settings = logged_in.get(f"/cafes/{cafe_id}/settings").text
    assert "Ask Priya to delete them." in settings
    r = _api(client, h, "PATCH", f"/api/v1/networks/{network_id}", json={"privacy_notice": notice})
    assert r["privacy_notice"] == notice
    assert "Ask Priya" in logged_in.get(f"/networks/{network_id}").text
    # A meeting run as a café from now on starts with the network's notice.
    (group,) = _api(client, h, "GET", f"/api/v1/networks/{network_id}/groups")["items"]
    meeting = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/groups/{group['id']}/meetings",
        json={"starts_at": "2027-05-10T10:00:00+00:00", "ends_at": "2027-05-10T12:00:00+00:00"},
    )
    second = _api(client, h, "POST", f"/api/v1/networks/meetings/{meeting['id']}/cafe", json={})
    assert second["privacy_notice"] == notice
    # The lead's member page shows it, to read with the member.
    assert "Ask Priya" in logged_in.get(f"/networks/members/{world['sam']['id']}").text
