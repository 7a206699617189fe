"""Any café can feed the network: the lead attaches a café of theirs (made at `/cafes/new`,
say) to a meeting, so its evidence can be merged into the network's materials and its
members' attendance counted, or detaches it again."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from app.models.network import Meeting, RunAsCafeRequest
from app.services import roles
from app.services.errors import Conflict, Invalid, NotFound
from app.services.network.networks import group_of, network_of

NOT_YOURS = N_("No such café of yours.")


def attached_meeting(*, session: Session, cafe: Cafe) -> Meeting | None:
    """The meeting a café is attached to, if any."""
    return session.exec(
        select(Meeting).where(Meeting.cafe_id == cafe.id).order_by(col(Meeting.id))
    ).first()


def attachable_cafes(*, session: Session, facilitator: Facilitator) -> list[Cafe]:
    """The facilitator's own cafés no meeting runs as yet, newest first."""
    taken = select(Meeting.cafe_id).where(col(Meeting.cafe_id).is_not(None))
    return list(
        session.exec(
            select(Cafe)
            .where(Cafe.facilitator_id == facilitator.id, col(Cafe.id).not_in(taken))
            .order_by(col(Cafe.created_at).desc(), col(Cafe.id).desc())
        )
    )


def attach_cafe(
    *, session: Session, facilitator: Facilitator, meeting: Meeting, cafe_id: int
) -> Cafe:
    """Attach the lead's own café to the meeting. Only the network's lead may (a coordinator
    is answered as if the café did not exist), only a café of theirs, and only one that no
    other meeting runs as."""
    network = network_of(session=session, group=group_of(session=session, item=meeting))
    cafe = session.get(Cafe, cafe_id)
    if (
        cafe is None
        or cafe.facilitator_id != facilitator.id
        or network.facilitator_id != facilitator.id
    ):
        raise NotFound(_(NOT_YOURS))
    if meeting.cafe_id == cafe.id:
        return cafe
    if meeting.cafe_id is not None:
        raise Conflict(_("This meeting already runs as a café: detach that one first."))
    other = attached_meeting(session=session, cafe=cafe)
    if other is not None:
        raise Conflict(
            _(
                "That café is already attached to another meeting (%(meeting)s): "
                "detach it there first.",
                meeting=other.title,
            )
        )
    meeting.cafe_id = cafe.id
    session.add(meeting)
    session.commit()
    session.refresh(meeting)
    return cafe


def detach_cafe(*, session: Session, meeting: Meeting) -> None:
    """The meeting no longer runs as its café; the café itself, and evidence already merged
    from it, are kept."""
    if meeting.cafe_id is None:
        raise Conflict(_("This meeting has no café attached."))
    meeting.cafe_id = None
    session.add(meeting)
    session.commit()
    session.refresh(meeting)


def run_or_attach(
    *, session: Session, facilitator: Facilitator, meeting: Meeting, data: RunAsCafeRequest
) -> Cafe:
    """`POST …/meetings/{id}/cafe`: attach the café `data.cafe_id` names, or else create one
    for the meeting (as `roles.run_meeting_as_cafe`)."""
    if data.cafe_id is None:
        return roles.run_meeting_as_cafe(
            session=session, facilitator=facilitator, meeting=meeting, data=data
        )
    if data.questions or data.table_count is not None:
        raise Invalid(
            _(
                "Give either `cafe_id` to attach an existing café, or the new café's questions "
                "and tables, not both."
            )
        )
    return attach_cafe(
        session=session, facilitator=facilitator, meeting=meeting, cafe_id=data.cafe_id
    )
