"""Session notes: every format parsed back and checked, CSV injection, names, hidden
contributions left out, batches, and who may download them."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass

import docx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.accounts import Facilitator, TokenScope
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant
from app.models.evidence import Media, Reaction
from app.services import accounts
from app.services.evidence import harvest as harvest_service
from app.services.evidence import themes as theme_service
from app.services.evidence.filters import ContributionFilter
from app.services.export import notes as notes_export
from app.services.export.formats import DOCX, NotesFormat
from tests.factories import make_cafe, make_contribution, make_facilitator, make_participant


@dataclass
class Seeded:
    cafe: Cafe
    people: list[Participant]
    ids: dict[str, int]


def _seed(session: Session, facilitator: Facilitator, *, names_visible: bool = False) -> Seeded:
    payload_rounds = [
        {"question": "What does a good day look like?", "minutes": 10},
        {
            "question": "What gets in the way?",
            "minutes": 10,
            "table_questions": [{"table": 2, "question": "What gets in the way for carers?"}],
        },
    ]
    cafe = make_cafe(
        session,
        facilitator,
        title="Choice & control: Wales",
        rounds=payload_rounds,
        table_count=2,
        names_visible=names_visible,
    )
    alex = make_participant(session, cafe, "Alex Example", role="carer")
    sam = make_participant(session, cafe, "Sam Sample", role="practitioner")
    rows = [
        make_contribution(
            session,
            cafe,
            "A bus pass would help",
            table=1,
            round=1,
            kind="enabler",
            role="carer",
            participant=alex,
        ),
        make_contribution(
            session,
            cafe,
            "Rotas change with *no* notice # again",
            table=2,
            round=2,
            kind="barrier",
            evidence_type="practice",
            role="practitioner",
            participant=sam,
        ),
        make_contribution(
            session, cafe, "Ask people first", table=1, round=2, kind="action", role=None
        ),
        make_contribution(session, cafe, "A hidden remark", status="hidden", participant=alex),
        make_contribution(session, cafe, "Taken back", status="withdrawn", participant=sam),
        make_contribution(session, cafe, "Waiting for a look", status="pending"),
    ]
    ids = {r.text: r.id for r in rows}
    theme_service.create_theme(
        session=session,
        cafe=cafe,
        name="Getting about",
        description="Transport and travel",
        contribution_ids=[ids["A bus pass would help"]],
        now=utcnow(),
    )
    theme_service.create_theme(
        session=session,
        cafe=cafe,
        name="Staffing",
        contribution_ids=[ids["Rotas change with *no* notice # again"], ids["A hidden remark"]],
        now=utcnow(),
    )
    bus = ids["A bus pass would help"]
    for person in (alex, sam):
        session.add(Reaction(contribution_id=bus, participant_id=person.id))
    session.add(
        Media(
            contribution_id=bus,
            kind="photo",
            content_type="image/jpeg",
            path="ab/cd.jpg",
            size=1000,
        )
    )
    session.commit()
    return Seeded(cafe=cafe, people=[alex, sam], ids=ids)


def _bytes(session: Session, cafe: Cafe, fmt: NotesFormat, *, batch: int = 2000) -> bytes:
    return b"".join(
        notes_export.export_notes(session=session, cafe=cafe, fmt=fmt, now=utcnow(), batch=batch)
    )


HIDDEN = ("A hidden remark", "Taken back", "Waiting for a look")


@pytest.mark.parametrize("batch", [1, 2, 2000])
def test_json_has_provenance_and_only_visible_contributions(
    session: Session, facilitator: Facilitator, batch: int
) -> None:
    seeded = _seed(session, facilitator)
    notes = json.loads(_bytes(session, seeded.cafe, NotesFormat.JSON, batch=batch))
    assert notes["format"] == "tablecloth-session-notes"
    assert notes["cafe"]["title"] == "Choice & control: Wales"
    assert notes["complete"] is False
    assert [r["question"] for r in notes["rounds"]] == [
        "What does a good day look like?",
        "What gets in the way?",
    ]
    assert notes["rounds"][1]["table_questions"] == {"2": "What gets in the way for carers?"}
    assert [(t["name"], t["contributions"]) for t in notes["themes"]] == [
        ("Getting about", 1),
        ("Staffing", 1),  # the hidden one it also holds is not counted
    ]
    assert notes["counts"]["total"] == 3
    assert notes["counts"]["by_author_role"]["none"] == 1
    items = {c["text"]: c for c in notes["contributions"]}
    assert set(items) == {
        "A bus pass would help",
        "Rotas change with *no* notice # again",
        "Ask people first",
    }
    assert [c["id"] for c in notes["contributions"]] == sorted(
        c["id"] for c in notes["contributions"]
    )
    bus = items["A bus pass would help"]
    assert bus["round"] == 1
    assert bus["table"] == 1
    assert bus["table_name"] == "Table 1"
    assert bus["question"] == "What does a good day look like?"
    assert bus["author_role"] == "carer"
    assert bus["evidence_type"] == "lived_experience"
    assert bus["kind"] == "enabler"
    assert bus["themes"] == ["Getting about"]
    assert bus["reactions"] == 2
    assert bus["media"] == ["photo"]
    assert bus["created_at"].endswith("+00:00")
    rotas = items["Rotas change with *no* notice # again"]
    assert rotas["question"] == "What gets in the way for carers?"  # the table's own question
    assert rotas["author_role"] == "practitioner"
    assert "author" not in bus
    text = json.dumps(notes)
    assert "Alex Example" not in text and "Sam Sample" not in text
    for hidden in HIDDEN:
        assert hidden not in text


def test_names_only_when_the_cafe_shows_them(session: Session, facilitator: Facilitator) -> None:
    seeded = _seed(session, facilitator, names_visible=True)
    notes = json.loads(_bytes(session, seeded.cafe, NotesFormat.JSON))
    authors = {c["text"]: c["author"] for c in notes["contributions"]}
    assert authors == {
        "A bus pass would help": "Alex Example",
        "Rotas change with *no* notice # again": "Sam Sample",
        "Ask people first": None,
    }
    rows = list(csv.DictReader(io.StringIO(_bytes(session, seeded.cafe, NotesFormat.CSV).decode())))
    assert {r["author"] for r in rows} == {"Alex Example", "Sam Sample", ""}
    assert "by Alex Example" in _bytes(session, seeded.cafe, NotesFormat.MD).decode()


@pytest.mark.parametrize("batch", [1, 2000])
def test_csv_one_row_each_with_bom(session: Session, facilitator: Facilitator, batch: int) -> None:
    seeded = _seed(session, facilitator)
    raw = _bytes(session, seeded.cafe, NotesFormat.CSV, batch=batch)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert "author" not in rows[0]
    by_text = {r["text"]: r for r in rows}
    bus = by_text["A bus pass would help"]
    assert bus["cafe"] == "Choice & control: Wales"
    assert bus["round"] == "1"
    assert bus["table_name"] == "Table 1"
    assert bus["author_role_label"] == "Carer or family member"
    assert bus["evidence_type_label"] == "Lived experience"
    assert bus["kind_label"] == "What helps"
    assert bus["themes"] == "Getting about"
    assert bus["reactions"] == "2"
    assert by_text["Ask people first"]["author_role"] == ""
    for hidden in HIDDEN:
        assert hidden not in text
    assert "Alex Example" not in text


def test_csv_neutralises_formulas(session: Session, facilitator: Facilitator) -> None:
    cafe = make_cafe(session, facilitator, title='=HYPERLINK("http://x")')
    nasty = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", "fine = ok"]
    for text in nasty:
        make_contribution(session, cafe, text)
    theme_service.create_theme(
        session=session,
        cafe=cafe,
        name="=evil()",
        contribution_ids=[
            c.id
            for c in harvest_service.wall(
                session=session, cafe=cafe, filters=ContributionFilter()
            ).cards
        ],
        now=utcnow(),
    )
    rows = list(
        csv.DictReader(io.StringIO(_bytes(session, cafe, NotesFormat.CSV).decode("utf-8-sig")))
    )
    texts = {r["text"] for r in rows}
    assert texts == {"'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\t=1", "'\r=1", "fine = ok"}
    assert {r["cafe"] for r in rows} == {'\'=HYPERLINK("http://x")'}
    assert {r["themes"] for r in rows} == {"'=evil()"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_markdown_is_grouped_by_round_table_and_theme(
    session: Session, facilitator: Facilitator
) -> None:
    seeded = _seed(session, facilitator)
    md = _bytes(session, seeded.cafe, NotesFormat.MD, batch=1).decode()
    lines = md.splitlines()
    headings = [ln for ln in lines if ln.startswith("#")]
    assert headings == [
        "# Choice & control: Wales: session notes",
        "## Themes",
        "## Who said what",
        "## Round 1: What does a good day look like?",
        "### Table 1",
        "#### Getting about",
        "## Round 2: What gets in the way?",
        "### Table 1",
        "#### Not in a theme yet",
        "### Table 2",
        "#### Staffing",
    ]
    assert "_Question at this table: What gets in the way for carers?_" in lines
    assert "- **Getting about** (1): Transport and travel" in lines
    bus = lines.index("- **What helps:** A bus pass would help  ")
    assert "Carer or family member" in lines[bus + 1]
    assert "2 agree" in lines[bus + 1]
    # Markup in what people wrote is shown as written, not interpreted.
    assert r"Rotas change with \*no\* notice \# again" in md
    for hidden in HIDDEN:
        assert hidden not in md
    assert "Alex Example" not in md


def test_markdown_without_themes_has_no_theme_headings(
    session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    make_contribution(session, cafe, "Before anything started", table=None, round=None)
    make_contribution(session, cafe, "At table 3", table=3, round=1)
    md = _bytes(session, cafe, NotesFormat.MD).decode()
    headings = [ln for ln in md.splitlines() if ln.startswith("#")]
    assert headings == [
        "# Choice and control: session notes",
        "## Who said what",
        "## Before the first round",
        "### Not at a table",
        "## Round 1: What does a good day look like?",
        "### Table 3",
    ]


def test_docx_reads_back_with_headings(session: Session, facilitator: Facilitator) -> None:
    seeded = _seed(session, facilitator)
    raw = _bytes(session, seeded.cafe, NotesFormat.DOCX, batch=1)
    assert zipfile.is_zipfile(io.BytesIO(raw))
    document = docx.Document(io.BytesIO(raw))
    paragraphs = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    headings = [(style, text) for style, text in paragraphs if style.startswith("Heading")]
    assert headings == [
        ("Heading 1", "Themes"),
        ("Heading 1", "Who said what"),
        ("Heading 1", "Round 1: What does a good day look like?"),
        ("Heading 2", "Table 1"),
        ("Heading 3", "Getting about"),
        ("Heading 1", "Round 2: What gets in the way?"),
        ("Heading 2", "Table 1"),
        ("Heading 3", "Not in a theme yet"),
        ("Heading 2", "Table 2"),
        ("Heading 3", "Staffing"),
    ]
    assert paragraphs[0] == ("Title", "Choice & control: Wales: session notes")
    bullets = [text for style, text in paragraphs if style == "List Bullet"]
    assert any(t.startswith("What helps: A bus pass would help (") for t in bullets)
    assert document.core_properties.title == "Choice & control: Wales: session notes"
    width = document.sections[0].page_width
    assert width is not None
    assert round(width.mm) == 210
    body = "\n".join(text for _, text in paragraphs)
    for hidden in HIDDEN:
        assert hidden not in body
    assert "Alex Example" not in body


def test_docx_survives_control_characters(session: Session, facilitator: Facilitator) -> None:
    cafe = make_cafe(session, facilitator)
    make_contribution(session, cafe, "Bell\x07 and <tags> & more")
    document = docx.Document(io.BytesIO(_bytes(session, cafe, NotesFormat.DOCX)))
    assert any("Bell and <tags> & more" in p.text for p in document.paragraphs)


def test_filename_is_safe() -> None:
    cafe = Cafe(id=7, facilitator_id=1, title="Café: “Wales” / 2025!", code="ABCDEF")
    name = notes_export.filename(cafe=cafe, fmt=NotesFormat.CSV, now=utcnow())
    assert name.startswith("cafe-wales-2025-notes-")
    assert name.endswith(".csv")
    odd = Cafe(id=7, facilitator_id=1, title="«»", code="ABCDEF")
    assert notes_export.filename(cafe=odd, fmt=NotesFormat.MD, now=utcnow()).startswith(
        "cafe-7-notes-"
    )


# --- over HTTP -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("json", "application/json"),
        ("csv", "text/csv; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        ("docx", DOCX.media_type),
    ],
)
def test_notes_endpoint_streams_each_format(
    client: TestClient,
    session: Session,
    facilitator: Facilitator,
    api_headers: dict[str, str],
    fmt: str,
    content_type: str,
) -> None:
    seeded = _seed(session, facilitator)
    r = client.get(f"/api/v1/cafes/{seeded.cafe.id}/notes?format={fmt}", headers=api_headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == content_type
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="choice-control-wales-notes-')
    assert disposition.endswith(f'.{fmt}"')
    assert b"A bus pass would help" in (
        r.content
        if fmt != "docx"
        else zipfile.ZipFile(io.BytesIO(r.content)).read("word/document.xml")
    )
    assert b"A hidden remark" not in r.content


def test_notes_endpoint_authorisation(
    client: TestClient, session: Session, facilitator: Facilitator, api_headers: dict[str, str]
) -> None:
    seeded = _seed(session, facilitator)
    path = f"/api/v1/cafes/{seeded.cafe.id}/notes?format=csv"
    assert client.get(path).status_code == 401
    _, read_token = accounts.create_api_token(
        session=session, facilitator=facilitator, name="reader", scope=TokenScope.READ
    )
    r = client.get(path, headers={"Authorization": f"Bearer {read_token}"})
    assert r.status_code == 200
    assert "A bus pass would help" in r.text
    stranger = make_facilitator(session)
    _, other_token = accounts.create_api_token(
        session=session, facilitator=stranger, name="nosy", scope=TokenScope.WRITE
    )
    r = client.get(path, headers={"Authorization": f"Bearer {other_token}"})
    assert r.status_code == 404
    assert r.json() == {"detail": "No such café."}
    bad = client.get(f"/api/v1/cafes/{seeded.cafe.id}/notes?format=pdf", headers=api_headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "format"]


def test_facilitator_downloads_notes_from_the_site(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    seeded = _seed(session, facilitator)
    r = logged_in.get(f"/cafes/{seeded.cafe.id}/notes/download?format=md")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "# Choice & control: Wales: session notes" in r.text
    page = logged_in.get(f"/cafes/{seeded.cafe.id}/harvest").text
    assert f"/cafes/{seeded.cafe.id}/notes/download?format=docx" in page
