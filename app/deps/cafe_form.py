"""The café forms, typed as plain text by a facilitator (for a new café one round question a
line, table questions as "round, table: question"), read into the schemas the API takes, with
every problem said in a sentence."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from fastapi import Form
from pydantic import BaseModel, Field, ValidationError

from app import i18n
from app.i18n import N_, _
from app.kit.forms import readable, sentence
from app.models.cafe import (
    CafeCreate,
    CafeLanguage,
    CafeUpdate,
    RoundSpec,
    SeatingMode,
    TableQuestionSpec,
    TableSpec,
)
from app.services.errors import DomainError, Invalid

Spec = TypeVar("Spec", bound=BaseModel)
_TQ_LINE = re.compile(r"^\s*(\d+)\s*[,/ ]\s*(\d+)\s*[:|]\s*(.+)$")
_ROUND_LINE = re.compile(r"^(.*?)(?:\|\s*(\d+)\s*(?:min(?:utes?)?)?)?\s*$")
LABELS = {
    "title": N_("Title"),
    "purpose": N_("Purpose"),
    "privacy_notice": N_("Privacy notice"),
    "table_count": N_("Number of tables"),
    "table_capacity": N_("People per table"),
    "capacity": N_("People per table"),
    "minutes": N_("Minutes per round"),
    "question": N_("A round question"),
    "reaction_budget": N_("Votes per person"),
    "rounds": N_("Rounds"),
    "name": N_("A table name"),
    "language": N_("Language"),
}


def _labels() -> dict[str, str]:
    """The form's labels in the reader's language."""
    return {name: _(label) for name, label in LABELS.items()}


def _language(raw: str | None) -> CafeLanguage | None:
    """The café's language as the form gives it: only the languages we have."""
    if raw is None:
        return None
    if raw.strip() not in {lang.value for lang in CafeLanguage}:
        raise Invalid(
            _(
                "Choose the café's language: %(languages)s.",
                languages=" / ".join(i18n.LANGUAGES.values()),
            )
        )
    return CafeLanguage(raw.strip())


def _bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    """The lowest and highest whole number the API's schema takes for a field."""
    low, high = 0, 10**9
    for rule in model.model_fields[name].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


