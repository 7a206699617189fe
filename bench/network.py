"""A network at full size for its members (issue 25): 10 local groups x 10 members x 4
meetings, every member at every meeting with feedback given, an action per member, an update
per group, an expense per attendance. Over real HTTP (uvicorn in its own process):

- each of the 100 members opens their own page (`/me`) and their payments (`/me/payments`),
  first one at a time (what one person waits), then all 100 at once (everyone opening the
  reminder letter's link the evening before);
- the lead downloads the evaluation summary (DOCX, CSV, JSON) and the finance CSV.

Prints the time of each; targets: a member's page p95 under 1 s with 100 at once, an export
under 3 s. Not a timed test.

    .venv/bin/python bench/network.py                      # SQLite file
    .venv/bin/python bench/network.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.db import Database  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models.base import utcnow  # noqa: E402
from app.models.follow_up import FeedbackResponse, NetworkAction  # noqa: E402
from app.models.network import Attendance, LocalGroup, Meeting, Member, Network  # noqa: E402
from app.models.payments import Expense  # noqa: E402
from app.models.you_said import YouSaid  # noqa: E402
from app.services import accounts  # noqa: E402
from app.services.network import member_page as member_page_service  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

GROUPS, MEMBERS, MEETINGS = 10, 10, 4
PASSWORD = "bench password 1"
TARGET_PAGE_P95, TARGET_EXPORT = 1.0, 3.0


def seed(url: str) -> tuple[int, str, list[str]]:
    """The network; returns its id, the lead's email and each member's personal link token."""
    db = Database(url)
    now = utcnow()
    tokens: list[str] = []
    with Session(db.engine, expire_on_commit=False) as session:
        lead = accounts.create_facilitator(
            session=session, email="lead@example.org", password=PASSWORD
        )
        network = Network(
            facilitator_id=lead.id, title="Choice and control", hourly_rate_pence=1500
        )
        session.add(network)
        session.commit()
        for g in range(GROUPS):
            group = LocalGroup(network_id=network.id, name=f"Group {g + 1}", area="Wales")
            session.add(group)
            session.commit()
            meetings = []
            for n in range(MEETINGS):
                starts = now - timedelta(days=30 * (MEETINGS - n)) + timedelta(days=60)
                meetings.append(
                    Meeting(
                        group_id=group.id,
                        number=n + 1,
                        title=f"Meeting {n + 1}",
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=2),
                        location="The community hall",
                    )
                )
            members = [
                Member(
                    group_id=group.id,
                    display_name=f"Member {g + 1}.{m + 1}",
                    role="lived_experience" if m % 2 else "carer",
                    email=f"m{g}-{m}@example.org",
                    consent_given=True,
                    consent_at=now,
                )
                for m in range(MEMBERS)
            ]
            session.add_all([*meetings, *members])
            session.add(
                YouSaid(
                    network_id=network.id,
                    group_id=group.id,
                    you_said="You said the bus times made it hard to come.",
                    we_did="We now pay for taxis.",
                )
            )
            session.commit()
            for member in members:
                session.add(
                    NetworkAction(
                        network_id=network.id,
                        group_id=group.id,
                        title=f"Ask the council about buses ({member.display_name})",
                        owner_member_id=member.id,
                    )
                )
                for meeting in meetings:
                    record = Attendance(
                        meeting_id=meeting.id, member_id=member.id, attended=True, hours=2.0
                    )
                    session.add(record)
                    session.flush()
                    session.add(Expense(attendance_id=record.id, kind="travel", amount_pence=480))
                    if meeting.ends_at < now:
                        scores = {"how_was_it": 4, "listened": 5, "could_say": 3}
                        session.add(
                            FeedbackResponse(
                                meeting_id=meeting.id,
                                member_id=member.id,
                                scores=json.dumps(scores),
                                comment="It was good to be asked.",
                            )
                        )
                session.commit()
                _, token = member_page_service.issue_link(session=session, member=member, now=now)
                tokens.append(token)
        network_id = network.id
    db.dispose()
    return network_id, "lead@example.org", tokens


async def _member(client: httpx.AsyncClient, token: str) -> tuple[float, float]:
    """A member's phone: opens the link (signed in), then their page and their payments."""
    r = await client.get(f"/m/{token}", follow_redirects=False)
    assert r.status_code == 303, r.status_code
    began = time.perf_counter()
    page = await client.get("/me")
    assert page.status_code == 200 and "Hello" in page.text, page.status_code
    middle = time.perf_counter()
    paid = await client.get("/me/payments")
    assert paid.status_code == 200, paid.status_code
    return middle - began, time.perf_counter() - middle


async def members(base: str, tokens: list[str], at_once: bool) -> list[tuple[float, float]]:
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in tokens]
    try:
        if at_once:
            return list(
                await asyncio.gather(*[_member(c, t) for c, t in zip(clients, tokens, strict=True)])
            )
        return [await _member(c, t) for c, t in zip(clients, tokens, strict=True)]
    finally:
        for client in clients:
            await client.aclose()


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def exports(base: str, network_id: int, email: str) -> None:
    with httpx.Client(base_url=base, timeout=120) as lead:
        page = lead.get("/login")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = lead.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf},
            headers={"Origin": base},
        )
        assert r.status_code in (200, 303), r.status_code
        for name, path in (
            ("evaluation summary DOCX", f"/networks/{network_id}/feedback/export?format=docx"),
            ("feedback CSV", f"/networks/{network_id}/feedback/export?format=csv"),
            ("feedback JSON", f"/networks/{network_id}/feedback/export?format=json"),
            ("finance CSV", f"/networks/{network_id}/finance.csv"),
        ):
            times = []
            for _ in range(3):
                began = time.perf_counter()
                got = lead.get(path)
                times.append(time.perf_counter() - began)
                assert got.status_code == 200, (path, got.status_code, got.text[:300])
            best = min(times)
            verdict = "yes" if best < TARGET_EXPORT else "NO"
            print(
                f"{name}: {len(got.content) / 1024:.0f} KB, best of 3 {best * 1000:.0f} ms, "
                f"median {statistics.median(times) * 1000:.0f} ms "
                f"(< {TARGET_EXPORT:.0f} s: {verdict})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="SQLAlchemy URL (default: SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{folder}/network.db"
        upgrade(url)
        began = time.perf_counter()
        network_id, email, tokens = seed(url)
        print(
            f"{GROUPS} groups x {MEMBERS} members x {MEETINGS} meetings on {url.split(':')[0]}, "
            f"seeded in {time.perf_counter() - began:.1f} s; load {os.getloadavg()[0]:.1f}"
        )
        with LiveServer(database_url=url, log_dir=Path(folder)) as server:
            for at_once in (False, True):
                timed = asyncio.run(members(server.url, tokens, at_once))
                page = [t[0] for t in timed]
                paid = [t[1] for t in timed]
                how = "all 100 at once" if at_once else "one at a time"
                print(
                    f"member's page, {how}: p50 {_p(page, 0.5) * 1000:.0f} ms, "
                    f"p95 {_p(page, 0.95) * 1000:.0f} ms, max {max(page) * 1000:.0f} ms; "
                    f"their payments p50 {_p(paid, 0.5) * 1000:.0f} ms, "
                    f"p95 {_p(paid, 0.95) * 1000:.0f} ms"
                    + (
                        f" (p95 < {TARGET_PAGE_P95:.0f} s: "
                        f"{'yes' if _p(page, 0.95) < TARGET_PAGE_P95 else 'NO'})"
                        if at_once
                        else ""
                    )
                )
            exports(server.url, network_id, email)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
