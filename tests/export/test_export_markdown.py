"""Material text from real reports (tables, links, nested lists, code, escapes) through the one
Markdown reader: the version page, the DOCX and the Markdown export keep it; raw HTML stays
text; and what the writers escape reads back as written."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import docx
import pytest
from docx.document import Document
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.services.export import markdown
from app.services.material import importing as import_service
from tests.material_setup import make_network

REPORT = """# Choice and control: what we found

## Findings

Read the [full report](https://example.org/report?year=2025&part=2) or
[our summary](/networks/summary). Write to <team@example.org>.

| Group | People | What helped |
|:------|-------:|-------------|
| North | 12 | A *named* key worker |
| South | 9 | Taxi accounts |

- Transport
  - Buses stop at six
  - Taxis cost too much
- Staffing

1. Ask first
2. Plan the week

> Nothing about us without us.

Code `rota_v2` and:

```
select * from rota;
```

Prices are 5\\*3 \\# not a heading, and <b>bold?</b> <script>alert(1)</script> stay text.

## Next steps

Meet again in *May*.
"""


def _import(client: TestClient, api_headers: dict[str, str], network_id: int) -> dict[str, Any]:
    base = f"/api/v1/networks/{network_id}/materials"
    r = client.post(
        f"{base}/import",
        files={"file": ("report.md", REPORT.encode(), "text/markdown")},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text
    material = r.json()
    return {"base": f"{base}/{material['id']}", "id": material["id"]}


@pytest.fixture
def imported(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> dict[str, Any]:
    network = make_network(session, facilitator)
    return {"network": network, **_import(client, api_headers, network.id)}


def test_the_version_page_shows_tables_links_and_nested_lists(
    logged_in: TestClient, imported: dict[str, Any]
) -> None:
    page = logged_in.get(
        f"/networks/{imported['network'].id}/materials/{imported['id']}/versions/1"
    ).text
    assert '<a href="https://example.org/report?year=2025&amp;part=2">full report</a>' in page
    assert '<a href="/networks/summary">our summary</a>' in page
    assert '<a href="mailto:team@example.org">team@example.org</a>' in page
    assert "<th>Group</th>" in page and "<td>Taxi accounts</td>" in page
    assert "<td>A <em>named</em> key worker</td>" in page
    assert "<li>Transport\n<ul>\n<li>Buses stop at six</li>" in page
    assert "<ol>\n<li>Ask first</li>" in page
    assert "<blockquote>\n<p>Nothing about us without us.</p>" in page
    assert "<code>rota_v2</code>" in page
    assert "<pre><code>select * from rota;\n</code></pre>" in page
    assert "Prices are 5*3 # not a heading" in page
    # Raw HTML in imported text is shown, never run.
    assert "&lt;b&gt;bold?&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    # Alignment arrives as style attributes, which the pages' CSP would refuse.
    assert 'style="text-align' not in page
    printed = logged_in.get(
        f"/networks/{imported['network'].id}/materials/{imported['id']}/versions/1/print"
    ).text
    assert "<td>Taxi accounts</td>" in printed


def _docx(client: TestClient, api_headers: dict[str, str], base: str) -> bytes:
    r = client.get(f"{base}/versions/1/export", params={"format": "docx"}, headers=api_headers)
    assert r.status_code == 200
    return r.content


def test_the_docx_keeps_tables_links_and_nested_lists(
    client: TestClient, api_headers: dict[str, str], imported: dict[str, Any]
) -> None:
    raw = _docx(client, api_headers, imported["base"])
    document: Document = docx.Document(io.BytesIO(raw))
    styled = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    assert ("Heading 1", "Findings") in styled
    assert ("List Bullet", "Transport") in styled
    assert ("List Bullet 2", "Buses stop at six") in styled
    assert ("List Bullet", "Staffing") in styled
    assert ("List Number", "Ask first") in styled
    assert ("Quote", "Nothing about us without us.") in styled
    text = "\n".join(t for _, t in styled)
    assert "Read the full report or our summary (/networks/summary)." in text
    assert "Prices are 5*3 # not a heading, and <b>bold?</b> <script>alert(1)</script>" in text
    assert "select * from rota;" in text
    (table,) = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows == [
        ["Group", "People", "What helped"],
        ["North", "12", "A named key worker"],
        ["South", "9", "Taxi accounts"],
    ]
    links = {
        rel.target_ref for rel in document.part.rels.values() if rel.reltype.endswith("/hyperlink")
    }
    assert links == {"https://example.org/report?year=2025&part=2", "mailto:team@example.org"}
    with zipfile.ZipFile(io.BytesIO(raw)) as package:
        body = package.read("word/document.xml").decode()
    assert "<w:hyperlink" in body
    assert '<w:rFonts w:ascii="Consolas"' in body  # the code


def test_the_markdown_export_round_trips(
    client: TestClient, api_headers: dict[str, str], imported: dict[str, Any]
) -> None:
    sections = client.get(f"{imported['base']}/versions/1/sections", headers=api_headers).json()
    md = client.get(
        f"{imported['base']}/versions/1/export", params={"format": "md"}, headers=api_headers
    ).text
    again = import_service.import_markdown(md)
    assert again.title == "Choice and control: what we found"
    # The same sections, raw HTML escaped (the pages showed it as text; now any viewer does).
    assert [(s.heading, s.body_markdown) for s in again.sections] == [
        (s["heading"], markdown.defuse_html(s["body_markdown"])) for s in sections["items"]
    ]
    findings = again.sections[0].body_markdown
    assert "and &lt;b>bold?&lt;/b> &lt;script>alert(1)&lt;/script> stay" in findings
    for kept in ("| South | 9 | Taxi accounts |", "  - Taxis cost too much", "5\\*3 \\# not"):
        assert kept in findings
    assert markdown.to_html(findings) == markdown.to_html(sections["items"][0]["body_markdown"])


def test_the_easy_read_edition_reads_words_not_marks(
    client: TestClient, api_headers: dict[str, str], imported: dict[str, Any]
) -> None:
    easy = client.get(
        f"{imported['base']}/versions/1/export",
        params={"format": "md", "edition": "easy_read"},
        headers=api_headers,
    ).text
    assert "Read the full report or our summary." in easy
    assert "North · 12 · A named key worker" in easy
    assert "Buses stop at six" in easy
    assert "**" not in easy and "](" not in easy


@pytest.mark.parametrize(
    "text",
    [
        "# not a heading",
        "1. not a list\n2) nor this",
        "- nor\n+ this\n* nor this",
        "> not a quote",
        "Title\n===",
        "Under\n---",
        "    not code",
        "<b>not bold</b> <!-- nor a comment -->",
        "*not em* _nor this_ `nor code` [not](a link) ![nor](an image)",
        "a | b\n--|--\nnot | a table",
        "back\\slash \\* and ~~tilde~~",
    ],
)
def test_escaped_text_reads_back_as_written(text: str) -> None:
    lines = [line.strip() for line in text.split("\n")]
    assert markdown.plain(markdown.escape_block(text)) == " ".join(lines)
    assert markdown.plain(markdown.escape(text)) == " ".join(text.split())


# --- importing: the sections are where CommonMark sees headings ----------------------------


def _sections(text: str) -> list[tuple[str, str]]:
    return [(s.heading, s.body_markdown) for s in import_service.import_markdown(text).sections]


def test_a_hash_line_in_code_is_not_a_heading() -> None:
    code = (
        "```sh\n# install\n## twice\n```\n\n~~~\n```\n# tilde\n~~~\n\n"
        "````markdown\n```\n# a fence in a fence\n```\n````\n\n    # indented"
    )
    assert _sections(f"## Setup\n\n{code}\n") == [("Setup", code)]


def test_an_unclosed_fence_runs_to_the_end() -> None:
    text = "## Code\n\n```\n# inside\n\n## still inside\n"
    assert _sections(text) == [("Code", "```\n# inside\n\n## still inside")]


def test_underlined_headings_start_sections() -> None:
    doc = import_service.import_markdown(
        "Living well\n===========\n\nWhy it matters.\n\nWhat helps\n----------\n\nKnown faces.\n\n"
        "What gets\nin the way\n---\n\nRotas.\n"
    )
    assert doc.title == "Living well"
    assert [(s.heading, s.body_markdown) for s in doc.sections] == [
        ("Introduction", "Why it matters."),
        ("What helps", "Known faces."),
        ("What gets in the way", "Rotas."),
    ]


def test_a_rule_after_a_blank_line_is_not_a_heading() -> None:
    assert _sections("## One\n\nText\n\n---\n\nMore\n") == [("One", "Text\n\n---\n\nMore")]


def test_closing_hashes_and_escapes() -> None:
    text = (
        "## Findings ##\n\\# not a heading\n#5 nor this\n#hashtag\n"
        "### Detail ###\ntext\n## C\\# notes #\nend\n##\nlast\n"
    )
    assert _sections(text) == [
        ("Findings", "\\# not a heading\n#5 nor this\n#hashtag\n### Detail ###\ntext"),
        ("C\\# notes", "end"),
        ("Untitled section", "last"),
    ]


def test_headings_inside_lists_and_quotes_stay_in_the_text() -> None:
    text = (
        "## Voices\n\n- # listed\n  - ## nested\n\n> ## quoted\n> text\n\n"
        "   ## Indented heading\nbody\n"
    )
    assert _sections(text) == [
        ("Voices", "- # listed\n  - ## nested\n\n> ## quoted\n> text"),
        ("Indented heading", "body"),
    ]


def test_easy_read_follows_the_same_headings() -> None:
    doc = import_service.import_markdown(
        "## Choice\n\nFull text.\n\n```\n### Easy read\n```\n\n### Easy read ###\n\nChoose.\n"
        "- ### Easy read\n"
    )
    (section,) = doc.sections
    assert section.body_markdown == "Full text.\n\n```\n### Easy read\n```"
    assert section.easy_read_text == "Choose.\n- ### Easy read"


EXCERPT = """# Transport and independence: interim report

*Version 1 (draft, not yet published)*

## Summary of findings

We spoke to 42 people across [three areas](https://example.org/areas#map "Areas").
See also <https://example.org/method> and the [annex][annex].

| Area | People | Main barrier |
|:-----|-------:|:------------:|
| North | 18 | Buses stop at six |
| South \\| coast | 24 | Taxi *costs* |

[annex]: https://example.org/annex.pdf

- Buses
  - Evening services
    1. Stop at six
    2. Skip the estate
  - Step-free access
- Taxis
    - Accounts help

### Easy read

Buses stop too early.
Taxis cost a lot.

## How we counted

```python
# People per area, from the sign-in sheets
## not a heading either
totals = {"North": 18, "South": 24}
```

Method notes
------------

Counted twice \\# by hand.

> ## A quote with a heading
> — a carer, South
"""

EXCERPT_SECTIONS = [
    (
        "Summary of findings",
        EXCERPT[EXCERPT.index("We spoke") : EXCERPT.index("\n\n### Easy read")],
        "Buses stop too early.\nTaxis cost a lot.",
    ),
    (
        "How we counted",
        EXCERPT[EXCERPT.index("```python") : EXCERPT.index("```\n\nMethod") + 3],
        "",
    ),
    (
        "Method notes",
        "Counted twice \\# by hand.\n\n> ## A quote with a heading\n> — a carer, South",
        "",
    ),
]


def test_a_report_excerpt_imports_into_its_sections_as_written() -> None:
    doc = import_service.import_markdown(EXCERPT.replace("\n", "\r\n"))
    assert doc.title == "Transport and independence: interim report"
    got = [(s.heading, s.body_markdown, s.easy_read_text) for s in doc.sections]
    assert got == EXCERPT_SECTIONS
    assert "| South \\| coast | 24 | Taxi *costs* |" in got[0][1]
    assert "    - Accounts help" in got[0][1]
    assert "# People per area, from the sign-in sheets" in got[1][1]


def test_a_report_excerpt_survives_import_and_markdown_export(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network = make_network(session, facilitator)
    base = f"/api/v1/networks/{network.id}/materials"
    r = client.post(
        f"{base}/import",
        files={"file": ("interim.md", EXCERPT.encode(), "text/markdown")},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text
    version = f"{base}/{r.json()['id']}/versions/1"
    stored = client.get(f"{version}/sections", headers=api_headers).json()["items"]
    assert [(s["heading"], s["body_markdown"], s["easy_read_text"]) for s in stored] == (
        EXCERPT_SECTIONS
    )
    md = client.get(f"{version}/export", params={"format": "md"}, headers=api_headers).text
    assert md.startswith("# Transport and independence: interim report\n")
    again = import_service.import_markdown(md)
    assert again.title == "Transport and independence: interim report"
    assert [(s.heading, s.body_markdown, s.easy_read_text) for s in again.sections] == (
        EXCERPT_SECTIONS
    )
    page = markdown.to_html(again.sections[1].body_markdown)
    assert "# People per area" in page and "<h" not in page


# --- what people typed, written into the exports (issue 23) --------------------------------

ATTACKS = ("<img src=x onerror=alert(1)>", "[click](javascript:alert(1))")


def test_participant_text_in_the_markdown_export_is_shown_as_written(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    from markdown_it import MarkdownIt

    from tests.material_setup import make_group_cafe, say

    network = make_network(session, facilitator)
    group = make_group_cafe(session, facilitator, network, "North <b>side</b>")
    said = [
        say(session, group.cafe, f"Look {text} here", themes=("<i>Transport</i> &amp;",))
        for text in ATTACKS
    ]
    base = f"/api/v1/networks/{network.id}/materials"
    body = "# Ours\n\n## Findings\n\nThe lead's *own* words <img src=y onerror=alert(2)>.\n"
    r = client.post(base, json={"title": "Ours", "markdown": body}, headers=api_headers)
    assert r.status_code == 201, r.text
    version = f"{base}/{r.json()['id']}/versions/1"
    (section,) = client.get(f"{version}/sections", headers=api_headers).json()["items"]
    evidence = f"{version}/sections/{section['id']}/evidence"
    r = client.post(evidence, json={"contribution_ids": [said[0].id]}, headers=api_headers)
    assert r.status_code == 201, r.text
    r = client.post(
        evidence,
        json={"contribution_ids": [said[1].id], "paraphrase": "1. <script>x</script> *loud*"},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text

    def export(**params: str) -> str:
        r = client.get(f"{version}/export", params=params, headers=api_headers)
        assert r.status_code == 200
        return r.text

    full, easy = export(format="md"), export(format="md", edition="easy_read")
    with_html = MarkdownIt("commonmark", {"html": True})
    without_html = MarkdownIt("commonmark", {"html": False})
    for md in (full, easy):
        assert "<img" not in md and "<script" not in md and "<b>" not in md and "<i>" not in md
        for viewer in (with_html, without_html):
            page = viewer.render(md)
            assert "<img" not in page and "<script" not in page and "<a " not in page
            assert "<b>" not in page and "<i>" not in page
            assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "&lt;img src=y onerror=alert(2)&gt;" in with_html.render(md)  # the lead's too
    page = with_html.render(full)
    assert "Look [click](javascript:alert(1)) here" in page
    assert "<em>own</em>" in page  # the lead's Markdown stays Markdown
    assert "&lt;script&gt;x&lt;/script&gt; *loud*" in page  # the paraphrase, as written
    assert "North &lt;b&gt;side&lt;/b&gt;" in page
    assert "&lt;i&gt;Transport&lt;/i&gt; &amp;amp;" in page
    assert "<ol" not in page
    words = markdown.plain(easy)
    assert "Look <img src=x onerror=alert(1)> here" in words
    assert "“1. <script>x</script> *loud*”" in words


def test_control_characters_in_a_cafe_title_leave_the_docx_readable(
    session: Session, facilitator: Facilitator
) -> None:
    from app.models.base import utcnow
    from app.services.export import notes as notes_export
    from app.services.export.formats import NotesFormat
    from tests.factories import make_cafe, make_contribution

    cafe = make_cafe(session, facilitator, title="Evening café")
    cafe.title = "Evening\x01 café\x0b two"
    session.add(cafe)
    session.commit()
    make_contribution(session, cafe, "Said\x01 with\x0b a bell\x07")
    raw = b"".join(
        notes_export.export_notes(session=session, cafe=cafe, fmt=NotesFormat.DOCX, now=utcnow())
    )
    document: Document = docx.Document(io.BytesIO(raw))
    assert document.core_properties.title == "Evening café two: session notes"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Evening café two" in text and "Said with a bell" in text


@pytest.mark.parametrize("text", ["&lt;b&gt; &amp; &#60;i> &#x3C;", "Tom & Jerry; a&b <3"])
def test_character_references_read_back_as_written(text: str) -> None:
    assert markdown.plain(markdown.escape(text)) == text
    assert markdown.plain(markdown.escape_block(text)) == text
