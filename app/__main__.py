"""Command line: `python -m app create-facilitator EMAIL --password …`, `reset-password
EMAIL`, `migrate`, `demo`, `purge`."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlmodel import Session, select

from app.config import Settings, get_settings
from app.db import make_engine
from app.migrate import upgrade
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import CafeCreate, RoundSpec, SeatingMode, TableSpec
from app.models.privacy import ErasureLog
from app.services import accounts, sessions
from app.services.cafe import cafes as cafe_service
from app.services.errors import DomainError
from app.services.privacy import retention

DEMO_EMAIL = "demo@tablecloth.local"
DEMO_PASSWORD = "demo-facilitator"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-facilitator", help="create a facilitator account")
    create.add_argument("email")
    create.add_argument("--password", help="at least 10 characters; asked for when omitted")
    create.add_argument("--name", default="")
    reset = sub.add_parser(
        "reset-password", help="print a one-time link (valid for an hour) to set a new password"
    )
    reset.add_argument("email")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("demo", help="create the demo facilitator and a demo café (idempotent)")
    sub.add_parser(
        "purge", help="erase cafés and networks past their keep-for date (for cron); prints counts"
    )
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.command == "migrate":
        upgrade(settings.database_url)
        print("Database is up to date.")
        return 0
    upgrade(settings.database_url) if settings.mode == "local" else None
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            if args.command == "create-facilitator":
                password = args.password or getpass.getpass("Password: ")
                facilitator = accounts.create_facilitator(
                    session=session, email=args.email, password=password, display_name=args.name
                )
                print(f"Created facilitator {facilitator.email}.")
            elif args.command == "reset-password":
                _reset(session, args.email, settings.base_url)
            elif args.command == "purge":
                _purge(session, settings)
            else:
                _demo(session, settings.base_url)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


def _purge(session: Session, settings: Settings) -> None:
    now = utcnow()
    done = retention.purge(
        session=session,
        media_dir=settings.media_dir,
        default_days=settings.keep_days,
        now=now,
    )
    for entry in done:
        counts = ", ".join(_plural(n, name) for name, n in _counts(entry))
        print(f"Erased {_KINDS[entry.kind]} {entry.subject_id}: {counts}.")
    if not done:
        print("Nothing is past its keep-for date.")
    gone = retention.purge_audit_log(session=session, audit_days=settings.audit_keep_days, now=now)
    if gone:
        entries = "audit log entry" if gone == 1 else "audit log entries"
        print(f"Deleted {gone} {entries} older than {settings.audit_keep_days} days.")


_KINDS = {"cafe": "café", "network": "network", "participant": "person", "member": "member"}
_NAMES = {
    "participants": ("person", "people"),
    "cards": ("card", "cards"),
    "photos": ("photo", "photos"),
    "voice_notes": ("voice note", "voice notes"),
    "votes": ("vote", "votes"),
    "evidence_items": ("quote redacted", "quotes redacted"),
    "members": ("member", "members"),
}


def _counts(entry: ErasureLog) -> list[tuple[str, int]]:
    return [(name, getattr(entry, name)) for name in _NAMES]


def _plural(n: int, name: str) -> str:
    one, many = _NAMES[name]
    return f"{n} {one if n == 1 else many}"


def _reset(session: Session, email: str, base_url: str) -> None:
    facilitator, token = sessions.issue_reset(session=session, email=email, now=utcnow())
    print(f"A one-time link for {facilitator.email} to set a new password (valid for an hour):")
    print(f"{base_url.rstrip('/')}/reset/{token}")


def _demo(session: Session, base_url: str) -> None:
    facilitator = session.exec(select(Facilitator).where(Facilitator.email == DEMO_EMAIL)).first()
    if facilitator is None:
        facilitator = accounts.create_facilitator(
            session=session, email=DEMO_EMAIL, password=DEMO_PASSWORD, display_name="Demo"
        )
    cafes = cafe_service.list_cafes(session=session, facilitator=facilitator)
    cafe = next((c for c in cafes if c.status != "closed"), None)
    if cafe is None:
        cafe = cafe_service.create_cafe(
            session=session,
            facilitator=facilitator,
            data=CafeCreate(
                title="Choice and control in supported living",
                purpose=(
                    "What helps people have a real say in their support, and what gets in the way?"
                ),
                tables=[TableSpec(name=f"Table {n}", capacity=5) for n in range(1, 5)],
                rounds=[
                    RoundSpec(
                        question="What does having choice and control look like for you?",
                        minutes=15,
                    ),
                    RoundSpec(question="What gets in the way, and what helps?", minutes=15),
                    RoundSpec(
                        question="What one change would make the biggest difference?", minutes=10
                    ),
                ],
                seating_mode=SeatingMode.PLANNED,
            ),
        )
    print("")
    print("  Tablecloth demo is ready.")
    print(f"  Facilitator login: {base_url}/login  email {DEMO_EMAIL}  password {DEMO_PASSWORD}")
    print(f"  Join code: {cafe.code}   phones open {base_url}/j/{cafe.code}")
    print(
        f"  Console: {base_url}/cafes/{cafe.id}/console   "
        f"Projector: {base_url}/cafes/{cafe.id}/projector"
    )
    print("")


if __name__ == "__main__":
    raise SystemExit(main())
