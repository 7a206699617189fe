"""The next round drawn ahead: what its phones are sent is drawn while the round before runs,
and used only if the round starts exactly as forecast."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session, select

from app.live import plans
from app.live.forecasts import forecasts
from app.live.fragments import bundles, round_bundle
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, CafeTable, CafeUpdate, Participant, Round
from app.services.board.cards import TableCards, new_round_cards, theme_choices
from app.services.cafe import cafes as cafe_service
from app.services.cafe import participants as participant_service
from app.services.cafe import people as people_service
from app.services.cafe import rounds as round_service
from app.services.cafe import seating as seating_service
from app.services.cafe.rounds import Rotation
from app.services.evidence import themes as theme_service
from tests.factories import make_cafe, make_contribution, make_participant


def _forecast(session: Session, cafe: Cafe) -> int:
    """What the server does a few seconds into a round: plan the next one, then draw it."""
    forecast = plans.prepare_next_round(session=session, cafe=cafe)
    assert forecast is not None
    return forecasts.draw(cafe.id, forecast, theme_choices(session=session, cafe=cafe))


def _start(session: Session, cafe: Cafe) -> tuple[Rotation, dict[int, TableCards], int]:
    """What a tap on "next round" does before telling the phones."""
    started = plans.rotate(session=session, cafe=cafe, now=utcnow())
    boards = new_round_cards(
        session=session, cafe=cafe, rnd=started.round, tables=started.state.table_rows
    )
    return started, boards, forecasts.confirm(started, boards)


@pytest.fixture
def cafe(session: Session, facilitator: Facilitator) -> Cafe:
    """Three tables of four, nine people, the first at table 1 as its host; round 1 running."""
    cafe = make_cafe(session, facilitator, table_count=3, table_capacity=4)
    people = [make_participant(session, cafe, f"Person {n}") for n in range(9)]
    first_table = cafe_service.tables_of(session=session, cafe=cafe)[0]
    participant_service.set_host(
        session=session, cafe=cafe, participant_id=people[0].id, table_id=first_table.id
    )
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
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
            state, (table_id, stayed, me.is_host, "en"), lambda: pytest.fail("not drawn ahead")
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
    theme_service.create_theme(session=session, cafe=cafe, name="Transport", now=utcnow())
    _, boards, given = _start(session, cafe)
    assert given == 0
    assert [t.name for t in next(iter(boards.values())).themes] == ["Transport"]


def test_a_forecast_is_used_once(session: Session, cafe: Cafe) -> None:
    """A forecast is for the round after the one running: once that round has started, the
    next tap finds none (until the next one is drawn)."""
    assert _forecast(session, cafe) > 0
    assert _start(session, cafe)[2] > 0
    assert _start(session, cafe)[2] == 0


# --- the café's version: what says a seating planned ahead still holds ----------------------


def _version(engine: Engine, cafe: Cafe) -> int:
    """The café's version as another connection reads it (committed)."""
    with Session(engine) as other:
        found = other.get(Cafe, cafe.id)
        assert found is not None
        return found.version


def _tables(session: Session, cafe: Cafe) -> list[CafeTable]:
    return cafe_service.tables_of(session=session, cafe=cafe)


CHANGES: dict[str, Callable[[Session, Cafe], object]] = {
    "someone joins": lambda s, c: make_participant(s, c, "Late joiner"),
    "someone leaves": lambda s, c: participant_service.leave(
        session=s, person=_someone(s, c), now=utcnow()
    ),
    "someone says they can't move": lambda s, c: participant_service.update_needs(
        session=s,
        person=_someone(s, c),
        display_name="Person 5",
        role=None,
        cannot_move=True,
        large_text=False,
        easy_read=False,
    ),
    "a new host": lambda s, c: participant_service.set_host(
        session=s, cafe=c, participant_id=_someone(s, c).id, table_id=_tables(s, c)[2].id
    ),
    "a host link opened": lambda s, c: participant_service.take_host_link(
        session=s, cafe=c, person=_someone(s, c), host_token=_tables(s, c)[1].host_token
    ),
    "a move by hand": lambda s, c: seating_service.move_person(
        session=s, cafe=c, participant_id=_someone(s, c).id, table_id=_tables(s, c)[2].id
    ),
    "the café's settings": lambda s, c: cafe_service.update_cafe(
        session=s, cafe=c, data=CafeUpdate(reaction_budget=5)
    ),
    "a planned round's question": lambda s, c: _edit_next_question(s, c),
    "a table's capacity": lambda s, c: _edit_capacity(s, c),
}


