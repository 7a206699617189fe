"""Roles beside the owner, and the rules of what each may do.

One facilitator account owns each café and each network (`facilitator_id`). The owner may
invite other facilitator accounts, by a single-use link, into a role:

| What                                                   | owner | co_facilitator | coordinator |
|--------------------------------------------------------|-------|----------------|-------------|
| See the café on their dashboard                        | yes   | yes            | -           |
| Console: start/next round, extend, end, pause, resume, | yes   | yes            | -           |
|   close, move people, choose hosts; the projector, QR  |       |                |             |
| Moderate cards (hide, restore, approve, flag)          | yes   | yes            | -           |
| Read the board, the notes (download, print), and the   | yes   | yes            | -           |
|   themes through the API (the notes list them)         |       |                |             |
| Café settings, privacy notice, keep-for period; the    | yes   | no             | -           |
|   harvest: make and assign themes, "heard" preview     |       |                |             |
| Erase the café or a participant; subject access data   | yes   | no             | -           |
| A participant's consent                                | yes   | no             | -           |
| Invite, list and remove co-facilitators                | yes   | no             | -           |
| See their group on their dashboard, the group's page   | yes   | -              | own group   |
| The group's members, contact details included          | yes   | -              | own group   |
|   (add, edit, stop invite links; not erase)            |       |                |             |
| The group's meetings: schedule, add, edit, attendance, | yes   | -              | own group   |
|   calendar, members' invite links, run one as a café   |       |                |             |
| Rename or delete the group; delete a meeting; erase a  | yes   | -              | no          |
|   member                                               |       |                |             |
| The network's page, settings, other groups, materials, | yes   | -              | no          |
|   drafts, action plans, keep-for, erasure              |       |                |             |
| Invite, list and remove coordinators                   | yes   | -              | no          |

A meeting a coordinator runs as a café belongs to the network's owner (as every café of the
network does), with the coordinator as its co-facilitator.

Anything a role may not do answers as if the row did not exist (404), as someone else's
row does. API tokens act as their facilitator with the same roles: a read token reads what
its facilitator may read, a write token writes what they may write."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.accounts import Facilitator
from app.models.audit import AuditAction, SubjectKind
from app.models.cafe import Cafe
from app.models.network import LocalGroup, Meeting, Member, Network, RunAsCafeRequest
from app.models.roles import Role, RoleGrant, RoleInvite
from app.services import audit
from app.services.accounts import normalise_email
from app.services.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from app.services.network import invites as invite_service

INVITE_DAYS = 7
# The part of an invite link before the token: short, for reading out or typing.
ACCEPT_PATH = "/r/"

__all__ = ["ACCEPT_PATH", "INVITE_DAYS", "Role"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{ACCEPT_PATH}{token}"


def _checked_email(email: str) -> str:
    cleaned = normalise_email(email)
    if "@" not in cleaned.strip("@") or len(cleaned) > 254 or any(c.isspace() for c in cleaned):
        raise Invalid(_("Type the email address the person signs in with."))
    return cleaned


def _invite(
    session: Session,
    *,
    role: Role,
    email: str,
    owner_email: str,
    now: datetime,
    cafe_id: int | None = None,
    group_id: int | None = None,
) -> tuple[RoleInvite, str]:
    cleaned = _checked_email(email)
    if cleaned == normalise_email(owner_email):
        raise Invalid(_("That is your own email: you can do all of this already."))
    token = secrets.token_urlsafe(32)
    invite = RoleInvite(
        role=role,
        cafe_id=cafe_id,
        group_id=group_id,
        token_hash=_hash(token),
        email=cleaned,
        created_at=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    session.add(invite)
    session.flush()
    _audit(session, AuditAction.ROLE_INVITED, invite, actor_id=None)
    session.commit()
    session.refresh(invite)
    return invite, token


ROLE_WORDS = {Role.CO_FACILITATOR: "co-facilitator", Role.COORDINATOR: "coordinator"}


def _audit(
    session: Session,
    action: AuditAction,
    invite: RoleInvite | RoleGrant,
    *,
    actor_id: int | None,
    detail: str = "",
) -> None:
    """A change of roles in the owner's audit log (not committed): by `actor_id`, or by the
    owner of the café or group when None (only the owner invites and removes)."""
    owner_id = _owner_of(session, invite.cafe_id, invite.group_id)
    if owner_id is None:
        return
    who = session.get(Facilitator, actor_id if actor_id is not None else owner_id)
    if who is None:
        return
    words = ROLE_WORDS.get(Role(invite.role), str(invite.role))
    audit.roles_changed(
        session=session,
        actor=audit.facilitator(who),
        action=action,
        role=f"{words}{detail}",
        subject=audit.Subject(SubjectKind.ROLE, invite.id),
        owner_id=owner_id,
    )


def _owner_email(session: Session, owner_id: int) -> str:
    owner = session.get(Facilitator, owner_id)
    return owner.email if owner else ""


def invite_co_facilitator(
    *, session: Session, cafe: Cafe, email: str, now: datetime
) -> tuple[RoleInvite, str]:
    """An invite for the account with this email to help run the café; the token is returned
    once and only its hash kept."""
    return _invite(
        session,
        role=Role.CO_FACILITATOR,
        email=email,
        owner_email=_owner_email(session, cafe.facilitator_id),
        now=now,
        cafe_id=cafe.id,
    )


def invite_coordinator(
    *, session: Session, group: LocalGroup, email: str, now: datetime
) -> tuple[RoleInvite, str]:
    """An invite for the account with this email to coordinate the local group."""
    network = session.get(Network, group.network_id)
    assert network is not None
    return _invite(
        session,
        role=Role.COORDINATOR,
        email=email,
        owner_email=_owner_email(session, network.facilitator_id),
        now=now,
        group_id=group.id,
    )


def open_invite(*, session: Session, token: str, now: datetime) -> RoleInvite:
    """The invite behind a link, if it can still be accepted; otherwise why not."""
    invite = session.exec(select(RoleInvite).where(RoleInvite.token_hash == _hash(token))).first()
    if invite is None:
        raise NotFound(_("This invite link is not known. Check that the whole link was copied."))
    if invite.revoked_at is not None:
        raise Gone(_("This invite was withdrawn. Ask the person who sent it for a new one."))
    if invite.used_at is not None:
        raise Gone(
            _("This invite has been used already. Ask the person who sent it for a new one.")
        )
    if invite.expires_at <= now:
        raise Gone(_("This invite has expired. Ask the person who sent it for a new one."))
    return invite


def invite_place(*, session: Session, invite: RoleInvite) -> str:
    """What the invite is to, in words: the café's title or the group's and network's names."""
    if invite.cafe_id is not None:
        cafe = session.get(Cafe, invite.cafe_id)
        return _("the café “%(title)s”", title=cafe.title) if cafe else _("a café")
    group = session.get(LocalGroup, invite.group_id)
    if group is None:
        return _("a local group")
    network = session.get(Network, group.network_id)
    return _(
        "the local group “%(group)s” of “%(network)s”",
        group=group.name,
        network=network.title if network else "",
    )


