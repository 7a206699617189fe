"""The whole network journey for discussion materials: two local groups each run a café
meeting from phones; the lead merges what both said into a material, publishes version 2,
and the diff, the cross-group view, the easy-read edition and the Word file show what came
from where. Withdrawing or hiding a source afterwards marks it and never rewrites a
published version; another lead sees none of it."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from docx import Document
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.evidence import Contribution, ContributionTheme, Theme
from app.services.cafe import rounds as round_service
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_facilitator
from tests.material_setup import GroupCafe, make_group_cafe, make_network

MATERIAL = """# Getting out and about

## What the research says

People who choose when they go out report a better quality of life.

### Easy read

Going out when you want makes life better.
You should have a say.

## What members told us

Members of the local groups shared what helps and what gets in the way.
"""


def _phone(client: TestClient, cafe: Cafe, name: str, role: str) -> TestClient:
    """A phone with its own cookie jar, joined to the café; the person says yes to what they
    say being used as evidence (without it nothing of theirs reaches a material)."""
    phone = TestClient(client.app, base_url=str(client.base_url))
    token = csrf_of(phone, f"/j/{cafe.code}")
    r = phone.post(
        f"/j/{cafe.code}",
        data={"display_name": name, "role": role, "evidence_consent": "yes", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return phone


def _post(phone: TestClient, cafe: Cafe, text: str, kind: str, evidence_type: str) -> None:
    token = csrf_of(phone, f"/p/{cafe.code}")
    r = phone.post(
        f"/p/{cafe.code}/contributions",
        data={
            "csrf_token": token,
            "client_id": uuid.uuid4().hex,
            "text": text,
            "kind": kind,
            "evidence_type": evidence_type,
        },
    )
    assert r.status_code == 200, r.text


def _contribution(session: Session, text: str) -> Contribution:
    found = session.exec(select(Contribution).where(Contribution.text == text)).one()
    session.refresh(found)
    return found


def _theme(session: Session, contribution: Contribution, name: str) -> int:
    """The facilitator's harvest: a theme on the café's wall with this contribution in it."""
    theme = Theme(cafe_id=contribution.cafe_id, name=name)
    session.add(theme)
    session.commit()
    session.refresh(theme)
    assert theme.id is not None and contribution.id is not None
    session.add(ContributionTheme(contribution_id=contribution.id, theme_id=theme.id))
    session.commit()
    return theme.id


def _form(client: TestClient, page: str, action: str, **data: Any) -> Any:
    """Submit a form found on `page` (the CSRF token comes from the page)."""
    response = client.post(
        action, data={"csrf_token": csrf_of(client, page), **data}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response


def _run_cafe(
    client: TestClient, session: Session, gc: GroupCafe, said: list[tuple[str, ...]]
) -> None:
    phones = {name: _phone(client, gc.cafe, name, role) for name, role, *_ in said}
    round_service.start_next_round(session=session, cafe=gc.cafe, now=utcnow())
    for name, _role, text, kind, evidence in said:
        _post(phones[name], gc.cafe, text, kind, evidence)
    gc.phones = phones  # type: ignore[attr-defined]


def _section_id(html: str, heading: str) -> int:
    match = re.search(
        r'<section class="section" id="section-(\d+)" aria-labelledby="section-\d+-heading">\s*'
        r'<h2 id="section-\d+-heading">' + re.escape(heading),
        html,
    )
    assert match, f"no section {heading!r}"
    return int(match.group(1))


def test_two_groups_one_material(
    logged_in: TestClient,
    client: TestClient,
    session: Session,
    facilitator: Facilitator,
    api_headers: dict[str, str],
) -> None:
    lead = logged_in
    network = make_network(session, facilitator, "Choice and control in supported living")
    north = make_group_cafe(session, facilitator, network, "Highland group")
    south = make_group_cafe(session, facilitator, network, "Cardiff group")

    # --- each local group meets as a café; people add what they think from their phones ---
    _run_cafe(
        lead,
        session,
        north,
        [
            (
                "Ailsa",
                "lived_experience",
                "The last bus is at six, so evenings out are impossible.",
                "barrier",
                "lived_experience",
            ),
            (
                "Rob",
                "practitioner",
                "We can only go out when the rota has two staff on.",
                "barrier",
                "practice",
            ),
        ],
    )
    _run_cafe(
        lead,
        session,
        south,
        [
            (
                "Megan",
                "carer",
                "A taxi account means my son sees his friends on Fridays.",
                "enabler",
                "lived_experience",
            ),
        ],
    )
    bus = _contribution(session, "The last bus is at six, so evenings out are impossible.")
    rota = _contribution(session, "We can only go out when the rota has two staff on.")
    taxi = _contribution(session, "A taxi account means my son sees his friends on Fridays.")
    assert (bus.author_role, bus.evidence_type, bus.kind) == (
        "lived_experience",
        "lived_experience",
        "barrier",
    )
    _theme(session, bus, "Transport")
    _theme(session, rota, "Staffing")
    taxi_theme = _theme(session, taxi, "transport")
    bus_before = bus.model_dump()

    # --- the lead writes version 1 (imported from Markdown) and publishes it ---
    base = f"/networks/{network.id}/materials"
    r = _form(lead, base, base, title="", markdown=MATERIAL)
    v1_url = r.headers["location"]
    assert v1_url.endswith("/versions/1")
    v1 = lead.get(v1_url).text
    assert "Getting out and about" in v1 and "Going out when you want makes life better." in v1
    _form(lead, v1_url, f"{v1_url}/publish", note="Before the first meetings")
    material_url = v1_url.rsplit("/versions/", 1)[0]
    r = _form(lead, v1_url, f"{material_url}/next")
    v2_url = r.headers["location"]
    assert v2_url.endswith("/versions/2")

    # --- after the meetings: merge evidence from both groups into version 2 ---
    told = _section_id(lead.get(v2_url).text, "What members told us")
    merge_url = f"{v2_url}/sections/{told}/merge"
    picker = lead.get(merge_url, params={"group": str(north.group.id)}).text
    assert bus.text in picker and rota.text in picker and taxi.text not in picker
    assert 'name="contribution"' in picker and "Highland group, meeting 1" in picker
    _form(lead, merge_url, merge_url, contribution=[str(bus.id)])
    notice = lead.get(v2_url).text
    assert "1 evidence item added to “What members told us”." in notice
    picker = lead.get(merge_url, params={"theme": "Transport"}).text
    assert taxi.text in picker and rota.text not in picker
    assert "Already in this section." in picker
    _form(lead, merge_url, merge_url, theme_id=[str(taxi_theme)])
    v2 = lead.get(v2_url).text
    assert v2.count('class="evidence"') == 2
    bus_item = int(re.search(r'id="evidence-(\d+)"', v2).group(1))  # type: ignore[union-attr]
    _form(
        lead,
        v2_url,
        f"{v2_url}/sections/{told}/evidence/{bus_item}/paraphrase",
        text="Buses stop too early for an evening out.",
    )
    _form(
        lead,
        f"{v2_url}/sections/{told}/edit",
        f"{v2_url}/sections/{told}/edit",
        heading="What members told us",
        body_markdown="Members of the local groups shared what helps and what gets in the way.\n\n"
        "**Transport** came up in both groups.",
        easy_read_text="Getting about is hard in the evening.\nA taxi account can help.",
    )
    _form(lead, v2_url, f"{v2_url}/publish", note="After the first meetings")
    v2 = lead.get(v2_url).text
    assert "Version 2 is published." in v2 and "<strong>Transport</strong>" in v2
    assert "Buses stop too early for an evening out." in v2
    assert "Highland group, meeting 1" in v2 and "Cardiff group, meeting 1" in v2
    assert 'action="' + v2_url + '/publish"' not in v2

    # --- the diff shows what changed and where the new evidence came from ---
    diff = lead.get(f"{material_url}/diff", params={"from": 1, "to": 2}).text
    assert "Changes from version 1 to version 2" in diff
    assert "Evidence items added: 2" in diff
    assert (
        "<td>Highland group</td><td>1</td>" in diff and "<td>Cardiff group</td><td>1</td>" in diff
    )
    assert "<ins>" in diff and "Transport" in diff
    assert bus.text in diff and taxi.text in diff

    # --- the cross-group view: transport was raised in both groups ---
    cross = lead.get(f"{base}/cross-group").text
    shared = cross.split("Raised by one local group")[0]
    assert '<th scope="row">Transport</th>' in shared
    assert "Highland group: 1" in shared and "Cardiff group: 1" in shared
    assert "Carer or family member: 1" in shared and "2 of 2" in shared
    assert "Staffing" in cross.split("Raised by one local group")[-1]

    # --- the easy-read edition, print view and Word files open and contain it ---
    easy = lead.get(f"{v2_url}/easy-read").text
    assert '<p class="idea">Getting about is hard in the evening.</p>' in easy
    assert '<p class="idea">A taxi account can help.</p>' in easy
    assert "Carer or family member in Cardiff group: “A taxi account means my son" in easy
    assert "I draw on care and support in Highland group: “Buses stop too early" in easy
    assert lead.get(f"{v2_url}/print").status_code == 200
    word = lead.get(f"{v2_url}/download/material.docx")
    assert word.headers["content-type"].startswith("application/vnd.openxmlformats")
    paragraphs = [p.text for p in Document(io.BytesIO(word.content)).paragraphs]
    assert "What members told us" in paragraphs
    assert any(taxi.text in p for p in paragraphs)
    assert any(p.startswith("Cardiff group, meeting 1") for p in paragraphs)
    easy_word = lead.get(f"{v2_url}/download/easy-read.docx")
    easy_lines = [p.text for p in Document(io.BytesIO(easy_word.content)).paragraphs]
    assert "Getting about is hard in the evening." in easy_lines
    assert "Going out when you want makes life better." in easy_lines

    # --- JSON through the API carries the full provenance ---
    api = f"/api/v1/networks/{network.id}/materials"
    material_id = int(material_url.rsplit("/", 1)[1])
    detail = client.get(f"{api}/{material_id}/versions/2", headers=api_headers).json()
    items = next(s for s in detail["sections"] if s["heading"] == "What members told us")[
        "evidence"
    ]
    assert [(i["group_name"], i["cafe_title"], i["author_role"]) for i in items] == [
        ("Highland group", "Highland group café 1", "lived_experience"),
        ("Cardiff group", "Cardiff group café 1", "carer"),
    ]
    assert items[0]["meeting_id"] == north.meeting.id and items[1]["table_name"]
    assert items[0]["question"] == "What does a good day look like?"

    # The contribution itself did not change, and it knows where it was used.
    session.refresh(bus)
    assert bus.model_dump() == bus_before
    uses = client.get(f"{api}/uses", params={"contribution_id": bus.id}, headers=api_headers)
    assert [(u["version_number"], u["section_heading"]) for u in uses.json()] == [
        (2, "What members told us")
    ]

    # --- provenance survives: Ailsa takes her words back, the facilitator hides Megan's ---
    ailsa: TestClient = north.phones["Ailsa"]  # type: ignore[attr-defined]
    token = csrf_of(ailsa, f"/p/{north.cafe.code}")
    r = ailsa.post(
        f"/p/{north.cafe.code}/contributions/{bus.id}/withdraw",
        data={"csrf_token": token, "confirmed": "yes"},  # as the page that asks first sends it
    )
    assert r.status_code == 200, r.text
    assert _contribution(session, bus.text).status == "withdrawn"
    r = client.post(
        f"/api/v1/cafes/{south.cafe.id}/contributions/{taxi.id}/hide", headers=api_headers
    )
    assert r.status_code == 200, r.text

    v2 = lead.get(v2_url).text
    assert "Buses stop too early for an evening out." in v2 and bus.text in v2
    assert "Source since withdrawn by its author. The published text is unchanged." in v2
    assert "Source since hidden by the facilitator. The published text is unchanged." in v2
    detail = client.get(f"{api}/{material_id}/versions/2", headers=api_headers).json()
    items = next(s for s in detail["sections"] if s["heading"] == "What members told us")[
        "evidence"
    ]
    assert [(i["original_text"], i["source_status"], i["source_now"]) for i in items] == [
        (bus.text, "current", "withdrawn"),
        (taxi.text, "current", "hidden"),
    ]
    word_after = lead.get(f"{v2_url}/download/material.docx")
    after = [p.text for p in Document(io.BytesIO(word_after.content)).paragraphs]
    assert any(taxi.text in p for p in after)
    assert "Source since hidden by the facilitator. The published text is unchanged." in after

    # The next draft carries the items over, marked, for the lead to decide about.
    r = _form(lead, v2_url, f"{material_url}/next")
    v3_url = r.headers["location"]
    v3 = lead.get(v3_url).text
    assert "Source withdrawn by its author after it was merged." in v3
    assert "Consider taking them out before publishing." in v3
    v3_detail = client.get(f"{api}/{material_id}/versions/3", headers=api_headers).json()
    v3_items = next(s for s in v3_detail["sections"] if s["heading"] == "What members told us")[
        "evidence"
    ]
    assert [i["source_status"] for i in v3_items] == ["withdrawn", "hidden"]
    # Restoring Megan's card lifts the mark in the draft; the published text never moved.
    r = client.post(
        f"/api/v1/cafes/{south.cafe.id}/contributions/{taxi.id}/restore", headers=api_headers
    )
    assert r.status_code == 200
    v3_detail = client.get(f"{api}/{material_id}/versions/3", headers=api_headers).json()
    v3_items = next(s for s in v3_detail["sections"] if s["heading"] == "What members told us")[
        "evidence"
    ]
    assert [i["source_status"] for i in v3_items] == ["withdrawn", "current"]
    detail_again = client.get(f"{api}/{material_id}/versions/2", headers=api_headers).json()
    assert [
        (i["original_text"], i["paraphrase"], i["source_status"])
        for i in next(
            s for s in detail_again["sections"] if s["heading"] == "What members told us"
        )["evidence"]
    ] == [
        (bus.text, "Buses stop too early for an evening out.", "current"),
        (taxi.text, "", "current"),
    ]

    # --- another lead sees none of it, on pages or through the API ---
    stranger = make_facilitator(session)
    other = TestClient(client.app, base_url=str(client.base_url))
    r = other.post(
        "/login",
        data={"email": stranger.email, "password": PASSWORD, "csrf_token": csrf_of(other)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    for path in [
        base,
        f"{base}/cross-group",
        v2_url,
        f"{v2_url}/easy-read",
        f"{v2_url}/print",
        f"{v2_url}/download/material.docx",
        f"{material_url}/diff?from=1&to=2",
        merge_url,
    ]:
        page = other.get(path)
        assert page.status_code == 404, path
        assert bus.text not in page.text and "Getting out and about" not in page.text
    token = other.post(
        "/api/v1/auth/token", data={"username": stranger.email, "password": PASSWORD}
    ).json()["access_token"]
    r = other.get(f"{api}/{material_id}/versions/2", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.json() == {"detail": "No such network."}
