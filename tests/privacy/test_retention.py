"""Keep-for periods: past its date a café is erased by the app's job and by `python -m app
purge`, with nothing of its people left; its owner is warned on the dashboard 14 days
before; the period is set from the API and the café's privacy page (issue 24)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models.accounts import Facilitator, RateLimitHit
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.services.privacy import retention
from app.services.privacy.erasure import EXPIRED
from tests.conftest import csrf_of
from tests.factories import make_facilitator
from tests.privacy.scene import NAME, WORDS, build, everything

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _close(session: Session, cafe_id: int, when: datetime, keep_days: int | None = None) -> None:
    cafe = session.get(Cafe, cafe_id)
    assert cafe is not None
    cafe.status, cafe.closed_at, cafe.keep_days = "closed", when, keep_days
    session.add(cafe)
    session.commit()


def test_the_job_erases_a_cafe_past_its_keep_for_date_and_nothing_before(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    _close(session, scene.cafe_id, NOW - timedelta(days=30), keep_days=31)
    kept = retention.purge(session=session, media_dir=settings.media_dir, default_days=365, now=NOW)
    assert kept == [] and NAME in everything(session)

    done = retention.purge(
        session=session,
        media_dir=settings.media_dir,
        default_days=365,
        now=NOW + timedelta(days=1, seconds=1),
    )

    assert [(e.kind, e.subject_id, e.erased_by, e.reason) for e in done] == [
        ("cafe", scene.cafe_id, "retention job", "retention")
    ]
    session.expire_all()
    stored = everything(session)
    assert NAME not in stored and WORDS not in stored
    assert not scene.photo_path.exists()
    for fmt in ("md", "docx"):
        text = scene.export(client, api_headers, 1, fmt)
        assert WORDS not in text and EXPIRED in text


def test_the_owner_is_warned_fourteen_days_before(
    session: Session, facilitator: Facilitator
) -> None:
    from tests.factories import make_cafe

    cafe = make_cafe(session, facilitator, title="Spring café")
    _close(session, cafe.id, datetime(2026, 3, 3, 10, 0, tzinfo=UTC))  # the default: 365 days

    def warned(now: datetime) -> list[tuple[str, str]]:
        found = retention.warnings(
            session=session, owner_id=facilitator.id, default_days=365, now=now
        )
        return [(d.title, retention.day(d.erase_on)) for d in found]

    assert warned(datetime(2027, 2, 17, 9, 0, tzinfo=UTC)) == []
    assert warned(datetime(2027, 2, 17, 10, 0, tzinfo=UTC)) == [("Spring café", "3 March 2027")]
    other = make_facilitator(session)
    assert (
        retention.warnings(
            session=session,
            owner_id=other.id,
            default_days=365,
            now=datetime(2027, 3, 1, tzinfo=UTC),
        )
        == []
    )


def test_the_dashboard_shows_the_warning(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    from tests.factories import make_cafe

    soon, later = make_cafe(session, facilitator, title="Soon"), make_cafe(session, facilitator)
    now = utcnow()
    _close(session, soon.id, now - timedelta(days=365 - 13))
    _close(session, later.id, now - timedelta(days=365 - 15))

    page = logged_in.get("/dashboard").text

    when = retention.day(now + timedelta(days=13))
    assert f"Café “Soon” will be erased on {when}: download what you need." in page
    assert page.count("will be erased on") == 1


def test_the_keep_for_period_is_set_from_the_api_and_the_page(
    logged_in: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    from tests.factories import make_cafe

    cafe = make_cafe(session, facilitator)
    _close(session, cafe.id, datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    path = f"/api/v1/cafes/{cafe.id}/keep-for"
    assert logged_in.get(path, headers=api_headers).json() == {
        "keep_days": None,
        "default_days": 365,
        "erase_on": "2027-01-10T12:00:00Z",
    }
    r = logged_in.put(path, json={"keep_days": 30}, headers=api_headers)
    assert r.status_code == 200 and r.json()["erase_on"] == "2026-02-09T12:00:00Z"
    r = logged_in.put(path, json={"keep_days": 0}, headers=api_headers)
    assert r.status_code == 422

    page = f"/cafes/{cafe.id}/privacy"
    assert "will be erased on <strong>9 February 2026</strong>" in logged_in.get(page).text
    bad = logged_in.post(page, data={"csrf_token": csrf_of(logged_in, page), "keep_days": "a"})
    assert bad.status_code == 422
    assert "Type a number of days from 1 to 3650, or leave it empty" in bad.text
    r = logged_in.post(page, data={"csrf_token": csrf_of(logged_in, page), "keep_days": ""})
    assert r.status_code == 200  # followed to the page again
    assert logged_in.get(path, headers=api_headers).json()["keep_days"] is None


def test_purge_from_the_command_line(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    _close(session, scene.cafe_id, datetime(2020, 1, 1, tzinfo=UTC))
    env = {
        **os.environ,
        "TABLECLOTH_MODE": "production",
        "TABLECLOTH_DATABASE_URL": settings.database_url,
        "TABLECLOTH_SECRET_KEY": settings.secret_key,
        "TABLECLOTH_MEDIA_DIR": str(settings.media_dir),
    }

    run = subprocess.run(
        [sys.executable, "-m", "app", "purge"], env=env, capture_output=True, text=True, timeout=60
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        f"Erased café {scene.cafe_id}: 2 people, 2 cards, 1 photo, 0 voice notes, 1 vote, "
        "4 quotes redacted, 0 members.\n"
    )
    session.expire_all()
    assert NAME not in everything(session) and not scene.photo_path.exists()
    again = subprocess.run(
        [sys.executable, "-m", "app", "purge"], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.stdout == "Nothing is past its keep-for date.\n"


def test_the_app_erases_what_is_due_as_it_starts(
    session: Session, facilitator: Facilitator, settings: Settings
) -> None:
    from app.main import create_app
    from tests.factories import make_cafe

    due, kept = make_cafe(session, facilitator), make_cafe(session, facilitator)
    due_id, kept_id = due.id, kept.id
    _close(session, due_id, datetime(2020, 1, 1, tzinfo=UTC))
    old = RateLimitHit(bucket="join-code", key="203.0.113.9", at=utcnow() - timedelta(days=2))
    session.add(old)
    session.commit()

    with TestClient(create_app(settings)):
        pass

    session.expire_all()
    assert session.get(Cafe, due_id) is None and session.get(Cafe, kept_id) is not None
    assert session.exec(select(RateLimitHit)).all() == []  # the address went with it


def test_a_networks_period_counts_from_its_last_meeting(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    from tests.material_setup import make_group_cafe, make_network

    network = make_network(session, facilitator)
    group = make_group_cafe(session, facilitator, network, "East")
    network_id, ends = network.id, group.meeting.ends_at
    path = f"/api/v1/networks/{network_id}/keep-for"

    r = client.put(path, json={"keep_days": 10}, headers=api_headers)

    assert r.status_code == 200, r.text
    assert r.json()["keep_days"] == 10
    assert datetime.fromisoformat(r.json()["erase_on"]) == ends + timedelta(days=10)

    def purge(now: datetime) -> list[tuple[str, int]]:
        # A session of its own, as the job's: the period was set through the API's.
        with Session(session.get_bind()) as fresh:
            done = retention.purge(
                session=fresh, media_dir=settings.media_dir, default_days=365, now=now
            )
            return [(e.kind, e.subject_id) for e in done]

    assert purge(ends) == []
    assert purge(ends + timedelta(days=10, seconds=1)) == [("network", network_id)]
    assert client.get(f"/api/v1/networks/{network_id}", headers=api_headers).status_code == 404
