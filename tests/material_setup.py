"""A network whose local groups ran cafés, and contributions in them, for the materials tests.

Contributions are written through the model with the provenance a phone's post would give
them (round, table, the author's role at the time)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, CafeTable, Participant, Round
from app.models.evidence import Contribution, ContributionTheme, Theme
from app.models.network import LocalGroup, Meeting, Network
from tests.factories import make_cafe


@dataclass
class GroupCafe:
    group: LocalGroup
    meeting: Meeting
    cafe: Cafe


def make_network(session: Session, lead: Facilitator, title: str = "Choice and control") -> Network:
    assert lead.id is not None
    network = Network(facilitator_id=lead.id, title=title)
    session.add(network)
    session.commit()
    session.refresh(network)
    return network


def make_group_cafe(
    session: Session,
    lead: Facilitator,
    network: Network,
    name: str,
    *,
    meeting_number: int = 1,
    group: LocalGroup | None = None,
) -> GroupCafe:
    """A local group (or the given one) whose meeting ran as a café."""
    assert network.id is not None
    if group is None:
        group = LocalGroup(network_id=network.id, name=name)
        session.add(group)
        session.commit()
        session.refresh(group)
    assert group.id is not None
    cafe = make_cafe(session, lead, title=f"{name} café {meeting_number}", table_count=2)
    starts = utcnow() + timedelta(days=7 * meeting_number)
    meeting = Meeting(
        group_id=group.id,
        number=meeting_number,
        title=f"Meeting {meeting_number}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        cafe_id=cafe.id,
    )
    session.add(meeting)
    session.commit()
    session.refresh(meeting)
    return GroupCafe(group=group, meeting=meeting, cafe=cafe)


def say(
    session: Session,
    cafe: Cafe,
    text: str,
    *,
    role: str | None = "lived_experience",
    evidence_type: str = "lived_experience",
    kind: str = "idea",
    themes: tuple[str, ...] = (),
    round_number: int = 1,
    table_number: int = 1,
    participant: Participant | None = None,
    consent: bool = True,
) -> Contribution:
    """A contribution as a phone would have posted it, with its themes; its author (made
    here unless given) agreed to their words being used as evidence unless `consent=False`."""
    assert cafe.id is not None
    if participant is None:
        participant = Participant(
            cafe_id=cafe.id,
            display_name=f"Person {secrets.token_hex(2)}",
            role=role,
            secret=secrets.token_urlsafe(16),
            evidence_consent=consent,
        )
        session.add(participant)
        session.commit()
        session.refresh(participant)
    rnd = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == round_number)
    ).one()
    table = session.exec(
        select(CafeTable).where(CafeTable.cafe_id == cafe.id, CafeTable.number == table_number)
    ).one()
    contribution = Contribution(
        cafe_id=cafe.id,
        round_id=rnd.id,
        table_id=table.id,
        participant_id=participant.id,
        client_id=uuid.uuid4().hex,
        text=text,
        kind=kind,
        evidence_type=evidence_type,
        author_role=role,
    )
    session.add(contribution)
    session.commit()
    session.refresh(contribution)
    for name in themes:
        theme = session.exec(
            select(Theme).where(Theme.cafe_id == cafe.id, col(Theme.name) == name)
        ).first()
        if theme is None:
            theme = Theme(cafe_id=cafe.id, name=name)
            session.add(theme)
            session.commit()
            session.refresh(theme)
        assert theme.id is not None and contribution.id is not None
        session.add(ContributionTheme(contribution_id=contribution.id, theme_id=theme.id))
        session.commit()
    return contribution


def theme_id(session: Session, cafe: Cafe, name: str) -> int:
    theme = session.exec(select(Theme).where(Theme.cafe_id == cafe.id, Theme.name == name)).one()
    assert theme.id is not None
    return theme.id