def _owner_of_invite(session: Session, invite: RoleInvite) -> int | None:
    return _owner_of(session, invite.cafe_id, invite.group_id)


def _owner_of(session: Session, cafe_id: int | None, group_id: int | None) -> int | None:
    """Who owns the café or the group's network a role is for."""
    if cafe_id is not None:
        cafe = session.get(Cafe, cafe_id)
        return cafe.facilitator_id if cafe else None
    group = session.get(LocalGroup, group_id)
    network = session.get(Network, group.network_id) if group else None
    return network.facilitator_id if network else None


def accept_invite(
    *, session: Session, token: str, facilitator: Facilitator, now: datetime
) -> RoleGrant:
    """The signed-in account takes up the role the link offers; the link is then used up."""
    invite = open_invite(session=session, token=token, now=now)
    if normalise_email(facilitator.email) != invite.email:
        raise Forbidden(
            _(
                "This invite was sent to another account. Sign out, then sign in with the email "
                "address it was sent to."
            )
        )
    if _owner_of_invite(session, invite) == facilitator.id:
        raise Conflict(_("You own this already, so you can do all of it."))
    existing = session.exec(
        select(RoleGrant).where(
            RoleGrant.facilitator_id == facilitator.id,
            RoleGrant.cafe_id == invite.cafe_id
            if invite.cafe_id is not None
            else RoleGrant.group_id == invite.group_id,
        )
    ).first()
    invite.used_at, invite.email = now, ""
    session.add(invite)
    if existing is not None:
        session.commit()
        return existing
    grant = RoleGrant(
        role=invite.role,
        facilitator_id=facilitator.id,
        cafe_id=invite.cafe_id,
        group_id=invite.group_id,
        created_at=now,
    )
    session.add(grant)
    session.flush()
    _audit(session, AuditAction.ROLE_ACCEPTED, grant, actor_id=facilitator.id)
    session.commit()
    session.refresh(grant)
    return grant


