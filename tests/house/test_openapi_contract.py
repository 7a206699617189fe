"""The public contract: `/openapi.json` is the committed fixture, path for path, method for
method, schema for schema. A deliberate API change updates `tests/fixtures/openapi.json` in
the same commit (`python -m tests.house.test_openapi_contract` rewrites it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

FIXTURE = Path(__file__).parent / "fixtures" / "openapi.json"


def _operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items() for method in item}


def test_the_api_paths_and_methods_are_the_committed_ones(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    committed = json.loads(FIXTURE.read_text())
    assert _operations(served) == _operations(committed)


def test_every_operation_and_schema_is_as_committed(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    committed = json.loads(FIXTURE.read_text())
    for path, item in committed["paths"].items():
        for method, operation in item.items():
            assert served["paths"][path][method] == operation, f"{method.upper()} {path}"
    assert served["components"]["schemas"].keys() == committed["components"]["schemas"].keys()
    for name, schema in committed["components"]["schemas"].items():
        assert served["components"]["schemas"][name] == schema, name
    assert served == committed


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool, not a test
    import tempfile

    from app.config import Settings
    from app.main import create_app

    scratch = Path(tempfile.mkdtemp())
    app = create_app(
        Settings(
            mode="local",
            database_url=f"sqlite:///{scratch / 'openapi.db'}",
            secret_key="x" * 48,
            base_url="http://testserver",
            media_dir=scratch / "media",
            broadcast_url="memory://",
        )
    )
    FIXTURE.write_text(json.dumps(app.openapi(), indent=1, sort_keys=True) + "\n")
