"""The world the authorization matrix runs in: an owner's rows (a network with two groups, a
meeting run as a café with rounds, tables, a participant and a member who joined by their
invite, a card with a photo, a theme, a material with a version, a section and an evidence
item, an action plan, the member's personal link, a co-facilitator of the café and a
coordinator of the first group with open invites beside them, and the audit entries all this
wrote) and the people who knock on them, each with their own cookie jar or bearer token."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Connection, Engine
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col, select

from app.config import Settings
from app.models.accounts import Facilitator, SessionKind, TokenScope
from app.models.action_plan import ActionPlanCreate, PlanKind
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant, StakeholderRole
from app.models.evidence import Contribution, Media
from app.models.follow_up import FeedbackResponse, NetworkAction
from app.models.material import EvidenceItem, MaterialCreate, MaterialSection, MaterialVersion
from app.models.material_editions import SectionFileKind
from app.models.network import Attendance, LocalGroup, MemberCreate, Network
from app.models.payments import Expense, ExpenseKind
from app.models.room import PersonWithoutPhone
from app.models.you_said import YouSaidCreate
from app.security import SESSION_COOKIE, issue_access_token
from app.services import accounts, roles, sessions
from app.services import action_plan as plan_service
from app.services import media as media_service
from app.services.cafe import cafes as cafe_service
from app.services.cafe import room as room_service
from app.services.evidence import themes as theme_service
from app.services.material import editions, for_members
from app.services.material import merge as merge_service
from app.services.material import reading as reading_service
from app.services.material import versions as version_service
from app.services.network import calendar, invites
from app.services.network import member_page as member_page_service
from app.services.network import members as member_service
from app.services.network import you_said as you_said_service
from tests.conftest import BASE_URL
from tests.factories import (
    PASSWORD,
    make_cafe,
    make_contribution,
    make_facilitator,
    make_participant,
)
from tests.material_setup import make_group_cafe, make_network

ORIGIN = {"origin": BASE_URL}

# Words of the world that only some may see (tests/house/test_authorization_matrix.py).
MEMBER_EMAIL = "mo.north@example.org"
OTHER_GROUPS_MEMBER = "Sam Southgate"
DRAFT_WORDS = "What the network heard in its drafts"
CARD_WORDS = "The bus to the day centre never comes"
PARTICIPANT_NAME = "Pat Phoneworth"
# The helpers' sign-in emails: each is in the owner's audit log (they accepted a role), so
# another facilitator's audit log, or the other helper's, shows it only if it leaks.
CO_FACILITATOR_EMAIL = "cora.cohost@example.org"
COORDINATOR_EMAIL = "colin.coordinates@example.org"

# Tables a refused request may write to without having been let in: the guessing guard's
# counts of unknown join codes and sign-in tries. (A session's last-seen time is left out
# of the comparison for the same reason: it is refreshed every few minutes by any request.)
NOT_COMPARED = {"rate_limit_hit"}
NOT_COMPARED_COLUMNS = {("facilitator_session", "last_seen_at"), ("api_token", "last_used_at")}


def identity_client(client: TestClient) -> TestClient:
    """A browser or API client with its own cookie jar on the app's event loop."""
    other = TestClient(client.app, base_url=BASE_URL)
    other.portal = client.portal
    return other


def csrf_in_cookie(browser: TestClient) -> str:
    """The CSRF token the signed session cookie carries (made by the first page drawn)."""
    value = browser.cookies.get(SESSION_COOKIE)
    assert value, "this browser has no session cookie yet"
    data = json.loads(base64.b64decode(value.split(".")[0]))
    return str(data["csrf"])


@dataclass
class Identity:
    """One column of the matrix: a browser (cookies) and/or a bearer token."""

    name: str
    browser: TestClient
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return csrf_in_cookie(self.browser)


def browser_with_csrf(client: TestClient) -> TestClient:
    browser = identity_client(client)
    assert browser.get("/login").status_code == 200
    return browser