def _someone(session: Session, cafe: Cafe) -> Participant:
    """Someone who is not a host."""
    return next(
        p for p in people_service.participants_of(session=session, cafe=cafe) if not p.is_host
    )


def _edit_next_question(session: Session, cafe: Cafe) -> None:
    nxt = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == cafe.current_round + 1)
    ).one()
    nxt.question = "What would make the biggest difference?"
    session.add(nxt)
    session.commit()


def _edit_capacity(session: Session, cafe: Cafe) -> None:
    table = _tables(session, cafe)[0]
    table.capacity += 1
    session.add(table)
    session.commit()


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_the_seating_depends_on_moves_the_version_on(
    session: Session, cafe: Cafe, engine: Engine, change: str
) -> None:
    """The seating planned ahead is used only while the café's version stands still: each
    change the next seating depends on moves it on, committed with the change."""
    before = _version(engine, cafe)
    CHANGES[change](session, cafe)
    assert _version(engine, cafe) > before


def test_the_clock_and_the_cards_leave_the_version_alone(
    session: Session, cafe: Cafe, engine: Engine
) -> None:
    """More time, a pause, a card: the next round is seated the same, so the forecast holds."""
    before = _version(engine, cafe)
    now = utcnow()
    round_service.extend_round(session=session, cafe=cafe, minutes=5, now=now)
    round_service.pause_round(session=session, cafe=cafe, now=now)
    round_service.resume_round(session=session, cafe=cafe, now=now)
    make_contribution(session, cafe, participant=_someone(session, cafe))
    assert _version(engine, cafe) == before


def test_free_choice_moves_the_version_on(
    session: Session, facilitator: Facilitator, engine: Engine
) -> None:
    cafe = make_cafe(session, facilitator, table_count=2, table_capacity=4, seating_mode="free")
    person = make_participant(session, cafe, "Chooser")
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    before = _version(engine, cafe)
    seating_service.choose_table(
        session=session, cafe=cafe, person=person, table_id=_tables(session, cafe)[1].id
    )
    assert _version(engine, cafe) > before


@pytest.mark.skipif(
    not os.environ.get("TABLECLOTH_TEST_DATABASE", "sqlite").startswith("postgresql"),
    reason="row locks (SQLite locks the whole database for a writer)",
)
def test_a_join_locks_the_cafes_row_only_for_its_commit(
    session: Session, cafe: Cafe, engine: Engine
) -> None:
    """While a join is written (its person flushed, not yet committed), the facilitator's
    own changes to the café do not wait for it: the version moves on at the commit. At a
    room's join burst every join waited for the one before it while it held the row."""
    with Session(engine) as joining:
        joining.add(
            Participant(
                cafe_id=cafe.id, display_name="Mid-join", secret="s" * 24, joined_at=utcnow()
            )
        )
        joining.flush()
        with engine.connect() as facilitator:
            facilitator.execute(text("SET lock_timeout = '500ms'"))
            facilitator.execute(
                text("UPDATE cafe SET title = 'Renamed' WHERE id = :id"), {"id": cafe.id}
            )
            facilitator.commit()
        before = _version(engine, cafe)
        joining.commit()
    assert _version(engine, cafe) == before + 1


@contextmanager
def _people_reads(engine: Engine) -> Iterator[list[str]]:
    """The statements that read participants while in the block."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM participant" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_rotation_as_forecast_seats_everyone_without_reading_them_again(
    session: Session, cafe: Cafe, engine: Engine
) -> None:
    """Nothing changed since the seating was planned ahead: the round starts with exactly
    that seating, and the people are not read again (a third of a rotation's time with a
    thousand of them)."""
    forecast = plans.prepare_next_round(session=session, cafe=cafe)
    assert forecast is not None
    with _people_reads(engine) as reads:
        started = plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert reads == []
    planned = dict(forecast.inputs.seats)
    assert len(planned) == 9
    assert started.state.table_of == planned
    assert seating_service.seating_history(session=session, cafe=cafe, before=3)[1] == planned


def test_a_change_made_by_another_worker_after_the_forecast_is_seen(
    session: Session, cafe: Cafe, engine: Engine
) -> None:
    """Someone joins through another process after this one planned ahead: the version has
    moved, so the rotation reads the café again and the newcomer has a seat."""
    assert plans.prepare_next_round(session=session, cafe=cafe) is not None
    with Session(engine, expire_on_commit=False) as other:
        there = other.get(Cafe, cafe.id)
        assert there is not None
        late = make_participant(other, there, "Joined through another worker")
    with _people_reads(engine) as reads:
        started = plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert reads != []
    assert late.id in started.state.table_of
    assert late.id in seating_service.seating_history(session=session, cafe=cafe, before=3)[1]
