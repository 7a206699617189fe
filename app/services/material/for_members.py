"""A material for members: the lead gives a published version to the members of one local
group, or of the whole network, and takes it back; a member's page lists what they were
given and shows it in three editions (standard text, easy read with pictures, audio).

A member sees a version only when it was given to their group or their whole network: never
a draft, never another group's material. What people said is shown with the speaker's role
and whether it was said in the member's own group, never another group's name or anyone's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, or_, select

from app import i18n
from app.i18n import N_, _
from app.models.cafe import ROLE_LABELS
from app.models.material import (
    Material,
    MaterialSection,
    MaterialVersion,
    VersionStatus,
)
from app.models.material_editions import (
    MaterialPublication,
    PublicationPublic,
    SectionFile,
    SectionFileKind,
)
from app.models.network import LocalGroup, Member, Network
from app.services.errors import Conflict, Invalid, NotFound
from app.services.export.markdown import plain
from app.services.export.materials import one_idea_per_line
from app.services.material import editions
from app.services.material.reading import items_of, sections_of
from app.services.material.wording import section_words, words_gone

WHOLE_NETWORK = N_("Every member of the network")
NOT_YOURS = N_("There is nothing at this address.")


class Edition(StrEnum):
    STANDARD = "standard"
    EASY_READ = "easy_read"
    AUDIO = "audio"


EDITION_LABELS = {
    Edition.STANDARD: N_("Standard text"),
    Edition.EASY_READ: N_("Easy read"),
    Edition.AUDIO: N_("Listen"),
}


# --- the lead: publishing for members -----------------------------------------------------


def audience(*, session: Session, publication: MaterialPublication) -> str:
    """Who a publication is for, in words."""
    if publication.group_id is None:
        return _(WHOLE_NETWORK)
    group = session.get(LocalGroup, publication.group_id)
    return _("Members of %(group)s", group=group.name) if group is not None else _(WHOLE_NETWORK)


def publish_for_members(
    *,
    session: Session,
    network: Network,
    material: Material,
    version: MaterialVersion,
    group_id: int | None,
    now: datetime,
) -> MaterialPublication:
    """Give a published version to the members of one of the network's groups (or all of
    them, `group_id` None). It replaces what that audience had of this material before."""
    if version.material_id != material.id or material.network_id != network.id:
        raise NotFound(_("No such version in this network."))
    if version.status != VersionStatus.PUBLISHED:
        raise Conflict(
            _(
                "Version %(number)s is a draft. Publish it first: members only ever see "
                "published versions.",
                number=version.number,
            )
        )
    if group_id is not None:
        group = session.get(LocalGroup, group_id)
        if group is None or group.network_id != network.id:
            raise Invalid(_("Choose one of this network's local groups, or the whole network."))
    older = session.exec(
        select(MaterialPublication).where(
            MaterialPublication.material_id == material.id,
            col(MaterialPublication.group_id).is_(None)
            if group_id is None
            else MaterialPublication.group_id == group_id,
        )
    ).all()
    for old in older:
        session.delete(old)
    publication = MaterialPublication(
        material_id=material.id, version_id=version.id, group_id=group_id, published_at=now
    )
    session.add(publication)
    session.commit()
    session.refresh(publication)
    return publication


def publications_of(*, session: Session, material: Material) -> list[MaterialPublication]:
    return list(
        session.exec(
            select(MaterialPublication)
            .where(MaterialPublication.material_id == material.id)
            .order_by(col(MaterialPublication.id))
        )
    )


def get_publication(
    *, session: Session, material: Material, publication_id: int
) -> MaterialPublication:
    publication = session.get(MaterialPublication, publication_id)
    if publication is None or publication.material_id != material.id:
        raise NotFound(_("This material was not published for members that way."))
    return publication


def withdraw(*, session: Session, publication: MaterialPublication) -> None:
    """Members no longer see this version (the version itself stays published)."""
    session.delete(publication)
    session.commit()


def publication_public(*, session: Session, publication: MaterialPublication) -> PublicationPublic:
    version = session.get(MaterialVersion, publication.version_id)
    assert version is not None
    return PublicationPublic(
        id=publication.id,
        material_id=publication.material_id,
        version_number=version.number,
        group_id=publication.group_id,
        audience=audience(session=session, publication=publication),
        published_at=publication.published_at,
    )


# --- the member: what they were given ---------------------------------------------------


def _for_member(session: Session, member: Member) -> list[MaterialPublication]:
    """The publications meant for the member: their group's, and their network's as a whole."""
    group = session.get(LocalGroup, member.group_id)
    assert group is not None
    return list(
        session.exec(
            select(MaterialPublication)
            .join(Material, col(Material.id) == MaterialPublication.material_id)
            .where(
                Material.network_id == group.network_id,
                or_(
                    MaterialPublication.group_id == group.id,
                    col(MaterialPublication.group_id).is_(None),
                ),
            )
            .order_by(col(MaterialPublication.published_at).desc(), col(MaterialPublication.id))
        )
    )


@dataclass
class MemberMaterialLink:
    publication: MaterialPublication
    title: str
    version_number: int
    has_recordings: bool


def materials_for_member(*, session: Session, member: Member) -> list[MemberMaterialLink]:
    """What the member's page lists: each material once (their group's version before the
    whole network's), newest first."""
    chosen: dict[int, MaterialPublication] = {}
    for publication in _for_member(session, member):
        kept = chosen.get(publication.material_id)
        if kept is None or (kept.group_id is None and publication.group_id is not None):
            chosen[publication.material_id] = publication
    out = []
    for publication in chosen.values():
        material = session.get(Material, publication.material_id)
        version = session.get(MaterialVersion, publication.version_id)
        assert material is not None and version is not None
        recordings = session.exec(
            select(SectionFile.id)
            .join(MaterialSection, col(MaterialSection.id) == SectionFile.section_id)
            .where(
                MaterialSection.version_id == version.id,
                SectionFile.kind == SectionFileKind.RECORDING,
            )
            .limit(1)
        ).first()
        out.append(
            MemberMaterialLink(
                publication=publication,
                title=material.title,
                version_number=version.number,
                has_recordings=recordings is not None,
            )
        )
    out.sort(key=lambda link: link.publication.published_at, reverse=True)
    return out


