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
    assert [(s.heading, s.body_markdown) for s in again.sections] == [
        (s["heading"], s["body_markdown"]) for s in sections["items"]
    ]
    findings = again.sections[0].body_markdown
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
