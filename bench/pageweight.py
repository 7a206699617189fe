"""First-load transfer size of the pages a phone opens (compressed bytes on the wire).

Target: a participant's first load under 60 KB compressed. Run:
    .venv/bin/python bench/pageweight.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.db import make_engine  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models.cafe import CafeCreate, RoundSpec  # noqa: E402
from app.services import accounts  # noqa: E402
from app.services.cafe import cafes as cafe_service  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TARGET = 60 * 1024


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tablecloth-weight-"))
    url = f"sqlite:///{workdir / 'weight.db'}"
    upgrade(url)
    engine = make_engine(url, tx="statement")
    with Session(engine, expire_on_commit=False) as session:
        lead = accounts.create_facilitator(
            session=session, email="weight@example.org", password="weigh-the-pages"
        )
        cafe = cafe_service.create_cafe(
            session=session,
            facilitator=lead,
            data=CafeCreate(
                title="Page weight",
                table_count=4,
                rounds=[RoundSpec(question="What helps you most day to day?")],
            ),
        )
    engine.dispose()
    with LiveServer(database_url=url, log_dir=workdir) as server, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        device = {k: v for k, v in p.devices["Pixel 7"].items() if k != "default_browser_type"}
        context = browser.new_context(**device)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: dict[str, Any] = {}
        urls: dict[str, str] = {}
        cdp.on(
            "Network.responseReceived",
            lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
        )

        def measure(label: str, action: Any) -> int:
            sizes.clear()
            urls.clear()
            action()
            page.wait_for_load_state("networkidle")
            total = 0
            print(f"\n{label}")
            for request_id, size in sizes.items():
                name = urls.get(request_id, "?").replace(server.url, "")
                print(f"  {int(size):>7,} B  {name}")
                total += int(size)
            print(f"  {total:>7,} B  total ({total / 1024:.1f} KB; target < {TARGET // 1024} KB)")
            return total

        join_total = measure(
            "Join page (first visit, empty cache)", lambda: page.goto(f"{server.url}/j/{cafe.code}")
        )
        page.fill("#display_name", "Weigher")

        def submit() -> None:
            page.click("button[type=submit] >> text=Join the café")

        participant_total = measure("Participant page after joining (cached assets)", submit)
        context.close()
        fresh = browser.new_context(**device, storage_state=None)
        fresh_page = fresh.new_page()
        fresh_page.goto(f"{server.url}/j/{cafe.code}")
        fresh_page.fill("#display_name", "Fresh")
        fresh_page.click("text=Join the café")
        fresh_page.wait_for_load_state("networkidle")
        state = fresh.storage_state()
        fresh.close()
        cold = browser.new_context(**device, storage_state=state)  # cookie only, no cache
        page = cold.new_page()
        cdp = cold.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on(
            "Network.responseReceived",
            lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
        )
        cold_total = measure(
            "Participant page, first load with an empty cache",
            lambda: page.goto(f"{server.url}/p/{cafe.code}"),
        )
        browser.close()
    print(
        f"\nSummary: join {join_total / 1024:.1f} KB, participant (empty cache) "
        f"{cold_total / 1024:.1f} KB, participant after join {participant_total / 1024:.1f} KB"
    )
    if max(join_total, cold_total) > TARGET:
        print("OVER TARGET")


if __name__ == "__main__":
    main()