def publication_for_member(
    *, session: Session, member: Member, publication_id: int
) -> MaterialPublication:
    """The publication, if it is meant for the member; otherwise there is nothing here."""
    for publication in _for_member(session, member):
        if publication.id == publication_id:
            return publication
    raise NotFound(_(NOT_YOURS))


@dataclass
class Said:
    """Something a person said, as a member reads it: their role and where, no name."""

    words: str
    who: str
    withdrawn: bool = False


@dataclass
class MemberSection:
    section: MaterialSection
    text: str  # the section's words without Markdown marks: the transcript, read aloud
    easy_lines: list[str]
    from_easy_read: bool
    said: list[Said]
    easy_said: list[Said]
    picture: SectionFile | None = None
    recording: SectionFile | None = None
    # The text in the member's language where the lead wrote it (Welsh), else the English:
    # `heading` is in `heading_lang`, `body_markdown` and `text` in `lang`, `easy_lines` in
    # `easy_lang` (`wording.section_words`).
    body_markdown: str = ""
    lang: str = "en"
    easy_lang: str = "en"
    heading: str = ""
    heading_lang: str = "en"


@dataclass
class MemberMaterial:
    publication: MaterialPublication
    material: Material
    version: MaterialVersion
    audience: str
    sections: list[MemberSection] = field(default_factory=list)

    @property
    def has_recordings(self) -> bool:
        return any(s.recording is not None for s in self.sections)


