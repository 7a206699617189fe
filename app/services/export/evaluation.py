"""The network's evaluation: members' feedback as CSV and JSON, and a Word "evaluation
summary" with, for each meeting, attendance, the mix of roles, the types of evidence heard,
the feedback (results and free text, no names) and the actions done."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app import i18n
from app.i18n import _, ngettext
from app.models.cafe import ROLE_LABELS
from app.models.evidence import EVIDENCE_LABELS, Contribution, ContributionStatus
from app.models.follow_up import FACES, ActionStatus, FeedbackReport, MeetingFeedback, NetworkAction
from app.models.network import Attendance, LocalGroup, Meeting, Member, Network
from app.services.export import docx
from app.services.export.docx import heading, para, run, text_runs
from app.services.export.formats import CSV, DOCX, FORMATS, JSON, Download
from app.services.network import feedback as feedback_service
from app.services.network.attendance import csv_cell

EVALUATION_FORMATS = (CSV, JSON, DOCX)


def feedback_csv(report: FeedbackReport) -> str:
    """One row per meeting and question: answers, average and how many chose each face."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "group",
            "meeting",
            "meeting_title",
            "responses",
            "attended",
            "question",
            "answers",
            "average",
            *[f"face_{face}" for face, _face, _words in FACES],
        ]
    )
    for m in report.meetings:
        for r in m.results:
            writer.writerow(
                [
                    csv_cell(m.group_name),
                    m.meeting_number,
                    csv_cell(m.meeting_title),
                    m.responses,
                    m.attended,
                    r.words,
                    r.answers,
                    "" if r.average is None else r.average,
                    *r.counts,
                ]
            )
    writer.writerow([])
    writer.writerow(["group", "meeting", "comment"])
    for m in report.meetings:
        for comment in m.comments:
            writer.writerow([csv_cell(m.group_name), m.meeting_number, csv_cell(comment)])
    return out.getvalue()


@dataclass
class MeetingFacts:
    """What the summary says of one meeting besides its feedback."""

    meeting: Meeting
    group: LocalGroup
    attended: int
    members: int
    roles: Counter[str]
    evidence: Counter[str]


def _facts(session: Session, network: Network) -> list[MeetingFacts]:
    groups = {
        g.id: g for g in session.exec(select(LocalGroup).where(LocalGroup.network_id == network.id))
    }
    meetings = session.exec(
        select(Meeting)
        .where(col(Meeting.group_id).in_(list(groups)))
        .order_by(col(Meeting.group_id), col(Meeting.number), col(Meeting.id))
    ).all()
    sizes = dict(
        session.exec(
            select(Member.group_id, func.count())
            .where(col(Member.group_id).in_(list(groups)))
            .group_by(col(Member.group_id))
        ).all()
    )
    facts: list[MeetingFacts] = []
    for meeting in meetings:
        roles = Counter(
            session.exec(
                select(Member.role)
                .join(Attendance, col(Attendance.member_id) == Member.id)
                .where(Attendance.meeting_id == meeting.id, col(Attendance.attended).is_(True))
            ).all()
        )
        evidence: Counter[str] = Counter()
        if meeting.cafe_id is not None:
            evidence = Counter(
                session.exec(
                    select(Contribution.evidence_type).where(
                        Contribution.cafe_id == meeting.cafe_id,
                        Contribution.status == ContributionStatus.VISIBLE,
                    )
                ).all()
            )
        facts.append(
            MeetingFacts(
                meeting=meeting,
                group=groups[meeting.group_id],
                attended=sum(roles.values()),
                members=int(sizes.get(meeting.group_id, 0)),
                roles=roles,
                evidence=evidence,
            )
        )
    return facts


def _counts(counter: Counter[str], labels: dict[str, str]) -> str:
    if not counter:
        return _("none recorded")
    return ", ".join(
        f"{_(labels[k]) if labels.get(k) else k}: {n}" for k, n in sorted(counter.items())
    )


def _title(network: Network) -> str:
    return _("Evaluation summary: %(title)s", title=network.title)


