"""The harvest: wall filters, themes by page, suggested themes, charts, print view, and the
participants' "what we heard" page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.evidence import ContributionTheme, Theme
from app.services.cafe import cafes as cafe_service
from app.services.cafe import people as people_service
from app.services.errors import Invalid
from app.services.evidence import harvest as harvest_service
from app.services.evidence import suggestions
from app.services.evidence import themes as theme_service
from app.services.evidence.charts import bar_chart
from app.services.evidence.filters import NO_THEME, ContributionFilter
from app.services.evidence.suggestions import stem, suggest_groups
from tests.cafe.test_cafe_api import _join
from tests.conftest import csrf_of
from tests.factories import make_cafe, make_contribution, make_facilitator


@pytest.fixture
def cafe(session: Session, facilitator: Facilitator) -> Cafe:
    return make_cafe(session, facilitator)


def _texts(html: str) -> set[str]:
    return set(re.findall(r'class="contribution-text">([^<]+)<', html))


def _seed(session: Session, cafe: Cafe) -> dict[str, int]:
    rows = [
        make_contribution(session, cafe, "The bus is always late", table=1, round=1),
        make_contribution(
            session,
            cafe,
            "Staff change too often",
            table=2,
            round=1,
            kind="barrier",
            evidence_type="practice",
            role="practitioner",
        ),
        make_contribution(
            session, cafe, "Ask me what I want", table=2, round=2, kind="enabler", role=None
        ),
        make_contribution(
            session, cafe, "Quietly hidden", table=1, round=1, status="hidden", role="carer"
        ),
    ]
    return {r.text: r.id for r in rows}


def test_wall_filters_by_table_round_kind_evidence_role_and_theme(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    ids = _seed(session, cafe)
    base = f"/cafes/{cafe.id}/harvest"
    everything = logged_in.get(base)
    assert everything.status_code == 200
    assert _texts(everything.text) == {
        "The bus is always late",
        "Staff change too often",
        "Ask me what I want",
    }
    assert _texts(logged_in.get(f"{base}?table=2").text) == {
        "Staff change too often",
        "Ask me what I want",
    }
    assert _texts(logged_in.get(f"{base}?table=2&round=2").text) == {"Ask me what I want"}
    assert _texts(logged_in.get(f"{base}?kind=barrier").text) == {"Staff change too often"}
    assert _texts(logged_in.get(f"{base}?evidence_type=practice").text) == {
        "Staff change too often"
    }
    assert _texts(logged_in.get(f"{base}?role=none").text) == {"Ask me what I want"}
    assert _texts(logged_in.get(f"{base}?role=practitioner").text) == {"Staff change too often"}
    # The empty values a filter form sends mean "all".
    blank = logged_in.get(f"{base}?round=&table=&kind=&evidence_type=&role=&theme=")
    assert len(_texts(blank.text)) == 3
    theme_service.create_theme(
        session=session,
        cafe=cafe,
        name="Getting about",
        contribution_ids=[ids["The bus is always late"]],
        now=utcnow(),
    )
    theme_id = session.exec(select(Theme.id).where(Theme.cafe_id == cafe.id)).one()
    assert _texts(logged_in.get(f"{base}?theme={theme_id}").text) == {"The bus is always late"}
    assert _texts(logged_in.get(f"{base}?theme=none").text) == {
        "Staff change too often",
        "Ask me what I want",
    }


def test_bad_filter_values_get_a_readable_message(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    _seed(session, cafe)
    r = logged_in.get(f"/cafes/{cafe.id}/harvest?kind=rant&round=x")
    assert r.status_code == 422
    assert "Kind must be one of the choices" in r.text
    assert "Round must be one of the choices" in r.text
    with pytest.raises(Invalid):
        ContributionFilter.from_params({"role": "king"})
    assert ContributionFilter.from_params({"theme": "none"}).theme == NO_THEME


def test_one_filter_reads_a_cafes_and_a_networks_parameters() -> None:
    # The harvest wall, the merge page and the API all read their filter here.
    cafe = ContributionFilter.from_params(
        {"round": "2", "table": " ", "kind": "barrier", "role": "none", "theme": 0, "cafe": "x"}
    )
    assert cafe == ContributionFilter(round=2, kind="barrier", role="none", theme=NO_THEME)
    assert ContributionFilter.from_params(cafe.params()) == cafe
    network = ContributionFilter.from_params(
        {"cafe": "4", "group": "", "theme": " Transport ", "evidence_type": "practice"},
        network=True,
    )
    assert network == ContributionFilter(
        cafe_id=4, theme_name="Transport", evidence_type="practice"
    )
    assert ContributionFilter.from_params(network.params(), network=True) == network
    with pytest.raises(Invalid) as caught:
        ContributionFilter.from_params({"group": "0", "kind": "rant", "cafe": "²"}, network=True)
    assert caught.value.detail == (
        "Café must be one of the choices in the list. "
        "Local group must be one of the choices in the list. "
        "Kind must be one of the choices in the list."
    )


def test_htmx_filter_returns_only_the_harvest_block(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    _seed(session, cafe)
    r = logged_in.get(f"/cafes/{cafe.id}/harvest?table=1", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section id="harvest"')
    assert "<html" not in r.text
    assert _texts(r.text) == {"The bus is always late"}


def test_themes_by_page_create_assign_unassign_rename_delete(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    ids = _seed(session, cafe)
    base = f"/cafes/{cafe.id}/harvest"
    token = csrf_of(logged_in, base)
    r = logged_in.post(
        f"{base}/themes",
        data={"name": "  Staff  and care ", "description": "Who is there", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = logged_in.get(r.headers["location"])
    assert "Theme “Staff and care” created." in page.text
    theme = session.exec(select(Theme).where(Theme.cafe_id == cafe.id)).one()
    # Tick two cards and add them to the theme: the form the checkboxes belong to.
    assert 'form="assign"' in page.text
    picked = [ids["Staff change too often"], ids["Ask me what I want"]]
    r = logged_in.post(
        f"{base}/assign",
        data={
            "theme_id": str(theme.id),
            "action": "assign",
            "contribution_ids": [str(i) for i in picked],
            "back": "table=2",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"{base}?table=2"
    linked = set(
        session.exec(
            select(ContributionTheme.contribution_id).where(ContributionTheme.theme_id == theme.id)
        )
    )
    assert linked == set(picked)
    shown = logged_in.get(f"{base}?theme={theme.id}")
    assert "2 contributions added to “Staff and care”." in shown.text
    assert _texts(shown.text) == {"Staff change too often", "Ask me what I want"}
    # The same through HTMX: the block comes back with the message.
    r = logged_in.post(
        f"{base}/assign",
        data={
            "theme_id": str(theme.id),
            "action": "unassign",
            "contribution_ids": str(picked[0]),
            "csrf_token": token,
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "1 contribution taken out of “Staff and care”." in r.text
    assert r.text.lstrip().startswith('<section id="harvest"')
    r = logged_in.post(
        f"{base}/themes/{theme.id}/edit",
        data={"name": "Staff", "description": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.refresh(theme)
    assert theme.name == "Staff"
    r = logged_in.post(
        f"{base}/themes/{theme.id}/delete",
        data={"back": f"theme={theme.id}", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == base  # the filter on the deleted theme is dropped
    assert session.exec(select(Theme).where(Theme.cafe_id == cafe.id)).first() is None
    assert len(_texts(logged_in.get(base).text)) == 3


def test_theme_mistakes_read_as_sentences(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    _seed(session, cafe)
    base = f"/cafes/{cafe.id}/harvest"
    token = csrf_of(logged_in, base)
    logged_in.post(f"{base}/themes", data={"name": "Money", "csrf_token": token})
    r = logged_in.post(f"{base}/themes", data={"name": "money", "csrf_token": token})
    assert r.status_code == 409
    assert "There is already a theme called “money”." in r.text
    r = logged_in.post(f"{base}/themes", data={"name": "   ", "csrf_token": token})
    assert r.status_code == 422
    assert "Give the theme a name." in r.text
    theme = session.exec(select(Theme).where(Theme.cafe_id == cafe.id)).one()
    r = logged_in.post(f"{base}/assign", data={"theme_id": str(theme.id), "csrf_token": token})
    assert r.status_code == 422
    assert "Tick at least one contribution first." in r.text
    r = logged_in.post(f"{base}/assign", data={"contribution_ids": "1", "csrf_token": token})
    assert "Choose a theme first." in r.text
    # A contribution of another café cannot be pulled into this café's theme.
    other = make_cafe(session, make_facilitator(session))
    stranger = make_contribution(session, other, "Not yours")
    r = logged_in.post(
        f"{base}/assign",
        data={
            "theme_id": str(theme.id),
            "contribution_ids": str(stranger.id),
            "csrf_token": token,
        },
    )
    assert r.status_code == 404
    # Without the CSRF token nothing changes.
    r = logged_in.post(f"{base}/themes", data={"name": "Sneaky"})
    assert r.status_code == 403


def test_another_facilitators_cafe_is_not_found(logged_in: TestClient, session: Session) -> None:
    other = make_cafe(session, make_facilitator(session), title="Someone else's")
    make_contribution(session, other, "Private words")
    for path in ("harvest", "notes/print", "notes/download?format=csv", "heard"):
        r = logged_in.get(f"/cafes/{other.id}/{path}")
        assert r.status_code == 404, path
        assert "Private words" not in r.text
    token = csrf_of(logged_in, "/dashboard")
    r = logged_in.post(
        f"/cafes/{other.id}/harvest/themes", data={"name": "Mine now", "csrf_token": token}
    )
    assert r.status_code == 404


def test_stemming_and_suggestions_explain_the_shared_words() -> None:
    assert stem("buses") == stem("bus") == "bus"
    assert stem("changed") == stem("change") == stem("changing")
    assert stem("care") != stem("car")
    texts = [
        (1, "The bus to the day centre is always late"),
        (2, "No buses on Sundays so I stay home"),
        (3, "The bus costs too much for me"),
        (4, "Staff change too often"),
        (5, "New staff do not know me"),
        (6, "Staff turnover is high"),
        (7, "I like gardening"),
    ]
    found = suggest_groups(texts=texts)
    assert [(s.name, s.contribution_ids) for s in found] == [
        ("Bus", [1, 2, 3]),
        ("Staff", [4, 5, 6]),
    ]
    bus = found[0]
    assert bus.words[0].word == "bus"
    assert bus.words[0].count == 3
    assert "3 contributions use the word “bus”" in bus.explanation
    assert suggest_groups(texts=[(1, "and the of"), (2, "so it is")]) == []


def test_suggestions_pull_in_words_that_come_up_together() -> None:
    texts = [
        (1, "Respite breaks for carers are hard to find"),
        (2, "Carers need respite breaks"),
        (3, "Respite is booked months ahead"),
        (4, "Breaks away help carers rest"),
        (5, "Transport to clubs"),
    ]
    found = suggest_groups(texts=texts)
    top = found[0]
    assert set(top.contribution_ids) == {1, 2, 3, 4}
    words = {w.word: w.count for w in top.words}
    assert words["respite"] == 3
    assert words["breaks"] == 3
    assert "or words that come up with it" in top.explanation


def test_suggestions_on_the_page_create_a_theme_in_one_step(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    for text in ("Bus passes cost too much", "The bus never comes", "Bus drivers are kind"):
        make_contribution(session, cafe, text)
    make_contribution(session, cafe, "A hidden bus complaint", status="hidden")
    base = f"/cafes/{cafe.id}/harvest"
    page = logged_in.get(base)
    assert "Suggested themes" in page.text
    assert "3 contributions use the word “bus”" in page.text
    assert "hidden bus complaint" not in page.text
    ids = re.findall(
        r'<input type="hidden" name="contribution_ids" value="(\d+)">',
        page.text.split('id="suggestions"')[1],
    )
    assert len(ids) == 3
    token = csrf_of(logged_in, base)
    r = logged_in.post(
        f"{base}/themes",
        data={"name": "Buses", "contribution_ids": ids, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = logged_in.get(base)
    assert "Theme “Buses” created with 3 contributions." in after.text
    # Grouped contributions no longer make a suggestion of their own.
    assert "use the word “bus”" not in after.text
    summaries = theme_service.themes_of(session=session, cafe=cafe)
    assert [(s.theme.name, s.count) for s in summaries] == [("Buses", 3)]


def test_suggestion_matching_an_existing_theme_offers_to_add_to_it(
    session: Session, cafe: Cafe
) -> None:
    theme_service.create_theme(session=session, cafe=cafe, name="Bus", now=utcnow())
    for text in ("Bus is late", "Bus is full"):
        make_contribution(session, cafe, text)
    found = suggestions.suggest_themes(session=session, cafe=cafe, filters=ContributionFilter())
    assert found[0].existing_theme_id is not None


def test_counts_and_accessible_charts(logged_in: TestClient, session: Session, cafe: Cafe) -> None:
    _seed(session, cafe)
    counts = harvest_service.counts(session=session, cafe=cafe, filters=ContributionFilter())
    assert counts.total == 3  # the hidden one is not counted
    assert dict(counts.by_table) == {"Table 1": 1, "Table 2": 2, "Table 3": 0}
    assert dict(counts.by_round) == {"Round 1": 2, "Round 2": 1, "Round 3": 0}
    assert dict(counts.by_role)["Role not given"] == 1
    assert dict(counts.by_evidence)["Practice knowledge"] == 1
    page = logged_in.get(f"/cafes/{cafe.id}/harvest").text
    assert page.count('<svg class="chart" role="img"') == 4
    assert '<title id="chart-table-title">Contributions per table</title>' in page
    assert (
        '<desc id="chart-table-desc">Contributions per table: 3 contributions in all. '
        "Most: Table 2, with 2.</desc>"
    ) in page
    assert '<th scope="row">Table 2</th><td>2</td>' in page


def test_bar_chart_escapes_and_scales() -> None:
    chart = bar_chart(chart_id="c", title="A <b> chart", rows=[("x & y", 4), ("z", 1), ("w", 0)])
    assert "<b>" not in chart.svg
    assert "A &lt;b&gt; chart" in chart.svg
    assert "x &amp; y" in chart.svg
    widths = [int(w) for w in re.findall(r'<rect[^>]* width="(\d+)"', chart.svg)]
    assert widths[0] > widths[1] > widths[2] == 0
    empty = bar_chart(chart_id="e", title="Nothing", rows=[("a", 0)])
    assert empty.description == "Nothing: no contributions yet."


def test_print_view_groups_visible_notes(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    _seed(session, cafe)
    r = logged_in.get(f"/cafes/{cafe.id}/notes/print")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<h1 id="notes-title">Choice and control: session notes</h1>' in html
    assert "Round 1: What does a good day look like?" in html
    assert "<h3>Table 2</h3>" in html
    assert "Staff change too often" in html
    assert "Quietly hidden" not in html
    assert html.rstrip().endswith("</html>")


def test_console_links_to_harvest_and_notes(logged_in: TestClient, cafe: Cafe) -> None:
    html = logged_in.get(f"/cafes/{cafe.id}/console").text
    assert f'href="/cafes/{cafe.id}/harvest"' in html
    assert f'href="/cafes/{cafe.id}/notes/print"' in html


def test_what_we_heard_for_participants_once_closed(
    client: TestClient, session: Session, cafe: Cafe
) -> None:
    phone = _join(client, cafe.code, "Robin")
    person = people_service.participants_of(session=session, cafe=cafe)[0]
    make_contribution(session, cafe, "Ask me first", participant=person)
    make_contribution(session, cafe, "Something hidden", status="hidden")
    early = phone.get(f"/p/{cafe.code}/heard")
    assert early.status_code == 200
    assert "fills in when the café closes" in early.text
    assert "Ask me first" not in early.text
    theme_service.create_theme(
        session=session,
        cafe=cafe,
        name="Being asked",
        contribution_ids=[
            c.id
            for c in harvest_service.wall(
                session=session, cafe=cafe, filters=ContributionFilter()
            ).cards
        ],
        now=utcnow(),
    )
    cafe_service.close_cafe(session=session, cafe=session.get(Cafe, cafe.id), now=utcnow())  # type: ignore[arg-type]
    # The phone's own page now leads there.
    assert f'href="/p/{cafe.code}/heard"' in phone.get(f"/p/{cafe.code}").text
    page = phone.get(f"/p/{cafe.code}/heard")
    assert page.status_code == 200
    assert "Being asked" in page.text
    assert "Ask me first" in page.text
    assert "Something hidden" not in page.text
    assert "Robin" not in page.text
    # Nobody else: not a stranger without a cookie, not a participant of another café.
    assert TestClient(client.app).get(f"/p/{cafe.code}/heard").status_code == 404
    other = make_cafe(session, make_facilitator(session))
    elsewhere = _join(client, other.code, "Sam")
    assert elsewhere.get(f"/p/{cafe.code}/heard").status_code == 404


def test_facilitator_previews_what_we_heard(
    logged_in: TestClient, session: Session, cafe: Cafe
) -> None:
    make_contribution(session, cafe, "Visible while open")
    r = logged_in.get(f"/cafes/{cafe.id}/heard")
    assert r.status_code == 200
    assert "This is a preview for you" in r.text
    assert "Visible while open" in r.text
