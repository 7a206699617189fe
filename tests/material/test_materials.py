"""Discussion materials: importing, versions and publishing, merging evidence with its
provenance, marks when a source is withdrawn, diffs, the cross-group view, exports, access."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.evidence import Contribution
from app.models.material import EvidenceItem, MaterialCreate, SectionCreate
from app.services.errors import Conflict, Invalid, NotFound
from app.services.evidence.filters import ContributionFilter
from app.services.material import cross_group as cross_group_service
from app.services.material import diff as diff_service
from app.services.material import importing as import_service
from app.services.material import merge as merge_service
from app.services.material import provenance as provenance_service
from app.services.material import reading as reading_service
from app.services.material import versions as version_service
from app.services.material import views as view_service
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_cafe, make_facilitator
from tests.material_setup import make_group_cafe, make_network, say, theme_id

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

MARKDOWN = """# Choice and control in supported living

Why this matters, in a few words.

## What the research says

People do better when they *choose* their support.

- Personal budgets
- Advocacy

### Easy read

You should choose your support.
Help to speak up matters.

## What people told us

```
# not a heading inside a fence
```
"""


def _materials(network_id: int) -> str:
    return f"/api/v1/networks/{network_id}/materials"


@pytest.fixture
def world(session: Session, facilitator: Facilitator) -> dict[str, Any]:
    """A network with two local groups, each with a café meeting and some contributions."""
    network = make_network(session, facilitator)
    north = make_group_cafe(session, facilitator, network, "North")
    south = make_group_cafe(session, facilitator, network, "South")
    said = {
        "bus": say(
            session,
            north.cafe,
            "The bus stops at six, so I cannot go out in the evening.",
            kind="barrier",
            themes=("Transport",),
        ),
        "rota": say(
            session,
            north.cafe,
            "Staff rotas decide when I can go shopping.",
            role="practitioner",
            evidence_type="practice",
            kind="barrier",
            themes=("Rotas",),
            table_number=2,
        ),
        "taxi": say(
            session,
            south.cafe,
            "A taxi account let my son see his friends.",
            role="carer",
            kind="enabler",
            themes=("transport ",),
        ),
        "plan": say(
            session,
            south.cafe,
            "Plan the week with the person, not for them.",
            role="manager",
            evidence_type="practice",
            kind="action",
        ),
    }
    return {"network": network, "north": north, "south": south, "said": said}


def _create(session: Session, network: Any, *sections: str) -> Any:
    return version_service.create_material(
        session=session,
        network=network,
        data=MaterialCreate(
            title="Discussion material",
            sections=[SectionCreate(heading=h, body_markdown=f"About {h}.") for h in sections],
        ),
        now=utcnow(),
    )


def _version(session: Session, material: Any, number: int) -> Any:
    return reading_service.get_version(session=session, material=material, number=number)


def _first_section(session: Session, material: Any, number: int) -> Any:
    return reading_service.sections_of(
        session=session, version=_version(session, material, number)
    )[0]


# --- importing ---------------------------------------------------------------------


def test_markdown_import_splits_on_headings() -> None:
    doc = import_service.import_markdown(MARKDOWN)
    assert doc.title == "Choice and control in supported living"
    assert [s.heading for s in doc.sections] == [
        "Introduction",
        "What the research says",
        "What people told us",
    ]
    research = doc.sections[1]
    assert "*choose*" in research.body_markdown and "- Advocacy" in research.body_markdown
    assert research.easy_read_text == "You should choose your support.\nHelp to speak up matters."
    assert "# not a heading inside a fence" in doc.sections[2].body_markdown
    with pytest.raises(Invalid):
        import_service.import_markdown("   \n\n")


def test_markdown_import_without_a_title_heading() -> None:
    doc = import_service.import_markdown("# One\ntext\n# Two\nmore")
    assert [s.heading for s in doc.sections] == ["One", "Two"]
    assert doc.title == "One"


def _docx_bytes() -> bytes:
    document = Document()
    document.add_heading("Living well at home", level=0)
    document.add_paragraph("Before any heading.")
    document.add_heading("What helps", level=1)
    p = document.add_paragraph("Having ")
    p.add_run("real choice").bold = True
    p.add_run(" about staff.")
    document.add_paragraph("Known faces", style="List Bullet")
    document.add_heading("Easy read", level=3)
    document.add_paragraph("Choose who helps you.")
    document.add_heading("What gets in the way", level=2)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Rotas"
    table.rows[0].cells[1].text = "Transport"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_import_turns_headings_into_sections() -> None:
    doc = import_service.import_docx(_docx_bytes())
    assert doc.title == "Living well at home"
    assert [s.heading for s in doc.sections] == [
        "Introduction",
        "What helps",
        "What gets in the way",
    ]
    helps = doc.sections[1]
    assert "Having **real choice** about staff." in helps.body_markdown
    assert "- Known faces" in helps.body_markdown
    assert helps.easy_read_text == "Choose who helps you."
    assert "- Rotas · Transport" in doc.sections[2].body_markdown
    with pytest.raises(Invalid, match="Word document"):
        import_service.import_docx(b"PK not really a zip")


# --- versions and publishing ------------------------------------------------------------


def test_published_versions_never_change(session: Session, world: dict[str, Any]) -> None:
    network, said = world["network"], world["said"]
    material = _create(session, network, "Background", "Questions")
    v1 = _version(session, material, 1)
    section = _first_section(session, material, 1)
    merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        contribution_ids=[said["bus"].id],
        now=utcnow(),
    )
    version_service.publish_version(session=session, version=v1, note="First", now=utcnow())
    assert v1.status == "published" and v1.published_at is not None
    item = session.exec(select(EvidenceItem).where(EvidenceItem.section_id == section.id)).one()
    now = utcnow()
    attempts: list[Callable[[], object]] = [
        lambda: version_service.update_section(
            session=session,
            section=section,
            heading="Changed",
            body_markdown="",
            easy_read_text="",
            now=now,
        ),
        lambda: version_service.add_section(session=session, version=v1, heading="New", now=now),
        lambda: version_service.move_section(session=session, section=section, position=2, now=now),
        lambda: version_service.delete_section(session=session, section=section, now=now),
        lambda: merge_service.merge_evidence(
            session=session,
            network=network,
            section=section,
            contribution_ids=[said["taxi"].id],
            now=now,
        ),
        lambda: merge_service.update_evidence_item(
            session=session, item=item, paraphrase="x", now=now
        ),
        lambda: merge_service.remove_evidence_item(session=session, item=item, now=now),
        lambda: version_service.publish_version(session=session, version=v1, now=now),
        lambda: version_service.delete_material(session=session, material=material),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()
        session.rollback()
    session.refresh(section)
    assert section.heading == "Background"
    assert len(reading_service.sections_of(session=session, version=v1)) == 2


def test_next_version_is_a_copy_with_the_same_keys(session: Session, world: dict[str, Any]) -> None:
    network, said = world["network"], world["said"]
    material = _create(session, network, "Background", "Questions")
    section = _first_section(session, material, 1)
    merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        contribution_ids=[said["bus"].id],
        paraphrase="Buses stop too early.",
        now=utcnow(),
    )
    with pytest.raises(Conflict, match="Version 1 is still a draft"):
        version_service.start_next_version(session=session, material=material, now=utcnow())
    session.rollback()
    v1 = _version(session, material, 1)
    version_service.publish_version(session=session, version=v1, now=utcnow())
    v2 = version_service.start_next_version(session=session, material=material, now=utcnow())
    assert v2.number == 2 and v2.status == "draft" and v2.based_on_version_id == v1.id
    with pytest.raises(Conflict, match="still a draft"):
        version_service.start_next_version(session=session, material=material, now=utcnow())
    session.rollback()
    old = view_service.version_view(session=session, material=material, version=v1)
    new = view_service.version_view(session=session, material=material, version=v2)
    assert [s.section.section_key for s in old.sections] == [
        s.section.section_key for s in new.sections
    ]
    old_item, new_item = old.sections[0].evidence[0].item, new.sections[0].evidence[0].item
    assert new_item.id != old_item.id
    assert new_item.item_key == old_item.item_key
    assert new_item.paraphrase == "Buses stop too early."
    assert new_item.group_name == "North" and new_item.original_text == old_item.original_text
    version_service.update_section(
        session=session,
        section=new.sections[0].section,
        heading="Background, revised",
        body_markdown="New words.",
        easy_read_text="",
        now=utcnow(),
    )
    session.refresh(old.sections[0].section)
    assert old.sections[0].section.heading == "Background"


def test_sections_move_and_renumber(session: Session, world: dict[str, Any]) -> None:
    material = _create(session, world["network"], "A", "B", "C")
    version = _version(session, material, 1)
    sections = reading_service.sections_of(session=session, version=version)
    version_service.move_section(session=session, section=sections[2], position=1, now=utcnow())
    assert [s.heading for s in reading_service.sections_of(session=session, version=version)] == [
        "C",
        "A",
        "B",
    ]
    version_service.delete_section(session=session, section=sections[0], now=utcnow())
    remaining = reading_service.sections_of(session=session, version=version)
    assert [(s.heading, s.position) for s in remaining] == [("C", 1), ("B", 2)]


# --- merging evidence ------------------------------------------------------------------------


def test_merge_copies_provenance_and_leaves_the_contribution_alone(
    session: Session, world: dict[str, Any]
) -> None:
    network, said, north = world["network"], world["said"], world["north"]
    bus: Contribution = said["bus"]
    before = bus.model_dump()
    material = _create(session, network, "Background")
    section = _first_section(session, material, 1)
    result = merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        contribution_ids=[bus.id],
        now=utcnow(),
    )
    (item,) = result.added
    assert item.contribution_id == bus.id
    assert item.network_id == network.id
    assert (item.group_id, item.group_name) == (north.group.id, "North")
    assert (item.meeting_id, item.meeting_number) == (north.meeting.id, 1)
    assert (item.cafe_id, item.cafe_title) == (north.cafe.id, "North café 1")
    assert item.table_name == "Table 1" and item.round_number == 1
    assert item.question == "What does a good day look like?"
    assert item.author_role == "lived_experience" and item.evidence_type == "lived_experience"
    assert item.kind == "barrier" and item.theme_names == "Transport"
    assert item.original_text == bus.text and item.source_status == "current"
    session.refresh(bus)
    assert bus.model_dump() == before
    uses = provenance_service.uses_of_contribution(
        session=session, network=network, contribution_id=bus.id
    )
    assert [(u.material_title, u.version_number, u.section_heading) for u in uses] == [
        ("Discussion material", 1, "Background")
    ]
    again = merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        contribution_ids=[bus.id],
        theme_ids=[theme_id(session, north.cafe, "Transport")],
        now=utcnow(),
    )
    assert again.added == [] and again.skipped == 1


def test_merge_refuses_what_is_not_the_networks_or_not_visible(
    session: Session, world: dict[str, Any], facilitator: Facilitator
) -> None:
    network, said = world["network"], world["said"]
    material = _create(session, network, "Background")
    section = _first_section(session, material, 1)
    stray = make_cafe(session, facilitator, title="Not a meeting")
    outsider = say(session, stray, "Said somewhere else.")
    other_lead = make_facilitator(session)
    their_network = make_network(session, other_lead, "Theirs")
    theirs = make_group_cafe(session, other_lead, their_network, "East")
    their_words = say(session, theirs.cafe, "Theirs to use.", themes=("Money",))
    # A meeting of this network pointed at another lead's café does not open it.
    borrowed = make_group_cafe(session, facilitator, network, "West")
    borrowed.meeting.cafe_id = theirs.cafe.id
    session.add(borrowed.meeting)
    session.commit()
    now = utcnow()
    for ids in ([outsider.id], [their_words.id], [999_999]):
        with pytest.raises(NotFound):
            merge_service.merge_evidence(
                session=session, network=network, section=section, contribution_ids=ids, now=now
            )
        session.rollback()
    with pytest.raises(NotFound):
        merge_service.merge_evidence(
            session=session,
            network=network,
            section=section,
            theme_ids=[theme_id(session, theirs.cafe, "Money")],
            now=now,
        )
    session.rollback()
    hidden = said["rota"]
    hidden.status = "hidden"
    session.add(hidden)
    session.commit()
    with pytest.raises(Invalid, match="hidden"):
        merge_service.merge_evidence(
            session=session,
            network=network,
            section=section,
            contribution_ids=[hidden.id],
            now=now,
        )
    session.rollback()
    with pytest.raises(Invalid, match="one contribution"):
        merge_service.merge_evidence(
            session=session,
            network=network,
            section=section,
            contribution_ids=[said["bus"].id, said["taxi"].id],
            paraphrase="Both",
            now=now,
        )
    session.rollback()
    with pytest.raises(Invalid, match="at least one"):
        merge_service.merge_evidence(session=session, network=network, section=section, now=now)
    session.rollback()


def test_whole_themes_merge_their_visible_contributions(
    session: Session, world: dict[str, Any]
) -> None:
    network, north, south = world["network"], world["north"], world["south"]
    extra = say(session, north.cafe, "No late buses on Sundays.", themes=("Transport",))
    gone = say(session, north.cafe, "Taken back later.", themes=("Transport",))
    gone.status = "withdrawn"
    session.add(gone)
    session.commit()
    material = _create(session, network, "Getting about")
    section = _first_section(session, material, 1)
    result = merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        theme_ids=[
            theme_id(session, north.cafe, "Transport"),
            theme_id(session, south.cafe, "transport "),
        ],
        now=utcnow(),
    )
    assert sorted(i.contribution_id or 0 for i in result.added) == sorted(
        [world["said"]["bus"].id, extra.id, world["said"]["taxi"].id]
    )
    assert {i.group_name for i in result.added} == {"North", "South"}


def test_candidates_filter_by_group_cafe_theme_kind_type_and_role(
    session: Session, world: dict[str, Any]
) -> None:
    network, said, north, south = world["network"], world["said"], world["north"], world["south"]

    def texts(**filters: Any) -> set[str]:
        page = merge_service.merge_candidates(
            session=session, network=network, filters=ContributionFilter(**filters)
        )
        return {c.contribution.text for c in page.items}

    everything = {c.text for c in said.values()}
    assert texts() == everything
    assert texts(group_id=north.group.id) == {said["bus"].text, said["rota"].text}
    assert texts(cafe_id=south.cafe.id) == {said["taxi"].text, said["plan"].text}
    assert texts(theme_name="TRANSPORT") == {said["bus"].text, said["taxi"].text}
    assert texts(kind="barrier") == {said["bus"].text, said["rota"].text}
    assert texts(evidence_type="practice") == {said["rota"].text, said["plan"].text}
    assert texts(role="carer") == {said["taxi"].text}
    first = merge_service.merge_candidates(
        session=session, network=network, filters=ContributionFilter(), limit=3
    )
    assert len(first.items) == 3 and first.next_cursor == first.items[-1].contribution.id
    rest = merge_service.merge_candidates(
        session=session,
        network=network,
        filters=ContributionFilter(),
        after=first.next_cursor,
        limit=3,
    )
    assert len(rest.items) == 1 and rest.next_cursor is None


# --- sources withdrawn or hidden after merging -----------------------------------------


def test_withdrawn_source_marks_drafts_and_never_changes_published_text(
    session: Session, world: dict[str, Any]
) -> None:
    network, said = world["network"], world["said"]
    material = _create(session, network, "Background")
    section = _first_section(session, material, 1)
    merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        contribution_ids=[said["bus"].id, said["taxi"].id],
        now=utcnow(),
    )
    v1 = _version(session, material, 1)
    version_service.publish_version(session=session, version=v1, now=utcnow())
    v2 = version_service.start_next_version(session=session, material=material, now=utcnow())
    bus = said["bus"]
    bus.status = "withdrawn"
    session.add(bus)
    session.commit()

    published = view_service.version_view(session=session, material=material, version=v1)
    draft = view_service.version_view(session=session, material=material, version=v2)
    (pub_bus, pub_taxi) = published.sections[0].evidence
    (draft_bus, draft_taxi) = draft.sections[0].evidence
    # The draft's stored mark followed the contribution; the published one kept its value.
    assert (
        draft_bus.item.source_status == "withdrawn" and draft_taxi.item.source_status == "current"
    )
    assert pub_bus.item.source_status == "current"
    assert pub_bus.item.original_text == bus.text
    assert (
        pub_bus.marker == "Source since withdrawn by its author. The published text is unchanged."
    )
    assert draft_bus.marker == "Source withdrawn by its author after it was merged."
    assert pub_taxi.marker is None and published.marked_count == 1

    # A change that bypasses the ORM is still seen at read time, and caught up on publishing.
    session.execute(
        text("UPDATE contribution SET status = 'hidden' WHERE id = :id"), {"id": said["taxi"].id}
    )
    session.commit()
    draft = view_service.version_view(session=session, material=material, version=v2)
    assert draft.sections[0].evidence[1].source_now == "hidden"
    version_service.publish_version(session=session, version=v2, now=utcnow())
    session.refresh(draft.sections[0].evidence[1].item)
    assert draft.sections[0].evidence[1].item.source_status == "hidden"

    # Restoring the source after publishing clears the read-time mark, never the text.
    bus.status = "visible"
    session.add(bus)
    session.commit()
    again = view_service.version_view(session=session, material=material, version=v1)
    assert again.sections[0].evidence[0].marker is None


# --- comparing versions and the cross-group view -------------------------------------------


def test_diff_shows_sections_text_and_evidence_by_group(
    session: Session, world: dict[str, Any]
) -> None:
    network, said = world["network"], world["said"]
    material = _create(session, network, "Background", "Questions", "Old notes")
    v1 = _version(session, material, 1)
    version_service.publish_version(session=session, version=v1, now=utcnow())
    v2 = version_service.start_next_version(session=session, material=material, now=utcnow())
    background, questions, old_notes = reading_service.sections_of(session=session, version=v2)
    version_service.update_section(
        session=session,
        section=background,
        heading="Background",
        body_markdown="About Background and more.",
        easy_read_text="Short words.",
        now=utcnow(),
    )
    version_service.delete_section(session=session, section=old_notes, now=utcnow())
    added = version_service.add_section(
        session=session, version=v2, heading="What people said", now=utcnow()
    )
    version_service.move_section(session=session, section=questions, position=1, now=utcnow())
    merge_service.merge_evidence(
        session=session,
        network=network,
        section=added,
        contribution_ids=[said["bus"].id, said["rota"].id, said["taxi"].id],
        now=utcnow(),
    )
    diff = diff_service.diff_versions(
        session=session, material=material, old_number=1, new_number=2
    )
    by_title = {d.title: d for d in diff.sections}
    assert [d.title for d in diff.sections] == [
        "Questions",
        "Old notes",
        "Background",
        "What people said",
    ]
    assert by_title["Background"].status == "changed"
    assert by_title["Background"].body.unified == [
        "@@ -1 +1 @@",
        "-About Background.",
        "+About Background and more.",
    ]
    assert by_title["Background"].body.lines[0].segments == [
        ("equal", "About Background"),
        ("insert", " and more"),
        ("equal", "."),
    ]
    assert by_title["Background"].easy_read.changed
    assert by_title["Old notes"].status == "removed"
    assert by_title["What people said"].status == "added"
    assert by_title["Questions"].moved and by_title["Questions"].status == "changed"
    assert not by_title["Background"].moved
    assert diff.added_by_group == [("North", 2), ("South", 1)]
    backwards = diff_service.diff_versions(
        session=session, material=material, old_number=2, new_number=1
    )
    assert {d.title: d.status for d in backwards.sections}["What people said"] == "removed"
    assert len(backwards.evidence_removed) == 3


def test_cross_group_view_matches_themes_by_name(session: Session, world: dict[str, Any]) -> None:
    network, north, south = world["network"], world["north"], world["south"]
    say(
        session,
        south.cafe,
        "Community transport needs booking a week ahead.",
        role="provider",
        evidence_type="practice",
        kind="barrier",
        themes=("Transport",),
    )
    hidden = say(session, south.cafe, "Hidden one.", themes=("Transport",))
    hidden.status = "hidden"
    session.add(hidden)
    session.commit()
    material = _create(session, network, "Getting about")
    merge_service.merge_evidence(
        session=session,
        network=network,
        section=_first_section(session, material, 1),
        contribution_ids=[world["said"]["bus"].id],
        now=utcnow(),
    )
    themes = cross_group_service.cross_group_themes(session=session, network=network)
    transport = themes[0]
    assert transport.key == "transport" and transport.group_count == 2
    assert {(g.group_name, g.count) for g in transport.groups} == {("North", 1), ("South", 2)}
    assert transport.total == 3
    assert transport.by_role == {"lived_experience": 1, "carer": 1, "provider": 1}
    assert transport.by_evidence_type == {"lived_experience": 2, "practice": 1}
    assert transport.by_kind == {"barrier": 2, "enabler": 1}
    assert transport.used == 1
    # Two spellings in the South café and one in the North: all one theme across the network.
    assert sorted(transport.theme_ids) == sorted(
        [
            theme_id(session, north.cafe, "Transport"),
            theme_id(session, south.cafe, "transport "),
            theme_id(session, south.cafe, "Transport"),
        ]
    )
    assert [(t.name, t.group_count) for t in themes[1:]] == [("Rotas", 1)]


# --- the API -------------------------------------------------------------------------


def test_api_crud_pagination_and_full_provenance(
    client: TestClient, api_headers: dict[str, str], session: Session, world: dict[str, Any]
) -> None:
    network, said = world["network"], world["said"]
    base = _materials(network.id)
    r = client.post(
        base, json={"title": "From Markdown", "markdown": MARKDOWN}, headers=api_headers
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["latest_version"] == 1 and created["draft_version"] == 1
    assert created["published_version"] is None
    for n in range(2):
        r = client.post(
            base,
            json={"title": f"Extra {n}", "sections": [{"heading": "Only"}]},
            headers=api_headers,
        )
        assert r.status_code == 201
    # The deprecated id cursor (`after=0`: from the start); the change-number cursor is
    # tested in tests/network/test_network_api_cursors.
    page = client.get(base, params={"limit": 2, "after": 0}, headers=api_headers).json()
    assert [m["title"] for m in page["items"]] == ["From Markdown", "Extra 0"]
    assert page["next_cursor"] == page["items"][-1]["id"]
    rest = client.get(
        base, params={"limit": 2, "after": page["next_cursor"]}, headers=api_headers
    ).json()
    assert [m["title"] for m in rest["items"]] == ["Extra 1"] and rest["next_cursor"] is None

    mid = created["id"]
    v1 = f"{base}/{mid}/versions/1"
    sections = client.get(f"{v1}/sections", headers=api_headers).json()["items"]
    assert [s["heading"] for s in sections] == [
        "Introduction",
        "What the research says",
        "What people told us",
    ]
    told = sections[2]["id"]
    r = client.post(
        f"{v1}/sections/{told}/evidence",
        json={"contribution_ids": [said["bus"].id], "paraphrase": "Buses stop too early."},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text
    item = r.json()["added"][0]
    r = client.post(
        f"{v1}/sections/{told}/evidence",
        json={"theme_ids": [theme_id(session, world["south"].cafe, "transport ")]},
        headers=api_headers,
    )
    assert r.status_code == 201 and len(r.json()["added"]) == 1
    r = client.patch(
        f"{v1}/sections/{told}/evidence/{item['id']}",
        json={"paraphrase": "The last bus is at six."},
        headers=api_headers,
    )
    assert r.json()["paraphrase"] == "The last bus is at six."
    r = client.patch(
        f"{v1}/sections/{sections[0]['id']}",
        json={"body_markdown": "Changed intro.", "position": 3},
        headers=api_headers,
    )
    assert r.status_code == 200 and r.json()["position"] == 3
    r = client.post(f"{v1}/sections", json={"heading": "Next steps"}, headers=api_headers)
    assert r.status_code == 201 and r.json()["position"] == 4

    r = client.post(f"{v1}/publish", json={"note": "First round"}, headers=api_headers)
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert client.post(f"{v1}/publish", headers=api_headers).status_code == 409
    r = client.patch(f"{v1}/sections/{told}", json={"heading": "No"}, headers=api_headers)
    assert r.status_code == 409 and "published" in r.json()["detail"]
    assert client.delete(f"{base}/{mid}", headers=api_headers).status_code == 409

    r = client.post(f"{base}/{mid}/versions", headers=api_headers)
    assert r.status_code == 201 and r.json()["number"] == 2
    detail = client.get(v1, headers=api_headers).json()
    evidence = next(s for s in detail["sections"] if s["heading"] == "What people told us")[
        "evidence"
    ]
    bus = evidence[0]
    expected = {
        "contribution_id": said["bus"].id,
        "original_text": said["bus"].text,
        "paraphrase": "The last bus is at six.",
        "network_id": network.id,
        "group_name": "North",
        "meeting_number": 1,
        "cafe_title": "North café 1",
        "table_name": "Table 1",
        "round_number": 1,
        "question": "What does a good day look like?",
        "author_role": "lived_experience",
        "evidence_type": "lived_experience",
        "kind": "barrier",
        "theme_names": ["Transport"],
        "source_status": "current",
        "source_now": "current",
        "marker": None,
    }
    assert {k: bus[k] for k in expected} == expected
    assert evidence[1]["group_name"] == "South"

    versions = client.get(f"{base}/{mid}/versions", headers=api_headers).json()
    assert [(v["number"], v["status"]) for v in versions["items"]] == [
        (1, "published"),
        (2, "draft"),
    ]
    uses = client.get(
        f"{base}/uses", params={"contribution_id": said["bus"].id}, headers=api_headers
    ).json()
    assert [(u["version_number"], u["version_status"]) for u in uses] == [
        (1, "published"),
        (2, "draft"),
    ]
    items = client.get(
        f"{base}/evidence", params={"contribution_id": said["bus"].id}, headers=api_headers
    ).json()
    assert len(items["items"]) == 2
    diff = client.get(f"{base}/{mid}/diff", params={"from": 1, "to": 2}, headers=api_headers).json()
    assert diff["sections_changed"] == 0 and diff["sections_added"] == 0
    cross = client.get(f"{base}/cross-group", headers=api_headers).json()
    assert cross[0]["name"] == "Transport" and cross[0]["group_count"] == 2
    candidates = client.get(
        f"{base}/candidates", params={"theme": "transport"}, headers=api_headers
    ).json()
    assert {c["group_name"] for c in candidates["items"]} == {"North", "South"}
    assert all(c["used_in"] for c in candidates["items"])

    v2 = f"{base}/{mid}/versions/2"
    v2_told = next(
        s
        for s in client.get(v2, headers=api_headers).json()["sections"]
        if s["heading"] == "What people told us"
    )
    taxi_item = v2_told["evidence"][1]["id"]
    r = client.delete(f"{v2}/sections/{v2_told['id']}/evidence/{taxi_item}", headers=api_headers)
    assert r.status_code == 204
    diff = client.get(f"{base}/{mid}/diff", params={"from": 1, "to": 2}, headers=api_headers).json()
    assert diff["sections_changed"] == 1
    changed = next(d for d in diff["sections"] if d["status"] == "changed")
    assert changed["heading_new"] == "What people told us"
    assert [i["group_name"] for i in changed["evidence_removed"]] == ["South"]


def test_api_exports(
    client: TestClient, api_headers: dict[str, str], session: Session, world: dict[str, Any]
) -> None:
    network, said = world["network"], world["said"]
    base = _materials(network.id)
    mid = client.post(
        base, json={"title": "Exported", "markdown": MARKDOWN}, headers=api_headers
    ).json()["id"]
    v1 = f"{base}/{mid}/versions/1"
    sections = client.get(f"{v1}/sections", headers=api_headers).json()["items"]
    client.post(
        f"{v1}/sections/{sections[1]['id']}/evidence",
        json={"contribution_ids": [said["taxi"].id]},
        headers=api_headers,
    )
    md = client.get(f"{v1}/export", params={"format": "md"}, headers=api_headers)
    assert md.headers["content-type"].startswith("text/markdown")
    assert 'filename="exported-v1.md"' in md.headers["content-disposition"]
    assert "## What the research says" in md.text and "### Easy read" in md.text
    assert "“A taxi account let my son see his friends.” — South, meeting 1" in md.text
    again = import_service.import_markdown(md.text)
    assert [s.heading for s in again.sections][:3] == [s["heading"] for s in sections]
    docx = client.get(f"{v1}/export", params={"format": "docx"}, headers=api_headers)
    assert docx.headers["content-type"] == DOCX
    text_of = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "A taxi account let my son see his friends." in text_of and "South" in text_of
    easy = client.get(
        f"{v1}/export", params={"format": "docx", "edition": "easy_read"}, headers=api_headers
    )
    easy_doc = Document(io.BytesIO(easy.content))
    lines = [p.text for p in easy_doc.paragraphs]
    assert "You should choose your support." in lines and "Help to speak up matters." in lines
    assert easy_doc.styles["Normal"].font.size.pt == 16
    easy_md = client.get(
        f"{v1}/export", params={"format": "md", "edition": "easy_read"}, headers=api_headers
    )
    assert "Carer or family member in South: “A taxi account let my son see his friends.”" in (
        easy_md.text
    )
    as_json = client.get(f"{v1}/export", headers=api_headers)
    assert as_json.json()["sections"][1]["evidence"][0]["cafe_title"] == "South café 1"
    assert (
        client.get(f"{v1}/export", params={"format": "pdf"}, headers=api_headers).status_code == 422
    )


def test_api_import_upload_and_bad_input(
    client: TestClient, api_headers: dict[str, str], world: dict[str, Any]
) -> None:
    base = _materials(world["network"].id)
    r = client.post(
        f"{base}/import",
        files={"file": ("living.docx", _docx_bytes(), DOCX)},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Living well at home"
    r = client.post(
        f"{base}/import",
        files={"file": ("notes.md", MARKDOWN.encode(), "text/markdown")},
        data={"title": "Renamed"},
        headers=api_headers,
    )
    assert r.status_code == 201 and r.json()["title"] == "Renamed"
    bad = [
        client.post(
            f"{base}/import",
            files={"file": ("x.docx", b"PK\x03\x04junk", DOCX)},
            headers=api_headers,
        ),
        client.post(
            f"{base}/import",
            files={"file": ("x.md", b"\xff\xfe\x00", "text/markdown")},
            headers=api_headers,
        ),
        client.post(
            f"{base}/import", files={"file": ("x.md", b"", "text/markdown")}, headers=api_headers
        ),
        client.post(base, json={"title": "", "sections": [{"heading": "A"}]}, headers=api_headers),
        client.post(base, json={"title": "T", "sections": [{"heading": ""}]}, headers=api_headers),
        client.post(
            base,
            json={"title": "T", "markdown": "# A", "sections": [{"heading": "B"}]},
            headers=api_headers,
        ),
        client.post(base, json={"title": "   ", "sections": []}, headers=api_headers),
    ]
    for r in bad:
        assert r.status_code == 422, r.text
        assert r.json()["detail"]
    mid = client.post(
        base, json={"title": "T", "sections": [{"heading": "A"}]}, headers=api_headers
    ).json()["id"]
    assert client.get(f"{base}/{mid}/versions/9", headers=api_headers).status_code == 404
    assert (
        client.get(
            f"{base}/{mid}/diff", params={"from": 1, "to": 4}, headers=api_headers
        ).status_code
        == 404
    )
    r = client.post(
        f"{base}/{mid}/versions/1/sections/999999/evidence",
        json={"contribution_ids": [1]},
        headers=api_headers,
    )
    assert r.status_code == 404
    empty = client.post(base, json={"title": "Empty"}, headers=api_headers).json()["id"]
    r = client.post(f"{base}/{empty}/versions/1/publish", headers=api_headers)
    assert r.status_code == 422 and "section" in r.json()["detail"]
    assert client.delete(f"{base}/{empty}", headers=api_headers).status_code == 204


def test_api_only_the_lead_reads_and_writes(
    client: TestClient, api_headers: dict[str, str], session: Session, world: dict[str, Any]
) -> None:
    network = world["network"]
    base = _materials(network.id)
    mid = client.post(
        base, json={"title": "Ours", "sections": [{"heading": "A"}]}, headers=api_headers
    ).json()["id"]
    other = make_facilitator(session)
    token = client.post(
        "/api/v1/auth/token", data={"username": other.email, "password": PASSWORD}
    ).json()["access_token"]
    stranger = {"Authorization": f"Bearer {token}"}
    for path in [
        base,
        f"{base}/{mid}",
        f"{base}/{mid}/versions",
        f"{base}/{mid}/versions/1",
        f"{base}/{mid}/versions/1/sections",
        f"{base}/{mid}/versions/1/export?format=docx",
        f"{base}/cross-group",
        f"{base}/candidates",
        f"{base}/evidence",
    ]:
        r = client.get(path, headers=stranger)
        assert r.status_code == 404, path
        assert r.json() == {"detail": "No such network."}
    assert client.post(base, json={"title": "Mine"}, headers=stranger).status_code == 404
    assert (
        client.patch(f"{base}/{mid}", json={"title": "Mine"}, headers=stranger).status_code == 404
    )
    # Their own network does not reach ours either.
    theirs = make_network(session, other, "Theirs")
    assert client.get(f"{_materials(theirs.id)}/{mid}", headers=stranger).status_code == 404
    assert client.get(base).status_code == 401
    read_only = client.post(
        "/api/v1/auth/api-tokens", json={"name": "reader", "scope": "read"}, headers=api_headers
    ).json()["token"]
    reader = {"Authorization": f"Bearer {read_only}"}
    assert client.get(f"{base}/{mid}", headers=reader).status_code == 200
    assert client.patch(f"{base}/{mid}", json={"title": "X"}, headers=reader).status_code == 403


# --- pages -----------------------------------------------------------------------------


def test_pages_are_the_leads_alone(
    logged_in: TestClient, session: Session, world: dict[str, Any]
) -> None:
    network = world["network"]
    material = _create(session, network, "Background")
    other = make_facilitator(session)
    theirs = make_network(session, other, "Theirs")
    their_material = _create(session, theirs, "Their background")
    base = f"/networks/{network.id}/materials"
    assert logged_in.get(base).status_code == 200
    assert logged_in.get(f"{base}/{material.id}/versions/1").status_code == 200
    for path in [
        f"/networks/{theirs.id}/materials",
        f"/networks/{theirs.id}/materials/cross-group",
        f"/networks/{theirs.id}/materials/{their_material.id}/versions/1",
        f"/networks/{theirs.id}/materials/{their_material.id}/versions/1/easy-read",
        f"/networks/{theirs.id}/materials/{their_material.id}/versions/1/download/material.docx",
        f"{base}/{their_material.id}/versions/1",
    ]:
        r = logged_in.get(path)
        assert r.status_code == 404, path
        assert "Their background" not in r.text
    token = csrf_of(logged_in, base)
    r = logged_in.post(
        f"/networks/{theirs.id}/materials/{their_material.id}/versions/1/publish",
        data={"csrf_token": token},
    )
    assert r.status_code == 404


def test_create_form_errors_keep_what_was_typed(
    logged_in: TestClient, world: dict[str, Any]
) -> None:
    base = f"/networks/{world['network'].id}/materials"
    token = csrf_of(logged_in, base)
    r = logged_in.post(
        base,
        data={"csrf_token": token, "title": "", "first_heading": "Intro", "first_body": "Hello"},
    )
    assert r.status_code == 422
    assert "Give the material a title." in r.text and "Hello</textarea>" in r.text
    r = logged_in.post(
        base,
        data={"csrf_token": token, "title": "Upload"},
        files={"file": ("broken.docx", b"PK\x03\x04junk", DOCX)},
    )
    assert r.status_code == 422 and "could not be read as a Word document" in r.text
    r = logged_in.post(
        base,
        data={"csrf_token": token, "title": ""},
        files={"file": ("living.docx", _docx_bytes(), DOCX)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = logged_in.get(r.headers["location"])
    assert "Living well at home" in page.text and "Version 1 was created as a draft." in page.text
    assert re.search(r"<strong>real choice</strong>", page.text)


def test_openapi_documents_every_material_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = {p: ops for p, ops in spec["paths"].items() if "/materials" in p}
    assert "/api/v1/networks/{network_id}/materials/{material_id}/versions/{number}" in paths
    assert "/api/v1/networks/{network_id}/materials/{material_id}/diff" in paths
    operations = [op for ops in paths.values() for op in ops.values()]
    assert len(operations) >= 24
    for operation in operations:
        assert operation.get("description"), operation.get("operationId")
        assert operation["tags"] == ["materials"]
    assert not [p for p in spec["paths"] if p.startswith("/networks/")]


def test_page_forms_handle_mistakes(
    logged_in: TestClient, session: Session, world: dict[str, Any]
) -> None:
    network = world["network"]
    material = _create(session, network, "Background")
    base = f"/networks/{network.id}/materials"
    url = f"{base}/{material.id}/versions/1"
    section = _first_section(session, material, 1)
    token = csrf_of(logged_in, url)
    r = logged_in.post(
        f"{url}/sections/{section.id}/edit",
        data={"csrf_token": token, "heading": "  ", "body_markdown": "Kept text"},
    )
    assert r.status_code == 422 and "Every section needs a heading." in r.text
    assert "Kept text</textarea>" in r.text
    r = logged_in.post(f"{url}/sections/{section.id}/merge", data={"csrf_token": token})
    assert r.status_code == 422 and "Choose at least one contribution or theme" in r.text
    # The merge page reads its filter as the harvest wall and the API do: a value typed into
    # the address that is not one of the choices is named, not quietly dropped.
    r = logged_in.get(f"{url}/sections/{section.id}/merge", params={"kind": "rant", "cafe": "x"})
    assert r.status_code == 422
    assert "Café must be one of the choices in the list." in r.text
    assert "Kind must be one of the choices in the list." in r.text
    r = logged_in.post(f"{url}/sections", data={"csrf_token": token, "heading": ""})
    assert r.status_code == 422 and "Every section needs a heading." in r.text
    assert logged_in.get(f"{base}/{material.id}/diff", params={"from": "x"}).status_code == 422
    assert logged_in.get(f"{base}/{material.id}/diff", params={"to": 7}).status_code == 404
    assert logged_in.get(f"{url}/download/secrets.txt").status_code == 404
    assert logged_in.get(f"{base}/{material.id}/versions/2").status_code == 404
    r = logged_in.post(f"{url}/publish", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    r = logged_in.post(f"{url}/publish", data={"csrf_token": token})
    assert r.status_code == 409 and "published and can no longer change" in r.text
    # A published version has no edit or merge forms; asking for them leads back to it.
    r = logged_in.get(f"{url}/sections/{section.id}/merge", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"#section-{section.id}")
    page = logged_in.get(url).text
    assert "Add evidence" not in page and "Start version 2 from this one" in page
    r = logged_in.post(f"{url}/sections/{section.id}/delete", data={"csrf_token": token})
    assert r.status_code == 409
    r = logged_in.post(f"{url}/sections/{section.id}/delete")
    assert r.status_code == 403


def test_simultaneous_publish_and_next_version_happen_once(
    client: TestClient, api_headers: dict[str, str], world: dict[str, Any]
) -> None:
    base = _materials(world["network"].id)
    mid = client.post(
        base, json={"title": "Raced", "sections": [{"heading": "A"}]}, headers=api_headers
    ).json()["id"]

    def four_at_once(method: str, url: str) -> list[int]:
        with ThreadPoolExecutor(4) as pool:
            return sorted(
                pool.map(
                    lambda _: client.request(method, url, headers=api_headers).status_code,
                    range(4),
                )
            )

    assert four_at_once("POST", f"{base}/{mid}/versions/1/publish") == [200, 409, 409, 409]
    assert four_at_once("POST", f"{base}/{mid}/versions") == [201, 409, 409, 409]
    versions = client.get(f"{base}/{mid}/versions", headers=api_headers).json()["items"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "published"), (2, "draft")]


def test_a_method_the_listing_addresses_do_not_take_is_405_not_a_bad_material_id(
    client: TestClient, api_headers: dict[str, str], world: dict[str, Any]
) -> None:
    """`candidates` is not a material's id: PATCH there is a method the address does not
    take, not a material id that is not a number."""
    base = _materials(world["network"].id)
    for name in ("candidates", "cross-group", "evidence", "uses", "import"):
        r = client.patch(f"{base}/{name}", json={}, headers=api_headers)
        assert r.status_code == 405, name
        assert r.json() == {"detail": "That action is not possible at this address."}
    assert client.patch(f"{base}/candidates", headers=api_headers).headers["allow"] == "GET"
    assert client.delete(f"{base}/import", headers=api_headers).headers["allow"] == "POST"
    assert client.patch(f"{base}/999", json={"title": "x"}, headers=api_headers).status_code == 404
