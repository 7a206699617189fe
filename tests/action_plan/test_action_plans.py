"""Action plans: the Network template per local group, the full theory of change per network,
answers citing evidence items, exports (Markdown, DOCX, JSON) and who may see them."""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.evidence import ContributionStatus
from app.models.material import (
    WITHDRAWN_TEXT,
    EvidenceItem,
    Material,
    MaterialCreate,
    MaterialSection,
    MaterialVersion,
    SectionCreate,
    SourceStatus,
)
from app.services import action_plan as plan_service
from app.services.material import merge as merge_service
from app.services.material import reading as reading_service
from app.services.material import versions as version_service
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_cafe, make_facilitator
from tests.material_setup import make_group_cafe, make_network, say


def _style(paragraph: Any) -> str:
    return str(paragraph.style.name) if paragraph.style is not None else ""


def _post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    r = client.post(path, json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _network_and_group(client: TestClient, headers: dict[str, str]) -> tuple[int, int]:
    network = _post(client, "/api/v1/networks", {"title": "Anti-racist practice"}, headers)
    group = _post(
        client, f"/api/v1/networks/{network['id']}/groups", {"name": "Edinburgh"}, headers
    )
    return network["id"], group["id"]


def _evidence(
    session: Session,
    facilitator: Facilitator,
    network_id: int,
    texts: list[str],
    **extra: Any,
) -> list[int]:
    """Evidence items in a material of the network, as the materials half would merge them."""
    cafe = make_cafe(session, facilitator)
    material = Material(network_id=network_id, title="Discussion material")
    session.add(material)
    session.flush()
    version = MaterialVersion(material_id=material.id, number=1)
    session.add(version)
    session.flush()
    section = MaterialSection(version_id=version.id, position=1, heading="What helps")
    session.add(section)
    session.flush()
    items = []
    for text in texts:
        item = EvidenceItem(
            section_id=section.id,
            network_id=network_id,
            group_name="Edinburgh",
            meeting_number=2,
            cafe_id=cafe.id,
            cafe_title=cafe.title,
            table_name="Table 1",
            round_number=1,
            author_role="carer",
            evidence_type="lived_experience",
            kind="barrier",
            original_text=text,
            contributed_at=utcnow(),
            **extra,
        )
        session.add(item)
        items.append(item)
    session.commit()
    return [i.id for i in items]


def test_group_plan_answers_cite_evidence_and_export(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network_id, group_id = _network_and_group(client, api_headers)
    e1, e2 = _evidence(
        session,
        facilitator,
        network_id,
        ["Interpreters are booked too late", "Staff feel unsure naming racism"],
    )
    plan = _post(
        client,
        f"/api/v1/networks/{network_id}/action-plans",
        {"kind": "network", "group_id": group_id},
        api_headers,
    )
    assert plan["title"] == "Action plan: Edinburgh"
    assert [f["key"] for f in plan["fields"]] == [f.key for f in plan_service.NETWORK_TEMPLATE]
    assert [f["key"] for f in plan["fields"]] == [
        "challenge",
        "outcome",
        "activities",
        "participants",
        "resources",
        "outputs",
        "short_term_outcomes",
        "medium_term_outcomes",
        "assumptions",
    ]
    r = client.patch(
        f"/api/v1/networks/action-plans/{plan['id']}",
        json={
            "answers": {
                "challenge": {
                    "body": "People wait for interpreters.\n\n# Not a heading",
                    "evidence_item_ids": [e1, e1],
                },
                "outcome": {"body": "Interpreters at every first visit"},
                "assumptions": {"evidence_item_ids": [e2]},
            }
        },
        headers=api_headers,
    )
    assert r.status_code == 200, r.text
    fields = {f["key"]: f for f in r.json()["fields"]}
    assert fields["challenge"]["answer"].startswith("People wait")
    assert [c["evidence_item_id"] for c in fields["challenge"]["citations"]] == [e1]
    assert fields["challenge"]["citations"][0]["group_name"] == "Edinburgh"
    assert fields["assumptions"]["answer"] == ""
    assert [c["evidence_item_id"] for c in fields["assumptions"]["citations"]] == [e2]

    # A later save that leaves a field out keeps it; an empty list removes the citations.
    r = client.patch(
        f"/api/v1/networks/action-plans/{plan['id']}",
        json={"answers": {"assumptions": {"evidence_item_ids": []}}},
        headers=api_headers,
    )
    fields = {f["key"]: f for f in r.json()["fields"]}
    assert fields["assumptions"]["citations"] == []
    assert fields["challenge"]["citations"][0]["evidence_item_id"] == e1

    md = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=md", headers=api_headers
    )
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    lines = md.text.splitlines()
    assert lines[0] == "# Action plan: Edinburgh"
    assert "## What is the challenge?" in lines
    assert "## What assumptions are you making?" in lines
    assert "\\# Not a heading" in lines  # an answer never becomes a heading
    assert any(
        line.startswith(f"- [E{e1}] “Interpreters are booked too late”") and "Edinburgh" in line
        for line in lines
    )
    assert md.text.count("*Not answered yet.*") == 7

    docx = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=docx", headers=api_headers
    )
    assert docx.status_code == 200
    document = Document(io.BytesIO(docx.content))
    headings = [p.text for p in document.paragraphs if _style(p).startswith("Heading")]
    assert "What is the challenge?" in headings and "What outcome do you want to see?" in headings
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Interpreters at every first visit" in body
    assert f"[E{e1}] “Interpreters are booked too late”" in body

    as_json = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=json", headers=api_headers
    )
    assert as_json.json()["fields"][0]["citations"][0]["original_text"].startswith("Interpreters")
    listed = client.get(f"/api/v1/networks/{network_id}/action-plans", headers=api_headers)
    assert [p["id"] for p in listed.json()["items"]] == [plan["id"]]