def signed_in_browser(client: TestClient, facilitator: Facilitator) -> TestClient:
    browser = browser_with_csrf(client)
    r = browser.post(
        "/login",
        data={
            "email": facilitator.email,
            "password": PASSWORD,
            "csrf_token": csrf_in_cookie(browser),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    # A signed-in session's CSRF token is made by the first page drawn after signing in.
    assert browser.get("/dashboard").status_code == 200
    return browser


def bearer(client: TestClient, facilitator: Facilitator) -> dict[str, str]:
    r = client.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def phone_join(client: TestClient, code: str, name: str, **extra: str) -> TestClient:
    """A phone that joined a café by its code (agreeing to evidence use)."""
    phone = identity_client(client)
    assert (
        phone.get(
            f"/j/{code}", params={"invite": extra.get("invite", "")} if extra else None
        ).status_code
        == 200
    )
    r = phone.post(
        f"/j/{code}",
        data={
            "display_name": name,
            "evidence_consent": "yes",
            "csrf_token": csrf_in_cookie(phone),
            **extra,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return phone


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Accounts:
    """The identities that do not belong to one world: the facilitators (the owner, another
    one, and the two every world gives a role) and the owner's API tokens, a phone in another
    facilitator's café, and nobody at all."""

    owner: Facilitator
    other: Facilitator
    co_facilitator: Facilitator
    coordinator: Facilitator
    elsewhere_code: str
    identities: dict[str, Identity]
    params: dict[str, str]  # what the path parameters of the accounts' own routes take


def make_identity(
    client: TestClient,
    session: Session,
    settings: Settings,
    found: Accounts,
    name: str,
    *,
    new_account: bool,
) -> Identity:
    """Someone new of this column's kind, for a call that ends the caller's own sign-in: a
    new sign-in of the same facilitator (`new_account`: a facilitator of their own, since
    "sign out everywhere" would end the matrix's own sign-ins too), a new token of the same
    scope, a phone joining the other café. (The world's phones come with a new world.)"""
    facilitators = {
        "owner": found.owner,
        "other_facilitator": found.other,
        "co_facilitator": found.co_facilitator,
        "coordinator": found.coordinator,
    }
    if name in facilitators:
        facilitator = make_facilitator(session) if new_account else facilitators[name]
        _, key = sessions.start_session(
            session=session,
            facilitator_id=facilitator.id,
            kind=SessionKind.API,
            user_agent="matrix",
            now=utcnow(),
        )
        token = issue_access_token(settings, key)
        return Identity(
            name, signed_in_browser(client, facilitator), {"Authorization": f"Bearer {token}"}
        )
    if name == "other_participant":
        return Identity(name, phone_join(client, found.elsewhere_code, "Someone else"))
    if name == "anonymous":
        return Identity(name, browser_with_csrf(client))
    scope = TokenScope.READ if name == "token_read" else TokenScope.WRITE
    row, clear = accounts.create_api_token(
        session=session, facilitator=found.owner, name=name, scope=scope
    )
    if name == "token_revoked":
        accounts.revoke_api_token(
            session=session, facilitator=found.owner, token_id=row.id, now=utcnow()
        )
    return Identity(name, browser_with_csrf(client), {"Authorization": f"Bearer {clear}"})


def make_accounts(client: TestClient, session: Session) -> Accounts:
    owner = make_facilitator(session)
    other = make_facilitator(session)
    co_facilitator = make_facilitator(session, CO_FACILITATOR_EMAIL)
    coordinator = make_facilitator(session, COORDINATOR_EMAIL)
    tokens = {}
    for scope in (TokenScope.READ, TokenScope.WRITE):
        _, clear = accounts.create_api_token(
            session=session, facilitator=owner, name=f"matrix {scope}", scope=scope
        )
        tokens[scope] = {"Authorization": f"Bearer {clear}"}
    row, clear = accounts.create_api_token(
        session=session, facilitator=owner, name="revoked", scope=TokenScope.WRITE
    )
    accounts.revoke_api_token(session=session, facilitator=owner, token_id=row.id, now=utcnow())
    revoked = {"Authorization": f"Bearer {clear}"}
    elsewhere = make_cafe(session, other, title="Another café", table_count=2)
    other_headers = bearer(client, other)
    r = client.post(f"/api/v1/cafes/{elsewhere.id}/rounds/next", headers=other_headers)
    assert r.status_code == 200, r.text
    found = {
        "anonymous": Identity("anonymous", browser_with_csrf(client)),
        "owner": Identity("owner", signed_in_browser(client, owner), bearer(client, owner)),
        "other_facilitator": Identity(
            "other_facilitator", signed_in_browser(client, other), other_headers
        ),
        "other_participant": Identity(
            "other_participant", phone_join(client, elsewhere.code, "Someone elsewhere")
        ),
        "co_facilitator": Identity(
            "co_facilitator",
            signed_in_browser(client, co_facilitator),
            bearer(client, co_facilitator),
        ),
        "coordinator": Identity(
            "coordinator", signed_in_browser(client, coordinator), bearer(client, coordinator)
        ),
        "token_read": Identity("token_read", browser_with_csrf(client), tokens[TokenScope.READ]),
        "token_write": Identity("token_write", browser_with_csrf(client), tokens[TokenScope.WRITE]),
        "token_revoked": Identity("token_revoked", browser_with_csrf(client), revoked),
    }
    # A password reset link of the other facilitator's: any later link of the owner's would
    # replace one of theirs.
    _, reset = sessions.issue_reset(session=session, email=other.email, now=utcnow())
    return Accounts(
        owner=owner,
        other=other,
        co_facilitator=co_facilitator,
        coordinator=coordinator,
        elsewhere_code=elsewhere.code,
        identities=found,
        params={"reset_token": reset},
    )


@dataclass
class World:
    """The owner's rows, by the name of the path parameter that carries each, and the phones
    (the participant, the member) that joined its café."""

    params: dict[str, Any]
    identities: dict[str, Identity]


def members_material(
    session: Session, settings: Settings, network: Network, group: LocalGroup, now: datetime
) -> dict[str, int]:
    """A second material, published with a picture and a recording and given to North's
    members (the world's own material stays a draft): its ids under names of their own."""
    shared = version_service.create_material(
        session=session,
        network=network,
        data=MaterialCreate(title="For members", markdown="# For members\n\n## Part\n\nWords.\n"),
        now=now,
    )
    version = reading_service.get_version(session=session, material=shared, number=1)
    section = reading_service.sections_of(session=session, version=version)[0]
    picture = editions.attach(
        session=session,
        media_dir=settings.media_dir,
        section=section,
        kind=SectionFileKind.PICTURE,
        prepared=media_service.prepare(source=io.BytesIO(photo()), size=len(photo())),
        alt_text="A blue square",
        now=now,
    )
    recording = Path(__file__).parent.parent / "board/fixtures/chromium-mediarecorder.webm"
    editions.attach(
        session=session,
        media_dir=settings.media_dir,
        section=section,
        kind=SectionFileKind.RECORDING,
        prepared=media_service.prepare(
            source=io.BytesIO(recording.read_bytes()), size=recording.stat().st_size
        ),
        now=now,
    )
    version_service.publish_version(session=session, version=version, now=now)
    publication = for_members.publish_for_members(
        session=session,
        network=network,
        material=shared,
        version=version,
        group_id=group.id,
        now=now,
    )
    return {
        "members_material_id": shared.id,
        "members_section_id": section.id,
        "publication_id": publication.id,
        "file_id": picture.id,
    }


def build_world(
    client: TestClient,
    session: Session,
    settings: Settings,
    found: Accounts,
    api: dict[str, str],
    *,
    with_phones: bool = True,
) -> World:
    """The owner's rows, written through the services, and the roles beside the owner (the
    co-facilitator's of the café, the coordinator's of North: every world grants them again,
    so a world made for a destructive call has them too), with an open invite of each kind
    for the other facilitator. `with_phones`: the participant and the member join through
    the app, seated at one table, the member's phone opens their personal link (signed in on
    their own page too), and the participant's card (with a photo) is posted from their
    phone; without, the participant and the card are written straight to the database (a
    world for a call no phone makes)."""
    owner = found.owner
    now = utcnow()
    network = make_network(session, owner)
    north = make_group_cafe(session, owner, network, "North")
    # Another group of the network: a coordinator of North sees nothing of it.
    south = LocalGroup(network_id=network.id, name="South")
    session.add(south)
    session.commit()
    cafe = north.cafe
    r = client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=api)
    assert r.status_code == 200, r.text
    member = member_service.create_member(
        session=session,
        group=north.group,
        data=MemberCreate(
            display_name="Mo North",
            role=StakeholderRole.LIVED_EXPERIENCE,
            email=MEMBER_EMAIL,
            consent_given=True,
        ),
        now=now,
    )
    member_service.create_member(
        session=session,
        group=south,
        data=MemberCreate(
            display_name=OTHER_GROUPS_MEMBER, role=StakeholderRole.CARER, consent_given=True
        ),
        now=now,
    )
    token = invites.invite_token(secret=settings.secret_key, member=member, cafe=cafe)
    _, member_token = member_page_service.issue_link(session=session, member=member, now=now)
    helpers = grant_roles(session, found, cafe=cafe, group=north.group)
    params: dict[str, Any] = {"member_token": member_token, **helpers}
    phones: dict[str, Identity] = {}
    if with_phones:
        phones = {
            "member": Identity("member", phone_join(client, cafe.code, "Mo North", invite=token)),
            "participant": Identity("participant", phone_join(client, cafe.code, PARTICIPANT_NAME)),
        }
        # The member's phone opens their personal link too: their own page's way in.
        r = phones["member"].browser.get(f"/m/{member_token}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/me", r.text
        # The member sits at the participant's table: a phone of the card's own table.
        seats = client.get(f"/api/v1/cafes/{cafe.id}/seating", headers=api).json()["seats"]
        at = {seat["display_name"]: seat for seat in seats}
        if at["Mo North"]["table_id"] != at[PARTICIPANT_NAME]["table_id"]:
            r = client.post(
                f"/api/v1/cafes/{cafe.id}/participants/{at['Mo North']['participant_id']}/move",
                json={"table_id": at[PARTICIPANT_NAME]["table_id"]},
                headers=api,
            )
            assert r.status_code == 200, r.text
        person = session.exec(
            select(Participant).where(
                Participant.cafe_id == cafe.id, Participant.display_name == PARTICIPANT_NAME
            )
        ).one()
        participant = phones["participant"].browser
        r = participant.post(
            f"/p/{cafe.code}/contributions",
            data={
                "csrf_token": csrf_in_cookie(participant),
                "client_id": f"matrix-{cafe.id}",
                "text": CARD_WORDS,
                "kind": "idea",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        card = session.exec(select(Contribution).where(Contribution.cafe_id == cafe.id)).one()
    else:
        person = make_participant(session, cafe, PARTICIPANT_NAME)
        person.evidence_consent = True
        session.add(person)
        session.commit()
        card = make_contribution(session, cafe, CARD_WORDS, participant=person)
    if with_phones:
        r = participant.post(
            f"/p/{cafe.code}/contributions/{card.id}/media",
            data={"csrf_token": csrf_in_cookie(participant)},
            files={"file": ("p.png", photo(), "image/png")},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        media = session.exec(select(Media).where(Media.contribution_id == card.id)).one()
        params["media_id"] = media.id
    theme = theme_service.create_theme(
        session=session, cafe=cafe, name="Transport", contribution_ids=[card.id], now=now
    )
    material = version_service.create_material(
        session=session,
        network=network,
        data=MaterialCreate(title="Ours", markdown=f"# Ours\n\n## Findings\n\n{DRAFT_WORDS}.\n"),
        now=now,
    )
    section = session.exec(
        select(MaterialSection)
        .join(MaterialVersion, col(MaterialVersion.id) == MaterialSection.version_id)
        .where(MaterialVersion.material_id == material.id)
    ).one()
    merge_service.merge_evidence(
        session=session, network=network, section=section, contribution_ids=[card.id], now=now
    )
    item = session.exec(select(EvidenceItem).where(EvidenceItem.section_id == section.id)).one()
    plan = plan_service.create_plan(
        session=session, network=network, data=ActionPlanCreate(kind=PlanKind.PROJECT), now=now
    )
    theme_id, material_id, plan_id = theme.id, material.id, plan.id
    expense_id = _expense(session, settings, north.meeting.id, member.id)
    params |= members_material(session, settings, network, north.group, now)
    # A "you said, we did" update for North (its coordinator's to change too).
    update = you_said_service.create_update(
        session=session,
        network=network,
        facilitator=owner,
        data=YouSaidCreate(
            you_said="You said the bus was late", we_did="We pay for taxis", group_id=north.group.id
        ),
        now=now,
    )
    params["update_id"] = update.id
    action = NetworkAction(
        network_id=network.id, group_id=north.group.id, title="Ask", owner_member_id=member.id
    )
    session.add(action)
    voice_path = f"feedback/matrix-{north.meeting.id}.wav"
    (settings.media_dir / "feedback").mkdir(parents=True, exist_ok=True)
    (settings.media_dir / voice_path).write_bytes(b"RIFF")
    response = FeedbackResponse(
        meeting_id=north.meeting.id,
        member_id=member.id,
        voice_path=voice_path,
        voice_type="audio/wav",
    )
    session.add(response)
    session.commit()
    params["action_id"], params["response_id"] = action.id, response.id
    token_row, _ = accounts.create_api_token(
        session=session, facilitator=owner, name="to revoke", scope=TokenScope.READ
    )
    spare, _ = sessions.start_session(
        session=session,
        facilitator_id=owner.id,
        kind=SessionKind.API,
        user_agent="matrix",
        now=utcnow(),
    )
    # A table of the café, and a request for help from the participant (issue 26).
    params["table_id"] = cafe_service.tables_of(session=session, cafe=cafe)[-1].id
    asked, _ = room_service.ask_help(session=session, cafe=cafe, person=person, now=now)
    params["help_id"] = asked.id
    quiet = room_service.add_without_phone(
        session=session, cafe=cafe, data=PersonWithoutPhone(display_name="Number 7"), now=now
    )
    params["no_phone_id"] = quiet.id
    params |= {
        "cafe_id": cafe.id,
        "code": cafe.code,
        "participant_id": person.id,
        "contribution_id": card.id,
        "theme_id": theme_id,
        "network_id": network.id,
        "group_id": north.group.id,
        "member_id": member.id,
        "meeting_id": north.meeting.id,
        "plan_id": plan_id,
        "expense_id": expense_id,
        "material_id": material_id,
        "number": 1,
        "section_id": section.id,
        "item_id": item.id,
        "token_id": token_row.id,
        "session_id": spare.id,
        "calendar_token": calendar.calendar_token(secret=settings.secret_key, group=north.group),
    }
    return World(params=params, identities=phones)


def _expense(session: Session, settings: Settings, meeting_id: int, member_id: int) -> int:
    """The member came to the meeting and claimed their bus fare, with a receipt photo."""
    record = session.exec(
        select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.member_id == member_id
        )
    ).first() or Attendance(meeting_id=meeting_id, member_id=member_id)
    record.attended, record.hours = True, 2.0
    session.add(record)
    session.flush()
    relative = f"receipts/matrix/{meeting_id}-{member_id}.png"
    (settings.media_dir / relative).parent.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / relative).write_bytes(photo())
    expense = Expense(
        attendance_id=record.id,
        kind=ExpenseKind.TRAVEL,
        amount_pence=480,
        receipt_path=relative,
        receipt_type="image/png",
    )
    session.add(expense)
    session.commit()
    return expense.id


def grant_roles(
    session: Session, found: Accounts, *, cafe: Cafe, group: LocalGroup
) -> dict[str, Any]:
    """The co-facilitator of the café and the coordinator of the group, each invited and
    accepting as the app's links do (their audit entries with them), and an open invite of
    each kind for the other facilitator. Returns the path values they give: the grants'
    and the open invites' ids, and the open café invite's token."""
    now = utcnow()
    values: dict[str, Any] = {}
    _, token = roles.invite_co_facilitator(
        session=session, cafe=cafe, email=found.co_facilitator.email, now=now
    )
    grant = roles.accept_invite(
        session=session, token=token, facilitator=found.co_facilitator, now=now
    )
    values["co_facilitator_role_id"] = grant.id
    _, token = roles.invite_coordinator(
        session=session, group=group, email=found.coordinator.email, now=now
    )
    grant = roles.accept_invite(
        session=session, token=token, facilitator=found.coordinator, now=now
    )
    values["coordinator_role_id"] = grant.id
    invite, token = roles.invite_co_facilitator(
        session=session, cafe=cafe, email=found.other.email, now=now
    )
    values["cafe_invite_id"], values["role_invite_token"] = invite.id, token
    invite, _ = roles.invite_coordinator(
        session=session, group=group, email=found.other.email, now=now
    )
    values["group_invite_id"] = invite.id
    return values


Rows = dict[str, list[tuple[str, ...]]]


def snapshot(session: Session) -> Rows:
    """Every compared row of every table: what a refused request must leave as it was."""
    rows: Rows = {}
    connection = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        if table.name in NOT_COMPARED:
            continue
        columns = [c for c in table.columns if (table.name, c.name) not in NOT_COMPARED_COLUMNS]
        found = connection.execute(core_select(*columns)).all()
        rows[table.name] = sorted(tuple(map(repr, row)) for row in found)
    session.rollback()
    return rows


def changed_tables(before: Rows, after: Rows) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


class Changes:
    """Every compared row of every table, read again only when something was written since
    the last read: a marker that moves with any commit is asked first (SQLite's
    `data_version` on a connection kept for it, PostgreSQL's write-ahead log position).
    A marker moved by a write that is not compared (or by another database of the same
    server) only costs a full read: the rows decide."""

    def __init__(self, connection: Connection, session: Session) -> None:
        self.connection = connection
        self.session = session
        sqlite = connection.dialect.name == "sqlite"
        self.ask = "PRAGMA data_version" if sqlite else "SELECT pg_current_wal_insert_lsn()::text"
        self.last: tuple[object, Rows] | None = None

    @classmethod
    @contextmanager
    def watching(cls, engine: Engine, session: Session) -> Iterator[Changes]:
        with engine.connect() as connection:
            yield cls(connection, session)

    def marker(self) -> object:
        value = self.connection.exec_driver_sql(self.ask).scalar()
        self.connection.rollback()
        return value

    def rows(self) -> Rows:
        marker = self.marker()
        if self.last is not None and self.last[0] == marker:
            return self.last[1]
        found = snapshot(self.session)
        self.last = (marker, found)
        return found
