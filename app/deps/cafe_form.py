"""The café forms, typed as plain text by a facilitator (for a new café one round question a
line, table questions as "round, table: question"), read into the schemas the API takes, with
every problem said in a sentence."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from fastapi import Form
from pydantic import BaseModel, Field, ValidationError

from app.kit.forms import readable, sentence
from app.models.cafe import (
    CafeCreate,
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
    "title": "Title",
    "purpose": "Purpose",
    "privacy_notice": "Privacy notice",
    "table_count": "Number of tables",
    "table_capacity": "People per table",
    "capacity": "People per table",
    "minutes": "Minutes per round",
    "question": "A round question",
    "reaction_budget": "Votes per person",
    "rounds": "Rounds",
    "name": "A table name",
}


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
            self.problems.append(f"{label} must be a whole number.")
            return default
        low, high = _bounds(model, name)
        if not low <= int(raw) <= high:
            self.problems.append(f"{label} must be between {low} and {high}.")
            return default
        return int(raw)

    def spec(self, model: type[Spec], where: str, **values: Any) -> Spec | None:
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            self.problems.extend(f"{where}: {sentence(e, LABELS)}" for e in exc.errors())
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
                f"Round {len(specs) + 1}",
                question=question[:500] or line.strip()[:500],
                minutes=mins,
            )
            specs.append(one or RoundSpec(question="?"))  # keeps the rounds' numbering
        if not specs:
            self.problems.append("Add at least one round question.")
        return specs

    def table_questions(self, table_questions: str, rounds: list[RoundSpec]) -> None:
        """One a line, "round, table: question", added to its round."""
        for line in (ln for ln in table_questions.splitlines() if ln.strip()):
            tq = _TQ_LINE.match(line)
            if not tq:
                self.problems.append(
                    f"Could not read the table question “{line.strip()[:60]}”. "
                    "Write it as: round, table: question."
                )
                continue
            rnd, table = int(tq.group(1)), int(tq.group(2))
            if not 1 <= rnd <= len(rounds):
                self.problems.append(f"Table question for round {rnd}: there is no such round.")
                continue
            asked = self.spec(
                TableQuestionSpec,
                f"The question for table {table} in round {rnd}",
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


CafeFormDep = Annotated[CafeForm, Form()]


def parse_cafe_form(form: CafeForm) -> CafeCreate:
    """Turn the plain-text form into the same schema the API takes; errors read as sentences."""
    reading = _Reading()
    capacity = reading.number(
        form.table_capacity, "People per table", 6, CafeCreate, "table_capacity"
    )
    default_minutes = reading.number(form.minutes, "Minutes per round", 20, RoundSpec, "minutes")
    names = [n.strip() for n in form.table_names.splitlines() if n.strip()]
    count = (
        reading.number(form.table_count, "Number of tables", 0, CafeCreate, "table_count")
        if not names
        else len(names)
    )
    round_specs = reading.rounds(form.rounds, default_minutes)
    reading.table_questions(form.table_questions, round_specs)
    votes = reading.number(
        form.reaction_budget, "Votes per person", 3, CafeCreate, "reaction_budget"
    )
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
        )
    except ValidationError as exc:
        raise DomainError(" ".join(sentence(e, LABELS) for e in exc.errors())) from exc


class SettingsForm(BaseModel):
    """The café settings form as typed."""

    title: str = Field("", max_length=500)
    purpose: str = Field("", max_length=5000)
    # Left out of a post (an older form), the notice stays as it is.
    privacy_notice: str | None = Field(None, max_length=10000)
    names_visible: bool = False
    premoderation: bool = False
    reaction_budget: str = Field("", max_length=10)


SettingsFormDep = Annotated[SettingsForm, Form()]


def parse_settings_form(form: SettingsForm) -> CafeUpdate:
    """The settings form as the body `PATCH /api/v1/cafes/{id}` takes; errors read as
    sentences."""
    budget = form.reaction_budget.strip()
    if not (budget.isascii() and budget.isdigit()):
        raise Invalid("Votes per person must be a whole number.")
    try:
        return CafeUpdate(
            title=form.title,
            purpose=form.purpose,
            privacy_notice=form.privacy_notice,
            names_visible=form.names_visible,
            premoderation=form.premoderation,
            reaction_budget=int(budget),
        )
    except ValidationError as exc:
        raise Invalid(readable(exc, LABELS)) from exc
