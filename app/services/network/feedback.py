"""Feedback after each meeting: three to five questions the lead chose for it, answered by each
member who came on a five-face scale, with an optional comment and voice note; one response a
member a meeting (sending again replaces it). The lead reads the results per meeting and per
local group; a member only ever sees their own answers.

Feedback is the member's personal data: erased with them, listed in their subject access
export, kept as long as the network's other personal data."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.evidence import MediaKind
from app.models.follow_up import (
    FACES,
    MAX_COMMENT,
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    QUESTION_WORDS,
    SCALE_QUESTIONS,
    FeedbackHeld,
    FeedbackQuestion,
    FeedbackReport,
    FeedbackResponse,
    FeedbackSetup,
    GroupFeedback,
    MeetingFeedback,
    QuestionResult,
)
from app.models.network import Attendance, LocalGroup, Meeting, Member, Network
from app.services import media as media_service
from app.services.errors import Invalid, NotFound
from app.services.network.attendance import members_in_cafe

ALL_QUESTIONS = tuple(FeedbackQuestion)
NOT_VOICE = N_("This is not a voice note. Voice notes can be WebM, Ogg, M4A, MP3 or WAV.")
SCALE_KEYS = frozenset(q.value for q in SCALE_QUESTIONS)
# Where feedback voice notes are kept, under the media directory.
VOICE_FOLDER = "feedback"


def questions_of(*, session: Session, meeting: Meeting) -> list[FeedbackQuestion]:
    """The questions chosen for a meeting; all five until the lead chooses."""
    setup = session.exec(
        select(FeedbackSetup).where(FeedbackSetup.meeting_id == meeting.id)
    ).first()
    if setup is None or not setup.questions:
        return list(ALL_QUESTIONS)
    return [FeedbackQuestion(q) for q in setup.questions.split(",") if q in QUESTION_WORDS]


def choose_questions(*, session: Session, meeting: Meeting, questions: Sequence[str]) -> list[str]:
    """The lead chooses the questions a meeting's feedback asks (three to five of the set)."""
    unknown = [q for q in questions if q not in {x.value for x in ALL_QUESTIONS}]
    if unknown:
        raise Invalid(_("There is no question called %(names)s.", names=", ".join(unknown)))
    chosen: list[str] = [str(q.value) for q in ALL_QUESTIONS if q.value in set(questions)]
    if not (MIN_QUESTIONS <= len(chosen) <= MAX_QUESTIONS):
        raise Invalid(
            _(
                "Choose between %(least)s and %(most)s questions.",
                least=MIN_QUESTIONS,
                most=MAX_QUESTIONS,
            )
        )
    setup = session.exec(
        select(FeedbackSetup).where(FeedbackSetup.meeting_id == meeting.id)
    ).first()
    setup = setup or FeedbackSetup(meeting_id=meeting.id, questions="")
    setup.questions = ",".join(chosen)
    session.add(setup)
    session.commit()
    return chosen


# --- the member's side --------------------------------------------------------------------


def came(*, session: Session, member: Member, meeting: Meeting) -> bool:
    """The member was at the meeting: marked so, or (while unmarked) joined its café."""
    mark = session.exec(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.member_id == member.id
        )
    ).first()
    if mark is not None:
        return mark.attended
    return member.id in members_in_cafe(session=session, cafe_id=meeting.cafe_id)


@dataclass
class FeedbackForm:
    """One meeting's feedback form on the member's page, with what they sent before."""

    meeting: Meeting
    questions: list[FeedbackQuestion]
    response: FeedbackResponse | None
    scores: dict[str, int] = field(default_factory=dict)


def own_response(*, session: Session, member: Member, meeting: Meeting) -> FeedbackResponse | None:
    return session.exec(
        select(FeedbackResponse).where(
            FeedbackResponse.meeting_id == meeting.id, FeedbackResponse.member_id == member.id
        )
    ).first()