def member_material(
    *, session: Session, member: Member, publication: MaterialPublication
) -> MemberMaterial:
    """The version given to the member, section by section, in every edition."""
    material = session.get(Material, publication.material_id)
    version = session.get(MaterialVersion, publication.version_id)
    assert material is not None and version is not None
    sections = sections_of(session=session, version=version)
    items = items_of(session=session, section_ids=[s.id for s in sections])
    files = editions.files_by_section(session=session, section_ids=[s.id for s in sections])
    out = MemberMaterial(
        publication=publication,
        material=material,
        version=version,
        audience=audience(session=session, publication=publication),
    )
    lang = i18n.current()
    for s in sections:
        said: list[Said] = []
        easy_said: list[Said] = []
        for item in (i for i in items if i.section_id == s.id):
            role = _(ROLE_LABELS.get(item.author_role or "", N_("Someone")))
            who = (
                _("%(role)s, in your group", role=role)
                if item.group_id == member.group_id
                else _("%(role)s, in another group", role=role)
            )
            gone = words_gone(item)
            if gone is not None:
                said.append(Said(words=gone, who=who, withdrawn=True))
                easy_said.append(Said(words=gone, who=who, withdrawn=True))
                continue
            said.append(Said(words=" ".join(item.original_text.split()), who=who))
            # The easy-read edition quotes the lead's paraphrase where there is one.
            easy_said.append(
                Said(words=" ".join((item.paraphrase or item.original_text).split()), who=who)
            )
        words = section_words(s, lang)
        out.sections.append(
            MemberSection(
                section=s,
                text=plain(words.body),
                easy_lines=one_idea_per_line(words.easy),
                from_easy_read=words.from_easy_read,
                said=said,
                easy_said=easy_said,
                picture=files[s.id].picture,
                recording=files[s.id].recording,
                body_markdown=words.body,
                lang=words.body_lang,
                easy_lang=words.easy_lang,
                heading=words.heading,
                heading_lang=words.heading_lang,
            )
        )
    return out


def file_for_member(*, session: Session, member: Member, file_id: int) -> SectionFile:
    """A picture or recording of a version given to the member; otherwise nothing here."""
    item = session.get(SectionFile, file_id)
    if item is None:
        raise NotFound(_(NOT_YOURS))
    section = session.get(MaterialSection, item.section_id)
    assert section is not None
    if not any(p.version_id == section.version_id for p in _for_member(session, member)):
        raise NotFound(_(NOT_YOURS))
    return item


@dataclass
class Given:
    """A publication as the lead's page lists it."""

    publication: MaterialPublication
    version_number: int
    audience: str


@dataclass
class LeadPanel:
    """What the lead's version page shows about publishing for members."""

    given: list[Given]
    groups: list[LocalGroup]


def lead_panel(*, session: Session, network: Network, material: Material) -> LeadPanel:
    given = []
    for publication in publications_of(session=session, material=material):
        version = session.get(MaterialVersion, publication.version_id)
        assert version is not None
        given.append(
            Given(
                publication=publication,
                version_number=version.number,
                audience=audience(session=session, publication=publication),
            )
        )
    groups = list(
        session.exec(
            select(LocalGroup)
            .where(LocalGroup.network_id == network.id)
            .order_by(col(LocalGroup.name), col(LocalGroup.id))
        )
    )
    return LeadPanel(given=given, groups=groups)


def lead_sections(
    *, session: Session, version: MaterialVersion, lang: str
) -> list[tuple[str, str, SectionFile | None]]:
    """A version's sections as the audio edition takes them: heading, words (for a reader of
    `lang`: in Welsh where the lead wrote them in Welsh), recording."""
    sections = sections_of(session=session, version=version)
    files = editions.files_by_section(session=session, section_ids=[s.id for s in sections])
    out = []
    for s in sections:
        words = section_words(s, lang)
        out.append((words.heading, plain(words.body), files[s.id].recording))
    return out