def test_project_theory_of_change_has_the_full_template(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    network_id, _ = _network_and_group(client, api_headers)
    plan = _post(
        client, f"/api/v1/networks/{network_id}/action-plans", {"kind": "project"}, api_headers
    )
    assert plan["group_id"] is None and plan["title"] == "Theory of change: Anti-racist practice"
    sections = list(dict.fromkeys(f["section"] for f in plan["fields"]))
    assert sections == [
        "Local and national context",
        "What we are trying to change",
        "Who will lead the change",
        "Main activities",
        "Who will take part",
        "Key outputs",
        "Benefits in the medium term",
        "Longer-term goals",
    ]
    assert len(plan["fields"]) == len(plan_service.PROJECT_TEMPLATE)
    client.patch(
        f"/api/v1/networks/action-plans/{plan['id']}",
        json={"answers": {"longer_goals": {"body": "Racism named and acted on everywhere"}}},
        headers=api_headers,
    )
    md = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=md", headers=api_headers
    ).text
    assert "## Local and national context" in md.splitlines()
    assert "### Wider benefits expected in five years and beyond" in md.splitlines()
    assert "Racism named and acted on everywhere" in md
    docx = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=docx", headers=api_headers
    )
    document = Document(io.BytesIO(docx.content))
    level1 = [p.text for p in document.paragraphs if _style(p) == "Heading 1"]
    assert level1[:2] == ["Local and national context", "What we are trying to change"]