def scores_of(response: FeedbackResponse | None) -> dict[str, int]:
    if response is None:
        return {}
    loaded = json.loads(response.scores or "{}")
    return {k: int(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def forms_for(*, session: Session, member: Member, now: datetime) -> list[FeedbackForm]:
    """A form for each meeting of the member's group that has ended and they came to, newest
    first (the last four: older meetings are long past)."""
    meetings = session.exec(
        select(Meeting)
        .where(Meeting.group_id == member.group_id, Meeting.ends_at <= now)
        .order_by(col(Meeting.starts_at).desc())
    )
    forms: list[FeedbackForm] = []
    for meeting in meetings:
        if not came(session=session, member=member, meeting=meeting):
            continue
        response = own_response(session=session, member=member, meeting=meeting)
        forms.append(
            FeedbackForm(
                meeting=meeting,
                questions=questions_of(session=session, meeting=meeting),
                response=response,
                scores=scores_of(response),
            )
        )
        if len(forms) == 4:
            break
    return forms


def meeting_for_feedback(
    *, session: Session, member: Member, meeting_id: int, now: datetime
) -> Meeting:
    """A meeting of the member's group that has ended and they came to."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.group_id != member.group_id:
        raise NotFound(_("No such meeting in your group."))
    if meeting.ends_at > now:
        raise Invalid(_("You can give feedback once the meeting has ended."))
    if not came(session=session, member=member, meeting=meeting):
        raise Invalid(_("Feedback is for the people who came to the meeting."))
    return meeting


def check_scores(*, questions: Sequence[FeedbackQuestion], given: dict[str, str]) -> dict[str, int]:
    """The faces chosen, as numbers 1 to 5; a question left out is left unanswered."""
    scores: dict[str, int] = {}
    for question in questions:
        if question not in SCALE_QUESTIONS:
            continue
        value = given.get(question.value, "").strip()
        if not value:
            continue
        if value not in {"1", "2", "3", "4", "5"}:
            raise Invalid(
                _(
                    "“%(question)s”: choose one of the five faces, from very bad to very good.",
                    question=_(QUESTION_WORDS[question]),
                )
            )
        scores[question.value] = int(value)
    return scores


def prepare_voice(*, source: BinaryIO, size: int) -> media_service.Prepared:
    """A voice note checked and its tags stripped as a card's voice note is; a photo or any
    other file is refused (415), one too large too (413)."""
    source.seek(0)
    kind = media_service.sniff(source.read(media_service.SNIFF_BYTES))
    source.seek(0)
    if kind is None or kind.kind != MediaKind.VOICE:
        raise media_service.UnsupportedType(_(NOT_VOICE))
    return media_service.prepare(source=source, size=size)


def give_feedback(
    *,
    session: Session,
    media_dir: Path,
    member: Member,
    meeting: Meeting,
    scores: dict[str, int],
    comment: str,
    voice: media_service.Prepared | None,
    now: datetime,
) -> FeedbackResponse:
    """Save the member's feedback on a meeting; sending again replaces what they sent
    (a voice note given before is kept unless a new one is given)."""
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(_("Keep your comment to %(most)s characters or fewer.", most=MAX_COMMENT))
    if not scores and not comment and voice is None:
        raise Invalid(_("Choose a face for at least one question, or write or record something."))
    relative: str | None = None
    if voice is not None:
        relative = f"{VOICE_FOLDER}/{secrets.token_hex(16)}.{voice.type.ext}"
        media_service.write_whole(media_dir / relative, voice.data)
    response = own_response(session=session, member=member, meeting=meeting)
    old_voice = None
    if response is None:
        response = FeedbackResponse(meeting_id=meeting.id, member_id=member.id, created_at=now)
    response.scores = json.dumps(scores, sort_keys=True)
    response.comment = comment
    if relative is not None:
        old_voice = response.voice_path
        response.voice_path = relative
        response.voice_type = voice.type.content_type if voice else None
    response.updated_at = now
    session.add(response)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        if relative is not None:
            media_service.remove_file(media_dir=media_dir, relative=relative)
        raise
    if old_voice:
        media_service.remove_file(media_dir=media_dir, relative=old_voice)
    session.refresh(response)
    return response


def held_by(*, session: Session, member: Member) -> list[FeedbackHeld]:
    """The member's own feedback, for their subject access export."""
    rows = session.exec(
        select(FeedbackResponse, Meeting)
        .join(Meeting, col(Meeting.id) == FeedbackResponse.meeting_id)
        .where(FeedbackResponse.member_id == member.id)
        .order_by(col(Meeting.starts_at))
    ).all()
    return [
        FeedbackHeld(
            meeting_id=m.id,
            meeting_title=m.title,
            scores=scores_of(r),
            comment=r.comment,
            voice_note=r.voice_path is not None,
            updated_at=r.updated_at,
        )
        for r, m in rows
    ]


# --- the lead's side ------------------------------------------------------------------------


def get_response_voice(*, session: Session, network: Network, response_id: int) -> FeedbackResponse:
    response = session.get(FeedbackResponse, response_id)
    if response is None or response.voice_path is None:
        raise NotFound(_("No such voice note."))
    meeting = session.get(Meeting, response.meeting_id)
    group = session.get(LocalGroup, meeting.group_id) if meeting else None
    if group is None or group.network_id != network.id:
        raise NotFound(_("No such voice note."))
    return response


def _results(
    questions: Sequence[FeedbackQuestion], scores: list[dict[str, int]]
) -> list[QuestionResult]:
    results: list[QuestionResult] = []
    for question in questions:
        if question not in SCALE_QUESTIONS:
            continue
        values = [s[question.value] for s in scores if question.value in s]
        counts = [sum(1 for v in values if v == face) for face, _words, _label in FACES]
        results.append(
            QuestionResult(
                question=question.value,
                words=QUESTION_WORDS[question],
                answers=len(values),
                average=round(sum(values) / len(values), 2) if values else None,
                counts=counts,
            )
        )
    return results


def report(
    *, session: Session, network: Network, group_id: int | None = None
) -> tuple[FeedbackReport, dict[int, list[int]]]:
    """Results per meeting (meetings with at least one response, or that have ended) and per
    group. Free text comes without names; the second value maps each meeting to the ids of
    its responses with a voice note (the lead plays them on the page)."""
    groups = {
        g.id: g
        for g in session.exec(
            select(LocalGroup)
            .where(LocalGroup.network_id == network.id)
            .order_by(col(LocalGroup.id))
        )
        if group_id is None or g.id == group_id
    }
    meetings = list(
        session.exec(
            select(Meeting)
            .where(col(Meeting.group_id).in_(list(groups)))
            .order_by(col(Meeting.group_id), col(Meeting.number), col(Meeting.id))
        )
    )
    responses: dict[int, list[FeedbackResponse]] = {m.id: [] for m in meetings}
    for response in session.exec(
        select(FeedbackResponse)
        .where(col(FeedbackResponse.meeting_id).in_(list(responses)))
        .order_by(col(FeedbackResponse.id))
    ):
        responses[response.meeting_id].append(response)
    came_count: dict[int, int] = {m.id: 0 for m in meetings}
    for meeting_id in session.exec(
        select(Attendance.meeting_id).where(
            col(Attendance.meeting_id).in_(list(came_count)), col(Attendance.attended).is_(True)
        )
    ):
        came_count[meeting_id] += 1
    summaries: list[MeetingFeedback] = []
    voices: dict[int, list[int]] = {}
    by_group: dict[int, list[dict[str, int]]] = {g: [] for g in groups}
    for meeting in meetings:
        rows = responses[meeting.id]
        scores = [scores_of(r) for r in rows]
        by_group[meeting.group_id].extend(scores)
        questions = questions_of(session=session, meeting=meeting)
        summaries.append(
            MeetingFeedback(
                meeting_id=meeting.id,
                group_id=meeting.group_id,
                group_name=groups[meeting.group_id].name,
                meeting_number=meeting.number,
                meeting_title=meeting.title,
                starts_at=meeting.starts_at,
                questions=[q.value for q in questions],
                responses=len(rows),
                attended=came_count[meeting.id],
                results=_results(questions, scores),
                comments=[r.comment for r in rows if r.comment],
                voice_notes=sum(1 for r in rows if r.voice_path),
            )
        )
        voices[meeting.id] = [r.id for r in rows if r.voice_path]
    group_results = [
        GroupFeedback(
            group_id=g.id,
            group_name=g.name,
            responses=len(by_group[g.id]),
            results=_results(SCALE_QUESTIONS, by_group[g.id]),
        )
        for g in groups.values()
    ]
    return FeedbackReport(network_id=network.id, meetings=summaries, groups=group_results), voices
