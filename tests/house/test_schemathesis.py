"""Schemathesis over the served `/openapi.json`, with a write token, against the real app in
uvicorn on this run's database (SQLite or PostgreSQL): every operation, with generated input
in and out of the schema (NUL bytes included), never gets a server error, and answers with a
status, content type and body its schema declares.

Schemathesis runs as its own command, as an API client would run it, with a fixed seed so a
failure can be replayed: its phases (examples, coverage, fuzzing, stateful) each send up to
`EXAMPLES` cases an operation. Set TABLECLOTH_SCHEMATHESIS_EXAMPLES to fuzz harder, and
TABLECLOTH_SCHEMATHESIS_SEED to try other input (the failure names the seed to replay it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session

from tests.conftest import _empty_tables
from tests.factories import PASSWORD, make_facilitator
from tests.house.test_openapi_contract import FIXTURE
from tests.live_server import LiveServer
from tests.material_setup import make_group_cafe, make_network, say

EXAMPLES = int(os.environ.get("TABLECLOTH_SCHEMATHESIS_EXAMPLES", "40"))
SEED = int(os.environ.get("TABLECLOTH_SCHEMATHESIS_SEED", "4242"))


@pytest.fixture
def live_api(database_url: str, engine: object, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """The app in uvicorn on emptied tables, and a write token of a facilitator of it. The
    facilitator has a network whose local group met as a café with a themed contribution, so
    the small ids schemathesis tries first (1, 2) find rows and reach the rules behind them."""
    _empty_tables(engine, database_url)
    with Session(engine, expire_on_commit=False) as session:  # type: ignore[arg-type]
        lead = make_facilitator(session)
        network = make_network(session, lead)
        for name in ("North", "South"):
            met = make_group_cafe(session, lead, network, name)
            say(session, met.cafe, "The bus is late", themes=("Transport",))
            say(session, met.cafe, "Ärger mit dem Amt", themes=("Ärger",), table_number=2)
    with LiveServer(database_url=database_url, log_dir=tmp_path) as server:
        token = httpx.post(
            f"{server.url}/api/v1/auth/token",
            data={"username": lead.email, "password": PASSWORD},
        )
        assert token.status_code == 200, token.text
        access = token.json()["access_token"]
        material = httpx.post(
            f"{server.url}/api/v1/networks/{network.id}/materials",
            json={"title": "What we heard", "markdown": "# What we heard\n\n## Travel\n\nBuses."},
            headers={"Authorization": f"Bearer {access}"},
        )
        assert material.status_code == 201, material.text
        yield server, access


def test_no_operation_answers_with_a_server_error(
    live_api: tuple[LiveServer, str], tmp_path: Path
) -> None:
    server, token = live_api
    operations = sum(
        method in {"get", "post", "put", "patch", "delete"}
        for path in json.loads(FIXTURE.read_text())["paths"].values()
        for method in path
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-allow-x00",
        "true",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--no-color",
    ]
    run = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=max(600, EXAMPLES * 15),
        check=False,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, f"seed {SEED}, {EXAMPLES} examples:\n" + report[-20000:]
    assert f"Tested: {operations}" in report, report[-3000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", report)
    assert cases is not None and cases.group(1) == cases.group(2), report[-3000:]
    print(f"schemathesis: {operations} operations, {cases.group(1)} cases")  # noqa: T201
    assert "Server error" not in report