def test_plan_input_errors_are_readable(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network_id, group_id = _network_and_group(client, api_headers)
    other_network, _ = _network_and_group(client, api_headers)
    (foreign,) = _evidence(session, facilitator, other_network, ["Elsewhere"])
    plans = f"/api/v1/networks/{network_id}/action-plans"
    plan = _post(client, plans, {"kind": "network", "group_id": group_id}, api_headers)
    cases = [
        (plans, {"kind": "network"}, 422),
        (plans, {"kind": "network", "group_id": 999999}, 422),
        (plans, {"kind": "project", "group_id": group_id}, 422),
        (plans, {"kind": "wish-list"}, 422),
        (plans, {"kind": "network", "group_id": group_id}, 409),
    ]
    for path, body, status in cases:
        r = client.post(path, json=body, headers=api_headers)
        assert r.status_code == status, (body, r.text)
        assert r.json()["detail"]
    for body in (
        {"answers": {"vision": {"body": "x"}}},
        {"answers": {"challenge": {"evidence_item_ids": [foreign]}}},
        {"answers": {"challenge": {"evidence_item_ids": [987654]}}},
        {"answers": {"challenge": {"body": "x" * 10_001}}},
        {"title": ""},
    ):
        r = client.patch(
            f"/api/v1/networks/action-plans/{plan['id']}", json=body, headers=api_headers
        )
        assert r.status_code == 422, body
        assert r.json()["detail"]
    assert (
        "vision"
        in client.patch(
            f"/api/v1/networks/action-plans/{plan['id']}",
            json={"answers": {"vision": {"body": "x"}}},
            headers=api_headers,
        ).json()["detail"]
    )
    r = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=pdf", headers=api_headers
    )
    assert r.status_code == 422


def test_withdrawn_words_are_not_repeated_in_exports(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network_id, group_id = _network_and_group(client, api_headers)
    (withdrawn,) = _evidence(
        session, facilitator, network_id, ["My key worker ignored me"], source_status="withdrawn"
    )
    (paraphrased,) = _evidence(
        session,
        facilitator,
        network_id,
        ["Words taken back too"],
        source_status=SourceStatus.HIDDEN,
        paraphrase="Some people felt unheard",
    )
    plan = _post(
        client,
        f"/api/v1/networks/{network_id}/action-plans",
        {"kind": "network", "group_id": group_id},
        api_headers,
    )
    client.patch(
        f"/api/v1/networks/action-plans/{plan['id']}",
        json={"answers": {"challenge": {"evidence_item_ids": [withdrawn, paraphrased]}}},
        headers=api_headers,
    )
    md = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=md", headers=api_headers
    ).text
    assert "My key worker ignored me" not in md and "Words taken back too" not in md
    assert "contribution since withdrawn" in md
    assert "“Some people felt unheard”" in md