def _feedback_part(result: MeetingFeedback) -> Iterator[str]:
    """One meeting's feedback: the answers to each question, the comments, the voice notes."""
    yield heading(_("Feedback"), 2)
    yield para(run(ngettext("%(num)s response.", "%(num)s responses.", result.responses)))
    for r in result.results:
        faces = ", ".join(
            f"{_(words)}: {n}"
            for (_value, _face, words), n in zip(FACES, r.counts, strict=True)
            if n
        )
        average = (
            _("average %(average)s of 5", average=r.average)
            if r.average is not None
            else _("no answers")
        )
        yield para(
            run(
                _(
                    "%(question)s %(average)s (%(faces)s).",
                    question=r.words,
                    average=average,
                    faces=faces or _("none"),
                )
            ),
            style="ListBullet",
        )
    if result.comments:
        yield para(run(_("What members wrote:")))
        for comment in result.comments:
            yield para(text_runs(comment), style="ListBullet")
    if result.voice_notes:
        yield para(
            run(
                _(
                    "Voice notes: %(count)s (listen on the feedback page).",
                    count=result.voice_notes,
                )
            )
        )


def _summary_body(session: Session, network: Network, report: FeedbackReport) -> Iterator[str]:
    yield heading(_title(network), 0)
    yield para(
        run(
            _(
                "Attendance, who took part, the kinds of evidence heard, what members said "
                "about each meeting and the actions done. Feedback is shown without names."
            )
        )
    )
    by_meeting = {m.meeting_id: m for m in report.meetings}
    for facts in _facts(session, network):
        meeting = facts.meeting
        yield heading(f"{facts.group.name}: {meeting.title}", 1)
        yield para(
            run(
                ngettext(
                    "Attendance: %(attended)s of %(num)s member.",
                    "Attendance: %(attended)s of %(num)s members.",
                    facts.members,
                    attended=facts.attended,
                )
            )
        )
        yield para(run(_("Role mix: %(counts)s.", counts=_counts(facts.roles, ROLE_LABELS))))
        yield para(
            run(
                _(
                    "Evidence types: %(counts)s.",
                    counts=_counts(facts.evidence, EVIDENCE_LABELS),
                )
            )
        )
        result = by_meeting.get(meeting.id)
        if result is None or result.responses == 0:
            yield para(run(_("No feedback yet."), italic=True))
            continue
        yield from _feedback_part(result)
    done = session.exec(
        select(NetworkAction, LocalGroup)
        .join(LocalGroup, col(LocalGroup.id) == NetworkAction.group_id)
        .where(NetworkAction.network_id == network.id, NetworkAction.status == ActionStatus.DONE)
        .order_by(col(LocalGroup.id), col(NetworkAction.id))
    ).all()
    yield heading(_("Actions done"), 1)
    if not done:
        yield para(run(_("No actions done yet."), italic=True))
    for action, group in done:
        yield para(run(f"{group.name}: {action.title}"), style="ListBullet")


def evaluation_docx(*, session: Session, network: Network, report: FeedbackReport) -> bytes:
    """The evaluation summary as a Word document with real headings."""
    return docx.document(
        title=_title(network),
        body=_summary_body(session, network, report),
    )


def export_evaluation(
    *, session: Session, network: Network, fmt: str, lang: str | None = None
) -> Download:
    """Members' feedback as CSV or JSON, or the evaluation summary as DOCX; the fixed words
    in `lang` (the current language when None)."""
    chosen = FORMATS[fmt]
    with i18n.speaking(lang):
        report, _found = feedback_service.report(session=session, network=network)
        if chosen == CSV:
            body = feedback_csv(report).encode()
        elif chosen == JSON:
            body = report.model_dump_json(indent=1).encode()
        else:
            body = evaluation_docx(session=session, network=network, report=report)
    name = "evaluation-summary" if chosen == DOCX else "feedback"
    return Download(
        body=body,
        media_type=chosen.media_type,
        filename=f"network-{network.id}-{name}.{chosen.extension}",
    )