class _Reading:
    """The problems found so far, so that one answer names all of them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def number(self, raw: str, label: str, default: int, model: type[BaseModel], name: str) -> int:
        if not raw.strip():
            return default
        if not (raw.strip().isascii() and raw.strip().isdigit()):
            self.problems.append(_("%(label)s must be a whole number.", label=label))
            return default
        low, high = _bounds(model, name)
        if not low <= int(raw) <= high:
            self.problems.append(
                _(
                    "%(label)s must be between %(low)s and %(high)s.",
                    label=label,
                    low=low,
                    high=high,
                )
            )
            return default
        return int(raw)

    def spec(self, model: type[Spec], where: str, **values: Any) -> Spec | None:
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            self.problems.extend(f"{where}: {sentence(e, _labels())}" for e in exc.errors())
            return None

    def rounds(self, rounds: str, default_minutes: int) -> list[RoundSpec]:
        """One round a line: its question, then optionally "| 15 min"."""
        specs: list[RoundSpec] = []
        for line in (ln for ln in rounds.splitlines() if ln.strip()):
            match = _ROUND_LINE.match(line)
            question = (match.group(1) if match else line).strip()
            mins = int(match.group(2)) if match and match.group(2) else default_minutes
            one = self.spec(
                RoundSpec,
                _("Round %(number)s", number=len(specs) + 1),
                question=question[:500] or line.strip()[:500],
                minutes=mins,
            )
            specs.append(one or RoundSpec(question="?"))  # keeps the rounds' numbering
        if not specs:
            self.problems.append(_("Add at least one round question."))
        return specs

    def table_questions(self, table_questions: str, rounds: list[RoundSpec]) -> None:
        """One a line, "round, table: question", added to its round."""
        for line in (ln for ln in table_questions.splitlines() if ln.strip()):
            tq = _TQ_LINE.match(line)
            if not tq:
                self.problems.append(
                    _(
                        "Could not read the table question “%(line)s”. "
                        "Write it as: round, table: question.",
                        line=line.strip()[:60],
                    )
                )
                continue
            rnd, table = int(tq.group(1)), int(tq.group(2))
            if not 1 <= rnd <= len(rounds):
                self.problems.append(
                    _(
                        "Table question for round %(number)s: there is no such round.",
                        number=rnd,
                    )
                )
                continue
            asked = self.spec(
                TableQuestionSpec,
                _(
                    "The question for table %(table)s in round %(number)s",
                    table=table,
                    number=rnd,
                ),
                table=max(table, 1),
                question=tq.group(3).strip()[:500],
            )
            if asked is not None:
                rounds[rnd - 1].table_questions.append(asked)


class CafeForm(BaseModel):
    """The new-café form as typed: numbers and lists are still text, read by `parse_cafe_form`."""

    title: str = Field("", max_length=500)
    purpose: str = Field("", max_length=5000)
    table_count: str = Field("", max_length=10)
    table_capacity: str = Field("", max_length=10)
    table_names: str = Field("", max_length=10000)
    rounds: str = Field("", max_length=20000)
    minutes: str = Field("", max_length=10)
    table_questions: str = Field("", max_length=20000)
    seating_mode: str = Field("planned", max_length=10)
    names_visible: bool = False
    reaction_budget: str = Field("", max_length=10)
    premoderation: bool = False
    language: str = Field("en", max_length=10)
    bilingual: bool = False


CafeFormDep = Annotated[CafeForm, Form()]


def parse_cafe_form(form: CafeForm) -> CafeCreate:
    """Turn the plain-text form into the same schema the API takes; errors read as sentences."""
    reading = _Reading()
    capacity = reading.number(
        form.table_capacity, _("People per table"), 6, CafeCreate, "table_capacity"
    )
    default_minutes = reading.number(form.minutes, _("Minutes per round"), 20, RoundSpec, "minutes")
    names = [n.strip() for n in form.table_names.splitlines() if n.strip()]
    count = (
        reading.number(form.table_count, _("Number of tables"), 0, CafeCreate, "table_count")
        if not names
        else len(names)
    )
    round_specs = reading.rounds(form.rounds, default_minutes)
    reading.table_questions(form.table_questions, round_specs)
    votes = reading.number(
        form.reaction_budget, _("Votes per person"), 3, CafeCreate, "reaction_budget"
    )
    try:
        language = _language(form.language) or CafeLanguage.EN
    except Invalid as exc:
        reading.problems.append(exc.detail)
        language = CafeLanguage.EN
    if reading.problems:
        raise DomainError(" ".join(reading.problems))
    try:
        return CafeCreate(
            title=form.title.strip(),
            purpose=form.purpose.strip(),
            tables=[TableSpec(name=n[:60], capacity=capacity) for n in names] or None,
            table_count=count or None,
            table_capacity=capacity,
            rounds=round_specs,
            seating_mode=SeatingMode(form.seating_mode)
            if form.seating_mode in {"planned", "free"}
            else SeatingMode.PLANNED,
            names_visible=form.names_visible,
            reaction_budget=votes,
            premoderation=form.premoderation,
            language=language,
            bilingual=form.bilingual,
        )
    except ValidationError as exc:
        raise DomainError(" ".join(sentence(e, _labels()) for e in exc.errors())) from exc


class SettingsForm(BaseModel):
    """The café settings form as typed."""

    title: str = Field("", max_length=500)
    purpose: str = Field("", max_length=5000)
    # Left out of a post (an older form), the notice stays as it is.
    privacy_notice: str | None = Field(None, max_length=10000)
    names_visible: bool = False
    premoderation: bool = False
    reaction_budget: str = Field("", max_length=10)
    # Left out of a post (an older form), the language stays as it is.
    language: str | None = Field(None, max_length=10)
    bilingual: bool = False


SettingsFormDep = Annotated[SettingsForm, Form()]


def parse_settings_form(form: SettingsForm) -> CafeUpdate:
    """The settings form as the body `PATCH /api/v1/cafes/{id}` takes; errors read as
    sentences."""
    budget = form.reaction_budget.strip()
    if not (budget.isascii() and budget.isdigit()):
        raise Invalid(_("Votes per person must be a whole number."))
    language = _language(form.language)
    try:
        return CafeUpdate(
            title=form.title,
            purpose=form.purpose,
            privacy_notice=form.privacy_notice,
            names_visible=form.names_visible,
            premoderation=form.premoderation,
            reaction_budget=int(budget),
            language=language,
            bilingual=form.bilingual,
        )
    except ValidationError as exc:
        raise Invalid(readable(exc, _labels())) from exc
