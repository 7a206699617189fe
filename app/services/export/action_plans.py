"""An action plan as Markdown and DOCX: one heading per question, cited evidence under each
answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from app import i18n
from app.i18n import _
from app.models.action_plan import ActionPlanPublic, CitedEvidence, PlanAction, PlanKind
from app.models.follow_up import STATUS_LABELS, ActionStatus
from app.services.action_plan import provenance, sections, subtitle
from app.services.export import docx
from app.services.export.docx import heading, para, run, text_runs
from app.services.export.formats import DOCX, FORMATS, MARKDOWN, Download, Format
from app.services.export.markdown import escape, escape_block


def _citation_words(item: CitedEvidence) -> str:
    words = (
        f"“{item.text}”" if item.text else _("(words not shown: the contribution was taken back)")
    )
    return f"{words} ({provenance(item)})"


def _status_words(action: PlanAction) -> str:
    label = STATUS_LABELS.get(ActionStatus(action.status))
    words = _(label) if label else action.status
    if not action.due_on:
        return words
    due = i18n.format_day_pattern(action.due_on, "dd MMM y")
    return _("%(status)s, due %(day)s", status=words, day=due)


def plan_markdown(view: ActionPlanPublic) -> str:
    """The plan as Markdown. Answers and evidence are shown as written, never read as markup
    (an answer's `# line` is not a heading)."""
    one_per_section = view.kind == PlanKind.NETWORK
    out = [f"# {escape(view.title)}", "", f"*{escape(subtitle(view))}*", ""]
    for section, fields in sections(view):
        if not one_per_section:
            out += [f"## {section}", ""]
        for f in fields:
            out += [f"{'##' if one_per_section else '###'} {f.question}", ""]
            if f.answer:
                out += [escape_block(f.answer), ""]
            else:
                out += [f"*{_('Not answered yet.')}*", ""]
            if f.citations:
                out += [_("Evidence:"), ""]
                out += [
                    f"- [E{c.evidence_item_id}] {escape(_citation_words(c))}" for c in f.citations
                ]
                out.append("")
    if view.actions:
        out += [f"## {_('Actions and where they stand')}", ""]
        out += [f"- {escape(a.title)}: {_status_words(a)}" for a in view.actions]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _docx_body(view: ActionPlanPublic) -> Iterator[str]:
    yield heading(view.title, 0)
    yield para(run(subtitle(view)))
    one_per_section = view.kind == PlanKind.NETWORK
    for section, fields in sections(view):
        if not one_per_section:
            yield heading(section, 1)
        for f in fields:
            yield heading(f.question, 1 if one_per_section else 2)
            if f.answer:
                for paragraph in f.answer.split("\n\n"):
                    yield para(text_runs(paragraph.strip()))
            else:
                yield para(run(_("Not answered yet."), italic=True))
            if f.citations:
                yield para(run(_("Evidence:")))
                for c in f.citations:
                    line = f"[E{c.evidence_item_id}] {_citation_words(c)}"
                    yield para(run(line), style="ListBullet")

    if view.actions:
        yield heading(_("Actions and where they stand"), 1)
        for a in view.actions:
            yield para(run(f"{a.title}: {_status_words(a)}"), style="ListBullet")


def plan_docx(view: ActionPlanPublic) -> bytes:
    """The plan as a Word document with real headings, so it reads well with a screen reader."""
    return docx.document(title=view.title, body=_docx_body(view))


WRITERS: dict[Format, Callable[[ActionPlanPublic], bytes]] = {
    MARKDOWN: lambda view: plan_markdown(view).encode(),
    DOCX: plan_docx,
}


def export_plan(*, view: ActionPlanPublic, fmt: str, lang: str | None = None) -> Download:
    """The plan as a file in the registry's Markdown or DOCX format, its fixed words in
    `lang` (the current language when None)."""
    chosen = FORMATS[fmt]
    with i18n.speaking(lang):
        body = WRITERS[chosen](view)
    return Download(
        body=body,
        media_type=chosen.media_type,
        filename=f"action-plan-{view.id}.{chosen.extension}",
    )