def _where(cafe: Cafe | None, group: LocalGroup | None) -> ColumnElement[bool]:
    if cafe is not None:
        return col(RoleInvite.cafe_id) == cafe.id
    assert group is not None
    return col(RoleInvite.group_id) == group.id


def revoke_invite(
    *,
    session: Session,
    invite_id: int,
    now: datetime,
    cafe: Cafe | None = None,
    group: LocalGroup | None = None,
) -> RoleInvite:
    """The invite's link stops working (an invite of another café or group is not found)."""
    invite = session.exec(
        select(RoleInvite).where(RoleInvite.id == invite_id, _where(cafe, group))
    ).first()
    if invite is None or invite.used_at is not None or invite.revoked_at is not None:
        raise NotFound(_("No such open invite."))
    invite.revoked_at, invite.email = now, ""
    session.add(invite)
    _audit(session, AuditAction.ROLE_REMOVED, invite, actor_id=None, detail=" (invite withdrawn)")
    session.commit()
    return invite


def remove_role(
    *, session: Session, grant_id: int, cafe: Cafe | None = None, group: LocalGroup | None = None
) -> None:
    """The helper no longer helps with this café or group."""
    where = (
        col(RoleGrant.cafe_id) == cafe.id
        if cafe is not None
        else col(RoleGrant.group_id) == (group.id if group else None)
    )
    grant = session.exec(select(RoleGrant).where(RoleGrant.id == grant_id, where)).first()
    if grant is None:
        raise NotFound(_("No such helper."))
    _audit(session, AuditAction.ROLE_REMOVED, grant, actor_id=None)
    session.delete(grant)
    session.commit()


def helpers(
    *, session: Session, cafe: Cafe | None = None, group: LocalGroup | None = None
) -> list[tuple[RoleGrant, Facilitator]]:
    """Who helps with the café or group, longest first."""
    where = (
        col(RoleGrant.cafe_id) == cafe.id
        if cafe is not None
        else col(RoleGrant.group_id) == (group.id if group else None)
    )
    rows = session.exec(
        select(RoleGrant, Facilitator)
        .join(Facilitator, col(Facilitator.id) == col(RoleGrant.facilitator_id))
        .where(where)
        .order_by(col(RoleGrant.id))
    )
    return [(g, f) for g, f in rows]


def pending_invites(
    *, session: Session, now: datetime, cafe: Cafe | None = None, group: LocalGroup | None = None
) -> list[RoleInvite]:
    """Invites of the café or group that can still be accepted."""
    return list(
        session.exec(
            select(RoleInvite)
            .where(
                _where(cafe, group),
                col(RoleInvite.used_at).is_(None),
                col(RoleInvite.revoked_at).is_(None),
                col(RoleInvite.expires_at) > now,
            )
            .order_by(col(RoleInvite.id))
        )
    )


# Who may reach which row: the loaders in app/deps take these.


def _helps_cafe(session: Session, facilitator_id: int, cafe_id: int) -> bool:
    return (
        session.exec(
            select(RoleGrant.id).where(
                RoleGrant.facilitator_id == facilitator_id, RoleGrant.cafe_id == cafe_id
            )
        ).first()
        is not None
    )


def role_in_cafe(*, session: Session, facilitator: Facilitator, cafe: Cafe) -> Role | None:
    if cafe.facilitator_id == facilitator.id:
        return Role.OWNER
    if _helps_cafe(session, facilitator.id, cafe.id):
        return Role.CO_FACILITATOR
    return None


def get_run_cafe(*, session: Session, facilitator: Facilitator, cafe_id: int) -> Cafe:
    """A café the facilitator owns or co-facilitates; any other is reported as missing."""
    cafe = session.get(Cafe, cafe_id)
    if cafe is None or role_in_cafe(session=session, facilitator=facilitator, cafe=cafe) is None:
        raise NotFound(_("No such café."))
    return cafe


def may_run_cafe(*, session: Session, facilitator_id: int, cafe: Cafe) -> bool:
    """Whether this account may run the café's console and projector (the live sockets)."""
    return cafe.facilitator_id == facilitator_id or _helps_cafe(session, facilitator_id, cafe.id)


def role_in_group(*, session: Session, facilitator: Facilitator, group: LocalGroup) -> Role | None:
    network = session.get(Network, group.network_id)
    if network is not None and network.facilitator_id == facilitator.id:
        return Role.OWNER
    found = session.exec(
        select(RoleGrant.id).where(
            RoleGrant.facilitator_id == facilitator.id, RoleGrant.group_id == group.id
        )
    ).first()
    return Role.COORDINATOR if found is not None else None