def test_plan_pages_save_answers_and_citations(
    client: TestClient,
    logged_in: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
) -> None:
    network_id, group_id = _network_and_group(client, api_headers)
    e1, e2 = _evidence(session, facilitator, network_id, ["Late interpreters", "Unsure staff"])
    group_path = f"/networks/groups/{group_id}"
    token = csrf_of(logged_in, group_path)
    r = logged_in.post(f"{group_path}/plan", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    plan_path = r.headers["location"]
    page = logged_in.get(plan_path)
    assert page.status_code == 200
    assert '<label for="answer-challenge">What is the challenge?</label>' in page.text
    assert page.text.count(f'value="{e1}"') == len(plan_service.NETWORK_TEMPLATE)
    assert "Open the action plan" in logged_in.get(group_path).text

    r = logged_in.post(
        plan_path,
        data={
            "csrf_token": token,
            "title": "Our plan",
            "answer_challenge": "Interpreters come late.",
            "cite_challenge": [str(e1), str(e2)],
            "answer_outputs": "A booking checklist",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    saved = logged_in.get(r.headers["location"])
    assert "Saved." in saved.text and "Interpreters come late." in saved.text
    assert re.search(rf'name="cite_challenge" value="{e1}" checked', saved.text)
    assert not re.search(rf'name="cite_outcome" value="{e1}" checked', saved.text)

    bad = logged_in.post(
        plan_path,
        data={"csrf_token": token, "title": "", "answer_challenge": "Kept when refused"},
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert "Kept when refused" in bad.text

    md = logged_in.get(f"{plan_path}/export.md")
    assert md.text.startswith("# Our plan\n")
    docx = logged_in.get(f"{plan_path}/export.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "A booking checklist" in text and f"[E{e2}]" in text

    network_path = f"/networks/{network_id}"
    r = logged_in.post(f"{network_path}/plan", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    toc = logged_in.get(r.headers["location"])
    assert '<h2 id="sec-1">Local and national context</h2>' in toc.text
    again = logged_in.post(f"{network_path}/plan", data={"csrf_token": token})
    assert again.status_code == 409

    # Another lead sees none of it.
    other = make_facilitator(session, "someone-else@example.org")
    browser = TestClient(client.app, base_url=str(client.base_url))
    browser.post(
        "/login",
        data={"email": other.email, "password": PASSWORD, "csrf_token": csrf_of(browser)},
    )
    for path in (plan_path, f"{plan_path}/export.md", f"{plan_path}/export.docx"):
        assert browser.get(path).status_code == 404

    r = logged_in.post(
        f"{plan_path}/delete", data={"csrf_token": token, "confirm": "true"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == group_path
    assert logged_in.get(plan_path).status_code == 404


def test_a_merged_contribution_cited_then_withdrawn(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    """Through the materials half: a contribution from a group's café is merged into a
    section, cited in the plan, and taken back by its author afterwards."""
    network = make_network(session, facilitator, "Choice and control")
    north = make_group_cafe(session, facilitator, network, "Highland group", meeting_number=2)
    said = say(session, north.cafe, "The last bus is at six.", role="carer", kind="barrier")
    material = version_service.create_material(
        session=session,
        network=network,
        data=MaterialCreate(title="Getting about", sections=[SectionCreate(heading="Transport")]),
        now=utcnow(),
    )
    version = reading_service.get_version(session=session, material=material, number=1)
    (section,) = reading_service.sections_of(session=session, version=version)
    merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        contribution_ids=[said.id],
        now=utcnow(),
    )
    (item,) = session.exec(select(EvidenceItem)).all()
    plan = _post(
        client,
        f"/api/v1/networks/{network.id}/action-plans",
        {"kind": "network", "group_id": north.group.id},
        api_headers,
    )
    r = client.patch(
        f"/api/v1/networks/action-plans/{plan['id']}",
        json={"answers": {"challenge": {"body": "Evenings", "evidence_item_ids": [item.id]}}},
        headers=api_headers,
    )
    cited = r.json()["fields"][0]["citations"][0]
    assert cited["text"] == "The last bus is at six."
    assert (cited["group_name"], cited["meeting_number"]) == ("Highland group", 2)
    assert (cited["author_role"], cited["kind"]) == ("carer", "barrier")
    export = f"/api/v1/networks/action-plans/{plan['id']}/export?format=md"
    md = client.get(export, headers=api_headers).text
    assert "“The last bus is at six.” (Highland group, meeting 2, Carer or family member" in md

    said.status = ContributionStatus.WITHDRAWN
    session.add(said)
    session.commit()
    md = client.get(export, headers=api_headers).text
    assert "The last bus is at six." not in md
    assert "contribution since withdrawn" in md
    page = client.get(f"/api/v1/networks/action-plans/{plan['id']}", headers=api_headers)
    assert page.json()["fields"][0]["citations"][0]["source_status"] == "withdrawn"


def test_words_withdrawn_with_consent_are_not_quoted_in_plans(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    """An item whose author withdrew consent holds the withdrawal phrase, not their words:
    a plan citing it says the words were taken back instead of quoting the phrase."""
    network_id, group_id = _network_and_group(client, api_headers)
    (item_id,) = _evidence(
        session,
        facilitator,
        network_id,
        [WITHDRAWN_TEXT],
        withdrawn_at=utcnow(),
    )
    plan = _post(
        client,
        f"/api/v1/networks/{network_id}/action-plans",
        {"kind": "network", "group_id": group_id},
        api_headers,
    )
    client.patch(
        f"/api/v1/networks/action-plans/{plan['id']}",
        json={"answers": {"challenge": {"evidence_item_ids": [item_id]}}},
        headers=api_headers,
    )
    md = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=md", headers=api_headers
    ).text
    assert f"“{WITHDRAWN_TEXT}”" not in md
    assert "(words not shown: the contribution was taken back)" in md
