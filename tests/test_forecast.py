"""The next round drawn ahead: what its phones are sent is drawn while the round before runs,
and used only if the round starts exactly as forecast."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.routers.phone_fragments import bundles, forecasts, round_bundle
from app.services import board as board_service
from app.services import cafe as cafe_service
from app.services import harvest as harvest_service
from tests.factories import make_cafe, make_participant


def _forecast(session: Session, cafe: Cafe) -> int:
    """What the server does a few seconds into a round: plan the next one, then draw it."""
    forecast = cafe_service.prepare_next_round(session=session, cafe=cafe)
    assert forecast is not None
    return forecasts.draw(cafe.id or 0, forecast, board_service.theme_choices(session, cafe))


def _start(
    session: Session, cafe: Cafe
) -> tuple[cafe_service.Rotation, dict[int, board_service.TableCards], int]:
    """What a tap on "next round" does before telling the phones."""
    started = cafe_service.rotate(session=session, cafe=cafe, now=utcnow())
    boards = board_service.new_round_cards(
        session=session, cafe=cafe, rnd=started.round, tables=started.state.table_rows
    )
    return started, boards, forecasts.confirm(started, boards)


@pytest.fixture
def cafe(session: Session, facilitator: Facilitator) -> Cafe:
    """Three tables of four, nine people, the first at table 1 as its host; round 1 running."""
    cafe = make_cafe(session, facilitator, table_count=3, table_capacity=4)
    people = [make_participant(session, cafe, f"Person {n}") for n in range(9)]
    first_table = cafe_service.tables_of(session, cafe)[0]
    cafe_service.set_host(
        session=session, cafe=cafe, participant_id=people[0].id or 0, table_id=first_table.id
    )
    cafe_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    return cafe


def test_a_round_drawn_ahead_is_what_its_phones_would_be_sent(session: Session, cafe: Cafe) -> None:
    """Every phone of the new round finds what was drawn ahead for it, and it is exactly what
    would have been drawn at the start: its new table, the question, the full clock, an
    empty board and (for the host) the host badge."""
    drawn = _forecast(session, cafe)
    started, boards, given = _start(session, cafe)
    assert drawn > 0
    assert given == drawn
    state = started.state
    assert len(state.table_of) == 9
    for person_id, table_id in state.table_of.items():
        me = state.people_by_id[person_id]
        stayed = state.previous_table_of.get(person_id) == table_id
        ahead = bundles.get(
            state, (table_id, stayed, me.is_host), lambda: pytest.fail("not drawn ahead")
        )
        now = round_bundle(state, me, boards[table_id])
        assert ahead == now
        table = state.table_view(table_id)
        assert table is not None
        assert f'data-table-id="{table_id}">{table.table.name}<' in ahead.now
        assert f'data-seconds-left="{started.round.minutes * 60}"' in ahead.now
        assert ("You stay at this table" in ahead.now) == me.is_host


def test_a_forecast_is_not_used_once_the_cafe_has_changed(
    session: Session, cafe: Cafe, facilitator: Facilitator
) -> None:
    """Someone joins after the round was drawn ahead: the round is planned and drawn again
    at the tap, and they have a table in it."""
    assert _forecast(session, cafe) > 0
    late = make_participant(session, cafe, "Late joiner")
    started, _, given = _start(session, cafe)
    assert given == 0
    assert late.id in started.state.table_of


def test_a_forecast_is_not_used_when_the_themes_changed(session: Session, cafe: Cafe) -> None:
    """A new theme means a new box to tick on every form: the drawings made before it are
    not used."""
    assert _forecast(session, cafe) > 0
    harvest_service.create_theme(session=session, cafe=cafe, name="Transport", now=utcnow())
    _, boards, given = _start(session, cafe)
    assert given == 0
    assert [t.name for t in next(iter(boards.values())).themes] == ["Transport"]


def test_a_forecast_is_used_once(session: Session, cafe: Cafe) -> None:
    """A forecast is for the round after the one running: once that round has started, the
    next tap finds none (until the next one is drawn)."""
    assert _forecast(session, cafe) > 0
    assert _start(session, cafe)[2] > 0
    assert _start(session, cafe)[2] == 0