def _coordinated(session: Session, facilitator: Facilitator, group_id: int) -> LocalGroup | None:
    group = session.get(LocalGroup, group_id)
    if group is None:
        return None
    return group if role_in_group(session=session, facilitator=facilitator, group=group) else None


def get_coordinated_group(
    *, session: Session, facilitator: Facilitator, group_id: int
) -> LocalGroup:
    """A group of a network the facilitator leads, or one they coordinate."""
    group = _coordinated(session, facilitator, group_id)
    if group is None:
        raise NotFound(_("No such local group."))
    return group


def get_coordinated_member(*, session: Session, facilitator: Facilitator, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or _coordinated(session, facilitator, member.group_id) is None:
        raise NotFound(_("No such member."))
    return member


def get_coordinated_meeting(
    *, session: Session, facilitator: Facilitator, meeting_id: int
) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or _coordinated(session, facilitator, meeting.group_id) is None:
        raise NotFound(_("No such meeting."))
    return meeting


def run_meeting_as_cafe(
    *, session: Session, facilitator: Facilitator, meeting: Meeting, data: RunAsCafeRequest
) -> Cafe:
    """Run the meeting as a café. It belongs to the network's owner; a coordinator who starts
    it becomes its co-facilitator."""
    group = session.get(LocalGroup, meeting.group_id)
    network = session.get(Network, group.network_id) if group else None
    assert network is not None
    owner = session.get(Facilitator, network.facilitator_id)
    assert owner is not None
    cafe = invite_service.run_as_cafe(
        session=session, facilitator=owner, meeting=meeting, data=data
    )
    if owner.id != facilitator.id:
        session.add(
            RoleGrant(role=Role.CO_FACILITATOR, facilitator_id=facilitator.id, cafe_id=cafe.id)
        )
        session.commit()
    return cafe


def cafes_helped(*, session: Session, facilitator: Facilitator) -> list[Cafe]:
    """Cafés the facilitator co-facilitates (not their own), newest first."""
    return list(
        session.exec(
            select(Cafe)
            .join(RoleGrant, col(RoleGrant.cafe_id) == col(Cafe.id))
            .where(RoleGrant.facilitator_id == facilitator.id)
            .order_by(col(Cafe.id).desc())
        )
    )


def groups_coordinated(
    *, session: Session, facilitator: Facilitator
) -> list[tuple[LocalGroup, Network]]:
    """Groups the facilitator coordinates, with their networks."""
    rows = session.exec(
        select(LocalGroup, Network)
        .join(RoleGrant, col(RoleGrant.group_id) == col(LocalGroup.id))
        .join(Network, col(Network.id) == col(LocalGroup.network_id))
        .where(RoleGrant.facilitator_id == facilitator.id)
        .order_by(col(Network.title), col(LocalGroup.name))
    )
    return [(g, n) for g, n in rows]


def my_roles(*, session: Session, facilitator: Facilitator) -> list[tuple[RoleGrant, str]]:
    """Every role the facilitator holds, with the title of what it is for."""
    found: list[tuple[RoleGrant, str]] = []
    for grant in session.exec(
        select(RoleGrant)
        .where(RoleGrant.facilitator_id == facilitator.id)
        .order_by(col(RoleGrant.id))
    ):
        if grant.cafe_id is not None:
            cafe = session.get(Cafe, grant.cafe_id)
            found.append((grant, cafe.title if cafe else ""))
        else:
            group = session.get(LocalGroup, grant.group_id)
            found.append((grant, group.name if group else ""))
    return found


def forget_roles(
    *, session: Session, cafe_ids: Sequence[int] = (), group_ids: Sequence[int] = ()
) -> None:
    """Remove the roles and invites of cafés or groups being erased, without committing (the
    database cascades too; this makes it explicit and independent of the engine's settings)."""
    for table in (RoleGrant, RoleInvite):
        clauses = []
        if cafe_ids:
            clauses.append(col(table.cafe_id).in_(list(cafe_ids)))
        if group_ids:
            clauses.append(col(table.group_id).in_(list(group_ids)))
        if clauses:
            session.execute(delete(table).where(or_(*clauses)))


def forget_closed_invites(*, session: Session, now: datetime) -> int:
    """Delete invites used, revoked or expired more than a day ago (the retention job)."""
    cutoff = now - timedelta(days=1)
    result = session.execute(
        delete(RoleInvite).where(
            or_(
                col(RoleInvite.used_at) < cutoff,
                col(RoleInvite.revoked_at) < cutoff,
                col(RoleInvite.expires_at) < cutoff,
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
