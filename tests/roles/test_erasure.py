"""Roles and invites are personal data of a facilitator account: they go with the café,
network or group they are for, with the account, and closed invites go a day later."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, delete, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.roles import RoleGrant, RoleInvite
from app.services import roles
from tests.factories import make_facilitator
from tests.roles.scene import (
    a_cafe,
    accept,
    bearer,
    invite_co_facilitator,
    invite_coordinator,
    network_of_two_groups,
)


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return len(session.exec(select(RoleGrant)).all()), len(session.exec(select(RoleInvite)).all())


def test_erasing_a_cafe_removes_its_roles_and_invites(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe, kept = a_cafe(session, facilitator), a_cafe(session, facilitator, title="Kept")
    helper = make_facilitator(session)
    accept(
        client, bearer(client, helper), invite_co_facilitator(client, owner, cafe.id, helper.email)
    )
    invite_co_facilitator(client, owner, cafe.id, "someone@example.org")
    invite_co_facilitator(client, owner, kept.id, "someone@example.org")
    assert _counts(session) == (1, 3)
    assert client.delete(f"/api/v1/cafes/{cafe.id}", headers=owner).status_code == 204
    assert _counts(session) == (0, 1)
    remaining = session.exec(select(RoleInvite)).one()
    assert remaining.cafe_id == kept.id


def test_erasing_a_network_or_deleting_a_group_removes_its_coordinators(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    network, north, south = network_of_two_groups(session, facilitator)
    helper = make_facilitator(session)
    helper_h = bearer(client, helper)
    accept(client, helper_h, invite_coordinator(client, owner, north.id, helper.email))
    accept(client, helper_h, invite_coordinator(client, owner, south.id, helper.email))
    invite_coordinator(client, owner, south.id, "someone@example.org")
    assert _counts(session) == (2, 3)
    assert client.delete(f"/api/v1/networks/groups/{north.id}", headers=owner).status_code == 204
    assert _counts(session) == (1, 2)
    r = client.post(f"/api/v1/networks/{network.id}/erase", headers=owner)
    assert r.status_code == 200, r.text
    assert _counts(session) == (0, 0)
    assert client.get("/api/v1/roles", headers=helper_h).json() == []


def test_removing_a_facilitator_account_removes_their_roles(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    # There is no page that removes an account; the database does it when the row goes.
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session)
    accept(
        client, bearer(client, helper), invite_co_facilitator(client, owner, cafe.id, helper.email)
    )
    assert _counts(session)[0] == 1
    session.execute(delete(Facilitator).where(col(Facilitator.id) == helper.id))
    session.commit()
    assert _counts(session)[0] == 0


def test_closed_invites_are_forgotten_a_day_later(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        invite_co_facilitator(client, owner, cafe.id, email)
    first, second, third = session.exec(select(RoleInvite).order_by(col(RoleInvite.id))).all()
    now = utcnow()
    first.expires_at = now - timedelta(days=2)  # expired two days ago: goes
    second.revoked_at = now - timedelta(hours=2)  # withdrawn today: kept for now
    session.add(first)
    session.add(second)
    session.commit()
    assert roles.forget_closed_invites(session=session, now=now) == 1
    session.commit()
    left = [i.id for i in session.exec(select(RoleInvite).order_by(col(RoleInvite.id)))]
    assert left == [second.id, third.id]


def test_an_invite_link_is_not_kept_in_the_access_log() -> None:
    from app.security import _loggable

    assert _loggable("/r/abcdefSECRET") == "/r/…"
