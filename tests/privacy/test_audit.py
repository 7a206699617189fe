"""The audit log: each view of contact details, export, hide and unhide, erasure, retention
purge, subject access read, consent and keep-for change is recorded once, with who, when and
a kind and id (never the data); none is left by a rolled-back erasure; the owner reads only
their own entries, as JSON pages, on a page and as CSV; entries past
`TABLECLOTH_AUDIT_KEEP_DAYS` go (issue 24)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings
from app.models.accounts import Facilitator
from app.models.audit import AuditAction, AuditEntry, SubjectKind
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant
from app.models.privacy import ErasureLog
from app.services import audit
from app.services.privacy import erasure, retention
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_cafe, make_facilitator
from tests.privacy.scene import NAME, WORDS, build, everything
from tests.privacy.test_erasure import _member_in_cafe


def _log(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit", params={"limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _what(entries: list[dict[str, Any]]) -> list[tuple[str, str, int, str]]:
    return [(e["action"], e["subject_kind"], e["subject_id"], e["detail"]) for e in entries]


def test_each_event_through_the_api_is_recorded_once(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    assert _log(client, api_headers) == []  # building the scene read nothing personal
    cafe = f"/api/v1/cafes/{scene.cafe_id}"
    h = api_headers

    scene.notes(client, h, "csv")
    scene.export(client, h, 1, "md")
    version_id = client.get(f"{scene.material}/versions/1", headers=h).json()["id"]
    for action in ("hide", "hide", "restore"):  # hiding twice changes nothing the second time
        r = client.post(f"{cafe}/contributions/{scene.bo_card}/{action}", headers=h)
        assert r.status_code == 200, r.text
    for _ in range(2):
        assert client.put(f"{cafe}/keep-for", json={"keep_days": 30}, headers=h).status_code == 200
    assert client.put(f"{cafe}/keep-for", json={"keep_days": None}, headers=h).status_code == 200
    consent = f"{cafe}/participants/{scene.alex_id}/consent"
    assert client.post(consent, json={"evidence_consent": False}, headers=h).status_code == 200
    data = client.get(f"{cafe}/participants/{scene.alex_id}/data", headers=h)
    assert data.status_code == 200 and data.json()["display_name"] == NAME
    erase = client.post(f"{cafe}/participants/{scene.alex_id}/erase", headers=h)
    assert erase.status_code == 200
    assert client.delete(cafe, headers=h).status_code == 204

    entries = _log(client, h)
    # The café is gone; its owner still reads what was done to it.
    assert _what(entries) == [
        ("exported_notes", "cafe", scene.cafe_id, "csv"),
        ("exported_materials", "material_version", version_id, "md, standard"),
        ("hid_card", "contribution", scene.bo_card, ""),
        ("unhid_card", "contribution", scene.bo_card, ""),
        ("changed_keep_for", "cafe", scene.cafe_id, "default -> 30 days"),
        ("changed_keep_for", "cafe", scene.cafe_id, "30 days -> default"),
        ("changed_consent", "participant", scene.alex_id, "withdrawn"),
        ("read_subject_access", "participant", scene.alex_id, ""),
        ("erased_participant", "participant", scene.alex_id, ""),
        ("erased_cafe", "cafe", scene.cafe_id, ""),
    ]
    assert {(e["actor_kind"], e["actor_id"], e["actor"]) for e in entries} == {
        ("facilitator", facilitator.id, facilitator.email)
    }
    # Ids and the actor's email only: nothing of what was erased.
    session.expire_all()
    stored = "\n".join(map(str, session.exec(select(AuditEntry)).all()))
    assert NAME not in stored and WORDS not in stored


def test_member_events_are_recorded_with_the_network_owner(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network_id, member_id, _ = _member_in_cafe(client, api_headers, session, facilitator)
    h = api_headers
    member = f"/api/v1/networks/members/{member_id}"
    group_id = client.get(member, headers=h).json()["group_id"]
    listed = client.get(f"/api/v1/networks/groups/{group_id}/members", headers=h)
    assert listed.json()["items"][0]["email"] == "morgan.reede@example.org"
    assert client.patch(member, json={"consent_given": False}, headers=h).status_code == 200
    assert client.patch(member, json={"consent_note": "Asked twice"}, headers=h).status_code == 200
    assert client.get(f"{member}/data", headers=h).status_code == 200
    assert client.post(f"{member}/erase", headers=h).status_code == 200
    assert client.post(f"/api/v1/networks/{network_id}/erase", headers=h).status_code == 200

    assert _what(_log(client, h)) == [
        ("viewed_contact_details", "member", member_id, ""),
        ("viewed_contact_details", "group", group_id, "1 member"),
        ("changed_consent", "member", member_id, "withdrawn"),
        ("read_subject_access", "member", member_id, ""),
        ("erased_member", "member", member_id, ""),
        ("erased_network", "network", network_id, ""),
    ]
    assert _what(_log(client, h, action="changed_consent")) == [
        ("changed_consent", "member", member_id, "withdrawn")
    ]


def test_the_owners_pages_record_their_reads_exports_and_changes(
    client: TestClient,
    api_headers: dict[str, str],
    logged_in: TestClient,
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    network_id, member_id, _ = _member_in_cafe(client, api_headers, session, facilitator)
    group_id = client.get(f"/api/v1/networks/members/{member_id}", headers=api_headers).json()[
        "group_id"
    ]
    before = len(_log(client, api_headers))
    material_id = scene.material.rsplit("/", 1)[1]
    version = f"/networks/{scene.network_id}/materials/{material_id}/versions/1"
    for path in (
        f"/networks/groups/{group_id}",
        f"/networks/members/{member_id}",
        f"/cafes/{scene.cafe_id}/notes/download?format=docx",
        f"/cafes/{scene.cafe_id}/notes/print",
        f"{version}/download/material.docx",
        f"{version}/print",
        f"/cafes/{scene.cafe_id}/people/{scene.alex_id}/data",
        f"/networks/members/{member_id}/data",
    ):
        assert logged_in.get(path).status_code == 200, path
    r = logged_in.post(
        f"/networks/{network_id}/privacy",
        data={
            "keep_days": "90",
            "csrf_token": csrf_of(logged_in, f"/networks/{network_id}/privacy"),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303

    entries = _log(client, api_headers)[before:]
    assert [(e["action"], e["subject_kind"], e["detail"]) for e in entries] == [
        ("viewed_contact_details", "group", "1 member"),
        ("viewed_contact_details", "member", ""),
        ("exported_notes", "cafe", "docx"),
        ("exported_notes", "cafe", "print"),
        ("exported_materials", "material_version", "material.docx"),
        ("exported_materials", "material_version", "print"),
        ("read_subject_access", "participant", ""),
        ("read_subject_access", "member", ""),
        ("changed_keep_for", "network", "default -> 90 days"),
    ]


def test_a_refused_group_form_shows_the_members_again_and_records_it(
    client: TestClient,
    api_headers: dict[str, str],
    logged_in: TestClient,
    session: Session,
    facilitator: Facilitator,
) -> None:
    """A form of the group's page refused (a name left empty, a meeting with no date) draws
    the page again, members' contact details and all, in the write request: the read is
    recorded, and the page is not a 503 (on SQLite the request held the write lock the
    entry's own write waited for until it gave up)."""
    _, member_id, _ = _member_in_cafe(client, api_headers, session, facilitator)
    group_id = client.get(f"/api/v1/networks/members/{member_id}", headers=api_headers).json()[
        "group_id"
    ]
    page = f"/networks/groups/{group_id}"
    before = len(_log(client, api_headers))
    for path, form in ((page, {"name": " "}), (f"{page}/meetings", {"date": ""})):
        r = logged_in.post(path, data={**form, "csrf_token": csrf_of(logged_in, page)})
        assert r.status_code == 422, (path, r.status_code)
        assert "morgan.reede@example.org" in r.text
    entries = _log(client, api_headers)[before:]
    # One for each page drawn: the two refusals, and the two pages the CSRF tokens came from.
    assert [(e["action"], e["subject_kind"], e["detail"]) for e in entries] == [
        ("viewed_contact_details", "group", "1 member")
    ] * 4


def test_a_person_erasing_themselves_and_the_retention_job_are_named_as_such(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    from tests.board.test_board import join, token

    cafe = make_cafe(session, facilitator, title="Old café")
    phone = join(client, cafe.code, "Pat")
    person_id = session.exec(select(Participant.id).where(Participant.display_name == "Pat")).one()
    r = phone.post(
        f"/p/{cafe.code}/leave", data={"csrf_token": token(phone, cafe.code), "erase": "true"}
    )
    assert r.status_code == 200, r.text
    session.expire_all()
    closed = session.get(Cafe, cafe.id)
    assert closed is not None
    closed.closed_at = utcnow() - timedelta(days=400)
    session.add(closed)
    session.commit()
    retention.purge(session=session, media_dir=settings.media_dir, default_days=365, now=utcnow())

    entries = _log(client, api_headers)
    assert [(e["actor_kind"], e["actor_id"], e["actor"], e["action"]) for e in entries] == [
        ("participant", person_id, "participant", "erased_participant"),
        ("system", None, "system (retention)", "purged_by_retention"),
    ]
    assert [e.erased_by for e in session.exec(select(ErasureLog))] == [
        erasure.BY_THEMSELVES,
        "retention job",
    ]


def test_a_rolled_back_erasure_leaves_no_entry_and_no_entry_stands_without_it(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    person = session.get(Participant, scene.alex_id)
    cafe = session.get(Cafe, scene.cafe_id)
    assert person is not None and cafe is not None
    # A row that cannot be stored (the email is taken) fails the erasure's transaction.
    session.add(Facilitator(email=facilitator.email, password_hash="x"))

    with pytest.raises(IntegrityError):
        erasure.erase_participant(
            session=session,
            media_dir=settings.media_dir,
            cafe=cafe,
            person=person,
            actor=audit.facilitator(facilitator),
            now=utcnow(),
        )

    session.rollback()
    session.expire_all()
    assert session.get(Participant, scene.alex_id) is not None
    assert scene.photo_path.exists()
    assert session.exec(select(ErasureLog)).all() == []
    assert session.exec(select(AuditEntry)).all() == []
    assert NAME in everything(session)


def test_the_owner_reads_only_entries_about_their_own_data(
    client: TestClient,
    api_headers: dict[str, str],
    logged_in: TestClient,
    session: Session,
    facilitator: Facilitator,
) -> None:
    other = make_facilitator(session)
    theirs = make_cafe(session, other, title="Theirs")
    audit.record(
        session=session,
        actor=audit.facilitator(other),
        action=AuditAction.EXPORTED_NOTES,
        subject=audit.Subject(SubjectKind.CAFE, theirs.id),
        owner_id=other.id,
        detail="md",
    )
    session.commit()

    assert _log(client, api_headers) == []
    assert client.get("/api/v1/audit?format=csv", headers=api_headers).text.count("\n") == 1
    page = logged_in.get("/audit")
    assert page.status_code == 200 and "Nothing recorded." in page.text
    token = client.post("/api/v1/auth/token", data={"username": other.email, "password": PASSWORD})
    theirs_headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert _what(_log(client, theirs_headers)) == [("exported_notes", "cafe", theirs.id, "md")]


def _entry(session: Session, owner: Facilitator, days_ago: float, detail: str = "") -> None:
    entry = audit.record(
        session=session,
        actor=audit.facilitator(owner),
        action=AuditAction.HID_CARD,
        subject=audit.Subject(SubjectKind.CONTRIBUTION, 7),
        owner_id=owner.id,
        detail=detail,
    )
    entry.at = utcnow() - timedelta(days=days_ago)
    session.commit()


def test_pages_filters_and_validation_of_the_api(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    for days in (30, 20, 10, 1):
        _entry(session, facilitator, days, f"{days} days ago")
    first = client.get("/api/v1/audit", params={"limit": 3}, headers=api_headers).json()
    assert [e["detail"] for e in first["items"]] == ["30 days ago", "20 days ago", "10 days ago"]
    rest = client.get(
        "/api/v1/audit", params={"after": first["next_cursor"]}, headers=api_headers
    ).json()
    assert [e["detail"] for e in rest["items"]] == ["1 days ago"] and rest["next_cursor"] is None
    since = (utcnow() - timedelta(days=25)).isoformat()
    until = (utcnow() - timedelta(days=5)).replace(tzinfo=None).isoformat()  # naive: UTC
    middle = _log(client, api_headers, since=since, until=until)
    assert [e["detail"] for e in middle] == ["20 days ago", "10 days ago"]
    assert _log(client, api_headers, action="erased_cafe") == []

    for params, status in (
        ({"action": "read_everything"}, 422),
        ({"since": "yesterday"}, 422),
        ({"limit": 0}, 422),
        ({"format": "xls"}, 422),
        ({"since": until, "until": since}, 422),
        ({"since": "9999-12-31T23:59:59-23:00"}, 422),
    ):
        r = client.get("/api/v1/audit", params=params, headers=api_headers)
        assert r.status_code == status, params
        assert "detail" in r.json()
    assert client.get("/api/v1/audit").status_code == 401


def test_the_csv_has_every_entry_with_formulas_neutralised(
    client: TestClient,
    api_headers: dict[str, str],
    logged_in: TestClient,
    session: Session,
    facilitator: Facilitator,
) -> None:
    # A co-worker's address that a spreadsheet would run as a formula.
    sly = make_facilitator(session, "=cmd|' /c calc'!a0@example.org")
    audit.record(
        session=session,
        actor=audit.facilitator(sly),
        action=AuditAction.EXPORTED_NOTES,
        subject=audit.Subject(SubjectKind.CAFE, 3),
        owner_id=facilitator.id,
        detail="-2+3",
    )
    session.commit()

    for r in (
        client.get("/api/v1/audit", params={"format": "csv"}, headers=api_headers),
        logged_in.get("/audit.csv"),
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"].startswith('attachment; filename="audit-log-')
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert len(rows) == 1
        assert rows[0]["actor"] == "'=cmd|' /c calc'!a0@example.org"
        assert rows[0]["detail"] == "'-2+3"
        assert rows[0]["action"] == "exported_notes"
        assert rows[0]["what"] == "Exported session notes"
    assert logged_in.get("/audit.csv?action=hid_card").content.decode("utf-8-sig").count("\n") == 1
    assert logged_in.get("/audit?since=0001-01-01&until=9999-12-31").status_code == 200
    for wrong in ("action=everything", "before=0", "before=x"):
        assert logged_in.get(f"/audit?{wrong}").status_code == 422, wrong
    bad = logged_in.get("/audit?since=2026-13-40")
    assert bad.status_code == 422 and "Type the from date as a day, month and year." in bad.text


def test_entries_are_kept_for_the_audit_period_then_deleted(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
) -> None:
    assert Settings().audit_keep_days == 2190  # six years
    _entry(session, facilitator, 2191, "too old")
    _entry(session, facilitator, 2189, "kept")

    gone = retention.purge_audit_log(session=session, audit_days=2190, now=utcnow())

    assert gone == 1
    assert [e["detail"] for e in _log(client, api_headers)] == ["kept"]
