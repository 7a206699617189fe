"""Factories shared by the tests."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.cafe import Cafe, CafeCreate
from app.services import accounts
from app.services import cafe as cafe_service

PASSWORD = "correct horse battery"
_counter = {"n": 0}


def make_facilitator(session: Session, email: str | None = None) -> Facilitator:
    _counter["n"] += 1
    return accounts.create_facilitator(
        session=session, email=email or f"lead{_counter['n']}@example.org", password=PASSWORD
    )


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
