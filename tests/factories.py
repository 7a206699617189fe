"""Factories shared by the tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, CafeCreate, Participant
from app.models.network import LocalGroup, Meeting, Member, Network
from app.services import accounts
from app.services.cafe import cafes as cafe_service
from app.services.cafe import participants as participant_service

PASSWORD = "correct horse battery"
_counter = {"n": 0}


_hashes: dict[str, str] = {}  # PASSWORD's argon2 hash, made once a run


def make_facilitator(session: Session, email: str | None = None) -> Facilitator:
    """A facilitator whose password is PASSWORD. The first is made by the service; the
    others are given the same stored hash (a real argon2 hash of PASSWORD, which every
    sign-in still checks in full): making one costs a tenth of a second of CPU, and most
    tests make a facilitator."""
    _counter["n"] += 1
    email = email or f"lead{_counter['n']}@example.org"
    known = _hashes.get(PASSWORD)
    if known is None:
        made = accounts.create_facilitator(session=session, email=email, password=PASSWORD)
        _hashes[PASSWORD] = made.password_hash
        return made
    facilitator = Facilitator(email=accounts.normalise_email(email), password_hash=known)
    session.add(facilitator)
    session.commit()
    session.refresh(facilitator)
    return facilitator


def cafe_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "Choice and control",
        "purpose": "What helps people have a say?",
        "table_count": 3,
        "table_capacity": 4,
        "rounds": [
            {"question": "What does a good day look like?", "minutes": 10},
            {"question": "What gets in the way?", "minutes": 10},
            {"question": "What would you change first?", "minutes": 5},
        ],
    }
    payload.update(overrides)
    return payload


def make_cafe(session: Session, facilitator: Facilitator, **overrides: Any) -> Cafe:
    return cafe_service.create_cafe(
        session=session, facilitator=facilitator, data=CafeCreate(**cafe_payload(**overrides))
    )


def make_participant(
    session: Session,
    cafe: Cafe,
    name: str,
    *,
    role: str | None = None,
    cannot_move: bool = False,
) -> Participant:
    """Someone joining the café now, as the join form does (seated at once mid-round)."""
    return participant_service.join(
        session=session,
        cafe=cafe,
        display_name=name,
        role=role,
        cannot_move=cannot_move,
        large_text=False,
        easy_read=False,
        now=utcnow(),
    )


def make_contribution(
    session: Session,
    cafe: Cafe,
    text: str = "A bus pass would help me get to the day centre",
    *,
    table: int | None = 1,
    round: int | None = 1,
    kind: str = "idea",
    evidence_type: str = "lived_experience",
    role: str | None = "lived_experience",
    status: str = "visible",
    participant: Any = None,
    for_table: bool = False,
    created_at: Any = None,
) -> Any:
    """A contribution written straight to the database; tables and rounds by number."""
    import uuid

    from sqlmodel import select

    from app.models.base import utcnow
    from app.models.cafe import CafeTable, Round
    from app.models.evidence import Contribution
    from app.services import changes

    table_id = (
        session.exec(
            select(CafeTable.id).where(CafeTable.cafe_id == cafe.id, CafeTable.number == table)
        ).one()
        if table is not None
        else None
    )
    round_id = (
        session.exec(select(Round.id).where(Round.cafe_id == cafe.id, Round.number == round)).one()
        if round is not None
        else None
    )
    moment = created_at or utcnow()
    assert cafe.id is not None
    row = Contribution(
        cafe_id=cafe.id,
        round_id=round_id,
        table_id=table_id,
        participant_id=participant.id if participant is not None else None,
        client_id=uuid.uuid4().hex,
        text=text,
        kind=kind,
        evidence_type=evidence_type,
        author_role=role,
        for_table=for_table,
        status=status,
        created_at=moment,
        updated_at=moment,
        change_seq=changes.take(connection=session.connection(), cafe_id=cafe.id),
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


# A network's words as a lead writes them, in the network's language: the member factory's.
MEMBER_SCENES: dict[str, dict[str, str]] = {
    "en": {
        "network": "Choice and control at home",
        "group": "Hillside group",
        "meeting": "Meeting 1",
        "location": "Hillside Library, Room 2",
        "name": "Alexandra Quill",
        "role": "lived_experience",
    },
    "cy": {
        "network": "Byw’n annibynnol",
        "group": "Grŵp Caernarfon",
        "meeting": "Cyfarfod 1",
        "location": "Llyfrgell Caernarfon",
        "name": "Gwen",
        "role": "carer",
    },
}


def make_member(
    session: Session,
    lead: Facilitator,
    *,
    language: str = "en",
    directions: str = "",
    bring: str = "",
    **fields: Any,
) -> Member:
    """A member of a new network in `language` (its words written in it, and the network's
    language set), in a local group with a meeting nine days ahead. `fields` are the
    member's own (email, accessibility needs, consent) over the scene's name and role."""
    words = MEMBER_SCENES[language]
    network = Network(facilitator_id=lead.id, title=words["network"], language=language)
    session.add(network)
    session.commit()
    group = LocalGroup(network_id=network.id, name=words["group"])
    session.add(group)
    session.commit()
    starts = utcnow() + timedelta(days=9)
    session.add(
        Meeting(
            group_id=group.id,
            number=1,
            title=words["meeting"],
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location=words["location"],
            directions=directions,
            bring=bring,
        )
    )
    fields = {"display_name": words["name"], "role": words["role"], **fields}
    member = Member(group_id=group.id, **fields)
    session.add(member)
    session.commit()
    session.refresh(member)
    return member
