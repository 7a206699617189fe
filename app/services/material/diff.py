"""Comparing two versions of a material: sections matched by key, their text line by line and
word by word, and the evidence added, removed or paraphrased anew."""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from app.i18n import _
from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.services.material.reading import get_version, items_of, sections_of


@dataclass
class DiffLine:
    kind: str  # equal | insert | delete | change
    segments: list[tuple[str, str]]  # (equal | insert | delete, text)


@dataclass
class TextDiff:
    lines: list[DiffLine]
    unified: list[str]

    @property
    def changed(self) -> bool:
        return any(line.kind != "equal" for line in self.lines)


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _word_diff(old: str, new: str) -> list[tuple[str, str]]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("delete", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("insert", "".join(b[j1:j2])))
    return out


def text_diff(*, old: str, new: str) -> TextDiff:
    """Line by line, with changed lines shown word by word."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine("equal", [("equal", line)]) for line in a[i1:i2])
        elif tag == "delete":
            lines.extend(DiffLine("delete", [("delete", line)]) for line in a[i1:i2])
        elif tag == "insert":
            lines.extend(DiffLine("insert", [("insert", line)]) for line in b[j1:j2])
        else:
            olds, news = a[i1:i2], b[j1:j2]
            for k in range(max(len(olds), len(news))):
                if k < len(olds) and k < len(news):
                    lines.append(DiffLine("change", _word_diff(olds[k], news[k])))
                elif k < len(olds):
                    lines.append(DiffLine("delete", [("delete", olds[k])]))
                else:
                    lines.append(DiffLine("insert", [("insert", news[k])]))
    unified = list(difflib.unified_diff(a, b, lineterm="", n=1))[2:]
    return TextDiff(lines=lines, unified=unified)


@dataclass
class SectionDiff:
    key: str
    status: str  # added | removed | changed | unchanged
    old: MaterialSection | None
    new: MaterialSection | None
    heading: TextDiff
    body: TextDiff
    easy_read: TextDiff
    moved: bool
    evidence_added: list[EvidenceItem]
    evidence_removed: list[EvidenceItem]
    paraphrase_changed: list[tuple[EvidenceItem, EvidenceItem]]
    # The Welsh heading, text and easy-read text, where the lead wrote them.
    body_cy: TextDiff = field(default_factory=lambda: TextDiff(lines=[], unified=[]))
    heading_cy: TextDiff = field(default_factory=lambda: TextDiff(lines=[], unified=[]))
    easy_read_cy: TextDiff = field(default_factory=lambda: TextDiff(lines=[], unified=[]))

    @property
    def title(self) -> str:
        section = self.new or self.old
        assert section is not None
        return section.heading


@dataclass
class VersionDiff:
    material: Material
    old: MaterialVersion
    new: MaterialVersion
    sections: list[SectionDiff]

    def count(self, status: str) -> int:
        return sum(1 for s in self.sections if s.status == status)

    @property
    def evidence_added(self) -> list[EvidenceItem]:
        return [i for s in self.sections for i in s.evidence_added]

    @property
    def evidence_removed(self) -> list[EvidenceItem]:
        return [i for s in self.sections for i in s.evidence_removed]

    @property
    def added_by_group(self) -> list[tuple[str, int]]:
        """What came from where: new evidence counted by local group."""
        counts = Counter(i.group_name or _("No local group") for i in self.evidence_added)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _stayed(
    old_sections: Sequence[MaterialSection], new_sections: Sequence[MaterialSection]
) -> set[str]:
    """The keys of the sections that did not move."""
    # A section counts as moved when it falls outside the longest run of shared sections
    # that kept their order: inserting or removing others does not move it.
    old_keys = {s.section_key for s in old_sections}
    new_keys = {s.section_key for s in new_sections}
    old_shared = [s.section_key for s in old_sections if s.section_key in new_keys]
    new_shared = [s.section_key for s in new_sections if s.section_key in old_keys]
    stayed: set[str] = set()
    matcher = difflib.SequenceMatcher(None, old_shared, new_shared, autojunk=False)
    for block in matcher.get_matching_blocks():
        stayed.update(new_shared[block.b : block.b + block.size])
    return stayed


def _compare_section(
    key: str,
    a: MaterialSection | None,
    b: MaterialSection | None,
    by_section: dict[int, list[EvidenceItem]],
    stayed: set[str],
) -> SectionDiff:
    """One section as it was (a) and as it is (b); either may be missing."""
    a_items = {i.item_key: i for i in by_section.get(a.id, [])} if a else {}
    b_items = {i.item_key: i for i in by_section.get(b.id, [])} if b else {}
    heading = text_diff(old=a.heading if a else "", new=b.heading if b else "")
    body = text_diff(old=a.body_markdown if a else "", new=b.body_markdown if b else "")
    easy = text_diff(old=a.easy_read_text if a else "", new=b.easy_read_text if b else "")
    body_cy = text_diff(old=a.body_markdown_cy if a else "", new=b.body_markdown_cy if b else "")
    easy_cy = text_diff(old=a.easy_read_text_cy if a else "", new=b.easy_read_text_cy if b else "")
    heading_cy = text_diff(
        old=(a.heading_cy or "") if a else "", new=(b.heading_cy or "") if b else ""
    )
    welsh_changed = heading_cy.changed or body_cy.changed or easy_cy.changed
    added = [i for k, i in b_items.items() if k not in a_items]
    removed = [i for k, i in a_items.items() if k not in b_items]
    rephrased = [
        (a_items[k], i)
        for k, i in b_items.items()
        if k in a_items and a_items[k].paraphrase != i.paraphrase
    ]
    moved = a is not None and b is not None and key not in stayed
    if a is None:
        status = "added"
    elif b is None:
        status = "removed"
    elif (
        heading.changed
        or body.changed
        or easy.changed
        or welsh_changed
        or added
        or removed
        or rephrased
        or moved
    ):
        status = "changed"
    else:
        status = "unchanged"
    return SectionDiff(
        key=key,
        status=status,
        old=a,
        new=b,
        heading=heading,
        body=body,
        easy_read=easy,
        moved=moved,
        evidence_added=added,
        evidence_removed=removed,
        paraphrase_changed=rephrased,
        body_cy=body_cy,
        easy_read_cy=easy_cy,
        heading_cy=heading_cy,
    )


def _shown_order(
    old_sections: Sequence[MaterialSection], new_sections: Sequence[MaterialSection]
) -> list[str]:
    """The new version's order, with each removed section placed after its old neighbour."""
    new_keys = {s.section_key for s in new_sections}
    order = [s.section_key for s in new_sections]
    previous: str | None = None
    for s in old_sections:
        if s.section_key in new_keys:
            previous = s.section_key
            continue
        at = order.index(previous) + 1 if previous is not None else 0
        while at < len(order) and order[at] not in new_keys:
            at += 1
        order.insert(at, s.section_key)
        previous = s.section_key
    return order


def diff_versions(
    *, session: Session, material: Material, old_number: int, new_number: int
) -> VersionDiff:
    """What changed between two versions: sections, their text, and the evidence in them."""
    old = get_version(session=session, material=material, number=old_number)
    new = get_version(session=session, material=material, number=new_number)
    old_sections = sections_of(session=session, version=old)
    new_sections = sections_of(session=session, version=new)
    section_ids = [s.id for s in [*old_sections, *new_sections]]
    by_section: dict[int, list[EvidenceItem]] = defaultdict(list)
    for item in items_of(session=session, section_ids=section_ids):
        by_section[item.section_id].append(item)
    old_by_key = {s.section_key: s for s in old_sections}
    new_by_key = {s.section_key: s for s in new_sections}
    stayed = _stayed(old_sections, new_sections)
    sections = [
        _compare_section(key, old_by_key.get(key), new_by_key.get(key), by_section, stayed)
        for key in _shown_order(old_sections, new_sections)
    ]
    return VersionDiff(material=material, old=old, new=new, sections=sections)
