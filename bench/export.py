"""Session-notes export benchmark: ``.venv/bin/python bench/export.py [--contributions 100000]``.

Builds a café with 100,000 contributions (bulk insert into a fresh SQLite file: 20 tables,
3 rounds, 400 people, 12 themes holding about 40% of the contributions, about 45,000 votes,
3% hidden, withdrawn or pending), then for each format runs the export service end to end
in a fresh process and reports:

- wall time of the whole stream, written to a file as a client would save it;
- tracemalloc peak: the most Python memory allocated at once during the export (measured
  in a second, traced run, since tracing slows Python down);
- RSS peak: the process's high-water resident memory (VmHWM) minus its resident memory just
  before the export, i.e. what the export added on top of a loaded interpreter.

Then JSON and CSV once more through the real HTTP endpoint (uvicorn in its own process,
streamed by an HTTP client here); the server's RSS high-water mark is read from /proc.

Targets (JSON and CSV): under 3 s and under 200 MB. The machine is shared with other
engineers' work (2 cores), so times vary between runs; the memory figures do not.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlmodel import col  # noqa: E402

from app.db import Database  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models.accounts import TokenScope  # noqa: E402
from app.models.base import utcnow  # noqa: E402
from app.models.cafe import (  # noqa: E402
    Cafe,
    CafeCreate,
    Participant,
    RoundSpec,
    StakeholderRole,
    TableQuestionSpec,
)
from app.models.evidence import (  # noqa: E402
    Contribution,
    ContributionKind,
    ContributionTheme,
    EvidenceType,
    Reaction,
    Theme,
)
from app.services import accounts  # noqa: E402
from app.services.cafe import cafes as cafe_service  # noqa: E402
from app.services.export import notes  # noqa: E402
from app.services.export.formats import NotesFormat  # noqa: E402

TABLES, ROUNDS, PEOPLE, THEMES = 20, 3, 400, 12
TARGET_SECONDS, TARGET_MB = 3.0, 200
SUBJECTS = [
    "Having the same carer every week",
    "The bus to the day centre",
    "My personal assistant",
    "Direct payments",
    "Knowing who to ring",
    "Staff who listen",
    "A say in the rota",
    "Easy read letters",
    "Money for activities",
    "Friends from the group",
    "The social worker",
    "Respite breaks",
]
VERBS = ["helps", "gets in the way of", "would change", "makes a difference to", "stops"]
OBJECTS = [
    "choosing what I do each day",
    "going out in the evening",
    "feeling safe at home",
    "seeing my family",
    "trying something new",
    "planning the week",
    "keeping my job",
    "having control of my support",
]


def _text(rng: random.Random) -> str:
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    if rng.random() < 0.3:
        text += f", and {rng.choice(SUBJECTS).lower()} {rng.choice(VERBS)} it too"
    if rng.random() < 0.01:
        text = "=" + text  # spreadsheet formula bait, neutralised in the CSV
    return text


def seed(url: str, n: int) -> int:
    """A café with ``n`` contributions; returns its id."""
    rng = random.Random(4)
    db = Database(url)
    now = utcnow()
    with db.read_session() as session:
        lead = accounts.create_facilitator(
            session=session, email="bench@example.org", password="bench password 1"
        )
        cafe = cafe_service.create_cafe(
            session=session,
            facilitator=lead,
            data=CafeCreate(
                title="Choice and control: benchmark café",
                table_count=TABLES,
                rounds=[
                    RoundSpec(
                        question=f"Question for round {i + 1}?",
                        table_questions=[
                            TableQuestionSpec(table=t, question=f"Round {i + 1}, table {t}?")
                            for t in range(1, 6)
                        ]
                        if i == 1
                        else [],
                    )
                    for i in range(ROUNDS)
                ],
            ),
        )
        cafe_id = cafe.id
        tables = [t.id for t in cafe_service.tables_of(session=session, cafe=cafe)]
        rounds = [r.id for r in cafe_service.rounds_of(session=session, cafe=cafe)]
        roles: list[str | None] = [r.value for r in StakeholderRole] + [None]
        conn = session.connection()
        conn.execute(
            insert(Participant),
            [
                {
                    "cafe_id": cafe_id,
                    "display_name": f"Person {i}",
                    "role": rng.choice(roles),
                    "secret": f"s{i}",
                    "joined_at": now,
                    "cannot_move": False,
                    "large_text": False,
                    "easy_read": False,
                    "is_host": False,
                }
                for i in range(PEOPLE)
            ],
        )
        people = list(
            conn.execute(select(col(Participant.id)).where(col(Participant.cafe_id) == cafe_id))
        )
        person_ids = [p[0] for p in people]
        conn.execute(
            insert(Theme),
            [
                {"cafe_id": cafe_id, "name": f"Theme {i}: {SUBJECTS[i]}", "created_at": now}
                for i in range(THEMES)
            ],
        )
        theme_ids = [
            t[0] for t in conn.execute(select(col(Theme.id)).where(col(Theme.cafe_id) == cafe_id))
        ]
        kinds = [k.value for k in ContributionKind]
        evidence = [e.value for e in EvidenceType]
        statuses = ["visible"] * 97 + ["hidden", "withdrawn", "pending"]
        start = now - timedelta(hours=2)
        batch = 10_000
        for first in range(0, n, batch):
            rows: list[dict[str, Any]] = []
            for i in range(first, min(n, first + batch)):
                moment = start + timedelta(milliseconds=60 * i)
                rows.append(
                    {
                        "cafe_id": cafe_id,
                        "round_id": rounds[i * ROUNDS // n],
                        "table_id": rng.choice(tables),
                        "participant_id": rng.choice(person_ids),
                        "client_id": f"bench-{i}",
                        "text": _text(rng),
                        "kind": rng.choice(kinds),
                        "evidence_type": rng.choice(evidence),
                        "author_role": rng.choice(roles),
                        "for_table": rng.random() < 0.05,
                        "status": rng.choice(statuses),
                        "safeguarding": False,
                        "moderation_note": "",
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )
            conn.execute(insert(Contribution), rows)
        ids = [
            c[0]
            for c in conn.execute(
                select(col(Contribution.id)).where(col(Contribution.cafe_id) == cafe_id)
            )
        ]
        links = []
        for cid in ids:
            if rng.random() < 0.4:
                for tid in rng.sample(theme_ids, 2 if rng.random() < 0.1 else 1):
                    links.append({"contribution_id": cid, "theme_id": tid})
        conn.execute(insert(ContributionTheme), links)
        votes = set()
        for cid in rng.sample(ids, n * 3 // 10):
            for pid in rng.sample(person_ids, rng.randint(1, 2)):
                votes.add((cid, pid))
        conn.execute(
            insert(Reaction),
            [{"contribution_id": c, "participant_id": p, "created_at": now} for c, p in votes],
        )
        session.commit()
        print(
            f"seeded {n:,} contributions, {len(links):,} theme links, {len(votes):,} votes, "
            f"{PEOPLE} people, {TABLES} tables, {ROUNDS} rounds"
        )
    db.dispose()
    return cafe_id


def _rss_kb(field: str, pid: str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def _cpu_seconds(pid: str) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reset_hwm() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _export_to(url: str, cafe_id: int, fmt: NotesFormat, out: Path) -> int:
    db = Database(url)
    size = 0
    with db.read_session() as session, out.open("wb") as sink:
        cafe = session.get(Cafe, cafe_id)
        assert cafe is not None
        for chunk in notes.export_notes(session=session, cafe=cafe, fmt=fmt, now=utcnow()):
            sink.write(chunk)
            size += len(chunk)
    db.dispose()
    return size


def measure(url: str, cafe_id: int, fmt: NotesFormat, out: Path) -> dict[str, Any]:
    """Runs in a fresh process: one timed run, one traced run."""
    _export_to(url, cafe_id, fmt, out.with_suffix(".warm"))  # imports, caches, page cache
    out.with_suffix(".warm").unlink()
    _reset_hwm()
    rss_before = _rss_kb("VmRSS")
    began, cpu_began = time.perf_counter(), time.process_time()
    size = _export_to(url, cafe_id, fmt, out)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    rss_peak = _rss_kb("VmHWM")
    tracemalloc.start()
    _export_to(url, cafe_id, fmt, out.with_suffix(".traced"))
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out.with_suffix(".traced").unlink()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "bytes": size,
        "rss_delta_mb": (rss_peak - rss_before) / 1024,
        "traced_peak_mb": traced_peak / 2**20,
    }


def check(fmt: NotesFormat, path: Path, expected: int) -> str:
    """Parse the file back and count contributions."""
    if fmt == NotesFormat.JSON:
        with path.open("rb") as f:
            count = len(json.load(f)["contributions"])
    elif fmt == NotesFormat.CSV:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        count = len(rows)
        assert not any(r["text"].startswith("=") for r in rows), "formula not neutralised"
    elif fmt == NotesFormat.MD:
        with path.open(encoding="utf-8") as f:
            count = sum(1 for line in f if line.startswith("- **") and ":** " in line)
    else:
        with zipfile.ZipFile(path) as z:
            body = z.read("word/document.xml")
        count = body.count(b'<w:pStyle w:val="ListBullet"/>') - THEMES  # theme summary bullets
    md_note = " (one line per theme it is in)" if fmt in {NotesFormat.MD, NotesFormat.DOCX} else ""
    ok = "ok" if count >= expected else "MISSING"
    return f"{count:,} items{md_note} {ok}"


def http_measure(url: str, cafe_id: int, workdir: Path, formats: list[NotesFormat]) -> None:
    import httpx2 as httpx

    from tests.live_server import LiveServer

    db = Database(url)
    with db.read_session() as session:
        lead = accounts.authenticate(
            session=session, email="bench@example.org", password="bench password 1"
        )
        assert lead is not None
        _, token = accounts.create_api_token(
            session=session, facilitator=lead, name="bench", scope=TokenScope.READ
        )
    db.dispose()
    with LiveServer(database_url=url, log_dir=workdir) as server:
        assert server.process is not None
        pid = str(server.process.pid)
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
        with httpx.Client(timeout=120) as client:
            for fmt in formats:
                # A warm-up request so imports and caches are not counted.
                client.get(
                    f"{server.url}/api/v1/cafes/{cafe_id}/notes?format={fmt}&x=warm",
                    headers=headers,
                )
                rss_before = _rss_kb("VmRSS", pid)
                cpu_before = _cpu_seconds(pid)
                began = time.perf_counter()
                size = 0
                with client.stream(
                    "GET",
                    f"{server.url}/api/v1/cafes/{cafe_id}/notes?format={fmt}",
                    headers=headers,
                ) as response:
                    assert response.status_code == 200, response.status_code
                    for chunk in response.iter_raw():
                        size += len(chunk)
                seconds = time.perf_counter() - began
                server_cpu = _cpu_seconds(pid) - cpu_before
                hwm = _rss_kb("VmHWM", pid)
                print(
                    f"  HTTP {fmt.value:<5} {seconds:6.2f} s (server CPU {server_cpu:5.2f} s)  "
                    f"{size / 2**20:7.1f} MB sent  "
                    f"server RSS {rss_before / 1024:6.0f} MB before, "
                    f"high-water {hwm / 1024:6.0f} MB"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--measure", choices=[f.value for f in NotesFormat])
    parser.add_argument("--db")
    parser.add_argument("--cafe", type=int)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.measure:
        result = measure(args.db, args.cafe, NotesFormat(args.measure), Path(args.out))
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="tablecloth-export-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'bench.db'}"
        upgrade(url)
        began = time.perf_counter()
        cafe_id = seed(url, args.contributions)
        print(f"seeding took {time.perf_counter() - began:.1f} s\n")
        db = Database(url)
        with db.engine.connect() as conn:
            visible = conn.execute(
                select(func.count())
                .select_from(Contribution)
                .where(
                    col(Contribution.cafe_id) == cafe_id,
                    col(Contribution.status) == "visible",
                )
            ).scalar_one()
        db.dispose()
        print(f"{visible:,} visible contributions to export; {os.cpu_count()} CPUs, shared")
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(
            f"{'format':<6} {'time':>8} {'CPU':>7} {'size':>9} {'RSS added':>10} "
            f"{'traced peak':>12}  check"
        )
        failures = []
        for fmt in NotesFormat:
            out = work / f"notes.{fmt.value}"
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    fmt.value,
                    "--db",
                    url,
                    "--cafe",
                    str(cafe_id),
                    "--out",
                    str(out),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            verdict = check(fmt, out, visible)
            print(
                f"{fmt.value:<6} {r['seconds']:7.2f}s {r['cpu_seconds']:6.2f}s "
                f"{r['bytes'] / 2**20:7.1f}MB "
                f"{r['rss_delta_mb']:8.1f}MB {r['traced_peak_mb']:10.1f}MB  {verdict}"
            )
            out.unlink()
            if fmt in {NotesFormat.JSON, NotesFormat.CSV} and (
                r["seconds"] > TARGET_SECONDS
                or max(r["rss_delta_mb"], r["traced_peak_mb"]) > TARGET_MB
            ):
                failures.append(fmt.value)
        print("\nThrough the HTTP endpoint (uvicorn, one worker):")
        http_measure(url, cafe_id, work, [NotesFormat.JSON, NotesFormat.CSV])
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(
            f"\nTargets for JSON and CSV: under {TARGET_SECONDS:g} s and {TARGET_MB} MB: "
            + ("met" if not failures else f"NOT met for {', '.join(failures)}")
        )


if __name__ == "__main__":
    main()
